#!/usr/bin/env python3
"""Embedded broker vs Apache Kafka, measured in one run with the same client tools.

For 100 B and 1 KB records, acks=1 and acks=all, Kafka's own producer-perf-test
(Java kafka-clients) produces to each broker and reports throughput and latency
percentiles; a minimal librdkafka consumer (bench/rdkafka_consume_bench.cc, no output
formatting) then reads the records back to measure consume throughput, and a minimal
librdkafka producer (bench/rdkafka_produce_bench.cc) produces the same records again: it
needs far less CPU than the Java tool, so more of the machine is left to the broker. The broker's own
CPU time (all threads) during each phase is reported per GB of records: on this 2-core
machine the clients share the cores with the broker, so throughput is often the
client's limit, and broker CPU per GB shows the broker's cost directly. The consumer's own
CPU per GB is printed too, with the rate it alone allows on 2 cores ("consume bound": what
a broker costing nothing would reach with this client). Also measured:
time from exec to a served ApiVersions request, and idle RSS.

    .cache/venv/bin/python bench/broker_bench.py [--records 1000000] [--quick]

Apache Kafka runs with the JVM flags of kafka-server-start.sh (1 GiB G1 heap). Both
brokers get a fresh data dir and the same topic settings (1 partition). Numbers depend
on this machine; the ratios are the point.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "peers"))
sys.path.insert(0, str(REPO / "tests" / "integration" / "broker"))
from broker_wire import Connection, fetch_v5_request, parse_fetch_v5  # noqa: E402
from benchutil import TunedKafka, cpu_seconds, free_port  # noqa: E402

KAFKA_CLI = REPO / "tests" / "peers" / "kafka_cli.sh"
WHARF = Path(os.environ.get("WHARF_BIN", REPO / "build" / "release" / "wharf"))



def api_versions_ok(port: int) -> bool:
    """Sends ApiVersions v0 and waits for the answer."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            body = struct.pack(">hhih", 18, 0, 1, 5) + b"bench"
            s.sendall(struct.pack(">i", len(body)) + body)
            header = s.recv(4)
            return len(header) == 4
    except OSError:
        return False


