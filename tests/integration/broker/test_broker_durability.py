"""Restart durability of the embedded broker (Wharf only: Apache Kafka's durability is
not under test). A clean stop (SIGTERM) and restart on the same data dir keeps every
record, offset, timestamp, topic config and log start offset; `kill -9` while a
producer with acks=all is producing loses no acknowledged record and leaves no batch
with a bad CRC."""

from __future__ import annotations

import random
import signal
import threading
import time

import pytest
from confluent_kafka import KafkaError, Producer, TopicPartition
from confluent_kafka.admin import ConfigResource

from backends import launch_wharf
from broker_clients import (admin, confluent_produce, confluent_read_all, create_topic,
                            end_offsets, kafka_python_read_all, topic_name)
from wharf_fixture import free_port

pytestmark = pytest.mark.slow


def _bootstrap(w) -> str:
    return f"127.0.0.1:{w.ports['broker']}"


def test_clean_restart_keeps_everything(tmp_path):
    data = tmp_path / "data"
    w = launch_wharf(tmp_path / "run", data_dir=data)
    try:
        b = _bootstrap(w)
        topic = topic_name("durable")
        create_topic(b, topic, 3, {"retention.ms": "86400000", "max.message.bytes": "2000000"})
        sent = []
        for round_, codec in enumerate(["none", "gzip", "snappy", "lz4", "zstd"]):
            recs = [{"key": f"k-{round_}-{i}", "value": f"v-{round_}-{i}" * (i % 7 + 1),
                     "headers": [["codec", codec], ["i", str(i)]], "partition": i % 3,
                     "timestamp": 1_700_000_000_000 + round_ * 1000 + i} for i in range(60)]
            confluent_produce(b, topic, recs, **{"compression.type": codec,
                                                 "enable.idempotence": True})
            sent += recs
        a = admin(b)
        (fut,) = a.delete_records([TopicPartition(topic, 1, 7)]).values()
        assert fut.result(30).low_watermark == 7
        gone = topic_name("durable-deleted")
        create_topic(b, gone, 1)
        a.delete_topics([gone])[gone].result(30)
        before = confluent_read_all(b, topic)
        ends_before = end_offsets(b, topic)
        assert len(before) == len(sent) - 7
        assert ends_before == {0: (0, 100), 1: (7, 100), 2: (0, 100)}

        assert w.stop(signal.SIGTERM) == 0, f"unclean exit:\n{w.log_text()[-3000:]}"
        w = launch_wharf(tmp_path / "run", data_dir=data)
        b = _bootstrap(w)
        assert end_offsets(b, topic) == ends_before
        assert confluent_read_all(b, topic) == before
        a = admin(b)
        r = ConfigResource("topic", topic)
        cfg = a.describe_configs([r])[r].result(30)
        assert (cfg["retention.ms"].value, cfg["max.message.bytes"].value) == \
            ("86400000", "2000000")
        md = a.list_topics(topic, timeout=15).topics[topic]
        assert md.error is None and len(md.partitions) == 3
        assert a.list_topics(gone, timeout=15).topics[gone].error.code() == \
            KafkaError.UNKNOWN_TOPIC_OR_PART
        # Appends continue at the old end.
        reports = confluent_produce(b, topic, [{"key": "after", "value": "restart",
                                                "partition": 2}])
        assert (reports[0]["partition"], reports[0]["offset"]) == (2, 100)
    finally:
        w.stop(signal.SIGTERM)


