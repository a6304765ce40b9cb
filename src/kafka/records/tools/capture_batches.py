#!/usr/bin/env python3
"""Regenerates tests/data/record_batches/: record batches written by real Kafka clients.

Starts a one-node Apache Kafka (tests/peers/kafka_cluster.py), produces keyed records with
headers through each client and codec -- librdkafka (confluent-kafka), kafka-python, the Java
client (tests/peers/java_client.sh) and kafkajs (tests/peers/node/kafkajs_client.js) -- then
copies each topic's segment file, which holds the batches exactly as the client compressed
them with the offsets Kafka assigned, into <name>.bin. Beside it, <name>.json records what
the client was asked to send (keys, values, headers, timestamps, the offsets Kafka acked) and
what the batch headers say, for src/kafka/records/tests/fixtures_test.cc.

    bash tests/peers/setup_all.sh
    .cache/venv/bin/python src/kafka/records/tools/capture_batches.py [--only NAME ...]

Kafka itself decompresses every produced batch, so a fixture is also proof that the broker
accepted what the client wrote.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "tests" / "peers"))
from kafka_cluster import KafkaCluster, kafka_version  # noqa: E402

OUT_DIR = ROOT / "tests" / "data" / "record_batches"
SEED_DIR = ROOT / "src" / "kafka" / "records" / "fuzz" / "corpus"
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
# Fixed timestamps keep regenerated fixtures comparable (retention is off for them).
BASE_TS = 1_700_000_000_000
XERIAL_MAGIC = b"\x82SNAPPY\x00"
# A value big enough to span several compression blocks (xerial 32 KiB, lz4 64 KiB) while
# compressing to a few KiB.
BIG_UNIT = "The quick brown fox jumps over the lazy dog {}. "
BIG_TIMES = 1600


# --- what each client sends -------------------------------------------------------------

def python_client_records(client: str, codec: str, nulls: bool) -> list[dict]:
    """The records for confluent-kafka and kafka-python: keys, values (one null, one empty,
    one non-ASCII, one large when compressed), headers, and timestamps including one that is
    earlier than the first (a negative delta)."""
    records = []
    for i in range(12):
        rec = {
            "key": f"{client}-{codec}-key-{i}",
            "value": f"{client} {codec} value {i}: some text that compresses a little " * 2,
            "headers": [["idx", str(i)], ["client", client]],
            "timestamp": BASE_TS + 1000 * i,
        }
        if i == 2:
            rec["key"] = None
        if i == 4:
            rec["value"] = "grüße ✓ — ünïcödé"
        if i == 5:
            rec["value"] = None  # a tombstone
        if i == 6:
            rec["timestamp"] = BASE_TS - 500
        if i == 7:
            rec["value"] = ""
        if i == 9 and codec != "none":
            rec["value"] = {"repeat": BIG_UNIT, "times": BIG_TIMES}
        if nulls and i == 1:
            rec["headers"].append(["nullhdr", None])
        if nulls and i == 3:
            rec["headers"] += [["dup", "a"], ["dup", "b"], ["", ""]]
        records.append(rec)
    return records


def value_text(value) -> str | None:
    if isinstance(value, dict):
        return "".join(value["repeat"].format(i % 10) for i in range(value["times"]))
    return value


def enc(s: str | None) -> bytes | None:
    return None if s is None else s.encode()


# --- segment files ------------------------------------------------------------------------

def parse_batches(blob: bytes) -> list[dict]:
    """The v2 batch headers of a segment (an independent reading of the format)."""
    out, at = [], 0
    while at + 61 <= len(blob):
        (base_offset, length, _epoch, magic, _crc, attrs, last_delta, base_ts, max_ts, pid,
         _pepoch, _seq, count) = struct.unpack_from(">qiibIhiqqqhii", blob, at)
        assert magic == 2, f"magic {magic} at {at}"
        data = blob[at + 61: at + 12 + length]
        out.append({
            "base_offset": base_offset,
            "record_count": count,
            "last_offset_delta": last_delta,
            "compression": CODECS[attrs & 7],
            "transactional": bool(attrs & 0x10),
            "control": bool(attrs & 0x20),
            "log_append_time": bool(attrs & 0x08),
            "idempotent": pid >= 0,
            "xerial": data.startswith(XERIAL_MAGIC) if attrs & 7 == 2 else None,
            "size": 12 + length,
        })
        at += 12 + length
    assert at == len(blob), f"{len(blob) - at} trailing bytes in segment"
    return out


def read_log(cluster: KafkaCluster, topic: str) -> bytes:
    """The partition's log: its segment files in offset order (normally just
    00000000000000000000.log, as log.roll.ms is raised for the old fixed timestamps)."""
    partition = cluster.members[0].dir / "data" / f"{topic}-0"
    return b"".join(p.read_bytes() for p in sorted(partition.glob("*.log")))


def wait_for_segment(cluster: KafkaCluster, topic: str, records: int, controls: int = 0) -> bytes:
    """The segment once it holds the expected data and control records (markers are written
    after the producer's commit returns)."""
    deadline = time.monotonic() + 60
    while True:
        blob = read_log(cluster, topic)
        try:
            batches = parse_batches(blob)
        except AssertionError:
            batches = None  # caught mid-write
        if batches is not None:
            data = sum(b["record_count"] for b in batches if not b["control"])
            ctrl = sum(b["record_count"] for b in batches if b["control"])
            if data >= records and ctrl >= controls:
                return blob
        if time.monotonic() > deadline:
            raise TimeoutError(f"{topic}: segment never held {records}+{controls} records: "
                               f"{len(blob)} bytes, batches {batches}")
        time.sleep(0.2)


# --- producers ----------------------------------------------------------------------------

def produce_confluent(bootstrap: str, topic: str, codec: str, records: list[dict],
                      transactional: bool = False) -> tuple[list[dict], list[dict], str]:
    """librdkafka via confluent-kafka. Two flushes make two batches. With transactional, the
    first half is committed and the second aborted, so the log holds both markers."""
    import confluent_kafka

    config = {
        "bootstrap.servers": bootstrap,
        "compression.codec": codec,
        "linger.ms": 50,
        "enable.idempotence": True,
    }
    if transactional:
        config["transactional.id"] = f"capture-{topic}"
    producer = confluent_kafka.Producer(config)
    acked: dict[int, int] = {}
    errors = []

    def delivered(i):
        def callback(err, msg):
            if err:
                errors.append(err)
            else:
                acked[i] = msg.offset()
        return callback

    halves = [list(range(0, len(records) // 2)), list(range(len(records) // 2, len(records)))]
    controls = []
    if transactional:
        producer.init_transactions(30)
    for n, half in enumerate(halves):
        if transactional:
            producer.begin_transaction()
        for i in half:
            rec = records[i]
            headers = [(k, enc(v)) for k, v in rec["headers"]]
            producer.produce(topic, key=enc(rec["key"]), value=enc(value_text(rec["value"])),
                             headers=headers, timestamp=rec["timestamp"], partition=0,
                             on_delivery=delivered(i))
        producer.flush(30)
        if transactional:
            if n == 0:
                producer.commit_transaction(30)
                controls.append("commit")
            else:
                producer.abort_transaction(30)
                controls.append("abort")
    if errors or len(acked) != len(records):
        raise RuntimeError(f"confluent-kafka: {errors or 'missing acks'}")
    out = [dict(rec, offset=acked[i]) for i, rec in enumerate(records)]
    control_records = [{"type": t} for t in controls]
    return out, control_records, f"confluent-kafka {confluent_kafka.version()} / librdkafka " \
                                 f"{confluent_kafka.libversion()[0]}"


def produce_kafka_python(bootstrap: str, topic: str, codec: str,
                         records: list[dict]) -> tuple[list[dict], list[dict], str]:
    import kafka

    producer = kafka.KafkaProducer(bootstrap_servers=bootstrap,
                                   compression_type=None if codec == "none" else codec,
                                   linger_ms=50, acks="all")
    futures = {}
    half = len(records) // 2
    for i, rec in enumerate(records):
        headers = [(k, enc(v)) for k, v in rec["headers"]]
        futures[i] = producer.send(topic, key=enc(rec["key"]),
                                   value=enc(value_text(rec["value"])), headers=headers,
                                   timestamp_ms=rec["timestamp"], partition=0)
        if i == half - 1:
            producer.flush(30)
    producer.flush(30)
    out = [dict(rec, offset=futures[i].get(30).offset) for i, rec in enumerate(records)]
    producer.close(10)
    return out, [], f"kafka-python {kafka.__version__}"


def run_json_lines(cmd: list[str]) -> list[dict]:
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=180)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def produce_java(bootstrap: str, topic: str, codec: str) -> tuple[list[dict], list[dict], str]:
    """The Java client (idempotent, linger 5 ms): keys <prefix>key-i, values <prefix>value-i,
    headers idx and client=java; it prints each record's offset and timestamp."""
    prefix = f"java-{codec}-"
    lines = run_json_lines([str(ROOT / "tests" / "peers" / "java_client.sh"), "produce",
                            "--bootstrap", bootstrap, "--topic", topic, "--count", "12",
                            "--compression", codec, "--prefix", prefix, "--partition", "0"])
    out = []
    for i, line in enumerate(lines):
        assert line["key"] == f"{prefix}key-{i}"
        out.append({"key": line["key"], "value": f"{prefix}value-{i}",
                    "headers": [["idx", str(i)], ["client", "java"]],
                    "timestamp": line["timestamp"], "offset": line["offset"]})
    return out, [], f"kafka-clients {kafka_version()}"


# kafkajs has gzip built in; snappy and lz4 come from plugin packages, installed here for
# this tool only. (@kafkajs/zstd needs the native cppzst, which does not build on Node 20.)
KAFKAJS_PLUGINS = ["kafkajs@2.2.4", "kafkajs-snappy@1.1.0", "kafkajs-lz4@1.2.1"]
RECORDS_NODE = ROOT / ".cache" / "records-node"


def ensure_kafkajs_plugins() -> None:
    stamp = RECORDS_NODE / ".stamp"
    want = " ".join(KAFKAJS_PLUGINS)
    if stamp.exists() and stamp.read_text() == want:
        return
    RECORDS_NODE.mkdir(parents=True, exist_ok=True)
    (RECORDS_NODE / "package.json").write_text('{"name": "records-capture", "private": true}\n')
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
                    "--cache", str(ROOT / ".cache" / "npm"), *KAFKAJS_PLUGINS],
                   cwd=RECORDS_NODE, check=True, stdin=subprocess.DEVNULL)
    stamp.write_text(want)


def produce_kafkajs(bootstrap: str, topic: str, codec: str) -> tuple[list[dict], list[dict], str]:
    """kafkajs: none and gzip through tests/peers/node/kafkajs_client.js, snappy and lz4
    through tools/kafkajs_codecs.js with the codec plugins."""
    prefix = f"kafkajs-{codec}-"
    args = ["--bootstrap", bootstrap, "--topic", topic, "--count", "12", "--compression", codec,
            "--prefix", prefix]
    if codec in ("none", "gzip"):
        lines = run_json_lines(["node", str(ROOT / "tests" / "peers" / "node" /
                                            "kafkajs_client.js"), "produce", *args,
                                "--partition", "0"])
        modules = ROOT / ".cache" / "node" / "node_modules"
        version = f"kafkajs {json.loads((modules / 'kafkajs' / 'package.json').read_text())['version']}"
    else:
        ensure_kafkajs_plugins()
        lines = run_json_lines(["node", str(Path(__file__).with_name("kafkajs_codecs.js")), *args])
        modules = RECORDS_NODE / "node_modules"
        plugin = "kafkajs-snappy" if codec == "snappy" else "kafkajs-lz4"
        versions = [json.loads((modules / m / "package.json").read_text())["version"]
                    for m in ("kafkajs", plugin)]
        version = f"kafkajs {versions[0]} + {plugin} {versions[1]}"
    out = []
    for line in lines:
        i = int(line["key"].rsplit("-", 1)[1])
        out.append({"key": line["key"], "value": f"{prefix}value-{i}",
                    "headers": [["idx", str(i)], ["client", "kafkajs"]],
                    "timestamp": None, "offset": line["offset"]})
    return out, [], version


# --- the scenarios ------------------------------------------------------------------------

class Scenario:
    def __init__(self, name: str, client: str, codec: str, produce: Callable,
                 topic_config: dict | None = None, note: str = ""):
        self.name, self.client, self.codec = name, client, codec
        self.produce, self.topic_config, self.note = produce, topic_config or {}, note


def scenarios() -> list[Scenario]:
    out = []
    for codec in CODECS:
        out.append(Scenario(f"librdkafka_{codec}", "librdkafka", codec,
                            lambda b, t, c: produce_confluent(
                                b, t, c, python_client_records("librdkafka", c, nulls=True))))
        out.append(Scenario(f"kafka_python_{codec}", "kafka-python", codec,
                            lambda b, t, c: produce_kafka_python(
                                b, t, c, python_client_records("kafka-python", c, nulls=False))))
        out.append(Scenario(f"java_{codec}", "java", codec, produce_java))
    for codec in ["none", "gzip", "snappy", "lz4"]:
        out.append(Scenario(f"kafkajs_{codec}", "kafkajs", codec, produce_kafkajs))
    out.append(Scenario(
        "librdkafka_transactions", "librdkafka", "lz4",
        lambda b, t, c: produce_confluent(
            b, t, c, python_client_records("librdkafka-txn", c, nulls=True), transactional=True),
        note="two transactions: the first committed, the second aborted; the log holds a "
             "COMMIT and an ABORT control batch written by the transaction coordinator"))
    out.append(Scenario(
        "librdkafka_log_append_time", "librdkafka", "zstd",
        lambda b, t, c: produce_confluent(
            b, t, c, python_client_records("librdkafka-lat", c, nulls=False)),
        topic_config={"message.timestamp.type": "LogAppendTime"},
        note="a LogAppendTime topic: Kafka set the timestamp-type bit and maxTimestamp"))
    return out


def to_json(doc: dict) -> str:
    """JSON with one line per list item: readable, and small diffs on regeneration."""
    lines = []
    for key, value in doc.items():
        if isinstance(value, list) and value:
            items = ",\n".join("  " + json.dumps(v, ensure_ascii=False) for v in value)
            lines.append(f" {json.dumps(key)}: [\n{items}\n ]")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def create_topic(bootstrap: str, topic: str, config: dict) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1,
                                            config=config)])
    futures[topic].result(30)


