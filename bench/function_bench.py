#!/usr/bin/env python3
"""Invocations per second through Wharf's functions, no-op handlers, on this machine.

Runs build/release/src/services/triggers/function_invoke_tool with Lambda Kafka events of
--batch records (100-byte values) for:
  - an HTTP endpoint function against a no-op endpoint on Wharf's own HTTP server in the
    same process (--noop-endpoint), keep-alive, one connection per concurrency slot;
  - a Runtime API function under AWS's Python runtime interface client (awslambdaric)
    with a handler that returns None, one warm process per slot;
and, when tests/peers/fetch_lambda_java.sh has run, AWS's Java runtime interface client
with a KafkaEvent handler that decodes every record; prints invocations/s and records/s. Both client and function share this machine's
cores, so these are floors. The Lambda Runtime Interface Emulator, the natural peer, is
a Go binary not served by the registries reachable here: no side-by-side column.

    .cache/venv/bin/python bench/function_bench.py [--batch 100 1000] [--invocations 5000]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOOL = Path(os.environ.get("WHARF_BIN", REPO / "build" / "release" / "wharf")).parent / \
    "src" / "services" / "triggers" / "function_invoke_tool"


def kafka_event(records: int) -> str:
    value = base64.b64encode(b"v" * 100).decode()
    batch = [{"topic": "bench", "partition": 0, "offset": i, "timestamp": 1700000000000 + i,
              "timestampType": "CREATE_TIME", "key": base64.b64encode(b"k%d" % i).decode(),
              "value": value, "headers": []} for i in range(records)]
    return json.dumps({"eventSource": "SelfManagedKafka", "bootstrapServers": "127.0.0.1:9092",
                       "records": {"bench-0": batch}})


def run(spec: dict, event_file: Path, invocations: int, threads: int, extra: list[str]) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
    try:
        out = subprocess.run([str(TOOL), "--spec", f.name, "--events", str(event_file),
                              "--repeat", str(invocations), "--threads", str(threads),
                              "--prestart", "--log-level", "warn", *extra],
                             capture_output=True, text=True, timeout=600, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        os.unlink(f.name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--invocations", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    if not TOOL.exists():
        print(f"function_bench: {TOOL} not found: bash scripts/build.sh release", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "noop.py").write_text("def handler(event, context):\n    return None\n")
        kinds = {
            "http (no-op endpoint)": ({"name": "bench-http", "url": "http://127.0.0.1:1/",
                                       "concurrency": args.concurrency}, ["--noop-endpoint"]),
            "runtime API (awslambdaric)": ({"name": "bench-runtime",
                                            "runtime": [sys.executable, "-m", "awslambdaric",
                                                        "noop.handler"],
                                            "handler": "noop.handler",
                                            "working_directory": str(work),
                                            "concurrency": args.concurrency}, []),
        }
        # AWS's Java runtime client with tests/peers/lambda-java's KafkaEvent handler (not a
        # no-op: it decodes every record), when tests/peers/fetch_lambda_java.sh has run.
        java_homes = sorted((REPO / ".cache" / "peers").glob("lambda-java-*"))
        if java_homes:
            home = java_homes[-1]
            kinds["runtime API (Java RIC)"] = ({
                "name": "bench-java", "handler": "example.Handler::handleRequest",
                "runtime": ["java", "-cp", f"{home / 'handler.jar'}:{home / 'libs'}/*",
                            "com.amazonaws.services.lambda.runtime.api.client.AWSLambda",
                            "example.Handler::handleRequest"],
                "working_directory": str(work), "timeout_ms": 30_000,
                "concurrency": args.concurrency}, [])
        print(f"{'function':<28} {'batch':>6} {'invocations/s':>14} {'records/s':>12} {'failures':>9}")
        for batch in args.batch:
            event_file = work / f"event-{batch}.json"
            event_file.write_text(kafka_event(batch) + "\n")
            for name, (spec, extra) in kinds.items():
                # Fewer invocations of the big batches keep each run to seconds.
                count = max(200, args.invocations * 100 // batch)
                r = run(spec, event_file, count, args.concurrency, extra)
                print(f"{name:<28} {batch:>6} {r['per_second']:>14,.0f} "
                      f"{r['per_second'] * batch:>12,.0f} {r['failures']:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
