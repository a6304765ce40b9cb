"""Failing batches: retries with backoff, bisection with a retry limit and a kafka://
on-failure destination carrying Lambda's invocation record, partial batch responses
(ReportBatchItemFailures), and a handler that hangs past its timeout."""

from __future__ import annotations

import base64
import json
import time
from collections import Counter

import pytest

from trigger_helpers import esm, wait_until  # noqa: F401


@pytest.mark.parametrize("function", ["py", "http", "sh"])
def test_a_failing_batch_is_retried_until_it_succeeds(esm, unique_topic, function):
    esm.create_topic(unique_topic)
    values = [b"ok-0", b"ok-1", b"fail-once-2", b"ok-3"]
    esm.produce(unique_topic, [{"value": v} for v in values])
    mapping = esm.create_mapping(function, unique_topic, BatchSize=4,
                                 MaximumBatchingWindowInSeconds=1)
    wait_until(lambda: esm.committed(mapping["UUID"], unique_topic, 1) == [4], timeout=30,
               what="the batch to succeed and be committed")
    invocations = esm.invocations(function, unique_topic)
    # The whole batch failed once and was retried as a whole.
    assert len(invocations) == 2, invocations
    for inv in invocations:
        assert [bytes.fromhex(r["value"]) for r in inv["records"]] == values
    assert invocations[1]["start"] > invocations[0]["start"]


