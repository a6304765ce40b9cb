"""Event source mappings deliver every record exactly as produced, in order per partition,
with Lambda's Kafka event, to each kind of function: a Python handler under awslambdaric,
an HTTP endpoint and an exec command."""

from __future__ import annotations

import base64
import time

import pytest

from trigger_helpers import esm, expected_headers, wait_until  # noqa: F401


def sample_records(n_per_partition: int = 12) -> list[dict]:
    """Records over two partitions: text and binary values, a null key, a tombstone-free
    set of headers with bytes above 127 and a repeated header name."""
    out = []
    for p in (0, 1):
        for i in range(n_per_partition):
            key = None if i == 3 else f"k-{p}-{i}".encode()
            value = (bytes([0, 255, 128, 10, i]) if i % 4 == 1
                     else f'{{"n": {i}, "p": {p}, "text": "h\\u00e9 \\"q\\""}}'.encode())
            headers = [("trace", f"t{i}".encode()), ("bin", bytes([200, 0, 127, 128])),
                       ("trace", b"again")] if i % 3 == 0 else None
            if i == 7:
                value = None  # a tombstone
            out.append({"key": key, "value": value, "headers": headers, "partition": p})
    return out


def check_delivery(esm, function: str, topic: str, produced: list[dict]) -> list[dict]:
    seen = esm.wait_seen(function, topic, len(produced))
    by_offset = {(r["partition"], r["offset"]): r for r in seen}
    assert len(seen) == len(produced), "a record was delivered more than once"
    for want in produced:
        got = by_offset[(want["partition"], want["offset"])]
        assert got["topic"] == topic
        assert got["group"] == f"{topic}-{want['partition']}"
        if want["value"] is None:
            assert not got["has_value"], "a tombstone's event has no value member"
        else:
            assert got["value"] == want["value"].hex()
        if want["key"] is None:
            assert not got["has_key"], "a record without a key has no key member"
        else:
            assert got["key"] == want["key"].hex()
        assert got["headers"] == expected_headers(want["headers"])
        assert got["timestamp"] == want["timestamp"]
        assert got["timestampType"] == "CREATE_TIME"
    for p in (0, 1):
        offsets = [r["offset"] for r in seen if r["partition"] == p]
        assert offsets == sorted(offsets), f"partition {p} delivered out of order: {offsets}"
    return seen


@pytest.mark.parametrize("function", ["py", "http", "sh"])
def test_every_record_reaches_the_function_as_produced(esm, unique_topic, function):
    esm.create_topic(unique_topic, partitions=2)
    first = esm.produce(unique_topic, sample_records()[:12:2] + sample_records()[12::2])
    mapping = esm.create_mapping(function, unique_topic, BatchSize=5)
    assert mapping["EventSourceArn"] == esm.cluster_arn
    # Records produced after the mapping started, too.
    second = esm.produce(unique_topic, sample_records()[1:12:2] + sample_records()[13::2])
    check_delivery(esm, function, unique_topic, first + second)
    invocations = esm.invocations(function, unique_topic)
    for inv in invocations:
        assert inv["eventSource"] == "aws:kafka"
        assert inv["eventSourceArn"] == esm.cluster_arn
        assert inv["eventSourceArn"].startswith("arn:aws:kafka:us-east-1:")
        assert esm.bootstrap.split(",")[0] in inv["bootstrapServers"].split(",")
        assert len(inv["records"]) <= 5, "BatchSize 5 was exceeded"
    # The batches were the ones committed: the group is at the end of both partitions.
    ends = [max(r["offset"] for r in first + second if r["partition"] == p) + 1 for p in (0, 1)]
    wait_until(lambda: esm.committed(mapping["UUID"], unique_topic, 2) == ends, timeout=15,
               what=f"the group {mapping['UUID']} to commit {ends}")


def test_self_managed_source_event_fields(esm, unique_topic):
    esm.create_topic(unique_topic, partitions=2)
    produced = esm.produce(unique_topic, sample_records(4))
    mapping = esm.create_mapping(
        "py", unique_topic,
        SelfManagedEventSource={"Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": [esm.bootstrap]}},
        SourceAccessConfigurations=[])
    assert "EventSourceArn" not in mapping
    assert mapping["SelfManagedEventSource"]["Endpoints"]["KAFKA_BOOTSTRAP_SERVERS"] == [
        esm.bootstrap]
    check_delivery(esm, "py", unique_topic, produced)
    for inv in esm.invocations("py", unique_topic):
        assert inv["eventSource"] == "SelfManagedKafka"
        assert not inv["has_arn"], "a self-managed source's event has no eventSourceArn"
        assert inv["bootstrapServers"] == esm.bootstrap


def test_large_values_and_batch_size_one(esm, unique_topic):
    """A 700 kB value arrives whole; BatchSize 1 gives one record per invocation."""
    esm.create_topic(unique_topic)
    big = base64.b64encode(bytes(range(256)) * 2000)[:700_000]
    produced = esm.produce(unique_topic, [{"key": b"big", "value": big, "partition": 0},
                                          {"key": b"small", "value": b"x", "partition": 0}])
    esm.create_mapping("sh", unique_topic, BatchSize=1)
    seen = esm.wait_seen("sh", unique_topic, 2)
    assert [r["value"] for r in seen] == [big.hex(), b"x".hex()]
    assert all(len(inv["records"]) == 1 for inv in esm.invocations("sh", unique_topic))
    assert [r["offset"] for r in seen] == [p["offset"] for p in produced]


def test_latest_and_at_timestamp_starting_positions(esm, unique_topic):
    latest_topic = esm.create_topic(unique_topic + "-latest")
    esm.produce(latest_topic, [{"value": b"before-the-mapping"}] * 3)
    esm.create_mapping("sh", latest_topic, StartingPosition="LATEST")
    # Until the mapping's consumer has its position, a record may fall before it: keep
    # producing until one arrives.
    def arrived():
        esm.produce(latest_topic, [{"value": b"after"}])
        return esm.records_seen("sh", latest_topic)
    wait_until(arrived, timeout=30, interval=0.5, what="a record after the LATEST mapping")
    assert {bytes.fromhex(r["value"]) for r in esm.records_seen("sh", latest_topic)} == {b"after"}

    ts_topic = esm.create_topic(unique_topic + "-ts")
    esm.produce(ts_topic, [{"value": f"old{i}".encode()} for i in range(3)])
    time.sleep(1.2)
    start = int(time.time()) + 1  # the API takes whole seconds
    time.sleep(start - time.time() + 0.2)
    new = esm.produce(ts_topic, [{"value": f"new{i}".encode()} for i in range(3)])
    esm.create_mapping("sh", ts_topic, StartingPosition="AT_TIMESTAMP",
                       StartingPositionTimestamp=start)
    seen = esm.wait_seen("sh", ts_topic, 3)
    time.sleep(0.5)
    seen = esm.records_seen("sh", ts_topic)
    assert [bytes.fromhex(r["value"]) for r in seen] == [r["value"] for r in new]
