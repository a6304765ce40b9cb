"""FilterCriteria (EventBridge patterns on the record's value, JSON or plain text): matched
records invoke, unmatched ones never do but are committed; invalid patterns are refused;
and the per-mapping metrics on /metrics count what happened."""

from __future__ import annotations

import json

import pytest

from trigger_helpers import esm, wait_until  # noqa: F401


def test_json_filter_invokes_matches_commits_the_rest_and_counts(esm, unique_topic):
    esm.create_topic(unique_topic, partitions=2)
    order = lambda amount, p, kind="order": {  # noqa: E731
        "value": json.dumps({"kind": kind, "amount": amount}).encode(), "partition": p}
    records = [order(120, 0), order(5, 0), order(500, 1, "refund"), order(101, 1),
               order(99, 1), order(1000, 0), order(7, 0, "refund")]
    matching = {0, 3, 5}
    esm.produce(unique_topic, records)
    pattern = json.dumps({"value": {"kind": ["order"], "amount": [{"numeric": [">", 100]}]}})
    mapping = esm.create_mapping("sh", unique_topic, BatchSize=3,
                                 FilterCriteria={"Filters": [{"Pattern": pattern}]})
    assert mapping["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    uuid_ = mapping["UUID"]
    # Unmatched records are committed too: the group reaches the end of both partitions.
    ends = [sum(1 for r in records if r["partition"] == p) for p in (0, 1)]
    wait_until(lambda: esm.committed(uuid_, unique_topic, 2) == ends, timeout=30,
               what=f"offsets {ends} committed")
    seen = esm.wait_seen("sh", unique_topic, len(matching))
    got = sorted(bytes.fromhex(r["value"]) for r in seen)
    assert got == sorted(records[i]["value"] for i in matching)

    # More unmatched records later: committed without an invocation.
    invocations_before = len(esm.invocations("sh", unique_topic))
    esm.produce(unique_topic, [order(1, 1), order(2, 1, "refund")])
    wait_until(lambda: esm.committed(uuid_, unique_topic, 2) == [ends[0], ends[1] + 2],
               timeout=30, what="filtered-out records to be committed")
    assert len(esm.invocations("sh", unique_topic)) == invocations_before

    # Metrics: the unmatched count, the invoked count and the polled count.
    total = len(records) + 2
    unmatched = total - len(matching)
    wait_until(lambda: esm.metric("wharf_trigger_filtered_out_events_total", uuid_) == unmatched,
               timeout=10, what="the filtered-out count")
    assert esm.metric("wharf_trigger_polled_events_total", uuid_) == total
    assert esm.metric("wharf_trigger_invoked_events_total", uuid_) == len(matching)
    invocations = esm.metric("wharf_trigger_invocations_total", uuid_)
    assert invocations == invocations_before >= 2  # two partitions: two batches at least
    assert esm.metric("wharf_trigger_errors_total", uuid_) == 0
    assert esm.metric("wharf_trigger_committed_events_total", uuid_) == total
    assert esm.metric("wharf_trigger_duration_seconds_count", uuid_) == invocations
    assert esm.metric("wharf_trigger_duration_seconds_sum", uuid_) > 0
    labels = [s.labels for s in esm.metrics() if s.name == "wharf_trigger_invocations_total"
              and s.labels.get("EventSourceMappingUUID") == uuid_]
    assert labels == [{"EventSourceMappingUUID": uuid_, "FunctionName": "sh"}]
    assert esm.lambda_client().get_event_source_mapping(UUID=uuid_)["LastProcessingResult"] == "OK"


def test_plain_text_filter(esm, unique_topic):
    esm.create_topic(unique_topic)
    values = [b"keep: one", b"drop: two", b"keep-three", b"KEEP four", b"", b"keep"]
    esm.produce(unique_topic, [{"value": v} for v in values])
    pattern = json.dumps({"value": [{"prefix": "keep"}]})
    mapping = esm.create_mapping("http", unique_topic, BatchSize=2,
                                 FilterCriteria={"Filters": [{"Pattern": pattern}]})
    wait_until(lambda: esm.committed(mapping["UUID"], unique_topic, 1) == [len(values)],
               timeout=30, what="every record committed")
    seen = esm.wait_seen("http", unique_topic, 3)
    assert [bytes.fromhex(r["value"]) for r in seen] == [b"keep: one", b"keep-three", b"keep"]
    assert esm.metric("wharf_trigger_filtered_out_events_total", mapping["UUID"]) == 3


@pytest.mark.parametrize("pattern", [
    "not json",
    json.dumps({"value": {"kind": "order"}}),           # a leaf must be a list
    json.dumps({"value": {"amount": [{"numeric": [">", "x"]}]}}),
    json.dumps({"value": [{"no-such-operator": 1}]}),
])
def test_invalid_pattern_is_refused(esm, unique_topic, pattern):
    client = esm.lambda_client()
    with pytest.raises(client.exceptions.InvalidParameterValueException) as e:
        client.create_event_source_mapping(
            FunctionName="sh", Topics=[unique_topic], EventSourceArn=esm.cluster_arn,
            StartingPosition="LATEST", FilterCriteria={"Filters": [{"Pattern": pattern}]})
    assert "filter pattern" in str(e.value)
    names = [m["Topics"] for m in client.list_event_source_mappings(
        FunctionName="sh")["EventSourceMappings"]]
    assert [unique_topic] not in names
