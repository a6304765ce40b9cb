"""Kafka helpers the router tests share: reading JSON records from a topic and producing
one record. A module of its own, since test modules cannot import `conftest` (every test
directory has one of that name)."""

from __future__ import annotations

import json
import time
import uuid


def consume(bootstrap: str, topic: str, count: int, timeout: float = 30) -> list[dict]:
    """The first `count` records of topic (which may not exist yet)."""
    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"check-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "topic.metadata.refresh.interval.ms": 500})
    records: list[dict] = []
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + timeout
        while len(records) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            records.append({"key": msg.key().decode() if msg.key() else None,
                            "value": msg.value().decode() if msg.value() else None,
                            "headers": {k: (v.decode() if v is not None else None)
                                        for k, v in (msg.headers() or [])}})
    finally:
        consumer.close()
    assert len(records) >= count, f"got {len(records)} of {count} records from {topic}"
    return records


def produce(bootstrap: str, topic: str, value: bytes, key: bytes | None = None) -> None:
    from confluent_kafka import Producer

    p = Producer({"bootstrap.servers": bootstrap})
    p.produce(topic, value=value, key=key)
    assert p.flush(30) == 0
