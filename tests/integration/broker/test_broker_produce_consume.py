"""Every client peer produces keyed records with headers in every codec it supports to a
3-partition topic; two other clients read the topic back from the beginning (manual
assignment) and must see the same keys, values, headers, timestamps, and per-partition
offsets 0..n-1 in produce order. Runs against the embedded broker and Apache Kafka."""

from __future__ import annotations

import time

import pytest

from broker_clients import (CODECS, PEERS, confluent_produce, confluent_read_all, create_topic,
                            java_read_all, json_lines, kafka_python_produce,
                            kafka_python_read_all, kcat_read_all, run, topic_name)

N = 12
PARTITIONS = 3

CASES = ([("confluent", c) for c in CODECS] + [("kafka-python", c) for c in CODECS]
         + [("kcat", c) for c in CODECS] + [("kafkajs", c) for c in ("none", "gzip")]
         + [("java", c) for c in CODECS])

# The second reader of each case (the first is confluent-kafka, or kafka-python for
# records confluent-kafka produced); every reader gets several producers and codecs.
SECOND_READER = {
    ("confluent", "none"): "kcat", ("confluent", "gzip"): "kcat",
    ("confluent", "snappy"): "kcat", ("confluent", "lz4"): "kcat", ("confluent", "zstd"): "kcat",
    ("kafka-python", "none"): "kcat", ("kafka-python", "gzip"): "kcat",
    ("kafka-python", "snappy"): "kcat", ("kafka-python", "lz4"): "kcat",
    ("kafka-python", "zstd"): "kcat",
    ("kcat", "none"): "kafka-python", ("kcat", "gzip"): "kafka-python",
    ("kcat", "snappy"): "kafka-python", ("kcat", "lz4"): "java", ("kcat", "zstd"): "kafka-python",
    ("kafkajs", "none"): "java", ("kafkajs", "gzip"): "kafka-python",
    ("java", "none"): "kafka-python", ("java", "gzip"): "kcat", ("java", "snappy"): "kcat",
    ("java", "lz4"): "kafka-python", ("java", "zstd"): "kafka-python",
}


def _records(client: str, explicit: bool) -> list[dict]:
    """N records; explicit ones carry a partition, a timestamp in the past and a
    repeated header name (order of repeated headers must be kept)."""
    base = int(time.time() * 1000) - 3_600_000
    out = []
    for i in range(N):
        r = {"key": f"key-{i}", "value": f"value-{i}-" + "x" * (i * 37),
             "headers": [["idx", str(i)], ["client", client]]}
        if explicit:
            r["headers"] += [["dup", "a"], ["dup", f"b{i}"]]
            r["partition"] = i % PARTITIONS
            r["timestamp"] = base + i * 1000 + (500 if i % 4 == 1 else 0)
        out.append(r)
    return out


def _produce(client: str, codec: str, bootstrap: str, topic: str):
    """Produce with one client; return (records sent, per-record reports or None)."""
    if client == "confluent":
        recs = _records(client, explicit=True)
        return recs, confluent_produce(bootstrap, topic, recs, **{"compression.type": codec,
                                                                  "enable.idempotence": True})
    if client == "kafka-python":
        recs = _records(client, explicit=True)
        return recs, kafka_python_produce(bootstrap, topic, recs,
                                          compression_type=None if codec == "none" else codec)
    if client == "kcat":
        recs = [{"key": f"key-{i}", "value": f"value-{i}-" + "x" * (i * 37),
                 "headers": [["client", "kcat"], ["dup", "a"], ["dup", "b"]]} for i in range(N)]
        run(["kcat", "-b", bootstrap, "-P", "-t", topic, "-K", ":", "-z", codec,
             "-H", "client=kcat", "-H", "dup=a", "-H", "dup=b", "-X", "acks=all"],
            input="".join(f"{r['key']}:{r['value']}\n" for r in recs), timeout=60)
        return recs, None
    if client == "kafkajs":
        recs = [{"key": f"key-{i}", "value": f"value-{i}",
                 "headers": [["idx", str(i)], ["client", "kafkajs"]]} for i in range(N)]
        out = run(["node", PEERS / "node" / "kafkajs_client.js", "produce", "--bootstrap",
                   bootstrap, "--topic", topic, "--count", N, "--compression", codec],
                  timeout=60).stdout
        acks = json_lines(out)
        assert [a["key"] for a in acks] == [r["key"] for r in recs]
        return recs, [{"partition": a["partition"], "offset": a["offset"]} for a in acks]
    if client == "java":
        recs = [{"key": f"key-{i}", "value": f"value-{i}",
                 "headers": [["idx", str(i)], ["client", "java"]]} for i in range(N)]
        out = run([PEERS / "java_client.sh", "produce", "--bootstrap", bootstrap, "--topic",
                   topic, "--count", N, "--compression", codec], timeout=90).stdout
        acks = json_lines(out)
        assert [a["key"] for a in acks] == [r["key"] for r in recs]
        return recs, [{"partition": a["partition"], "offset": a["offset"],
                       "timestamp": a["timestamp"]} for a in acks]
    raise AssertionError(client)


def _read(reader: str, bootstrap: str, topic: str) -> list[dict]:
    if reader == "confluent":
        return confluent_read_all(bootstrap, topic)
    if reader == "kafka-python":
        return kafka_python_read_all(bootstrap, topic)
    if reader == "kcat":
        return kcat_read_all(bootstrap, topic, N)
    if reader == "java":
        return java_read_all(bootstrap, topic, N)
    raise AssertionError(reader)


