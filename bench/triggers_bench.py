#!/usr/bin/env python3
"""Event source mappings end to end: Wharf's triggers on its embedded broker beside the
same triggers on Apache Kafka (`wharf serve --no-broker`), measured in one run.

Latency: records produced one at a time (every 20 ms, the produce time in the value) into
a one-partition topic, MaximumBatchingWindowInSeconds 0; the handler notes when it
starts; latency = handler start - produce time, p50/p99, for an HTTP endpoint function
(served by this script) and a Python handler under awslambdaric (a runtime function).

Throughput: --records 100-byte records are produced first into a topic with 2 partitions;
then a mapping (TRIM_HORIZON, window 0) drains them into a no-op function with
concurrency 2, at BatchSize 100 and 1,000. Rate = records committed / time, from the first
committed batch to the last (read from /metrics every 20 ms, so the group join is not
counted). Functions: a no-op HTTP endpoint (this script's server, which does not parse
the event) and a no-op Python handler under awslambdaric.

    .cache/venv/bin/python bench/triggers_bench.py [--records 200000] [--quick]

Everything shares the machine's cores (the producer, Wharf, the functions and Kafka), so
figures depend on it; the comparison within one run is the point.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "peers"))
sys.path.insert(0, str(REPO / "tests" / "integration"))
from benchutil import TunedKafka  # noqa: E402

import boto3  # noqa: E402
import requests  # noqa: E402
from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

from backends import launch_wharf  # noqa: E402

HERE = Path(__file__).resolve().parent


class Endpoint:
    """HTTP functions: /noop answers null unread; /latency notes its start per record."""

    def __init__(self):
        self.latencies: list[float] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as they are written

            def do_POST(self):  # noqa: N802
                started = time.time_ns()
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path.startswith("/latency"):
                    import base64
                    import json
                    for records in json.loads(body)["records"].values():
                        for r in records:
                            produced = int(base64.b64decode(r["value"]))
                            outer.latencies.append((started - produced) / 1e6)
                self.send_response(200)
                self.send_header("Content-Length", "4")
                self.end_headers()
                self.wfile.write(b"null")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Bench:
    def __init__(self, workdir: Path, endpoint: Endpoint, kafka: str | None):
        self.workdir = workdir
        self.out = workdir / "out"
        self.out.mkdir(parents=True, exist_ok=True)
        runtime = [sys.executable, "-m", "awslambdaric"]
        env = {"BENCH_OUT": str(self.out)}
        functions = {
            "http_noop": {"url": endpoint.url + "/noop", "concurrency": 2},
            "http_latency": {"url": endpoint.url + "/latency"},
            "rt_noop": {"runtime": runtime + ["triggers_handler.noop"], "concurrency": 2,
                        "working_directory": str(HERE), "environment": env},
            "rt_latency": {"runtime": runtime + ["triggers_handler.latency"],
                           "working_directory": str(HERE), "environment": env},
        }
        config = {"schema_registry": {"enabled": False}, "rest_proxy": {"enabled": False},
                  "connect": {"enabled": False}, "functions": functions,
                  "triggers": {"topic": f"_wharf_triggers-{uuid.uuid4().hex[:8]}"},
                  "log": {"level": "warn"}}
        if kafka:
            config["broker"] = {"enabled": False}
            config["kafka"] = {"bootstrap_servers": kafka.split(",")}
        self.wharf = launch_wharf(workdir, config)
        self.bootstrap = kafka or f"127.0.0.1:{self.wharf.ports['broker']}"
        self.admin_url = self.wharf.admin_url
        deadline = time.monotonic() + 60
        while requests.get(self.admin_url + "/2015-03-31/event-source-mappings",
                           timeout=5).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("the mapping API did not become ready")
            time.sleep(0.1)
        self.client = boto3.client("lambda", endpoint_url=self.admin_url, region_name="us-east-1",
                                   aws_access_key_id="x", aws_secret_access_key="x")

    def topic(self, partitions: int) -> str:
        name = f"bench-{uuid.uuid4().hex[:8]}"
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        admin.create_topics([NewTopic(name, partitions, 1)])[name].result(30)
        time.sleep(0.5)
        return name

    def mapping(self, function: str, topic: str, batch_size: int) -> str:
        return self.client.create_event_source_mapping(
            FunctionName=function, Topics=[topic], StartingPosition="TRIM_HORIZON",
            SelfManagedEventSource={"Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": [self.bootstrap]}},
            SourceAccessConfigurations=[], BatchSize=batch_size,
            MaximumBatchingWindowInSeconds=0)["UUID"]

    def committed(self, uuid_: str) -> float:
        for line in requests.get(self.admin_url + "/metrics", timeout=5).text.splitlines():
            if line.startswith("wharf_trigger_committed_events_total{") and uuid_ in line:
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def latency(self, function: str, endpoint: Endpoint, count: int) -> list[float]:
        topic = self.topic(1)
        uuid_ = self.mapping(function, topic, 100)
        producer = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 0})
        # Warm up: wait until a first record went through (group joined, process warm).
        producer.produce(topic, value=str(time.time_ns()).encode())
        producer.flush()
        deadline = time.monotonic() + 60
        while self.committed(uuid_) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        endpoint.latencies.clear()
        path = self.out / f"latency-{function}.txt"
        path.unlink(missing_ok=True)
        for _ in range(count):
            producer.produce(topic, value=str(time.time_ns()).encode())
            producer.poll(0)
            time.sleep(0.02)
        producer.flush()
        deadline = time.monotonic() + 60
        while self.committed(uuid_) < count + 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.client.delete_event_source_mapping(UUID=uuid_)
        if function.startswith("http"):
            return list(endpoint.latencies)
        return [(int(a) - int(b)) / 1e6 for a, b in
                (line.split() for line in path.read_text().splitlines())]

    def throughput(self, function: str, records: int, batch_size: int) -> float:
        topic = self.topic(2)
        producer = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 20,
                             "batch.size": 1_000_000, "queue.buffering.max.messages": 1_000_000})
        value = b"x" * 100
        for i in range(records):
            while True:
                try:
                    producer.produce(topic, value=value, partition=i % 2)
                    break
                except BufferError:
                    producer.poll(0.05)
        producer.flush()
        uuid_ = self.mapping(function, topic, batch_size)
        first_time = first_count = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            n = self.committed(uuid_)
            now = time.monotonic()
            if first_time is None and n > 0:
                first_time, first_count = now, n
            if n >= records:
                break
            time.sleep(0.02)
        self.client.delete_event_source_mapping(UUID=uuid_)
        if first_time is None or now <= first_time:
            return float("nan")
        return (n - first_count) / (now - first_time)

    def stop(self):
        self.wharf.stop(signal.SIGTERM)


def run_backend(name: str, kafka: str | None, args, endpoint: Endpoint) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"triggers-bench-{name}-"))
    bench = Bench(workdir, endpoint, kafka)
    out = {}
    try:
        for fn in ("http_latency", "rt_latency"):
            lat = bench.latency(fn, endpoint, args.latency_records)
            out[f"{fn} p50"] = statistics.median(lat)
            out[f"{fn} p99"] = percentile(lat, 99)
            print(f"  {name}: {fn}: {len(lat)} records, p50 {out[f'{fn} p50']:.2f} ms, "
                  f"p99 {out[f'{fn} p99']:.2f} ms", flush=True)
        for fn in ("http_noop", "rt_noop"):
            for batch in (100, 1000):
                rate = bench.throughput(fn, args.records, batch)
                out[f"{fn} batch {batch}"] = rate
                print(f"  {name}: {fn} BatchSize {batch}: {rate:,.0f} records/s", flush=True)
    finally:
        bench.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200_000, help="per throughput case")
    parser.add_argument("--latency-records", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.records, args.latency_records = 20_000, 50
    endpoint = Endpoint()
    columns = {"wharf (embedded)": run_backend("embedded", None, args, endpoint)}
    kafka = TunedKafka(nodes=1)
    kafka.start()
    try:
        columns["wharf -> kafka"] = run_backend("kafka", kafka.bootstrap_servers, args, endpoint)
    finally:
        kafka.stop()

    names = list(columns)
    print(f"\nEvent source mappings: latency over {args.latency_records} records produced every "
          f"20 ms (window 0); throughput draining {args.records:,} 100-byte records "
          f"(2 partitions, function concurrency 2)\n")
    header = f"{'case':<36} | " + " | ".join(f"{n:>16}" for n in names)
    print(header)
    print("-" * len(header))
    for key in columns[names[0]]:
        unit = "ms" if key.endswith(("p50", "p99")) else "records/s"
        values = " | ".join(f"{columns[n][key]:>16,.2f}" if unit == "ms"
                            else f"{columns[n][key]:>16,.0f}" for n in names)
        print(f"{key + ' (' + unit + ')':<36} | {values}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