def capture(cluster: KafkaCluster, scenario: Scenario, out_dir: Path) -> None:
    bootstrap = cluster.bootstrap_servers
    topic = f"capture-{scenario.name.replace('_', '-')}"
    create_topic(bootstrap, topic, scenario.topic_config)
    records, controls, client_version = scenario.produce(bootstrap, topic, scenario.codec)
    blob = wait_for_segment(cluster, topic, len(records), len(controls))
    batches = parse_batches(blob)

    # Control records take the offsets of their batches, in the order the markers came.
    control_batches = [b for b in batches if b["control"]]
    assert len(control_batches) == len(controls), (control_batches, controls)
    for marker, batch in zip(controls, control_batches):
        marker["offset"] = batch["base_offset"]
    lat = scenario.topic_config.get("message.timestamp.type") == "LogAppendTime"
    if lat:
        for rec in records:
            rec["timestamp"] = None  # replaced by the broker's clock

    snappy = {b["xerial"] for b in batches if b["compression"] == "snappy"}
    assert len(snappy) <= 1, f"mixed snappy framings {snappy}"
    doc = {
        "fixture": f"{scenario.name}.bin",
        "client": scenario.client,
        "client_version": client_version,
        "kafka_version": kafka_version(),
        "codec": scenario.codec,
        "note": scenario.note,
        "snappy_framing": None if not snappy else ("xerial" if snappy.pop() else "raw"),
        "timestamp_type": "LogAppendTime" if lat else "CreateTime",
        "batches": [{k: b[k] for k in ("base_offset", "record_count", "compression",
                                       "transactional", "control", "idempotent")}
                    for b in batches],
        "records": sorted(records, key=lambda r: r["offset"]),
        "control_records": controls,
    }
    (out_dir / f"{scenario.name}.bin").write_bytes(blob)
    (out_dir / f"{scenario.name}.json").write_text(to_json(doc))
    framing = f", snappy {doc['snappy_framing']}" if doc["snappy_framing"] else ""
    print(f"{scenario.name}: {len(batches)} batches, {len(blob)} bytes{framing} "
          f"({client_version})", flush=True)