def check_read(sent: list[dict], reports: list[dict] | None, got: list[dict],
               window: tuple[int, int], reader: str) -> None:
    """got (sorted by partition, offset) holds exactly the sent records, each partition
    at offsets 0..n-1 in produce order, with the reported partition/offset/timestamp."""
    where = f"read by {reader}"
    assert len(got) == len(sent), f"{where}: {len(got)} records, sent {len(sent)}: {got}"
    index = {r["key"]: i for i, r in enumerate(sent)}
    assert sorted(index.get(g["key"], -1) for g in got) == list(range(len(sent))), \
        f"{where}: keys differ: {[g['key'] for g in got]}"
    by_partition: dict[int, list[dict]] = {}
    for g in got:
        by_partition.setdefault(g["partition"], []).append(g)
    for p, recs in by_partition.items():
        assert [g["offset"] for g in recs] == list(range(len(recs))), \
            f"{where}: partition {p} offsets {[g['offset'] for g in recs]}"
        order = [index[g["key"]] for g in recs]
        assert order == sorted(order), f"{where}: partition {p} not in produce order: {order}"
    for g in got:
        i = index[g["key"]]
        s = sent[i]
        assert g["value"] == s["value"], f"{where}: {g['key']} value {g['value']!r}"
        assert g["headers"] == s["headers"], f"{where}: {g['key']} headers {g['headers']}"
        rep = reports[i] if reports else {}
        if s.get("partition") is not None:
            assert g["partition"] == s["partition"], f"{where}: {g['key']} partition"
        if "partition" in rep:
            assert (g["partition"], g["offset"]) == (rep["partition"], rep["offset"]), \
                f"{where}: {g['key']} at {g['partition']}/{g['offset']}, acked at {rep}"
        if s.get("timestamp") is not None:
            assert g["timestamp"] == s["timestamp"], f"{where}: {g['key']} timestamp"
        elif rep.get("timestamp") is not None:
            assert g["timestamp"] == rep["timestamp"], f"{where}: {g['key']} timestamp"
        else:
            assert window[0] <= g["timestamp"] <= window[1], \
                f"{where}: {g['key']} timestamp {g['timestamp']} outside {window}"


@pytest.mark.parametrize("client,codec", CASES, ids=[f"{c}-{z}" for c, z in CASES])
def test_round_trip_across_clients(kafka_backend, client, codec):
    b = kafka_backend.bootstrap
    topic = topic_name(f"rt-{client}-{codec}")
    create_topic(b, topic, PARTITIONS)
    t0 = int(time.time() * 1000) - 5
    sent, reports = _produce(client, codec, b, topic)
    window = (t0, int(time.time() * 1000) + 5)
    if reports is not None and "timestamp" in reports[0]:
        for s, rep in zip(sent, reports):  # CreateTime: the broker keeps the client's time
            if s.get("timestamp") is not None:
                assert rep["timestamp"] == s["timestamp"], f"ack timestamp {rep} for {s}"

    first = "kafka-python" if client == "confluent" else "confluent"
    got = _read(first, b, topic)
    check_read(sent, reports, got, window, first)
    assert len({g["partition"] for g in got}) > 1, "records should span several partitions"

    second = SECOND_READER[(client, codec)]
    got2 = _read(second, b, topic)
    check_read(sent, reports, got2, window, second)
    assert got2 == got, f"{second} and {first} read different records"


def test_consumers_follow_records_produced_while_they_poll(kafka_backend):
    """The Java consumer (fetch sessions) and kcat (librdkafka) start at the beginning of
    an empty 3-partition topic, then records arrive in several batches over a couple of
    seconds, some partitions idle in between: both get every record."""
    import subprocess
    import threading

    b = kafka_backend.bootstrap
    topic = topic_name("follow")
    create_topic(b, topic, PARTITIONS)
    total = 30
    java = subprocess.Popen([str(PEERS / "java_client.sh"), "consume", "--bootstrap", b,
                             "--topic", topic, "--count", str(total), "--timeout-ms", "60000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    kcat = subprocess.Popen(["kcat", "-b", b, "-C", "-t", topic, "-o", "beginning", "-J", "-q",
                             "-c", str(total)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, stdin=subprocess.DEVNULL)
    try:
        time.sleep(3)  # both consumers are polling the empty partitions by now
        sent = []
        for n in range(6):  # 5 records per round, one partition at a time
            recs = [{"key": f"key-{n}-{i}", "value": f"value-{n}-{i}", "partition": n % 3,
                     "headers": [["round", str(n)]]} for i in range(5)]
            confluent_produce(b, topic, recs)
            sent += recs
            threading.Event().wait(0.4)
        java_out, java_err = java.communicate(timeout=90)
        kcat_out, kcat_err = kcat.communicate(timeout=60)
    finally:
        for proc in (java, kcat):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert java.returncode == 0, java_err[-3000:]
    assert kcat.returncode == 0, kcat_err[-3000:]
    want = sorted((r["partition"], r["key"], r["value"]) for r in sent)
    got_java = json_lines(java_out)
    assert sorted((r["partition"], r["key"], r["value"]) for r in got_java) == want
    got_kcat = json_lines(kcat_out)
    assert sorted((r["partition"], r["key"], r["payload"]) for r in got_kcat) == want
    for got in (got_java, got_kcat):
        for p in range(PARTITIONS):
            offs = [r["offset"] for r in got if r["partition"] == p]
            assert sorted(offs) == list(range(10)), (p, offs)
