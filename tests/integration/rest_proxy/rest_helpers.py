"""Helpers for the REST Proxy tests: Confluent's media types, topic setup and reads with
a real Kafka client, and a v2 consumer driver."""

from __future__ import annotations

import base64
import json
import time
import uuid

import requests

V2 = "application/vnd.kafka.v2+json"
V2_BINARY = "application/vnd.kafka.binary.v2+json"
V2_JSON = "application/vnd.kafka.json.v2+json"
TIMEOUT = 30  # seconds, for each HTTP call


def b64(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create_topic(bootstrap: str, topic: str, partitions: int = 1) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)],
                                  operation_timeout=30)
    futures[topic].result(30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        md = admin.list_topics(topic, timeout=10)
        t = md.topics.get(topic)
        if t is not None and t.error is None and len(t.partitions) == partitions:
            return
        time.sleep(0.1)
    raise AssertionError(f"topic {topic} did not appear")


def cluster_id(bootstrap: str) -> str:
    from confluent_kafka.admin import AdminClient

    return AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).cluster_id


def kafka_read_all(bootstrap: str, topic: str, count: int, timeout: float = 30) -> list[dict]:
    """Reads `count` records from the beginning of every partition with confluent-kafka
    (manual assignment); returns dicts with raw bytes, sorted by (partition, offset)."""
    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.admin import AdminClient

    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=10)
    partitions = sorted(md.topics[topic].partitions)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": name("reader"),
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    out: list[dict] = []
    deadline = time.monotonic() + timeout
    try:
        while len(out) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            assert msg.error() is None, msg.error()
            out.append({"partition": msg.partition(), "offset": msg.offset(), "key": msg.key(),
                        "value": msg.value(), "headers": msg.headers() or []})
    finally:
        consumer.close()
    return sorted(out, key=lambda r: (r["partition"], r["offset"]))


def kafka_produce(bootstrap: str, topic: str, records: list[dict]) -> list[tuple[int, int]]:
    """Produces records ({key, value, partition?}) with confluent-kafka; returns
    (partition, offset) of each."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    acked: dict[int, tuple[int, int]] = {}

    def report(err, msg, i):
        assert err is None, err
        acked[i] = (msg.partition(), msg.offset())

    for i, r in enumerate(records):
        kwargs = {"key": r.get("key"), "value": r.get("value")}
        if "partition" in r:
            kwargs["partition"] = r["partition"]
        producer.produce(topic, on_delivery=lambda err, msg, i=i: report(err, msg, i), **kwargs)
    assert producer.flush(30) == 0
    return [acked[i] for i in range(len(records))]


def produce_v2(url: str, topic: str, records: list[dict], content_type: str = V2_BINARY,
               partition: int | None = None) -> requests.Response:
    path = f"{url}/topics/{topic}" + (f"/partitions/{partition}" if partition is not None else "")
    return requests.post(path, data=json.dumps({"records": records}),
                         headers={"Content-Type": content_type, "Accept": V2}, timeout=TIMEOUT)


class V2Consumer:
    """A v2 consumer instance, driven over HTTP."""

    def __init__(self, url: str, group: str, fmt: str = "binary", **config):
        self.url = url
        self.group = group
        body = {"format": fmt, "auto.offset.reset": "earliest", **config}
        r = requests.post(f"{url}/consumers/{group}", data=json.dumps(body),
                          headers={"Content-Type": V2}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        self.created = r.json()
        self.instance = self.created["instance_id"]
        self.base = f"{url}/consumers/{group}/instances/{self.instance}"
        self.accept = V2_JSON if fmt == "json" else V2_BINARY

    def post(self, path: str, body: dict | None = None) -> requests.Response:
        data = None if body is None else json.dumps(body)
        return requests.post(self.base + path, data=data, headers={"Content-Type": V2},
                             timeout=TIMEOUT)

    def get(self, path: str, body: dict | None = None, **headers) -> requests.Response:
        data = None if body is None else json.dumps(body)
        return requests.get(self.base + path, data=data,
                            headers={"Content-Type": V2, **headers}, timeout=TIMEOUT)

    def subscribe(self, *topics: str) -> None:
        r = self.post("/subscription", {"topics": list(topics)})
        assert r.status_code == 204, r.text

    def assign(self, topic: str, partitions: list[int]) -> None:
        r = self.post("/assignments",
                      {"partitions": [{"topic": topic, "partition": p} for p in partitions]})
        assert r.status_code == 204, r.text

    def records(self, timeout_ms: int = 1000, max_bytes: int | None = None) -> list[dict]:
        query = f"?timeout={timeout_ms}" + (f"&max_bytes={max_bytes}" if max_bytes else "")
        r = requests.get(f"{self.base}/records{query}", headers={"Accept": self.accept},
                         timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"] == self.accept
        return r.json()

    def read(self, count: int, timeout: float = 30) -> list[dict]:
        """Reads until `count` records arrived (or fails after `timeout` seconds)."""
        out: list[dict] = []
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            out.extend(self.records(timeout_ms=500))
        assert len(out) >= count, f"read {len(out)} of {count} records: {out}"
        return out

    def delete(self) -> None:
        r = requests.delete(self.base, timeout=TIMEOUT)
        assert r.status_code == 204, r.text
