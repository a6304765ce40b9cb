"""Raw Fetch (sessionless, long poll, offsets at and past the end, mid-batch offsets,
size limits) and idempotent Produce (InitProducerId, duplicate and out-of-order
sequences). Same expectations for the embedded broker and Apache Kafka."""

from __future__ import annotations

import threading
import time

import pytest
from confluent_kafka import KafkaError

from broker_clients import confluent_produce, create_topic, topic_name
from broker_wire import (Connection, batches, fetch_v5_request, init_producer_id_v1_request,
                         parse_fetch_v5, parse_init_producer_id_v1, parse_produce_v8,
                         produce_v8_request, record_batch)


COORDINATOR_LOAD_IN_PROGRESS = 14


def _fetch(conn, topic, partitions, corr=1, **kw) -> dict[int, dict]:
    conn.send(fetch_v5_request(topic, partitions, corr, **kw))
    resp = conn.recv_response()
    assert resp is not None, "connection closed instead of a Fetch response"
    assert resp[0] == corr
    return parse_fetch_v5(resp[1])


@pytest.fixture
def filled_topic(kafka_backend) -> str:
    """Partition 0: three batches of 4 records (offsets 0-3, 4-7, 8-11); partition 1
    empty."""
    b = kafka_backend.bootstrap
    topic = topic_name("fetch")
    create_topic(b, topic, 2)
    for n in range(3):
        confluent_produce(b, topic, [{"key": f"k{n}-{i}", "value": "v" * 200, "partition": 0}
                                     for i in range(4)], **{"linger.ms": 50})
    return topic


def test_fetch_offsets_and_watermarks(kafka_backend, filled_topic):
    with Connection(*kafka_backend.host_port) as conn:
        got = _fetch(conn, filled_topic, [(0, 0, 1 << 20), (1, 0, 1 << 20)], max_wait_ms=0)
        p0, p1 = got[0], got[1]
        assert (p0["error_code"], p0["high_watermark"], p0["last_stable_offset"],
                p0["log_start_offset"]) == (0, 12, 12, 0)
        assert [(x["base_offset"], x["count"], x["crc_ok"]) for x in batches(p0["records"])] == \
            [(0, 4, True), (4, 4, True), (8, 4, True)]
        assert (p1["error_code"], p1["high_watermark"], p1["records"]) == (0, 0, b"")

        # Mid-batch: the whole batch holding the offset comes back.
        got = _fetch(conn, filled_topic, [(0, 6, 1 << 20)], corr=2, max_wait_ms=0)
        assert [x["base_offset"] for x in batches(got[0]["records"])] == [4, 8]

        # At the end: nothing, no error. Past the end: OFFSET_OUT_OF_RANGE.
        got = _fetch(conn, filled_topic, [(0, 12, 1 << 20)], corr=3, max_wait_ms=0)
        assert (got[0]["error_code"], got[0]["records"]) == (0, b"")
        got = _fetch(conn, filled_topic, [(0, 13, 1 << 20)], corr=4, max_wait_ms=0)
        assert got[0]["error_code"] == KafkaError.OFFSET_OUT_OF_RANGE
        assert got[0]["high_watermark"] in (12, -1)

        # read_committed without transactions: the last stable offset is the high watermark.
        got = _fetch(conn, filled_topic, [(0, 0, 1 << 20)], corr=5, max_wait_ms=0,
                     isolation_level=1)
        assert (got[0]["error_code"], got[0]["last_stable_offset"]) == (0, 12)
        assert len(batches(got[0]["records"])) == 3


def test_fetch_size_limits(kafka_backend, filled_topic):
    """partition_max_bytes smaller than a batch still returns that first whole batch
    (KIP-74); a larger limit returns whole batches only, maybe a partial one after."""
    with Connection(*kafka_backend.host_port) as conn:
        got = _fetch(conn, filled_topic, [(0, 0, 10)], max_wait_ms=0)
        assert [x["base_offset"] for x in batches(got[0]["records"])] == [0]
        one_batch = len(_fetch(conn, filled_topic, [(0, 8, 1 << 20)], corr=2,
                               max_wait_ms=0)[0]["records"])
        got = _fetch(conn, filled_topic, [(0, 0, one_batch + 10)], corr=3, max_wait_ms=0)
        assert [x["base_offset"] for x in batches(got[0]["records"])] == [0]
        assert len(got[0]["records"]) <= one_batch + 10
        got = _fetch(conn, filled_topic, [(0, 0, 1 << 20)], corr=4, max_wait_ms=0,
                     max_bytes=10)
        assert [x["base_offset"] for x in batches(got[0]["records"])] == [0]