def write_fuzz_seeds(fixtures: Path, seeds: Path) -> None:
    """Seed corpus for fuzz/batch_fuzzer.cc, whose first input byte picks the mode: < 0xf0
    a records blob, 0xf0 + codec id one decompressor, 0xf5 a bare run of records."""
    seeds.mkdir(parents=True, exist_ok=True)
    for old in seeds.glob("*"):
        old.unlink()
    for path in sorted(fixtures.glob("*.bin")):
        blob = path.read_bytes()
        (seeds / f"blob_{path.stem}").write_bytes(b"\x00" + blob)
        at = 0
        for n, batch in enumerate(parse_batches(blob)):
            data = blob[at + 61: at + batch["size"]]
            codec = CODECS.index(batch["compression"])
            if codec and n == 0:
                (seeds / f"codec_{path.stem}").write_bytes(bytes([0xf0 + codec]) + data)
            if not codec and n == 0 and path.stem.endswith("_none"):
                (seeds / f"records_{path.stem}").write_bytes(b"\xf5" + data)
            at += batch["size"]
    print(f"fuzz seeds: {len(list(seeds.glob('*')))} files in {seeds.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--only", nargs="*", help="scenario names (default: all)")
    parser.add_argument("--keep-dir", action="store_true", help="keep Kafka's data dir")
    parser.add_argument("--seeds-only", action="store_true",
                        help="only rewrite the fuzz seed corpus from the existing fixtures")
    args = parser.parse_args()
    if args.seeds_only:
        write_fuzz_seeds(args.out, SEED_DIR)
        return 0
    chosen = [s for s in scenarios() if not args.only or s.name in args.only]
    if not chosen:
        parser.error(f"no such scenario; known: {', '.join(s.name for s in scenarios())}")
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("WHARF_KAFKA_LOG_LEVEL", "WARN")
    with KafkaCluster(nodes=1, keep_dir=args.keep_dir,
                      extra_config={
                          # The fixed 2023 timestamps must neither expire nor make Kafka
                          # roll a segment per batch (it rolls when a batch is log.roll.ms
                          # newer than the segment's first).
                          "log.retention.ms": "-1",
                          "log.roll.ms": str(100 * 365 * 24 * 3600 * 1000),
                          "auto.create.topics.enable": "false"}) as cluster:
        for scenario in chosen:
            capture(cluster, scenario, args.out)
        if args.keep_dir:
            print(f"kafka data kept in {cluster.base_dir}")
    if args.out == OUT_DIR and not args.only:
        write_fuzz_seeds(args.out, SEED_DIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())
