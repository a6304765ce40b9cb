"""Fixtures for the router's integration tests.

`router` runs each test module twice: against a `wharf serve` on its embedded broker
("wharf") and against a `wharf serve --no-broker` on the session's Apache Kafka
("apache"). A module-scoped HTTP sink started first is the target of the API destinations
the config file declares (`hook`: answers 200, `broken`: answers 500). Tests use names of
their own (`name()`), so they share one Wharf without interfering.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import boto3
import pytest
import requests

from backends import launch_wharf, wharf_binary
from wharf_fixture import WharfProcess


@dataclass
class HttpSink:
    """Records every request; /fail/* answers 500, anything else 200."""
    port: int = 0
    requests: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received(self, path_prefix: str) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["path"].startswith(path_prefix)]

    def wait_for(self, path_prefix: str, count: int, timeout: float = 30) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.received(path_prefix)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"{path_prefix}: {len(self.received(path_prefix))} of {count} requests")


@pytest.fixture(scope="module")
def http_sink() -> Iterator[HttpSink]:
    sink = HttpSink()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            with sink.lock:
                sink.requests.append({"path": self.path, "headers": dict(self.headers),
                                      "body": body})
            status = 500 if self.path.startswith("/fail") else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield sink
    server.shutdown()


@dataclass
class Router:
    backend: str
    url: str  # the admin listener, where EventBridge's API is
    bootstrap: str
    wharf: WharfProcess
    workdir: Path

    def client(self):
        return boto3.client("events", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="x", aws_secret_access_key="x")

    def call(self, operation: str, body: dict) -> requests.Response:
        return requests.post(self.url + "/", data=json.dumps(body), timeout=30, headers={
            "X-Amz-Target": f"AWSEvents.{operation}",
            "Content-Type": "application/x-amz-json-1.1"})


def router_config(sink_port: int) -> dict:
    return {"router": {
        "bus_partitions": 2,
        "retry_backoff": "50ms",
        "retry_backoff_max": "200ms",
        "api_destinations": {
            "hook": {"url": f"http://127.0.0.1:{sink_port}/hook",
                     "auth": {"type": "api_key", "name": "x-api-key", "value": "secret-key"},
                     "headers": {"x-from": "wharf"}},
            "broken": {"url": f"http://127.0.0.1:{sink_port}/fail"},
        },
        "rules": {
            "declared": {
                "EventPattern": {"source": ["declared.app"]},
                "Targets": [{"Id": "out", "Arn": "arn:wharf:kafka:::topic/declared-out"}],
            },
        },
    }}


@pytest.fixture(scope="module", params=["wharf", "apache"])
def router(request, tmp_path_factory, http_sink) -> Iterator[Router]:
    if not os.access(wharf_binary(), os.X_OK):
        pytest.fail(f"wharf binary not found at {wharf_binary()}: run `make build` or set WHARF_BIN")
    workdir = tmp_path_factory.mktemp(f"router-{request.param}")
    tag = uuid.uuid4().hex[:8]
    # A Wharf function (a command per event) for function targets: it appends its input to
    # a file, one line per invocation.
    calls = workdir / "function-calls.txt"
    config = {"rest_proxy": {"enabled": False}, "schema_registry": {"enabled": False},
              "connect": {"enabled": False},
              "triggers": {"enabled": True, "topic": f"_wharf_triggers-{uuid.uuid4().hex[:8]}"},
              "functions": {"recorder": {
                  "exec": ["sh", "-c", f"tr -d '\\n' >> {calls}; echo >> {calls}"]}}}
    config = {**config, **router_config(http_sink.port)}
    # Topics of their own per module, so modules sharing the Apache Kafka start empty.
    config["router"]["topic"] = f"_wharf_router-{tag}"
    config["router"]["bus_topic_prefix"] = f"wharf.bus.{tag}."
    kafka = None
    if request.param == "apache":
        kafka = request.getfixturevalue("kafka_single").bootstrap_servers
        config["broker"] = {"enabled": False}
        config["kafka"] = {"bootstrap_servers": kafka.split(",")}
    w = launch_wharf(workdir, config)
    bootstrap = kafka or f"127.0.0.1:{w.ports['broker']}"
    r = Router(request.param, w.admin_url, bootstrap, w, workdir)
    deadline = time.monotonic() + 60
    while True:
        res = r.call("ListEventBuses", {})
        if res.status_code == 200:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"the router did not become ready:\n{w.log_text()[-3000:]}")
        time.sleep(0.1)
    yield r
    w.stop()


@pytest.fixture
def name() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"
