"""Record shapes: 1 MiB values (with the topic/producer/consumer size settings they need,
and the broker's MESSAGE_TOO_LARGE without them), empty and null values (tombstones),
null and empty keys. Same expectations for the embedded broker and Apache Kafka."""

from __future__ import annotations

import os

import pytest
from confluent_kafka import KafkaError, Producer

from broker_clients import (confluent_produce, confluent_read_all, create_topic, java_read_all,
                            kafka_python_produce, kafka_python_read_all, topic_name)

MIB = 1024 * 1024


@pytest.mark.parametrize("codec", ["none", "lz4"])
def test_one_mib_records(kafka_backend, codec):
    """Three 1 MiB incompressible values in one partition need max.message.bytes on
    the topic and message.max.bytes on the producer; consumers with the default fetch
    sizes (1 MiB per partition) still get them, since a fetch returns at least one
    whole batch; kafka-python reads them too."""
    b = kafka_backend.bootstrap
    topic = topic_name(f"big-{codec}")
    create_topic(b, topic, 1, {"max.message.bytes": str(3 * MIB)})
    values = [os.urandom(MIB) for _ in range(3)]
    recs = [{"key": f"big-{i}".encode(), "value": v, "headers": [["n", str(i)]]}
            for i, v in enumerate(values)]
    reports = confluent_produce(b, topic, recs, flush_each=True,
                                **{"compression.type": codec, "message.max.bytes": 4 * MIB,
                                   "batch.size": 4 * MIB})
    assert [(r["partition"], r["offset"]) for r in reports] == [(0, 0), (0, 1), (0, 2)]

    got = confluent_read_all(b, topic, raw=True)
    assert [(g["offset"], g["key"], len(g["value"])) for g in got] == \
        [(i, f"big-{i}".encode(), MIB) for i in range(3)]
    assert [g["value"] for g in got] == values
    assert [g["headers"] for g in got] == [[["n", str(i).encode()]] for i in range(3)]

    # Small fetch limits: the broker must still return the first (oversized) batch.
    got_small = confluent_read_all(b, topic, raw=True, **{"fetch.max.bytes": 100_000,
                                                          "max.partition.fetch.bytes": 100_000,
                                                          "message.max.bytes": 100_000})
    assert [g["value"] for g in got_small] == values
    got_kp = kafka_python_read_all(b, topic, raw=True, fetch_max_bytes=2 * MIB,
                                   max_partition_fetch_bytes=MIB)
    assert [g["value"] for g in got_kp] == values


def test_record_over_max_message_bytes_is_rejected(kafka_backend):
    """Without the topic override (default max.message.bytes 1048588) the broker
    rejects a 1 MiB + 100 byte batch with MESSAGE_TOO_LARGE and keeps the topic empty."""
    b = kafka_backend.bootstrap
    topic = topic_name("too-large")
    create_topic(b, topic, 1)
    errors = []
    p = Producer({"bootstrap.servers": b, "acks": "all", "message.max.bytes": 4 * MIB,
                  "batch.size": 4 * MIB, "message.timeout.ms": 20000, "retries": 0})
    p.produce(topic, key=b"k", value=os.urandom(MIB + 100), partition=0,
              on_delivery=lambda err, msg: errors.append(err))
    p.flush(30)
    p.produce(topic, key=b"small", value=b"fits", partition=0,
              on_delivery=lambda err, msg: errors.append(err))
    assert p.flush(30) == 0
    assert errors[0] is not None and errors[0].code() == KafkaError.MSG_SIZE_TOO_LARGE, errors
    assert errors[1] is None, errors  # the next batch is accepted
    got = confluent_read_all(b, topic, raw=True)
    assert [(g["offset"], g["key"]) for g in got] == [(0, b"small")]


SHAPES = [
    # (key, value): null/empty keys and values in every combination
    (b"k-value-null", None),
    (b"k-value-empty", b""),
    (None, b"v-key-null"),
    (b"", b"v-key-empty"),
    (None, None),
    (b"", b""),
    (None, b""),
    (b"", None),
]


@pytest.mark.parametrize("producer", ["confluent", "kafka-python"])
def test_null_and_empty_keys_and_values(kafka_backend, producer):
    """null stays null and empty stays empty, for keys, values (tombstones) and header
    values, whatever client wrote and read them."""
    b = kafka_backend.bootstrap
    topic = topic_name(f"shapes-{producer}")
    create_topic(b, topic, 1)
    # kafka-python cannot send a null header value.
    headers = [["empty-header", b""]] if producer == "kafka-python" else \
        [["null-header", None], ["empty-header", b""]]
    # ... nor a record whose key and value are both null.
    shapes = [s for s in SHAPES if s != (None, None)] if producer == "kafka-python" else SHAPES
    recs = [{"key": k, "value": v, "partition": 0, "headers": headers} for k, v in shapes]
    if producer == "confluent":
        reports = confluent_produce(b, topic, recs)
    else:
        reports = kafka_python_produce(b, topic, recs)
    assert [r["offset"] for r in reports] == list(range(len(shapes)))

    for got in (confluent_read_all(b, topic, raw=True), kafka_python_read_all(b, topic, raw=True)):
        assert [(g["key"], g["value"]) for g in got] == shapes
        assert [g["offset"] for g in got] == list(range(len(shapes)))
        assert all(g["headers"] == headers for g in got), \
            [g["headers"] for g in got]
    if producer != "confluent":
        return
    # The Java client tells null from empty as well (JSON null vs "").
    got_java = java_read_all(b, topic, len(SHAPES))
    assert [(g["key"], g["value"]) for g in got_java] == \
        [(None if k is None else k.decode(), None if v is None else v.decode()) for k, v in SHAPES]
    assert all(g["headers"] == [["null-header", None], ["empty-header", ""]] for g in got_java)
