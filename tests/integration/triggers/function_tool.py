"""Runs functions through build/.../function_invoke_tool (a function spec as JSON in,
one JSON line per invocation out) for the function integration tests."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from backends import wharf_binary

REPO_ROOT = Path(__file__).resolve().parents[3]


def tool_path() -> Path:
    return Path(wharf_binary()).parent / "src" / "services" / "triggers" / "function_invoke_tool"


@dataclass
class Invocations:
    results: list[dict]
    log: str  # the tool's stderr: Wharf's log, with the function's own output


def invoke(spec: dict, events: list[str | dict], request_id: str = "req",
           timeout: float = 120, threads: int = 1) -> Invocations:
    """Invokes the function once per event, in one tool process (so a runtime process
    stays warm between them): in order, or `threads` at a time."""
    tool = tool_path()
    if not os.access(tool, os.X_OK):
        raise AssertionError(f"{tool} not found: run `bash scripts/build.sh release`")
    with tempfile.TemporaryDirectory() as tmp:
        spec_file = Path(tmp) / "spec.json"
        spec_file.write_text(json.dumps(spec))
        events_file = Path(tmp) / "events.jsonl"
        events_file.write_text("".join(
            (e if isinstance(e, str) else json.dumps(e)) + "\n" for e in events))
        proc = subprocess.run([str(tool), "--spec", str(spec_file), "--events", str(events_file),
                               "--request-id", request_id, "--threads", str(threads)],
                              capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"function_invoke_tool exited with {proc.returncode}\n{proc.stderr}")
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(results) == len(events), proc.stdout + proc.stderr
    return Invocations(results, proc.stderr)


def kafka_event(topic: str, values: list[str], first_offset: int = 0) -> dict:
    """A Lambda event for a self-managed Kafka source, as the triggers produce it."""
    records = [{
        "topic": topic, "partition": 0, "offset": first_offset + i,
        "timestamp": 1_700_000_000_000 + i, "timestampType": "CREATE_TIME",
        "key": base64.b64encode(f"k{i}".encode()).decode(),
        "value": base64.b64encode(v.encode()).decode(),
        "headers": [{"source": list(b"wharf")}],
    } for i, v in enumerate(values)]
    return {"eventSource": "SelfManagedKafka", "bootstrapServers": "127.0.0.1:9092",
            "records": {f"{topic}-0": records}}