def test_fetch_long_poll(kafka_backend, filled_topic):
    """A fetch at the end waits up to max_wait for data: it comes back (empty) after
    about max_wait when nothing arrives, and with the new batch soon after a produce
    (well before a long max_wait)."""
    b = kafka_backend.bootstrap
    with Connection(*kafka_backend.host_port, timeout=60) as conn:
        t0 = time.monotonic()
        got = _fetch(conn, filled_topic, [(0, 12, 1 << 20)], max_wait_ms=1500)
        waited = time.monotonic() - t0
        assert got[0]["records"] == b"" and waited >= 1.2, waited

        producer = threading.Timer(0.5, lambda: confluent_produce(
            b, filled_topic, [{"key": "late", "value": "arrival", "partition": 0}]))
        producer.start()
        t0 = time.monotonic()
        got = _fetch(conn, filled_topic, [(0, 12, 1 << 20)], corr=2, max_wait_ms=30000)
        waited = time.monotonic() - t0
        producer.join()
        assert [x["base_offset"] for x in batches(got[0]["records"])] == [12]
        assert waited < 15, f"the fetch was not woken by the append ({waited:.1f}s)"


# --- idempotent produce -------------------------------------------------------------------

def _produce(conn, topic, batch, corr):
    conn.send(produce_v8_request(topic, 0, batch, corr))
    resp = conn.recv_response()
    assert resp is not None and resp[0] == corr, "no Produce response"
    (part,) = parse_produce_v8(resp[1])
    return part["error_code"], part["base_offset"]


def _init_producer_id(conn) -> tuple[int, int]:
    """InitProducerId without a transactional id, retried while the broker answers
    COORDINATOR_LOAD_IN_PROGRESS (Apache Kafka does at first, while it fetches a block of
    producer ids from the controller)."""
    deadline = time.monotonic() + 30
    corr = 1000
    while True:
        corr += 1
        conn.send(init_producer_id_v1_request(corr))
        resp = conn.recv_response()
        assert resp is not None and resp[0] == corr
        err, pid, epoch = parse_init_producer_id_v1(resp[1])
        if err != COORDINATOR_LOAD_IN_PROGRESS or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert err == 0 and pid >= 0 and epoch >= 0, (err, pid, epoch)
    return pid, epoch


def test_idempotent_produce_sequences(kafka_backend):
    b = kafka_backend.bootstrap
    topic = topic_name("idempotent")
    create_topic(b, topic, 1)
    with Connection(*kafka_backend.host_port) as conn:
        pid, epoch = _init_producer_id(conn)

        def batch(seq, n=2, e=epoch):
            return record_batch([(b"k%d" % (seq + i), b"v", []) for i in range(n)],
                                producer_id=pid, producer_epoch=e, base_sequence=seq)

        assert _produce(conn, topic, batch(0), 10) == (0, 0)
        assert _produce(conn, topic, batch(2), 11) == (0, 2)
        # A retry of the last batch is acknowledged again at its first offset, not re-appended.
        assert _produce(conn, topic, batch(2), 12) == (0, 2)
        # A gap in the sequence: OUT_OF_ORDER_SEQUENCE_NUMBER.
        err, base = _produce(conn, topic, batch(7), 13)
        assert (err, base) == (KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER, -1)
        assert _produce(conn, topic, batch(4), 14) == (0, 4)
        # A newer epoch must start at sequence 0.
        err, _ = _produce(conn, topic, batch(5, e=epoch + 1), 15)
        assert err == KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER
        # An older epoch is fenced once a newer one has written.
        assert _produce(conn, topic, batch(0, e=epoch + 1), 16) == (0, 6)
        err, _ = _produce(conn, topic, batch(6), 17)
        assert err == KafkaError.INVALID_PRODUCER_EPOCH

        got = _fetch(conn, topic, [(0, 0, 1 << 20)], corr=18, max_wait_ms=0)
        assert [(x["base_offset"], x["count"], x["producer_id"], x["base_sequence"])
                for x in batches(got[0]["records"])] == \
            [(0, 2, pid, 0), (2, 2, pid, 2), (4, 2, pid, 4), (6, 2, pid, 0)]
        assert got[0]["high_watermark"] == 8

        pid2, _ = _init_producer_id(conn)
        assert pid2 != pid  # every non-transactional producer gets a new id