class Wharf:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="wharf-bench-"))
        self.port = free_port()
        self.admin = free_port()
        self.proc = None
        self.ready_ms = None

    def start(self):
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [str(WHARF), "serve", "--set", f"broker.port={self.port}", "--set",
             f"admin.port={self.admin}", "--set", f"broker.data_dir={self.dir / 'data'}",
             "--set", "log.level=warn", "--set", "schema_registry.enabled=false", "--set",
             "rest_proxy.enabled=false", "--set", "connect.enabled=false"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not api_versions_ok(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError("wharf exited")
            time.sleep(0.001)
        self.ready_ms = (time.perf_counter() - started) * 1000

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
        shutil.rmtree(self.dir, ignore_errors=True)


def run_cli(*args: str, timeout: float = 600) -> str:
    out = subprocess.run([str(KAFKA_CLI), *args], capture_output=True, text=True, timeout=timeout,
                         stdin=subprocess.DEVNULL)
    if out.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {out.stderr[-2000:]}")
    return out.stdout


PERF_RE = re.compile(
    r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
    r"([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th")


def produce(bootstrap: str, topic: str, records: int, size: int, acks: str) -> dict:
    run_cli("topics", "--bootstrap-server", bootstrap, "--create", "--topic", topic,
            "--partitions", "1", "--replication-factor", "1")
    out = run_cli("producer-perf-test", "--topic", topic, "--num-records", str(records),
                  "--record-size", str(size), "--throughput", "-1", "--producer-props",
                  f"bootstrap.servers={bootstrap}", f"acks={acks}", "linger.ms=5",
                  "batch.size=65536")
    final = PERF_RE.findall(out)[-1]
    return {"records_per_s": float(final[1]), "mb_per_s": float(final[2]),
            "p50_ms": float(final[5]), "p99_ms": float(final[7]), "avg_ms": float(final[3])}


PRODUCE_BENCH = Path(os.environ.get("WHARF_BUILD_DIR", REPO / "build" / "release")) / \
    "bench" / "rdkafka_produce_bench"


def produce_rdkafka(bootstrap: str, topic: str, records: int, size: int, acks: str) -> dict:
    """The same records from a minimal librdkafka producer (bench/rdkafka_produce_bench.cc),
    which leaves more of the two cores to the broker than the Java tool does."""
    run_cli("topics", "--bootstrap-server", bootstrap, "--create", "--topic", topic,
            "--partitions", "1", "--replication-factor", "1")
    out = subprocess.run([str(PRODUCE_BENCH), bootstrap, topic, str(records), str(size), acks],
                         capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    if out.returncode != 0:
        raise RuntimeError(f"librdkafka produce to {bootstrap} failed: {out.stderr[-2000:]}")
    fields = dict(item.split("=") for item in out.stdout.split())
    seconds = float(fields["seconds"])
    return {"records_per_s": int(fields["records"]) / seconds,
            "mb_per_s": int(fields["bytes"]) / seconds / 1e6,
            "p50_ms": float(fields["p50_ms"]), "p99_ms": float(fields["p99_ms"])}


CONSUME_BENCH = Path(os.environ.get("WHARF_BUILD_DIR", REPO / "build" / "release")) / \
    "bench" / "rdkafka_consume_bench"


def consume(bootstrap: str, topic: str, records: int, size: int, passes: int = 3) -> dict:
    """Reads the partition back with a minimal librdkafka consumer (no formatting), timed
    from its first record to its last; `passes` reads, the median one reported (a read of
    100-300 MB takes a fraction of a second, so one read is noisy)."""
    runs = []
    for _ in range(passes):
        out = subprocess.run([str(CONSUME_BENCH), bootstrap, topic, "0", str(records)],
                             capture_output=True, text=True, timeout=600,
                             stdin=subprocess.DEVNULL)
        if out.returncode != 0:
            raise RuntimeError(f"consume from {bootstrap} failed: {out.stderr[-2000:]}")
        fields = dict(item.split("=") for item in out.stdout.split())
        seconds = float(fields["seconds"])
        gb = int(fields["bytes"]) / 1e9
        runs.append({"records_per_s": int(fields["records"]) / seconds,
                     "mb_per_s": gb * 1000 / seconds, "gb": gb,
                     "client_cpu_s_per_gb": float(fields["cpu_seconds"]) / gb})
    runs.sort(key=lambda r: r["mb_per_s"])
    return runs[len(runs) // 2]


def raw_fetch(bootstrap: str, topic: str, records: int) -> dict:
    """Reads the partition with back-to-back Fetch v5 requests of 8 MiB and does nothing
    with the bytes but find the next offset: the broker's fetch path, not a client's
    decoding, is what this measures."""
    host, port = bootstrap.split(",")[0].split(":")
    offset, total, correlation = 0, 0, 0
    started = time.perf_counter()
    with Connection(host, int(port), timeout=30) as conn:
        while offset < records:
            correlation += 1
            conn.send(fetch_v5_request(topic, [(0, offset, 8 << 20)], correlation,
                                       max_wait_ms=100, max_bytes=8 << 20))
            _, body = conn.recv_response()
            data = parse_fetch_v5(body)[0]["records"] or b""
            pos, next_offset = 0, offset
            while pos + 27 <= len(data):
                base, length = struct.unpack_from(">qi", data, pos)
                if pos + 12 + length > len(data):
                    break
                last_delta, = struct.unpack_from(">i", data, pos + 23)
                next_offset = base + last_delta + 1
                pos += 12 + length
            if next_offset == offset:
                raise RuntimeError(f"raw fetch from {bootstrap} made no progress at {offset}")
            total += pos
            offset = next_offset
    elapsed = time.perf_counter() - started
    return {"mb_per_s": total / elapsed / 1e6, "records_per_s": records / elapsed}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1000000)
    parser.add_argument("--quick", action="store_true", help="fewer records, for a smoke run")
    args = parser.parse_args()
    n_small = 50000 if args.quick else args.records
    n_large = n_small // 3

    wharf = Wharf()
    wharf.start()
    time.sleep(1)
    idle_rss = wharf.rss_mb()
    kafka = TunedKafka(nodes=1)
    kafka.start()
    brokers = {"wharf": wharf.bootstrap, "kafka": kafka.bootstrap_servers}
    pids = {"wharf": wharf.proc.pid, "kafka": kafka.members[0].process.pid}
    rows = []
    try:
        for size, count in ((100, n_small), (1000, n_large)):
            for acks in ("1", "all"):
                result = {}
                for name, bootstrap in brokers.items():
                    topic = f"bench-{size}-{acks}"
                    gb = count * size / 1e9
                    cpu0 = cpu_seconds(pids[name])
                    p = produce(bootstrap, topic, count, size, acks)
                    cpu1 = cpu_seconds(pids[name])
                    c = consume(bootstrap, topic, count, size)
                    cpu2 = cpu_seconds(pids[name])
                    f = raw_fetch(bootstrap, topic, count)
                    cpu3 = cpu_seconds(pids[name])
                    r = produce_rdkafka(bootstrap, f"{topic}-rd", count, size, acks)
                    r["cpu_s_per_gb"] = (cpu_seconds(pids[name]) - cpu3) / gb
                    p["cpu_s_per_gb"] = (cpu1 - cpu0) / gb
                    c["cpu_s_per_gb"] = (cpu2 - cpu1) / gb / 3  # three passes
                    # What the 2 cores could give if the broker cost nothing: the client's
                    # CPU per GB alone bounds the consume rate.
                    c["client_bound_mb_per_s"] = 2 / c["client_cpu_s_per_gb"] * 1000
                    result[name] = (p, c, f, r)
                rows.append((size, acks, count, result))
    finally:
        kafka.stop()
        wharf.stop()

    print(f"\nwharf ready (exec to first ApiVersions answer): {wharf.ready_ms:.1f} ms; "
          f"idle RSS {idle_rss:.1f} MB\n")
    header = (f"{'record':>6} {'acks':>4} {'records':>8} | {'metric':<24} | {'wharf':>10} | "
              f"{'kafka':>10} | {'wharf/kafka':>11}")
    print(header)
    print("-" * len(header))
    for size, acks, count, result in rows:
        (wp, wc, wf, wr), (kp, kc, kf, kr) = result["wharf"], result["kafka"]
        metrics = [
            ("produce MB/s", wp["mb_per_s"], kp["mb_per_s"]),
            ("produce rec/s", wp["records_per_s"], kp["records_per_s"]),
            ("produce p50 ms", wp["p50_ms"], kp["p50_ms"]),
            ("produce p99 ms", wp["p99_ms"], kp["p99_ms"]),
            ("produce CPU s/GB", wp["cpu_s_per_gb"], kp["cpu_s_per_gb"]),
            ("consume MB/s", wc["mb_per_s"], kc["mb_per_s"]),
            ("consume rec/s", wc["records_per_s"], kc["records_per_s"]),
            ("consume CPU s/GB", wc["cpu_s_per_gb"], kc["cpu_s_per_gb"]),
            ("consume client CPU s/GB", wc["client_cpu_s_per_gb"], kc["client_cpu_s_per_gb"]),
            ("consume bound MB/s", wc["client_bound_mb_per_s"], kc["client_bound_mb_per_s"]),
            ("raw fetch MB/s", wf["mb_per_s"], kf["mb_per_s"]),
            ("rdkafka produce MB/s", wr["mb_per_s"], kr["mb_per_s"]),
            ("rdkafka produce p50 ms", wr["p50_ms"], kr["p50_ms"]),
            ("rdkafka produce p99 ms", wr["p99_ms"], kr["p99_ms"]),
            ("rdkafka produce CPU s/GB", wr["cpu_s_per_gb"], kr["cpu_s_per_gb"]),
        ]
        for label, w, k in metrics:
            ratio = w / k if k else float("inf")
            print(f"{size:>5}B {acks:>4} {count:>8} | {label:<24} | {w:>10.1f} | {k:>10.1f} | "
                  f"{ratio:>10.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
