#!/usr/bin/env python3
"""The router end to end: PutEvents -> rule -> target, on Wharf's embedded broker and on
Apache Kafka (`wharf serve` with the broker off), in one run.

Latency: one PutEvents call (one entry, its send time in the detail) every 20 ms on the
default bus; two rules match it:
- a Kafka topic target: latency = when a consumer of the target topic (librdkafka,
  fetch.wait.max.ms 100, so a fetch returns as soon as the record is there) receives the
  record - the time just before the PutEvents call;
- an HTTP target (this script's server, InputPath $.detail): latency = when the request
  arrives - the same send time.
Also the PutEvents call's own round trip (the event acknowledged by Kafka).

Throughput: 4 threads send PutEvents with 10 entries each for --seconds; events/s accepted,
and events/s delivered to the Kafka target (from the first to the last delivered record).

    .cache/venv/bin/python bench/router_bench.py [--events 500] [--seconds 10] [--quick]

Everything shares the machine's 2 cores (the client, Wharf, the HTTP target and Kafka).
"""

from __future__ import annotations

import argparse
import json
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
from botocore.config import Config  # noqa: E402
from confluent_kafka import Consumer  # noqa: E402

from backends import launch_wharf  # noqa: E402


class HttpTarget:
    """Notes, per request, when it arrived and the send time the event carries."""

    def __init__(self):
        self.latencies: list[float] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self):  # noqa: N802
                arrived = time.time_ns()
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    outer.latencies.append((arrived - body["sent_ns"]) / 1e6)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bench"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self) -> list[float]:
        with self.lock:
            out, self.latencies = self.latencies, []
        return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Bench:
    def __init__(self, workdir: Path, target: HttpTarget, kafka: str | None):
        suffix = uuid.uuid4().hex[:8]
        config = {"schema_registry": {"enabled": False}, "rest_proxy": {"enabled": False},
                  "connect": {"enabled": False}, "triggers": {"enabled": False},
                  "router": {"topic": f"_wharf_router-{suffix}",
                             "bus_topic_prefix": f"wharf.bus.{suffix}."},
                  "log": {"level": "warn"}}
        if kafka:
            config["broker"] = {"enabled": False}
            config["kafka"] = {"bootstrap_servers": kafka.split(",")}
        self.wharf = launch_wharf(workdir, config, ready_timeout=60)
        self.bootstrap = kafka or f"127.0.0.1:{self.wharf.ports['broker']}"
        self.events = boto3.client(
            "events", endpoint_url=self.wharf.admin_url, region_name="us-east-1",
            aws_access_key_id="x", aws_secret_access_key="x",
            config=Config(max_pool_connections=16, retries={"max_attempts": 0}))
        self.target_topic = f"router-bench-{suffix}"
        self.http = target
        self.events.put_rule(Name="to-kafka", EventPattern=json.dumps({"source": ["bench"]}))
        self.events.put_targets(Rule="to-kafka", Targets=[
            {"Id": "t", "Arn": f"arn:wharf:kafka:::topic/{self.target_topic}"}])
        self.events.put_rule(Name="to-http",
                             EventPattern=json.dumps({"source": ["bench"],
                                                      "detail-type": ["latency"]}))
        self.events.put_targets(Rule="to-http", Targets=[
            {"Id": "h", "Arn": target.url, "InputPath": "$.detail"}])
        self.consumer = Consumer({"bootstrap.servers": self.bootstrap,
                                  "group.id": f"bench-{suffix}", "auto.offset.reset": "earliest",
                                  "enable.auto.commit": False, "fetch.wait.max.ms": 100,
                                  "topic.metadata.refresh.interval.ms": 500})
        self.consumer.subscribe([self.target_topic])

    def put(self, detail_type: str, count: int = 1) -> int:
        sent = time.time_ns()
        entries = [{"Source": "bench", "DetailType": detail_type,
                    "Detail": json.dumps({"sent_ns": sent, "i": i})} for i in range(count)]
        answer = self.events.put_events(Entries=entries)
        return count - answer["FailedEntryCount"]

    def drain(self, want: int, timeout: float) -> list[tuple[int, int]]:
        """(receive time ns, send time ns) of `want` records from the target topic."""
        got: list[tuple[int, int]] = []
        deadline = time.monotonic() + timeout
        while len(got) < want and time.monotonic() < deadline:
            msg = self.consumer.poll(0.2)
            if msg is None or msg.error():
                continue
            now = time.time_ns()
            got.append((now, json.loads(msg.value())["detail"]["sent_ns"]))
        return got

    def warm_up(self):
        # Rules start as consumer groups join; wait until an event crosses both targets.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.put("latency")
            if self.drain(1, 2) and self.http.take():
                break
        time.sleep(1)
        self.drain(10_000, 1)
        self.http.take()

    def latency(self, count: int) -> dict[str, list[float]]:
        received: list[tuple[int, int]] = []
        reader = threading.Thread(target=lambda: received.extend(self.drain(count, 60)))
        reader.start()
        put_ms: list[float] = []
        for _ in range(count):
            started = time.perf_counter()
            self.put("latency")
            put_ms.append((time.perf_counter() - started) * 1e3)
            time.sleep(0.02)
        reader.join()
        time.sleep(1)
        kafka = [(r - s) / 1e6 for r, s in received]
        return {"PutEvents call": put_ms, "-> Kafka topic": kafka, "-> HTTP": self.http.take()}

    def throughput(self, seconds: float) -> tuple[float, float]:
        accepted = [0]
        lock = threading.Lock()
        stop = time.monotonic() + seconds

        def sender():
            n = 0
            while time.monotonic() < stop:
                n += self.put("bulk", 10)
            with lock:
                accepted[0] += n

        started = time.monotonic()
        threads = [threading.Thread(target=sender) for _ in range(4)]
        for t in threads:
            t.start()
        got = self.drain_counting(lambda: all(not t.is_alive() for t in threads), accepted)
        elapsed = time.monotonic() - started
        first, last, delivered = got
        rate_in = accepted[0] / elapsed
        rate_out = delivered / ((last - first) / 1e9) if last > first else float("nan")
        return rate_in, rate_out

    def drain_counting(self, senders_done, accepted) -> tuple[int, int, int]:
        first = last = 0
        delivered = 0
        idle_since = None
        while True:
            msgs = self.consumer.consume(1000, 0.2)
            now = time.time_ns()
            n = sum(1 for m in msgs if not m.error())
            if n:
                first = first or now
                last = now
                delivered += n
                idle_since = None
            elif senders_done():
                if delivered >= accepted[0]:
                    break
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > 10:
                    break
        return first, last, delivered

    def stop(self):
        self.consumer.close()
        self.wharf.stop(signal.SIGTERM)


