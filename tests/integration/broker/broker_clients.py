"""Client helpers for the broker tests: produce with every client peer and read a whole
topic back from the beginning with manual partition assignment (consumer groups have
their own helpers in test_broker_groups.py).

Read records are normalized to dicts
{"partition", "offset", "timestamp", "key", "value", "headers": [[name, value], ...]}
sorted by (partition, offset); keys, values and header values are UTF-8 text (None for
null) unless raw=True keeps bytes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
PEERS = REPO_ROOT / "tests" / "peers"

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def topic_name(prefix: str) -> str:
    return f"{re.sub(r'[^A-Za-z0-9._-]+', '-', prefix)[:80]}-{uuid.uuid4().hex[:10]}"


def _dec(b, raw: bool):
    if b is None or raw:
        return b
    return b.decode("utf-8") if isinstance(b, (bytes, bytearray)) else b


def sort_records(records: list[dict]) -> list[dict]:
    return sorted(records, key=lambda r: (r["partition"], r["offset"]))


# --- admin ----------------------------------------------------------------------------

def admin(bootstrap: str):
    from confluent_kafka.admin import AdminClient
    return AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 15000,
                        # librdkafka defaults this to true for admin (producer-type) clients
                        "allow.auto.create.topics": False})


def create_topic(bootstrap: str, topic: str, partitions: int = 1, config: dict | None = None,
                 timeout: float = 30) -> None:
    from confluent_kafka.admin import NewTopic
    a = admin(bootstrap)  # must outlive the future
    fut = a.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=1, config=config or {})],
        request_timeout=timeout)[topic]
    fut.result(timeout)
    wait_for_topic(bootstrap, topic, partitions)


def wait_for_topic(bootstrap: str, topic: str, partitions: int, timeout: float = 30) -> None:
    """Wait until Metadata lists the topic with all partitions led (Apache Kafka
    propagates new topics to its metadata cache asynchronously)."""
    a = admin(bootstrap)
    deadline = time.monotonic() + timeout
    while True:
        md = a.list_topics(topic, timeout=10).topics.get(topic)
        if md is not None and md.error is None and len(md.partitions) == partitions and \
                all(p.leader >= 0 for p in md.partitions.values()):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"topic {topic} not ready: {md and md.error}")
        time.sleep(0.1)


# --- producers -----------------------------------------------------------------------

def confluent_produce(bootstrap: str, topic: str, records: list[dict], flush_each: bool = False,
                      **config) -> list[dict]:
    """Produce records (dicts with key, value, headers, optional partition, timestamp);
    return the delivery reports [{"partition", "offset", "timestamp"}] in input order."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
                         "message.timeout.ms": 30000, **config})
    reports: dict[int, dict] = {}
    errors: list = []

    def on_delivery(err, msg, i):
        if err is not None:
            errors.append(err)
        else:
            reports[i] = {"partition": msg.partition(), "offset": msg.offset(),
                          "timestamp": msg.timestamp()[1]}

    for i, r in enumerate(records):
        kwargs = {}
        if r.get("partition") is not None:
            kwargs["partition"] = r["partition"]
        if r.get("timestamp") is not None:
            kwargs["timestamp"] = r["timestamp"]
        if r.get("headers"):
            kwargs["headers"] = [(k, v) for k, v in r["headers"]]
        producer.produce(topic, key=r.get("key"), value=r.get("value"),
                         on_delivery=lambda err, msg, i=i: on_delivery(err, msg, i), **kwargs)
        if flush_each:
            producer.flush(30)
    remaining = producer.flush(30)
    assert remaining == 0 and not errors, f"undelivered: {remaining}, errors: {errors}"
    return [reports[i] for i in range(len(records))]


def kafka_python_produce(bootstrap: str, topic: str, records: list[dict], **config) -> list[dict]:
    from kafka import KafkaProducer

    def b(x):
        return x.encode() if isinstance(x, str) else x

    producer = KafkaProducer(bootstrap_servers=[bootstrap], acks="all", linger_ms=5, **config)
    try:
        futures = [producer.send(topic, key=b(r.get("key")), value=b(r.get("value")),
                                 headers=[(k, b(v)) for k, v in r.get("headers") or []],
                                 partition=r.get("partition"), timestamp_ms=r.get("timestamp"))
                   for r in records]
        producer.flush(30)
        out = []
        for f in futures:
            md = f.get(timeout=30)
            out.append({"partition": md.partition, "offset": md.offset, "timestamp": md.timestamp})
        return out
    finally:
        producer.close(timeout=10)


def run(argv: list, input: str | None = None, timeout: float = 90, env: dict | None = None,
        check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(a) for a in argv], input=input, capture_output=True, text=True,
                          timeout=timeout, stdin=None if input is not None else subprocess.DEVNULL,
                          env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, argv))} exited with {proc.returncode}\n"
                             f"--- stdout\n{proc.stdout[-4000:]}\n"
                             f"--- stderr\n{proc.stderr[-4000:]}")
    return proc


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]


# --- readers (manual assignment, from the beginning to the high watermark) -------------

