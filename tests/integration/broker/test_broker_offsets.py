"""ListOffsets: earliest / latest / by timestamp / max timestamp, through librdkafka
(get_watermark_offsets, offsets_for_times, AdminClient.list_offsets) and Kafka's
GetOffsetShell CLI, plus consuming from a timestamp. Same expectations for the embedded
broker and Apache Kafka."""

from __future__ import annotations

import time

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import OffsetSpec

from broker_clients import (admin, confluent_produce, confluent_read_all, create_topic,
                            kafka_cli, topic_name)

BASE = 1_700_000_000_000
# Partition 0, one produce batch per group: timestamps go back in time inside and
# across batches, and the largest is in the middle of a batch.
GROUPS = [[1000, 2000, 3000], [2500, 5000, 3500], [4000, 4500]]
TIMESTAMPS = [BASE + t for g in GROUPS for t in g]
MAX_OFFSET = TIMESTAMPS.index(max(TIMESTAMPS))  # 4


def first_offset_at_or_after(ts: int) -> int:
    """What ListOffsets by timestamp must return: the earliest offset whose timestamp is
    >= ts, or -1 when there is none."""
    return next((o for o, t in enumerate(TIMESTAMPS) if t >= ts), -1)


@pytest.fixture(scope="module")
def ts_topic(kafka_backend) -> str:
    """Partition 0 holds the TIMESTAMPS records; partition 1 stays empty."""
    b = kafka_backend.bootstrap
    topic = topic_name("offsets-ts")
    create_topic(b, topic, 2)
    offset = 0
    for group in GROUPS:
        recs = [{"key": f"k{offset + i}", "value": f"v{offset + i}", "partition": 0,
                 "timestamp": BASE + t} for i, t in enumerate(group)]
        reports = confluent_produce(b, topic, recs, **{"linger.ms": 50})
        assert [r["offset"] for r in reports] == list(range(offset, offset + len(group)))
        offset += len(group)
    return topic


def _consumer(b: str, **conf) -> Consumer:
    return Consumer({"bootstrap.servers": b, "group.id": "unused", "enable.auto.commit": False,
                     **conf})


def test_watermarks(kafka_backend, ts_topic):
    c = _consumer(kafka_backend.bootstrap)
    try:
        assert c.get_watermark_offsets(TopicPartition(ts_topic, 0), timeout=15) == \
            (0, len(TIMESTAMPS))
        assert c.get_watermark_offsets(TopicPartition(ts_topic, 1), timeout=15) == (0, 0)
    finally:
        c.close()


QUERIES = [BASE, BASE + 1000, BASE + 1999, BASE + 2000, BASE + 2400, BASE + 3000, BASE + 3200,
           BASE + 3600, BASE + 4600, BASE + 5000, BASE + 5001, BASE + 10**9]


def test_offsets_for_times(kafka_backend, ts_topic):
    c = _consumer(kafka_backend.bootstrap)
    try:
        got = {}
        for ts in QUERIES:
            res = c.offsets_for_times([TopicPartition(ts_topic, 0, ts),
                                       TopicPartition(ts_topic, 1, ts)], timeout=15)
            assert all(r.error is None for r in res), res
            got[ts - BASE] = (res[0].offset, res[1].offset)
        want = {ts - BASE: (first_offset_at_or_after(ts), -1) for ts in QUERIES}
        assert got == want
    finally:
        c.close()


def test_consume_from_timestamp(kafka_backend, ts_topic):
    """Assigning at the offset for a timestamp starts at the first record at or after
    it: every record before has an earlier timestamp."""
    b = kafka_backend.bootstrap
    all_records = confluent_read_all(b, ts_topic)
    assert [r["timestamp"] for r in all_records] == TIMESTAMPS
    target = BASE + 3200
    c = _consumer(b, **{"auto.offset.reset": "error"})
    try:
        (tp,) = c.offsets_for_times([TopicPartition(ts_topic, 0, target)], timeout=15)
        c.assign([tp])
        msg = None
        deadline = time.monotonic() + 20
        while msg is None and time.monotonic() < deadline:
            msg = c.poll(0.5)
        assert msg is not None and msg.error() is None, msg and msg.error()
        assert msg.offset() == MAX_OFFSET
        assert msg.timestamp()[1] >= target
        assert all(r["timestamp"] < target for r in all_records[:msg.offset()])
        assert msg.key() == f"k{MAX_OFFSET}".encode()
    finally:
        c.close()