def test_bisection_retry_limit_and_failure_topic(esm, unique_topic):
    esm.create_topic(unique_topic)
    failures = esm.create_topic(unique_topic + "-failed")
    values = [f"v{i}".encode() if i not in (2, 5) else f"v{i}-fail-always".encode()
              for i in range(8)]
    produced = esm.produce(unique_topic, [{"key": f"k{i}".encode(), "value": v,
                                           "headers": [("h", f"{i}".encode())]}
                                          for i, v in enumerate(values)])
    mapping = esm.create_mapping(
        "py", unique_topic, BatchSize=8, MaximumBatchingWindowInSeconds=1,
        BisectBatchOnFunctionError=True, MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": f"kafka://{failures}"}})
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": f"kafka://{failures}"}}
    wait_until(lambda: esm.committed(mapping["UUID"], unique_topic, 1) == [8], timeout=45,
               what="the batch to be settled and committed")

    got = esm.consume_all(failures, 2)
    assert sorted(m.key() for m in got) == [b"k2", b"k5"], \
        "the failure topic must hold exactly the failing records"
    invocations = esm.invocations("py", unique_topic)
    for m in got:
        original = next(p for p in produced if p["key"] == m.key())
        doc = json.loads(m.value())
        assert doc["requestContext"]["condition"] in ("RetryAttemptsExhausted", "RetriesExhausted")
        assert doc["requestContext"]["functionArn"].startswith(
            "arn:aws:lambda:us-east-1:000000000000:function:py")
        holding = [inv for inv in invocations
                   if any(r["offset"] == original["offset"] for r in inv["records"])]
        alone = [inv for inv in holding if len(inv["records"]) == 1]
        # Alone: the first try plus MaximumRetryAttempts retries (splits are not retries).
        assert len(alone) == 3, [len(inv["records"]) for inv in holding]
        assert doc["requestContext"]["approximateInvokeCount"] == len(holding)
        assert doc["version"] == "1.0"
        info = doc["KafkaBatchInfo"]
        assert info["batchSize"] == 1
        assert info["eventSourceArn"] == esm.cluster_arn
        assert info["recordInfo"]["offset"] == str(original["offset"])
        payload = doc["payload"]
        assert payload["eventSource"] == "aws:kafka"
        assert payload["eventSourceArn"] == esm.cluster_arn
        records = payload["records"][f"{unique_topic}-0"]
        assert len(records) == 1
        assert records[0]["offset"] == original["offset"]
        assert base64.b64decode(records[0]["value"]) == original["value"]
        assert base64.b64decode(records[0]["key"]) == original["key"]
        assert doc["responseContext"]["functionError"]
    # Every good record was handled; none went to the failure topic.
    seen_ok = {bytes.fromhex(r["value"]) for inv in invocations for r in inv["records"]}
    assert set(values) <= seen_ok
    assert esm.metric("wharf_trigger_on_failure_destination_delivered_events_total",
                      mapping["UUID"]) == 2


def test_report_batch_item_failures_retries_from_the_failed_offset(esm, unique_topic):
    esm.create_topic(unique_topic)
    values = [f"r{i}".encode() if i != 6 else b"r6-fail-once" for i in range(10)]
    esm.produce(unique_topic, [{"value": v} for v in values])
    mapping = esm.create_mapping("py_rep", unique_topic, BatchSize=10,
                                 MaximumBatchingWindowInSeconds=1,
                                 FunctionResponseTypes=["ReportBatchItemFailures"])
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    wait_until(lambda: esm.committed(mapping["UUID"], unique_topic, 1) == [10], timeout=30,
               what="the batch to be committed")
    invocations = esm.invocations("py_rep", unique_topic)
    assert [[r["offset"] for r in inv["records"]] for inv in invocations] == [
        list(range(10)), list(range(6, 10))], "the retry must start at the failed offset"
    counts = Counter(r["offset"] for inv in invocations for r in inv["records"])
    assert all(counts[o] == 1 for o in range(6))


def test_a_handler_past_its_timeout_is_killed_and_retried(esm, unique_topic):
    """py_slow has timeout_s 1: the first try of the record hangs 60 s; Wharf kills the
    runtime process, starts another and the retry succeeds."""
    esm.create_topic(unique_topic)
    esm.produce(unique_topic, [{"value": b"hang-once"}, {"value": b"after"}])
    mapping = esm.create_mapping("py_slow", unique_topic, BatchSize=1)
    wait_until(lambda: esm.committed(mapping["UUID"], unique_topic, 1) == [2], timeout=40,
               what="the hanging record to be retried and committed")
    invocations = esm.invocations("py_slow", unique_topic)
    hang = [inv for inv in invocations if inv["records"][0]["offset"] == 0]
    assert len(hang) == 2, "the timed-out invocation must be retried once"
    assert hang[0]["pid"] != hang[1]["pid"], "the hung runtime process must be replaced"
    assert hang[1]["start"] - hang[0]["start"] < 30, "the timeout did not cut the hang short"
    assert [inv["records"][0]["offset"] for inv in invocations].count(1) == 1
    assert esm.metric("wharf_trigger_errors_total", mapping["UUID"]) >= 1


def test_a_blocked_mapping_reports_its_problem_and_deletes_promptly(esm, unique_topic):
    """No retry limit and no destination: the partition retries the failing batch until it
    succeeds, as Lambda's does; the API says so, and deleting the mapping stops it."""
    esm.create_topic(unique_topic)
    esm.produce(unique_topic, [{"value": b"ok"}, {"value": b"fail-always"}, {"value": b"next"}])
    mapping = esm.create_mapping("http", unique_topic, BatchSize=1)
    uuid_ = mapping["UUID"]
    client = esm.lambda_client()
    wait_until(lambda: (esm.metric("wharf_trigger_errors_total", uuid_) or 0) >= 3, timeout=30,
               what="the failing record to be retried")
    got = client.get_event_source_mapping(UUID=uuid_)
    assert got["LastProcessingResult"].startswith("PROBLEM")
    assert esm.committed(uuid_, unique_topic, 1) == [1], "the failing record was committed"
    assert esm.metric("wharf_trigger_blocked_partitions", uuid_) == 1
    assert b"next".hex() not in [r["value"] for r in esm.records_seen("http", unique_topic)]

    started = time.monotonic()
    client.delete_event_source_mapping(UUID=uuid_)
    assert time.monotonic() - started < 5
    time.sleep(1.5)  # the runner stops on the reconciler's next pass
    count = len(esm.invocations("http", unique_topic))
    time.sleep(1.5)
    assert len(esm.invocations("http", unique_topic)) == count, "a deleted mapping kept invoking"
    assert esm.metric("wharf_trigger_blocked_partitions", uuid_) == 0


def test_a_partial_batch_response_naming_no_record_retries_the_whole_batch(esm, unique_topic):
    esm.create_topic(unique_topic)
    values = [b"b0", b"b1 bogus-once", b"b2", b"b3"]
    esm.produce(unique_topic, [{"value": v} for v in values])
    mapping = esm.create_mapping("py_rep", unique_topic, BatchSize=4,
                                 MaximumBatchingWindowInSeconds=1,
                                 FunctionResponseTypes=["ReportBatchItemFailures"])
    wait_until(lambda: esm.committed(mapping["UUID"], unique_topic, 1) == [4], timeout=30,
               what="the batch to be committed")
    batches = [[r["offset"] for r in inv["records"]]
               for inv in esm.invocations("py_rep", unique_topic)]
    assert batches == [[0, 1, 2, 3], [0, 1, 2, 3]]


def test_records_older_than_the_maximum_age_skip_the_function(esm, unique_topic):
    esm.create_topic(unique_topic)
    failures = esm.create_topic(unique_topic + "-failed")
    two_hours_ago = int(time.time() * 1000) - 7_200_000
    produced = esm.produce(unique_topic, [
        {"key": b"old-0", "value": b"old-0", "timestamp_ms": two_hours_ago},
        {"key": b"new-1", "value": b"new-1"},
        {"key": b"old-2", "value": b"old-2", "timestamp_ms": two_hours_ago + 1},
        {"key": b"new-3", "value": b"new-3"}])
    mapping = esm.create_mapping(
        "sh", unique_topic, BatchSize=4, MaximumBatchingWindowInSeconds=1,
        MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": f"kafka://{failures}"}})
    assert mapping["MaximumRecordAgeInSeconds"] == 60
    wait_until(lambda: esm.committed(mapping["UUID"], unique_topic, 1) == [4], timeout=30,
               what="the batch to be committed")
    assert [bytes.fromhex(r["value"]) for r in esm.records_seen("sh", unique_topic)] == [
        b"new-1", b"new-3"], "records past the maximum age reached the function"
    got = esm.consume_all(failures, 2)
    assert sorted(m.key() for m in got) == [b"old-0", b"old-2"]
    for m in got:
        doc = json.loads(m.value())
        assert doc["requestContext"]["condition"] == "RecordAgeExceeded"
        assert doc["requestContext"]["approximateInvokeCount"] == 0
        assert "responseContext" not in doc
        original = next(p for p in produced if p["key"] == m.key())
        assert doc["KafkaBatchInfo"]["recordInfo"]["offset"] == str(original["offset"])