def end_offsets(bootstrap: str, topic: str) -> dict[int, tuple[int, int]]:
    """{partition: (low, high)} watermarks from ListOffsets."""
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused-watermarks",
                  "enable.auto.commit": False})
    try:
        md = c.list_topics(topic, timeout=15).topics[topic]
        assert md.error is None, md.error
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=15)
                for p in sorted(md.partitions)}
    finally:
        c.close()


def confluent_read_all(bootstrap: str, topic: str, raw: bool = False, timeout: float = 30,
                       **config) -> list[dict]:
    """Every record of every partition, from the low to the high watermark."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    ends = end_offsets(bootstrap, topic)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused-manual-assign",
                  "enable.auto.commit": False, "auto.offset.reset": "error",
                  "enable.partition.eof": False, "check.crcs": True, **config})
    out: list[dict] = []
    try:
        want = {p: hi for p, (lo, hi) in ends.items() if hi > lo}
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in want])
        pos = {p: ends[p][0] for p in want}
        deadline = time.monotonic() + timeout
        while any(pos[p] < want[p] for p in want):
            if time.monotonic() > deadline:
                raise AssertionError(f"confluent read of {topic} timed out at {pos}, want {want}")
            msg = c.poll(0.5)
            if msg is None:
                continue
            assert msg.error() is None, f"consume error: {msg.error()}"
            pos[msg.partition()] = msg.offset() + 1
            out.append({"partition": msg.partition(), "offset": msg.offset(),
                        "timestamp": msg.timestamp()[1],
                        "key": _dec(msg.key(), raw), "value": _dec(msg.value(), raw),
                        "headers": [[k, _dec(v, raw)] for k, v in (msg.headers() or [])]})
    finally:
        c.close()
    return sort_records(out)


def kafka_python_read_all(bootstrap: str, topic: str, raw: bool = False, timeout: float = 30,
                          **config) -> list[dict]:
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(bootstrap_servers=[bootstrap], enable_auto_commit=False,
                      auto_offset_reset="earliest", group_id=None, **config)
    out: list[dict] = []
    try:
        parts = [TopicPartition(topic, p) for p in sorted(c.partitions_for_topic(topic) or [])]
        assert parts, f"kafka-python sees no partitions of {topic}"
        c.assign(parts)
        c.seek_to_beginning(*parts)
        ends = c.end_offsets(parts)
        pos = {tp: c.position(tp) for tp in parts}
        deadline = time.monotonic() + timeout
        while any(pos[tp] < ends[tp] for tp in parts):
            if time.monotonic() > deadline:
                raise AssertionError(f"kafka-python read of {topic} timed out at {pos}, "
                                     f"want {ends}")
            for tp, batch in c.poll(timeout_ms=500).items():
                for m in batch:
                    pos[tp] = m.offset + 1
                    out.append({"partition": m.partition, "offset": m.offset,
                                "timestamp": m.timestamp,
                                "key": _dec(m.key, raw), "value": _dec(m.value, raw),
                                "headers": [[k, _dec(v, raw)] for k, v in m.headers]})
    finally:
        c.close()
    return sort_records(out)


def kcat_read_all(bootstrap: str, topic: str, count: int) -> list[dict]:
    """kcat -C from the beginning of every partition (no group: it assigns them)."""
    out = run(["kcat", "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q",
               "-c", count, "-X", "check.crcs=true"], timeout=60).stdout
    recs = []
    for r in json_lines(out):
        hs = r.get("headers") or []
        recs.append({"partition": r["partition"], "offset": r["offset"], "timestamp": r["ts"],
                     "key": r["key"], "value": r["payload"],
                     "headers": [[hs[i], hs[i + 1]] for i in range(0, len(hs), 2)]})
    return sort_records(recs)


def java_read_all(bootstrap: str, topic: str, count: int) -> list[dict]:
    """The Java kafka-clients peer without --group: assign() every partition and
    seekToBeginning()."""
    out = run([PEERS / "java_client.sh", "consume", "--bootstrap", bootstrap, "--topic", topic,
               "--count", count, "--timeout-ms", 30000], timeout=90).stdout
    return sort_records([{k: r[k] for k in ("partition", "offset", "timestamp", "key", "value",
                                           "headers")} for r in json_lines(out)])


def console_consume(bootstrap: str, topic: str, partition: int, count: int) -> list[str]:
    """Kafka's console consumer on one partition from the earliest offset (no group)."""
    out = run([PEERS / "kafka_cli.sh", "console-consumer", "--bootstrap-server", bootstrap,
               "--topic", topic, "--partition", partition, "--offset", "earliest",
               "--max-messages", count, "--timeout-ms", 30000,
               "--formatter-property", "print.key=true",
               "--formatter-property", "print.headers=true",
               "--formatter-property", "print.timestamp=true",
               "--formatter-property", "print.offset=true"], timeout=90).stdout
    return [line for line in out.splitlines() if line.strip()]


def kafka_cli(*args, check: bool = True, input: str | None = None,
              timeout: float = 90) -> subprocess.CompletedProcess:
    return run([PEERS / "kafka_cli.sh", *args], check=check, input=input, timeout=timeout)


def write_temp(text: str, suffix: str = ".json") -> str:
    fd, path = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path