def run_backend(name: str, kafka: str | None, args, target: HttpTarget) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"router-bench-{name}-"))
    bench = Bench(workdir, target, kafka)
    out: dict[str, float] = {}
    try:
        bench.warm_up()
        for case, values in bench.latency(args.events).items():
            if not values:
                print(f"  {name}: {case}: nothing arrived", flush=True)
                continue
            out[f"{case} p50"] = statistics.median(values)
            out[f"{case} p99"] = percentile(values, 99)
            print(f"  {name}: {case}: {len(values)} events, p50 {out[f'{case} p50']:.2f} ms, "
                  f"p99 {out[f'{case} p99']:.2f} ms", flush=True)
        rate_in, rate_out = bench.throughput(args.seconds)
        out["PutEvents accepted"] = rate_in
        out["delivered to Kafka topic"] = rate_out
        print(f"  {name}: PutEvents (10 entries, 4 threads) {rate_in:,.0f} events/s accepted, "
              f"{rate_out:,.0f} events/s delivered", flush=True)
    finally:
        bench.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500, help="latency samples")
    parser.add_argument("--seconds", type=float, default=10, help="throughput run")
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.events, args.seconds = 50, 3
    target = HttpTarget()
    columns = {"wharf (embedded)": run_backend("embedded", None, args, target)}
    kafka = TunedKafka(nodes=1)
    kafka.start()
    try:
        columns["wharf -> kafka"] = run_backend("kafka", kafka.bootstrap_servers, args, target)
    finally:
        kafka.stop()

    names = list(columns)
    print(f"\nRouter: latency over {args.events} events put every 20 ms; throughput over "
          f"{args.seconds:g} s of PutEvents\n")
    header = f"{'case':<34} | " + " | ".join(f"{n:>16}" for n in names)
    print(header)
    print("-" * len(header))
    keys = list(dict.fromkeys(k for c in columns.values() for k in c))
    for key in keys:
        unit = "ms" if key.endswith(("p50", "p99")) else "events/s"
        cells = []
        for n in names:
            v = columns[n].get(key, float("nan"))
            cells.append(f"{v:>16,.2f}" if unit == "ms" else f"{v:>16,.0f}")
        print(f"{key + ' (' + unit + ')':<34} | " + " | ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