def test_admin_list_offsets(kafka_backend, ts_topic):
    a = admin(kafka_backend.bootstrap)
    specs = {"earliest": OffsetSpec.earliest(), "latest": OffsetSpec.latest(),
             "max": OffsetSpec.max_timestamp(), "ts3200": OffsetSpec.for_timestamp(BASE + 3200),
             "ts-future": OffsetSpec.for_timestamp(BASE + 10**9)}
    got = {}
    for name, spec in specs.items():
        futs = a.list_offsets({TopicPartition(ts_topic, 0): spec,
                               TopicPartition(ts_topic, 1): spec}, request_timeout=15)
        res = {tp.partition: f.result(15) for tp, f in futs.items()}
        got[name] = {p: (r.offset, r.timestamp) for p, r in sorted(res.items())}
    n = len(TIMESTAMPS)
    assert got["earliest"][0][0] == 0 and got["earliest"][1][0] == 0
    assert got["latest"][0][0] == n and got["latest"][1][0] == 0
    # MaxTimestamp: the exact record holding the largest timestamp, even in the middle of
    # a batch; an empty partition answers offset -1, timestamp -1.
    assert got["max"] == {0: (MAX_OFFSET, max(TIMESTAMPS)), 1: (-1, -1)}
    assert got["ts3200"] == {0: (MAX_OFFSET, max(TIMESTAMPS)), 1: (-1, -1)}
    assert got["ts-future"] == {0: (-1, -1), 1: (-1, -1)}


def _get_offsets(b: str, topic: str, time_arg: str) -> dict[int, int]:
    out = kafka_cli("get-offsets", "--bootstrap-server", b, "--topic", topic,
                    "--time", time_arg).stdout
    parsed = {}
    for line in out.splitlines():
        if line.startswith(topic + ":"):
            _, p, o = line.rsplit(":", 2)
            parsed[int(p)] = int(o)
    return parsed


def test_get_offsets_cli(kafka_backend, ts_topic):
    b = kafka_backend.bootstrap
    n = len(TIMESTAMPS)
    assert _get_offsets(b, ts_topic, "-1") == {0: n, 1: 0}
    assert _get_offsets(b, ts_topic, "-2") == {0: 0, 1: 0}
    # No offset is printed for a partition without an answer (the empty one).
    assert _get_offsets(b, ts_topic, "-3") == {0: MAX_OFFSET}
    assert _get_offsets(b, ts_topic, str(BASE + 2400)) == {0: first_offset_at_or_after(BASE + 2400)}


def test_log_append_time_topic(kafka_backend):
    """message.timestamp.type=LogAppendTime: the broker stamps the batch with its own
    clock, the ack reports that time, and readers see it instead of the client's."""
    b = kafka_backend.bootstrap
    topic = topic_name("offsets-logappend")
    create_topic(b, topic, 1, {"message.timestamp.type": "LogAppendTime"})
    t0 = int(time.time() * 1000)
    reports = confluent_produce(b, topic, [{"key": f"k{i}", "value": "v", "timestamp": BASE + i}
                                           for i in range(3)])
    t1 = int(time.time() * 1000)
    got = confluent_read_all(b, topic)
    for rep, rec in zip(reports, got):
        assert t0 - 1000 <= rep["timestamp"] <= t1 + 1000, (rep, t0, t1)
        assert rec["timestamp"] == rep["timestamp"]
    c = _consumer(b)
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        msg = None
        deadline = time.monotonic() + 20
        while msg is None and time.monotonic() < deadline:
            msg = c.poll(0.5)
        from confluent_kafka import TIMESTAMP_LOG_APPEND_TIME
        assert msg is not None and msg.timestamp()[0] == TIMESTAMP_LOG_APPEND_TIME
        (tp,) = c.offsets_for_times([TopicPartition(topic, 0, BASE + 10)], timeout=15)
        assert tp.offset == 0  # the append time, not the client's old timestamp, counts
    finally:
        c.close()


def test_timestamps_too_far_in_the_future_are_rejected(kafka_backend):
    """Kafka 4's default message.timestamp.after.max.ms is one hour: a CreateTime two
    hours ahead gets INVALID_TIMESTAMP, half an hour ahead is accepted; the topic
    setting raises the limit."""
    b = kafka_backend.bootstrap
    topic = topic_name("offsets-future")
    create_topic(b, topic, 1)
    now = int(time.time() * 1000)

    def produce(ts, t=topic):
        from confluent_kafka import Producer
        results = []
        p = Producer({"bootstrap.servers": b, "acks": "all", "message.timeout.ms": 15000})
        p.produce(t, value=b"v", partition=0, timestamp=ts,
                  on_delivery=lambda err, msg: results.append(err))
        assert p.flush(20) == 0
        return results[0].code() if results[0] else None

    from confluent_kafka import KafkaError
    assert produce(now + 2 * 3_600_000) == KafkaError.INVALID_TIMESTAMP
    assert produce(now + 1_800_000) is None
    assert produce(now - 30 * 86_400_000) is None  # before.max.ms: unlimited by default
    lenient = topic_name("offsets-future-lenient")
    create_topic(b, lenient, 1, {"message.timestamp.after.max.ms": str(3 * 3_600_000)})
    assert produce(now + 2 * 3_600_000, lenient) is None
