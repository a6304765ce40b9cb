"""Produce/consume helpers around the Python Kafka clients (confluent-kafka and
kafka-python), shared by the integration tests.

Records follow the convention of the peers' CLIs (java_client.sh, kafkajs_client.js):
record i has key "<prefix>key-<i>", value "<prefix>value-<i>" and headers
idx=<i>, client=<client name>. Consumed records are normalized to plain dicts:
{"topic", "partition", "offset", "key", "value", "headers": [[name, value], ...]}
with text decoded as UTF-8.
"""

from __future__ import annotations

import time


def expected_records(count: int, client: str, prefix: str = "") -> list[dict]:
    """The key/value/headers that the peers' produce commands send."""
    return [{"key": f"{prefix}key-{i}", "value": f"{prefix}value-{i}",
             "headers": [["idx", str(i)], ["client", client]]} for i in range(count)]


def kv_headers(records: list[dict]) -> list[dict]:
    """Just key, value and headers of each record (what a round trip must keep)."""
    return [{"key": r["key"], "value": r["value"], "headers": [list(h) for h in r["headers"]]}
            for r in records]


def _text(b: bytes | None) -> str | None:
    return None if b is None else b.decode("utf-8")


# --- confluent-kafka (librdkafka) ------------------------------------------------------

def confluent_produce(bootstrap: str, topic: str, count: int, client: str = "confluent",
                      prefix: str = "", **config) -> list[tuple[int, int]]:
    """Produce `count` convention records; return (partition, offset) of each."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                         "linger.ms": 5, "message.timeout.ms": 30000, **config})
    acked: dict[int, tuple[int, int]] = {}
    errors = []

    def on_delivery(err, msg, i):
        if err is not None:
            errors.append(err)
        else:
            acked[i] = (msg.partition(), msg.offset())

    for i in range(count):
        producer.produce(topic, key=f"{prefix}key-{i}", value=f"{prefix}value-{i}",
                         headers=[("idx", str(i)), ("client", client)],
                         on_delivery=lambda err, msg, i=i: on_delivery(err, msg, i))
    remaining = producer.flush(30)
    assert remaining == 0 and not errors, f"undelivered: {remaining}, errors: {errors}"
    return [acked[i] for i in range(count)]


def confluent_consume(bootstrap: str, topic: str, count: int, group: str,
                      timeout: float = 30, **config) -> list[dict]:
    """Consume `count` records from the beginning in `group` and commit them."""
    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False, **config})
    records: list[dict] = []
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + timeout
        while len(records) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            assert msg.error() is None, msg.error()
            records.append({"topic": msg.topic(), "partition": msg.partition(),
                            "offset": msg.offset(), "key": _text(msg.key()),
                            "value": _text(msg.value()),
                            "headers": [[k, _text(v)] for k, v in (msg.headers() or [])]})
        if records:
            consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    assert len(records) == count, f"got {len(records)} of {count} records from {topic}"
    return records


# --- kafka-python -------------------------------------------------------------------------

def kafka_python_produce(bootstrap: str, topic: str, count: int, client: str = "kafka-python",
                         prefix: str = "", **config) -> list[tuple[int, int]]:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all", linger_ms=5,
                             **config)
    try:
        futures = [producer.send(topic, key=f"{prefix}key-{i}".encode(),
                                 value=f"{prefix}value-{i}".encode(),
                                 headers=[("idx", str(i).encode()), ("client", client.encode())])
                   for i in range(count)]
        producer.flush(30)
        return [(md.partition, md.offset) for md in (f.get(timeout=30) for f in futures)]
    finally:
        producer.close(timeout=10)


def kafka_python_consume(bootstrap: str, topic: str, count: int, group: str,
                         timeout: float = 30, **config) -> list[dict]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap.split(","), group_id=group,
                             auto_offset_reset="earliest", enable_auto_commit=False, **config)
    records: list[dict] = []
    try:
        deadline = time.monotonic() + timeout
        while len(records) < count and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                for msg in batch:
                    records.append({"topic": msg.topic, "partition": msg.partition,
                                    "offset": msg.offset, "key": _text(msg.key),
                                    "value": _text(msg.value),
                                    "headers": [[k, _text(v)] for k, v in msg.headers]})
        if records:
            consumer.commit()
    finally:
        consumer.close()
    assert len(records) >= count, f"got {len(records)} of {count} records from {topic}"
    return records[:count]
