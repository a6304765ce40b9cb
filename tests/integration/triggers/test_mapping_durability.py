"""Mappings live in Kafka: they survive a restart of Wharf, and a Wharf killed with SIGKILL
in the middle of a batch delivers that batch again when it comes back (at least once:
every record handled, none lost)."""

from __future__ import annotations

import copy
import signal

from trigger_helpers import EsmEnv, declared_uuid, esm, wait_until  # noqa: F401

DECLARED_TOPIC = "esm-durable-declared"
ESM_EXTRA_CONFIG = {
    # A member killed with SIGKILL leaves the group when its session times out: keep
    # that short so the restarted Wharf gets the partitions back soon.
    "kafka": {"client_properties": ["session.timeout.ms=6000", "heartbeat.interval.ms=500"]},
    "triggers": {"mappings": {"durable-declared": {
        "FunctionName": "http", "Topics": [DECLARED_TOPIC], "StartingPosition": "LATEST"}}},
}


def test_mappings_survive_a_restart(esm, unique_topic):
    esm.create_topic(unique_topic)
    client = esm.lambda_client()
    created = esm.create_mapping("sh", unique_topic, BatchSize=42,
                                 FilterCriteria={"Filters": [{"Pattern": '{"value": ["x"]}'}]})
    disabled = esm.create_mapping("http", unique_topic, Enabled=False)
    before = {m["UUID"]: m for m in client.list_event_source_mappings()["EventSourceMappings"]}
    assert declared_uuid("durable-declared") in before

    esm.restart(signal.SIGTERM)
    client = esm.lambda_client()
    after = {m["UUID"]: m for m in client.list_event_source_mappings()["EventSourceMappings"]}
    assert set(after) == set(before), "mappings were lost or duplicated by the restart"
    keep = ("BatchSize", "Topics", "FunctionArn", "FilterCriteria", "EventSourceArn",
            "StartingPosition", "LastModified", "State")
    for u in (created["UUID"], disabled["UUID"], declared_uuid("durable-declared")):
        assert {k: after[u].get(k) for k in keep} == {k: before[u].get(k) for k in keep}
    assert after[disabled["UUID"]]["State"] == "Disabled"
    # Still running: a record reaches the function.
    esm.produce(unique_topic, [{"value": b"x"}])
    esm.wait_seen("sh", unique_topic, 1)


def test_sigkill_mid_batch_redelivers_on_restart(esm, unique_topic):
    esm.create_topic(unique_topic)
    # The batch holding offset 12 runs for 4 s: long enough to kill Wharf in its middle.
    values = [f"r{i}".encode() if i != 12 else b"r12 sleep-ms:4000" for i in range(30)]
    esm.produce(unique_topic, [{"value": v} for v in values])
    mapping = esm.create_mapping("sh", unique_topic, BatchSize=5)
    uuid_ = mapping["UUID"]
    wait_until(lambda: 12 in {r["offset"] for r in esm.records_seen("sh", unique_topic)},
               timeout=60, what="the slow batch to start")
    # One partition, one batch at a time: the offset cannot move while the slow batch runs.
    committed_at_kill = esm.committed(uuid_, unique_topic, 1)[0]
    esm.stop(signal.SIGKILL)
    seen_before = {r["offset"] for r in esm.records_seen("sh", unique_topic)}
    assert 0 < committed_at_kill <= 12
    in_flight = {o for o in seen_before if o >= committed_at_kill}
    assert 12 in in_flight

    esm.start()
    wait_until(lambda: esm.committed(uuid_, unique_topic, 1) == [30], timeout=90,
               what="every record to be handled after the restart")
    seen = esm.records_seen("sh", unique_topic)
    offsets = [r["offset"] for r in seen]
    assert set(offsets) == set(range(30)), "records were lost"
    # The uncommitted batch ran again after the restart.
    for o in in_flight:
        assert offsets.count(o) >= 2, f"offset {o} was not delivered again"
    # Nothing committed before the kill ran again.
    for o in range(committed_at_kill):
        assert offsets.count(o) == 1, f"committed offset {o} was delivered again"


def test_a_declared_mapping_changed_in_the_config_keeps_its_uuid(esm):
    uuid_ = declared_uuid("durable-declared")
    client = esm.lambda_client()
    assert client.get_event_source_mapping(UUID=uuid_)["BatchSize"] == 100
    esm.config["triggers"]["mappings"]["durable-declared"]["BatchSize"] = 25
    esm.restart(signal.SIGTERM)
    client = esm.lambda_client()
    got = client.get_event_source_mapping(UUID=uuid_)
    assert got["BatchSize"] == 25
    declared = [m for m in client.list_event_source_mappings()["EventSourceMappings"]
                if m["Topics"] == [DECLARED_TOPIC]]
    assert [m["UUID"] for m in declared] == [uuid_]


def test_two_wharfs_share_a_mapping(esm, unique_topic, tmp_path):
    """A second `wharf serve --no-broker` on the same Kafka and mappings topic runs the same
    mappings: the group splits the partitions between the two, and every record is
    handled, in order per partition, while they rebalance."""
    esm.create_topic(unique_topic, partitions=4)
    mapping = esm.create_mapping("sh", unique_topic, BatchSize=5)
    uuid_ = mapping["UUID"]
    first = esm.produce(unique_topic, [{"value": f"a{i}".encode(), "partition": i % 4}
                                       for i in range(40)])
    esm.wait_seen("sh", unique_topic, 40)

    config = copy.deepcopy(esm.config)
    config["broker"] = {"enabled": False}
    config["kafka"] = {**config.get("kafka", {}), "bootstrap_servers": [esm.bootstrap]}
    config["triggers"].pop("mappings", None)
    config["functions"]["sh"]["environment"]["ESM_INSTANCE"] = "second"
    second = EsmEnv("second", esm.bootstrap, tmp_path, esm.out_dir, config, esm.bootstrap)
    second.start()
    try:
        assert uuid_ in [m["UUID"] for m in
                         second.lambda_client().list_event_source_mappings()["EventSourceMappings"]]
        # Keep producing while the group rebalances, until the second Wharf has handled
        # records of its own.
        produced = list(first)
        def second_handled():
            produced.extend(esm.produce(unique_topic, [
                {"value": f"b{len(produced) + i}".encode(), "partition": i % 4}
                for i in range(8)]))
            return [inv for inv in esm.invocations("sh", unique_topic)
                    if inv["instance"] == "second"]
        wait_until(second_handled, timeout=60, interval=0.5,
                   what="the second Wharf to take partitions")
        ends = [1 + max(r["offset"] for r in produced if r["partition"] == p) for p in range(4)]
        wait_until(lambda: esm.committed(uuid_, unique_topic, 4) == ends, timeout=60,
                   what=f"every record handled ({ends})")
        invocations = esm.invocations("sh", unique_topic)
        assert {inv["instance"] for inv in invocations} == {"", "second"}
        seen = {(r["partition"], r["offset"]) for inv in invocations for r in inv["records"]}
        assert seen == {(r["partition"], r["offset"]) for r in produced}, "records were lost"
        # Within a partition, each instance saw offsets in order, and after the handover
        # the new owner went on from where the old one had committed (no gap).
        for p in range(4):
            offsets = [r["offset"] for inv in invocations for r in inv["records"]
                       if r["partition"] == p]
            assert sorted(set(offsets)) == list(range(ends[p]))
    finally:
        second.stop()