class _LoopingProducer(threading.Thread):
    """Produces numbered records (acks=all, idempotent) until stopped; remembers the
    partition and offset of every record whose delivery report confirms it."""

    def __init__(self, bootstrap: str, topic: str):
        super().__init__(daemon=True)
        self.topic = topic
        self.stop_event = threading.Event()
        self.acked: dict[int, tuple[int, int]] = {}
        self.errors: list = []
        self.sent = 0
        self.remaining: int | None = None
        self.producer = Producer({
            "bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
            "linger.ms": 2, "message.timeout.ms": 120000, "retry.backoff.ms": 20,
            "retry.backoff.max.ms": 200, "reconnect.backoff.ms": 20,
            "reconnect.backoff.max.ms": 200, "queue.buffering.max.messages": 20000,
            "error_cb": lambda err: self.errors.append(("error_cb", err))
            if err.fatal() else None,
        })

    @staticmethod
    def value(i: int) -> str:
        return f"value-{i}-" + "x" * (i % 300)

    def _on_delivery(self, err, msg, i):
        if err is not None:
            self.errors.append((i, err))
        else:
            self.acked[i] = (msg.partition(), msg.offset())

    def run(self):
        i = 0
        while not self.stop_event.is_set():
            try:
                self.producer.produce(self.topic, key=f"key-{i}", value=self.value(i),
                                      headers=[("i", str(i))],
                                      on_delivery=lambda e, m, i=i: self._on_delivery(e, m, i))
            except BufferError:
                self.producer.poll(0.05)
                continue
            i += 1
            self.sent = i
            self.producer.poll(0)
            if i % 100 == 0:
                time.sleep(0.01)
        self.remaining = self.producer.flush(120)


def test_kill_9_while_producing_loses_no_acknowledged_record(tmp_path):
    data = tmp_path / "data"
    port = free_port()
    w = launch_wharf(tmp_path / "run", data_dir=data, broker_port=port)
    b = _bootstrap(w)
    topic = topic_name("crash")
    # Small segments, so that recovery has several segments and indexes to check.
    create_topic(b, topic, 3, {"segment.bytes": "1048576"})
    producer = _LoopingProducer(b, topic)
    producer.start()
    rng = random.Random(7)
    progress = []
    try:
        for _ in range(4):
            acked_before = len(producer.acked)
            deadline = time.monotonic() + 30
            # Let it run until this incarnation has acknowledged records, then a bit more.
            while len(producer.acked) < acked_before + 200 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(rng.uniform(0.1, 0.6))
            progress.append(len(producer.acked) - acked_before)
            w.proc.send_signal(signal.SIGKILL)
            w.proc.wait()
            w = launch_wharf(tmp_path / "run", data_dir=data, broker_port=port)
        time.sleep(1.0)
        progress.append(len(producer.acked))
    finally:
        producer.stop_event.set()
        producer.join(150)
    try:
        assert all(n >= 200 for n in progress[:-1]), \
            f"records acknowledged per incarnation: {progress}"
        assert producer.remaining == 0, f"{producer.remaining} records never delivered"
        assert not producer.errors, f"producer errors: {producer.errors[:10]}"
        assert len(producer.acked) == producer.sent

        records = confluent_read_all(b, topic, timeout=60)
        at = {(r["partition"], r["offset"]): r for r in records}
        wrong = []
        for i, (p, o) in sorted(producer.acked.items()):
            r = at.get((p, o))
            if r is None or (r["key"], r["value"], r["headers"]) != \
                    (f"key-{i}", producer.value(i), [["i", str(i)]]):
                wrong.append((i, p, o, r and (r["key"], r["headers"])))
        assert not wrong, f"{len(wrong)} acknowledged records not at their offset: {wrong[:10]}"
        # Idempotence across crashes: every record is in the log exactly once.
        keys = [r["key"] for r in records]
        assert len(keys) == len(set(keys)), \
            f"{len(keys) - len(set(keys))} duplicated records in the log"
        # A second client (kafka-python checks CRCs as well) reads the same log.
        assert [(r["partition"], r["offset"], r["key"]) for r in
                kafka_python_read_all(b, topic, timeout=60)] == \
            [(r["partition"], r["offset"], r["key"]) for r in records]
    finally:
        if w.stop(signal.SIGTERM) != 0:
            pytest.fail(f"unclean exit after crash recovery:\n{w.log_text()[-3000:]}")
