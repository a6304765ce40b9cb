#!/usr/bin/env python3
"""Captures real Kafka client traffic as golden frames for the protocol codec's tests.

    python3 tools/kafka_codegen/capture.py [--out tests/data/kafka_captures] [--only kcat]

Starts Apache Kafka (tests/peers/kafka_cluster.py, one KRaft node) advertising a small TCP
proxy as its listener, so every client connection - bootstrap and after - goes through
the proxy. The proxy forwards frames unchanged except ApiVersions responses, whose
version ranges it narrows to what our specs (../shared/kafka-message-specs) define and
whose unknown API keys it drops: clients then speak the versions Wharf's codec (and so
Wharf's broker) supports, even when the Kafka jars are newer than the specs.

Each client scenario (librdkafka through confluent-kafka, kcat, kafka-python, kafkajs,
Kafka's Java console producer/consumer) produces a few records, consumes them in a
consumer group and writes `<client>.txt`. To stay commit-sized, a file keeps for each
(direction, API key, version) only the first frame and the largest one.

File format (read by src/kafka/protocol/tests/captures_test.cc), one frame per line:
    request <hex of the frame after its 4-byte size>
    response <api key> <api version> <hex of the frame after its 4-byte size>
The response lines are what the client received (ApiVersions after narrowing).

Only the standard library is used here; the clients run as subprocesses.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "peers"))
sys.path.insert(0, str(HERE))

from kafka_cluster import KafkaCluster, kafka_version  # noqa: E402
from peerutil import VENV_PYTHON, free_port  # noqa: E402

import generate  # noqa: E402  (the codegen's spec reader, for the version ranges)

API_VERSIONS = 18
RECORDS = 5


# --- the proxy -------------------------------------------------------------------------

def uvarint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def put_uvarint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def narrow_api_versions(frame: bytes, version: int, ranges: dict[int, tuple[int, int]]) -> bytes:
    """Rewrites an ApiVersions response (header v0 + body) so that it only offers the API
    keys and versions in ranges."""
    pos = 4  # correlation id
    (error,) = struct.unpack_from(">h", frame, pos)
    pos += 2
    flexible = version >= 3
    if error != 0 and version > 0:
        return frame  # an error answer may be in v0 layout; leave it alone
    if flexible:
        count, pos = uvarint(frame, pos)
        count -= 1
    else:
        (count,) = struct.unpack_from(">i", frame, pos)
        pos += 4
    kept = []
    for _ in range(count):
        key, low, high = struct.unpack_from(">hhh", frame, pos)
        start = pos
        pos += 6
        tags = b""
        if flexible:
            tag_start = pos
            tag_count, pos = uvarint(frame, pos)
            for _ in range(tag_count):
                _, pos = uvarint(frame, pos)
                size, pos = uvarint(frame, pos)
                pos += size
            tags = frame[tag_start:pos]
        del start
        if key not in ranges:
            continue
        low, high = max(low, ranges[key][0]), min(high, ranges[key][1])
        if low <= high:
            kept.append(struct.pack(">hhh", key, low, high) + tags)
    head = frame[:6]
    length = put_uvarint(len(kept) + 1) if flexible else struct.pack(">i", len(kept))
    return head + length + b"".join(kept) + frame[pos:]


@dataclass
class Recorder:
    """Collects frames for the current scenario."""
    frames: list[tuple[str, int, int, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, direction: str, key: int, version: int, frame: bytes) -> None:
        with self.lock:
            self.frames.append((direction, key, version, frame))

    def take(self) -> list[tuple[str, int, int, bytes]]:
        with self.lock:
            frames, self.frames = self.frames, []
        return frames


class Proxy:
    def __init__(self, port: int, upstream: tuple[str, int],
                 ranges: dict[int, tuple[int, int]], recorder: Recorder):
        self.upstream = upstream
        self.ranges = ranges
        self.recorder = recorder
        self.server = socket.create_server(("127.0.0.1", port))
        self.stopping = False
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def stop(self) -> None:
        self.stopping = True
        self.server.close()

    def accept_loop(self) -> None:
        while not self.stopping:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            try:
                broker = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            pending: dict[int, tuple[int, int]] = {}
            threading.Thread(target=self.pump, args=(client, broker, pending, True),
                             daemon=True).start()
            threading.Thread(target=self.pump, args=(broker, client, pending, False),
                             daemon=True).start()

    @staticmethod
    def read_exact(sock: socket.socket, n: int) -> bytes | None:
        buf = bytearray()
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return bytes(buf)

    def pump(self, source: socket.socket, sink: socket.socket,
             pending: dict[int, tuple[int, int]], requests: bool) -> None:
        try:
            while True:
                size = self.read_exact(source, 4)
                if size is None:
                    break
                frame = self.read_exact(source, struct.unpack(">i", size)[0])
                if frame is None:
                    break
                if requests:
                    key, version, correlation = struct.unpack_from(">hhi", frame, 0)
                    pending[correlation] = (key, version)
                    self.recorder.add("request", key, version, frame)
                else:
                    (correlation,) = struct.unpack_from(">i", frame, 0)
                    key, version = pending.pop(correlation, (-1, -1))
                    if key == API_VERSIONS:
                        frame = narrow_api_versions(frame, version, self.ranges)
                    if key >= 0:
                        self.recorder.add("response", key, version, frame)
                sink.sendall(struct.pack(">i", len(frame)) + frame)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


# --- writing a capture file -------------------------------------------------------------

MAX_FRAME = 6000  # bytes; larger frames are left out (none of the scenarios needs them)


def select_frames(frames: list[tuple[str, int, int, bytes]]) -> list[tuple[str, int, int, bytes]]:
    """For each (direction, key, version): the first frame and the largest one."""
    first: dict[tuple[str, int, int], int] = {}
    largest: dict[tuple[str, int, int], int] = {}
    for index, (direction, key, version, frame) in enumerate(frames):
        if len(frame) > MAX_FRAME:
            continue
        group = (direction, key, version)
        first.setdefault(group, index)
        if group not in largest or len(frame) > len(frames[largest[group]][3]):
            largest[group] = index
    keep = sorted(set(first.values()) | set(largest.values()))
    return [frames[i] for i in keep]


def write_capture(path: Path, description: list[str], frames) -> None:
    lines = [f"# {' '.join(line.split())}" for line in description]
    lines.append("# Captured by tools/kafka_codegen/capture.py; regenerate with it, do not edit.")
    for direction, key, version, frame in select_frames(frames):
        if direction == "request":
            lines.append(f"request {frame.hex()}")
        else:
            lines.append(f"response {key} {version} {frame.hex()}")
    path.write_text("\n".join(lines) + "\n")


# --- client scenarios --------------------------------------------------------------------

def run(cmd: list[str], stdin: str | None = None, timeout: float = 120, env=None) -> str:
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout,
                          env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}... failed ({proc.returncode}):\n"
                           f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc.stdout


LIBRDKAFKA = r"""
import sys
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
bootstrap, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
admin = AdminClient({"bootstrap.servers": bootstrap})
for future in admin.create_topics([NewTopic(topic, 1, 1)]).values():
    future.result()
producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
for i in range(count):
    producer.produce(topic, key=f"key-{i}", value=f"value-{i}", headers=[("idx", str(i))])
assert producer.flush(30) == 0
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                     "auto.offset.reset": "earliest", "enable.auto.commit": False})
consumer.subscribe([topic])
seen = 0
while seen < count:
    message = consumer.poll(30)
    assert message is not None and not message.error(), message and message.error()
    seen += 1
consumer.commit(asynchronous=False)
consumer.close()
"""

KAFKA_PYTHON = r"""
import sys
from kafka import KafkaConsumer, KafkaProducer
bootstrap, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
for i in range(count):
    producer.send(topic, key=f"key-{i}".encode(), value=f"value-{i}".encode(),
                  headers=[("idx", str(i).encode())])
producer.flush(30)
producer.close()
consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                         auto_offset_reset="earliest", enable_auto_commit=False,
                         consumer_timeout_ms=30000)
seen = 0
for _ in consumer:
    seen += 1
    if seen == count:
        break
assert seen == count, seen
consumer.commit()
consumer.close()
"""


def lines(prefix: str) -> str:
    return "".join(f"{prefix}-{i}\n" for i in range(RECORDS))


def scenario_librdkafka(bootstrap: str) -> list[str]:
    version = run([str(VENV_PYTHON), "-c",
                   "import confluent_kafka as c; print(c.version()[0], c.libversion()[0])"]).split()
    run([str(VENV_PYTHON), "-c", LIBRDKAFKA, bootstrap, "capture-librdkafka", "cg-librdkafka",
         str(RECORDS)])
    return [f"client: librdkafka {version[1]} (confluent-kafka {version[0]}): AdminClient "
            "CreateTopics, Producer, Consumer in a group with a manual commit"]


def scenario_kcat(bootstrap: str) -> list[str]:
    about = run(["kcat", "-V"])
    version = re.search(r"Version (\S+)", about).group(1)
    librdkafka = re.search(r"librdkafka (\S+)", about).group(1)
    topic = "capture-kcat"
    run(["kcat", "-b", bootstrap, "-L"])
    run(["kcat", "-b", bootstrap, "-P", "-t", topic, "-K", ":"], stdin=lines("key:value"))
    run(["kcat", "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-c", str(RECORDS),
         "-e"])
    run(["kcat", "-b", bootstrap, "-G", "cg-kcat", "-X", "auto.offset.reset=earliest", "-c",
         str(RECORDS), topic])
    return [f"client: kcat {version} (librdkafka {librdkafka}): -L, -P, -C from the "
            "beginning, -G balanced consumer"]


def scenario_kafka_python(bootstrap: str) -> list[str]:
    version = run([str(VENV_PYTHON), "-c", "import kafka; print(kafka.__version__)"]).strip()
    run([str(VENV_PYTHON), "-c", KAFKA_PYTHON, bootstrap, "capture-kafka-python",
         "cg-kafka-python", str(RECORDS)])
    return [f"client: kafka-python {version}: KafkaProducer, KafkaConsumer in a group with "
            "a manual commit"]


def scenario_kafkajs(bootstrap: str) -> list[str]:
    script = REPO / "tests" / "peers" / "node" / "kafkajs_client.js"
    package = REPO / ".cache" / "node" / "node_modules" / "kafkajs" / "package.json"
    version = json.loads(package.read_text())["version"] if package.exists() else "?"
    topic = "capture-kafkajs"
    run(["node", str(script), "produce", "--bootstrap", bootstrap, "--topic", topic, "--count",
         str(RECORDS)])
    run(["node", str(script), "consume", "--bootstrap", bootstrap, "--topic", topic, "--count",
         str(RECORDS), "--group", "cg-kafkajs"])
    return [f"client: kafkajs {version} (tests/peers/node/kafkajs_client.js): produce, "
            "consume in a group"]


def scenario_java(bootstrap: str) -> list[str]:
    cli = str(REPO / "tests" / "peers" / "kafka_cli.sh")
    topic = "capture-java"
    run([cli, "console-producer", "--bootstrap-server", bootstrap, "--topic", topic,
         "--property", "parse.key=true", "--property", "key.separator=:"],
        stdin=lines("key:value"))
    run([cli, "console-consumer", "--bootstrap-server", bootstrap, "--topic", topic,
         "--group", "cg-java", "--from-beginning", "--max-messages", str(RECORDS)])
    return [f"client: Apache Kafka {kafka_version()} Java clients: kafka-console-producer, "
            "kafka-console-consumer in a group"]


SCENARIOS = {
    "librdkafka": scenario_librdkafka,
    "kcat": scenario_kcat,
    "kafka_python": scenario_kafka_python,
    "kafkajs": scenario_kafkajs,
    "java_console": scenario_java,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "data" / "kafka_captures")
    parser.add_argument("--specs", type=Path, default=generate.DEFAULT_SPECS)
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS),
                        help="run only this scenario (repeatable)")
    args = parser.parse_args()

    ranges = {}
    for api in generate.build_apis(generate.load_messages(args.specs)):
        ranges[api.key] = (api.request.valid.lo, api.request.valid.hi)

    args.out.mkdir(parents=True, exist_ok=True)
    recorder = Recorder()
    proxy_port = free_port()
    cluster = KafkaCluster(nodes=1, extra_config={
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{proxy_port}"})
    cluster.start()
    proxy = Proxy(proxy_port, ("127.0.0.1", cluster.members[0].broker_port), ranges, recorder)
    bootstrap = f"127.0.0.1:{proxy_port}"
    failures = 0
    try:
        for name in args.only or SCENARIOS:
            recorder.take()
            started = time.monotonic()
            try:
                description = SCENARIOS[name](bootstrap)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                print(f"capture: {name} failed: {e}", file=sys.stderr)
                failures += 1
                continue
            time.sleep(0.5)  # let the last responses through the proxy
            frames = recorder.take()
            description += [f"broker: Apache Kafka {kafka_version()} (KRaft, one node), "
                            "ApiVersions narrowed to the specs' version ranges by the proxy"]
            path = args.out / f"{name}.txt"
            write_capture(path, description, frames)
            print(f"capture: {name}: {len(frames)} frames seen, {path.stat().st_size} bytes "
                  f"written to {path.relative_to(REPO)} ({time.monotonic() - started:.1f}s)")
    finally:
        proxy.stop()
        cluster.stop()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
