#!/usr/bin/env python3
"""Schema Registry throughput and latency, on this machine, in one run.

Starts `wharf serve` (embedded broker, registry on its own topic), registers --schemas
Avro schemas, then drives the registry with bench/http_load (keep-alive connections,
one epoll thread) for:
  - GET /schemas/ids/{id}      cached id lookups, as serializers' deserializers do;
  - POST /subjects/{s}         schema lookups, as serializers do before producing;
  - POST /subjects/{s}/versions  new registrations (each waits for Kafka);
each first as fast as answers come (closed loop, --connections), then at half that rate
(open loop, latency counted from when each request fell due). Also prints Wharf's CPU
time per 1,000 requests. Karapace, the peer the issue names, is not on PyPI (it installs
from its git repository, which this machine cannot reach), so there is no side-by-side
column; the figures stand alone.

    .cache/venv/bin/python bench/registry_bench.py [--duration 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
from backends import launch_wharf  # noqa: E402
from benchutil import cpu_seconds  # noqa: E402

BUILD = Path(os.environ.get("WHARF_BIN", REPO / "build" / "release" / "wharf")).parent
HTTP_LOAD = BUILD / "bench" / "http_load"
SR = "application/vnd.schemaregistry.v1+json"


def schema(n: int) -> str:
    return json.dumps({"type": "record", "name": f"Bench{n}", "namespace": "bench",
                       "fields": [{"name": "id", "type": "long"},
                                  {"name": "name", "type": "string"},
                                  {"name": f"f{n}", "type": ["null", "double"], "default": None}]})


def load(pid: int, url: str, args: argparse.Namespace, rate: float = 0, method: str = "GET",
         bodies: Path | None = None, connections: int | None = None) -> dict:
    command = [str(HTTP_LOAD), "--url", url, "--method", method,
               "--connections", str(connections or args.connections),
               "--duration", str(args.duration), "--warmup", "1", "--rate", str(rate)]
    if bodies:
        command += ["--bodies", str(bodies), "--header", f"Content-Type: {SR}"]
    before = cpu_seconds(pid)
    out = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    out["cpu_per_1000"] = (cpu_seconds(pid) - before) / max(out["requests"], 1) * 1000
    return out


def row(name: str, r: dict) -> None:
    print(f"{name:<44} {r['rps']:>10,.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
          f"{r['cpu_per_1000'] * 1000:>10.1f} {r['errors']:>7}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--schemas", type=int, default=200)
    args = parser.parse_args()
    if not HTTP_LOAD.exists():
        sys.exit(f"{HTTP_LOAD} missing: run `make build`")

    with tempfile.TemporaryDirectory() as tmp:
        wharf = launch_wharf(Path(tmp), {"rest_proxy": {"enabled": False},
                                         "connect": {"enabled": False},
                                         "schema_registry": {"compatibility_level": "NONE"},
                                         "log": {"level": "warn"}})
        try:
            url = f"http://127.0.0.1:{wharf.ports['schema_registry']}"
            pid = wharf.proc.pid
            ids = []
            for n in range(args.schemas):
                r = requests.post(f"{url}/subjects/bench-{n % 10}/versions",
                                  data=json.dumps({"schema": schema(n)}),
                                  headers={"Content-Type": SR}, timeout=30)
                r.raise_for_status()
                ids.append(r.json()["id"])
            lookups = Path(tmp) / "lookups.txt"
            # Schemas registered under bench-0 (n % 10 == 0), looked up round robin.
            lookups.write_text("".join(json.dumps({"schema": schema(n)}) + "\n"
                                       for n in range(0, args.schemas, 10)))
            fresh = Path(tmp) / "fresh.txt"
            fresh.write_text("".join(json.dumps({"schema": schema(100_000 + n)}) + "\n"
                                     for n in range(200_000)))

            print(f"Schema Registry on 2 cores, http_load with {args.connections} keep-alive "
                  f"connections, {args.duration:g} s per row (the load generator shares the cores)")
            print(f"{'':<44} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'CPU µs/req':>10} "
                  f"{'errors':>7}")
            by_id = load(pid, f"{url}/schemas/ids/{ids[len(ids) // 2]}", args)
            row("GET /schemas/ids/{id}", by_id)
            row("  at half that rate", load(pid, f"{url}/schemas/ids/{ids[0]}", args,
                                            rate=by_id["rps"] / 2))
            lookup = load(pid, f"{url}/subjects/bench-0", args, method="POST", bodies=lookups)
            row("POST /subjects/{s} (lookup)", lookup)
            row("  at half that rate", load(pid, f"{url}/subjects/bench-0", args, method="POST",
                                            bodies=lookups, rate=lookup["rps"] / 2))
            registration = load(pid, f"{url}/subjects/bench-new/versions", args, method="POST",
                                bodies=fresh, connections=4)
            row("POST /subjects/{s}/versions (new schemas)", registration)
        finally:
            wharf.stop()


if __name__ == "__main__":
    main()
