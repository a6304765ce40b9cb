#!/usr/bin/env python3
"""REST Proxy produce over HTTP: Wharf's REST Proxy on its embedded broker beside the same
proxy on Apache Kafka (and Aiven's Karapace on that Kafka, when it installs), measured in
one run with the same load generator.

wrk (Debian's, installed by scripts/bench_deps.sh) POSTs a fixed body over keep-alive
connections on loopback (bench/rest_proxy_produce.lua): 100-byte values, 1 record per
request and 100 records per request with v2 `POST /topics/{t}` (binary and json embedded
formats), and v3 single-record `POST /v3/clusters/{c}/topics/{t}/records`. Each case runs
unthrottled for --seconds (128 connections for 1-record requests, 32 for 100-record
ones) and reports requests/s, records/s and wrk's p50/p99 latency.
Then the v2 1-record case runs again capped at about half of its peak: each connection
waits a fixed time after every response before its next request (wrk's delay() hook),
so the load is a steady rate but closed-loop (a slow answer delays the next request; no
coordinated-omission correction as wrk2 would make). The achieved rate is printed with
the latencies. Wharf's CPU time (all threads, from /proc/<pid>/stat) per 1,000 records
is printed for each case; with the Kafka backend it excludes Kafka's own CPU.

    .cache/venv/bin/python bench/rest_proxy_bench.py [--seconds 10] [--quick]

Both backends: one topic with one partition, acks=all (the proxy's producer setting).
The load generator, the proxy and the broker share the machine's cores, so figures
depend on it; the comparison within one run is the point.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "peers"))
from benchutil import TunedKafka, cpu_seconds, free_port  # noqa: E402

WHARF = Path(os.environ.get("WHARF_BIN", REPO / "build" / "release" / "wharf"))
LUA = REPO / "bench" / "rest_proxy_produce.lua"
KARAPACE_VENV = REPO / ".cache" / "karapace-venv"

PEAK_CONNECTIONS = 128  # for 1-record requests
BATCH_CONNECTIONS = 32  # for 100-record requests
V2_BINARY = "application/vnd.kafka.binary.v2+json"
V2_JSON = "application/vnd.kafka.json.v2+json"



def http(method: str, url: str, body: dict | None = None, timeout: float = 30) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read()
            return r.status, json.loads(text) if text else {}
    except urllib.error.HTTPError as e:
        return e.code, {}


class WharfProxy:
    """`wharf serve` with its REST Proxy, on its embedded broker or on `bootstrap`."""

    def __init__(self, bootstrap: str | None):
        self.dir = Path(tempfile.mkdtemp(prefix="wharf-rest-bench-"))
        self.port = free_port()
        args = [str(WHARF), "serve", "--set", f"admin.port={free_port()}",
                "--set", f"rest_proxy.port={self.port}", "--set", "log.level=warn",
                "--set", "schema_registry.enabled=false", "--set", "connect.enabled=false"]
        if bootstrap:
            args += ["--no-broker", "--set", f"kafka.bootstrap_servers={bootstrap}"]
        else:
            args += ["--set", f"broker.port={free_port()}",
                     "--set", f"broker.data_dir={self.dir / 'data'}"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(self.dir / "wharf.log", "wb"))
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = http("GET", f"{self.url}/v3/clusters", timeout=2)
                if status == 200 and body.get("data"):
                    self.cluster_id = body["data"][0]["cluster_id"]
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"wharf did not start: {(self.dir / 'wharf.log').read_text()}")
            time.sleep(0.1)

    def create_topic(self, topic: str) -> None:
        status, _ = http("POST", f"{self.url}/v3/clusters/{self.cluster_id}/topics",
                         {"topic_name": topic, "partitions_count": 1})
        if status != 201:
            raise RuntimeError(f"creating {topic}: HTTP {status}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
        shutil.rmtree(self.dir, ignore_errors=True)


def try_karapace() -> Path | None:
    """Karapace (Aiven's REST proxy) in its own venv, tried once: a failed install leaves
    a marker so later runs do not try again. Returns its entry point, or None."""
    marker = KARAPACE_VENV / "install-failed"
    if marker.exists():
        return None
    exe = KARAPACE_VENV / "bin" / "karapace"
    if exe.exists():
        return exe
    try:
        subprocess.run([sys.executable, "-m", "venv", str(KARAPACE_VENV)], check=True,
                       capture_output=True)
        out = subprocess.run([str(KARAPACE_VENV / "bin" / "pip"), "install", "-q", "karapace"],
                             capture_output=True, text=True, timeout=300)
        if out.returncode == 0 and exe.exists():
            return exe
        reason = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["no karapace entry point"]
    except (subprocess.SubprocessError, OSError) as e:
        reason = [str(e)]
    KARAPACE_VENV.mkdir(parents=True, exist_ok=True)
    marker.write_text(reason[0] + "\n")
    return None


def bodies(records: int, fmt: str) -> bytes:
    value = bytes(range(100))
    if fmt == "binary":
        recs = [{"value": base64.b64encode(value).decode()} for _ in range(records)]
    else:
        recs = [{"value": "x" * 98} for _ in range(records)]  # a 100-byte JSON string
    return json.dumps({"records": recs}).encode()


def v3_body() -> bytes:
    return json.dumps({"value": {"type": "BINARY",
                                 "data": base64.b64encode(bytes(range(100))).decode()}}).encode()


def wrk(url: str, body: bytes, content_type: str, seconds: float, connections: int,
        threads: int, delay_ms: int = 0) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        f.write(body)
        f.flush()
        env = dict(os.environ, BENCH_BODY_FILE=f.name, BENCH_CONTENT_TYPE=content_type,
                   BENCH_DELAY_MS=str(delay_ms))
        out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections),
                              "-d", f"{seconds}s", "--timeout", "10s", "-s", str(LUA), url],
                             capture_output=True, text=True, env=env, timeout=seconds + 60)
    m = re.search(r"WRK_RESULT (\{.*\})", out.stdout)
    if not m:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    r = json.loads(m.group(1))
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


def run_backend(proxy: WharfProxy, pid: int, cases: list, seconds: float) -> dict:
    topic = f"rest-bench-{int(time.time() * 1000)}"
    proxy.create_topic(topic)
    time.sleep(1)
    results = {}
    for label, path, content_type, body, records in cases:
        url = proxy.url + path.format(topic=topic, cluster=proxy.cluster_id)
        wrk(url, body, content_type, 2, 16, 1)  # warm-up: connections, metadata, JIT
        # Enough connections to keep the proxy busy: a 1-record request waits for the
        # producer's linger (2 ms) and the ack, so fewer connections measure latency, not
        # throughput. Large requests saturate with fewer.
        connections = PEAK_CONNECTIONS if records == 1 else BATCH_CONNECTIONS
        cpu0 = cpu_seconds(pid)
        r = wrk(url, body, content_type, seconds, connections, 2)
        r["connections"] = connections
        cpu = cpu_seconds(pid) - cpu0
        r["records_per_s"] = r["rps"] * records
        r["cpu_ms_per_1k"] = cpu * 1000 / max(1, r["requests"] * records) * 1000
        results[label] = r
    # About half of the 1-record peak, as a steady closed-loop rate (see the docstring).
    label, path, content_type, body, records = cases[0]
    target = results[label]["rps"] / 2
    connections = PEAK_CONNECTIONS
    url = proxy.url + path.format(topic=topic, cluster=proxy.cluster_id)
    # A connection's cycle is its think time plus the answer's latency: calibrate the
    # think time once with a short run, then measure.
    delay_ms = max(1, round(connections * 1000 / target))
    probe = wrk(url, body, content_type, 2, connections, 1, delay_ms)
    latency_ms = max(0.0, connections * 1000 / probe["rps"] - delay_ms)
    delay_ms = max(1, round(connections * 1000 / target - latency_ms))
    r = wrk(url, body, content_type, seconds, connections, 1, delay_ms)
    r["target_rps"] = target
    r["delay_ms"] = delay_ms
    results["half-peak"] = r
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10, help="per case and backend")
    parser.add_argument("--quick", action="store_true", help="3 s per case, for a smoke run")
    args = parser.parse_args()
    seconds = 3 if args.quick else args.seconds
    subprocess.run(["bash", str(REPO / "scripts" / "bench_deps.sh")], check=True)

    cases = [
        ("v2 binary, 1 record/request", "/topics/{topic}", V2_BINARY, bodies(1, "binary"), 1),
        ("v2 binary, 100 records/request", "/topics/{topic}", V2_BINARY, bodies(100, "binary"), 100),
        ("v2 json, 1 record/request", "/topics/{topic}", V2_JSON, bodies(1, "json"), 1),
        ("v2 json, 100 records/request", "/topics/{topic}", V2_JSON, bodies(100, "json"), 100),
        ("v3 binary, 1 record/request", "/v3/clusters/{cluster}/topics/{topic}/records",
         "application/json", v3_body(), 1),
    ]

    karapace = try_karapace()
    columns: dict[str, dict] = {}
    embedded = WharfProxy(None)
    try:
        columns["wharf (embedded)"] = run_backend(embedded, embedded.proc.pid, cases, seconds)
    finally:
        embedded.stop()
    kafka = TunedKafka(nodes=1)
    kafka.start()
    try:
        on_kafka = WharfProxy(kafka.bootstrap_servers)
        try:
            columns["wharf -> kafka"] = run_backend(on_kafka, on_kafka.proc.pid, cases, seconds)
        finally:
            on_kafka.stop()
    finally:
        kafka.stop()

    names = list(columns)
    print(f"\nREST Proxy produce, {seconds:g} s per case, 100-byte values, wrk -t2 over "
          f"keep-alive connections on loopback ({PEAK_CONNECTIONS} for 1-record requests, "
          f"{BATCH_CONNECTIONS} for 100-record ones); half peak: wrk -t1 -c{PEAK_CONNECTIONS} "
          f"with a per-connection think time\n")
    header = f"{'case':<32} | {'metric':<16} | " + " | ".join(f"{n:>16}" for n in names)
    print(header)
    print("-" * len(header))
    for label, *_ in cases:
        rows = [("requests/s", "rps", 1), ("records/s", "records_per_s", 1),
                ("p50 ms", "p50_us", 1e-3), ("p99 ms", "p99_us", 1e-3),
                ("CPU ms/1k rec", "cpu_ms_per_1k", 1), ("HTTP errors", "status_errors", 1)]
        for metric, key, scale in rows:
            values = " | ".join(f"{columns[n][label][key] * scale:>16,.1f}" for n in names)
            print(f"{label:<32} | {metric:<16} | {values}")
    for metric, key, scale in (("target req/s", "target_rps", 1), ("achieved req/s", "rps", 1),
                               ("think time ms", "delay_ms", 1),
                               ("p50 ms", "p50_us", 1e-3), ("p99 ms", "p99_us", 1e-3)):
        values = " | ".join(f"{columns[n]['half-peak'][key] * scale:>16,.1f}" for n in names)
        print(f"{'v2 1 record, ~half peak':<32} | {metric:<16} | {values}")
    if karapace is not None:
        print(f"\nKarapace installed at {karapace}, but this bench does not drive it yet.")
    else:
        reason = (KARAPACE_VENV / "install-failed").read_text().strip() \
            if (KARAPACE_VENV / "install-failed").exists() else "not run"
        print(f"\nKarapace: not measured ({reason}); Wharf's CPU per 1,000 records is shown "
              f"instead (rows 'CPU ms/1k rec').")
    return 0


if __name__ == "__main__":
    sys.exit(main())
