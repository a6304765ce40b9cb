"""Helpers for the event source mapping tests (test_mapping_*.py).

`esm` (import it into a test module) runs the module twice: against a `wharf serve` with
its embedded broker ("wharf") and against a `wharf serve --no-broker` on the session's
Apache Kafka ("apache"). Its Wharf declares the functions every module uses, all running
esm_handler.py, which logs each invocation to a file the tests read:
  py      the handler under AWS's awslambdaric runtime client (a `runtime` function)
  py_rep  the same, answering Lambda's partial batch response (ESM_MODE=report)
  py_slow the same with a 1 s timeout, for the hang test
  sh      `python esm_handler.py` per batch (an `exec` function)
  http    an HTTP endpoint served by this module (HttpEndpoint)
A module may add config with a module-level ESM_EXTRA_CONFIG dict (e.g. declared mappings).
Each Wharf keeps its mappings in a topic of its own, so modules sharing the Apache Kafka
do not see each other's.
"""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import boto3
import botocore.config
import pytest
import requests
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from prometheus_client.parser import text_string_to_metric_families

from backends import launch_wharf, wharf_binary
from wharf_fixture import WharfProcess, deep_merge

HERE = Path(__file__).resolve().parent
HANDLER = HERE / "esm_handler.py"
VENV_BIN = Path(sys.executable).parent
AWS_CLI = VENV_BIN / "aws"
AWS_ENV = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1"}

sys.path.insert(0, str(HERE))
import esm_handler  # noqa: E402


def wait_until(check: Callable[[], object], timeout: float = 30, interval: float = 0.05,
               what: str = "the condition"):
    """Polls check() until it returns something truthy and returns that."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# --- the HTTP endpoint function ---------------------------------------------------------

class HttpEndpoint:
    """A small HTTP server taking Lambda events as POST /<function>: runs esm_handler.handle,
    answers 200 with its result, or 500 with Lambda's error document when a record fails."""

    def __init__(self, out_dir: Path):
        out = str(out_dir)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as they are written

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                name = self.path.strip("/").split("/")[0]
                os.environ["ESM_OUT"] = out
                try:
                    answer = esm_handler.handle(json.loads(body), name)
                    status, payload = 200, json.dumps(answer).encode()
                except esm_handler.RecordFailed as e:
                    status, payload = 500, json.dumps(
                        {"errorType": "RecordFailed", "errorMessage": str(e)}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def standard_functions(out_dir: Path, http_url: str) -> dict:
    env = {"ESM_OUT": str(out_dir)}
    runtime = [sys.executable, "-m", "awslambdaric", "esm_handler.handler"]
    return {
        "py": {"runtime": runtime, "working_directory": str(HERE), "environment": env,
               "timeout_s": 20},
        "py_rep": {"runtime": runtime, "working_directory": str(HERE), "timeout_s": 20,
                   "environment": {**env, "ESM_MODE": "report"}},
        "py_slow": {"runtime": runtime, "working_directory": str(HERE), "environment": env,
                    "timeout_s": 1},
        "sh": {"exec": [sys.executable, str(HANDLER)], "environment": env, "timeout_s": 20},
        "http": {"url": f"{http_url}/http", "timeout_s": 20},
    }


# --- one Wharf with its backbone ----------------------------------------------------------

@dataclass
class EsmEnv:
    name: str                   # "wharf" (embedded broker) or "apache"
    bootstrap: str
    workdir: Path
    out_dir: Path
    config: dict
    external_kafka: str | None
    wharf: WharfProcess | None = None
    cluster_arn: str = ""
    _clients: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name

    # lifecycle
    def start(self) -> None:
        broker_port = int(self.bootstrap.rsplit(":", 1)[1]) if self.bootstrap else None
        self.wharf = launch_wharf(self.workdir, self.config, data_dir=self.workdir / "data",
                                  broker_port=None if self.external_kafka else broker_port)
        if not self.external_kafka:
            self.bootstrap = f"127.0.0.1:{self.wharf.ports['broker']}"
        # The API answers 503 until the mappings topic is read; the ARN is logged then.
        wait_until(lambda: requests.get(self.admin_url + "/2015-03-31/event-source-mappings",
                                        timeout=5).status_code == 200,
                   timeout=60, what=f"the mapping API to be ready\n{self.wharf.log_text()[-3000:]}")
        m = wait_until(lambda: re.search(r"the Kafka cluster's ARN is (\S+)", self.wharf.log_text()),
                       timeout=10, what="the cluster ARN in the log")
        self.cluster_arn = m.group(1)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        return self.wharf.stop(sig)

    def restart(self, sig: int = signal.SIGTERM) -> None:
        self.stop(sig)
        self.start()

    @property
    def admin_url(self) -> str:
        return self.wharf.admin_url

    # clients
    def lambda_client(self):
        return boto3.client("lambda", endpoint_url=self.admin_url, region_name="us-east-1",
                            aws_access_key_id="x", aws_secret_access_key="x",
                            config=botocore.config.Config(retries={"max_attempts": 1}))

    def aws(self, *args, check: bool = True) -> subprocess.CompletedProcess:
        """The aws CLI: `aws lambda <args> --endpoint-url <admin>`."""
        cmd = [str(AWS_CLI), "lambda", *[str(a) for a in args], "--endpoint-url",
               self.admin_url, "--output", "json"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL, env={**os.environ, **AWS_ENV})
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited with {proc.returncode}:\n{proc.stderr}")
        return proc

    def aws_json(self, *args) -> dict:
        out = self.aws(*args).stdout
        return json.loads(out) if out.strip() else {}

    def admin(self) -> AdminClient:
        return AdminClient({"bootstrap.servers": self.bootstrap})

    def create_topic(self, topic: str, partitions: int = 1) -> str:
        admin = self.admin()
        admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)

        # Wait until the metadata shows every partition.
        def ready():
            md = admin.list_topics(topic, timeout=10).topics.get(topic)
            return md is not None and md.error is None and len(md.partitions) == partitions
        wait_until(ready, timeout=30, what=f"topic {topic}")
        return topic

    def produce(self, topic: str, records: list[dict]) -> list[dict]:
        """records: dicts with value, and optionally key, headers, partition, timestamp_ms
        (CreateTime). Returns them
        with partition, offset and timestamp as the broker acknowledged them, in order."""
        producer = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 5,
                             "enable.idempotence": True})
        acked: dict[int, dict] = {}
        errors = []

        def report(i):
            def cb(err, msg):
                if err:
                    errors.append(err)
                else:
                    acked[i] = {"partition": msg.partition(), "offset": msg.offset(),
                                "timestamp": msg.timestamp()[1]}
            return cb

        for i, r in enumerate(records):
            kwargs = {"value": r.get("value"), "key": r.get("key"),
                      "on_delivery": report(i)}
            if r.get("headers") is not None:
                kwargs["headers"] = r["headers"]
            if r.get("partition") is not None:
                kwargs["partition"] = r["partition"]
            if r.get("timestamp_ms") is not None:
                kwargs["timestamp"] = r["timestamp_ms"]
            producer.produce(topic, **kwargs)
            producer.poll(0)
        assert producer.flush(30) == 0, "records still unacknowledged"
        assert not errors, errors
        return [{**r, **acked[i]} for i, r in enumerate(records)]

    def committed(self, group: str, topic: str, partitions: int) -> list[int]:
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group})
        try:
            tps = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=15)
            return [tp.offset for tp in tps]
        finally:
            c.close()

    def consume_all(self, topic: str, count: int, timeout: float = 30) -> list:
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": f"esm-check-{uuid.uuid4()}",
                      "auto.offset.reset": "earliest", "enable.auto.commit": False})
        c.subscribe([topic])
        got = []
        deadline = time.monotonic() + timeout
        try:
            while len(got) < count and time.monotonic() < deadline:
                m = c.poll(0.5)
                if m is not None and m.error() is None:
                    got.append(m)
            # A little longer, to see any record too many.
            end = time.monotonic() + 1.0
            while time.monotonic() < end:
                m = c.poll(0.2)
                if m is not None and m.error() is None:
                    got.append(m)
        finally:
            c.close()
        return got

    # what the functions saw
    def invocations(self, function: str, topic: str | None = None) -> list[dict]:
        """Each invocation's log line; with topic, only those holding its records (and only
        those records)."""
        path = self.out_dir / f"{function}.jsonl"
        if not path.exists():
            return []
        out = []
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            inv = json.loads(line)
            if topic is not None:
                inv["records"] = [r for r in inv["records"] if r["topic"] == topic]
                if not inv["records"]:
                    continue
            out.append(inv)
        return out

    def records_seen(self, function: str, topic: str) -> list[dict]:
        return [r for inv in self.invocations(function, topic) for r in inv["records"]]

    def wait_seen(self, function: str, topic: str, count: int, timeout: float = 45) -> list[dict]:
        """Waits until the function saw at least count distinct records of topic."""
        def enough():
            seen = self.records_seen(function, topic)
            distinct = {(r["partition"], r["offset"]) for r in seen}
            return seen if len(distinct) >= count else None
        return wait_until(enough, timeout=timeout,
                          what=f"{function} to see {count} records of {topic}\n"
                               f"{self.wharf.log_text()[-3000:]}")

    def metrics(self) -> list:
        text = requests.get(self.admin_url + "/metrics", timeout=10).text
        return [s for fam in text_string_to_metric_families(text) for s in fam.samples]

    def metric(self, name: str, uuid_: str) -> float | None:
        for s in self.metrics():
            if s.name == name and s.labels.get("EventSourceMappingUUID") == uuid_:
                return s.value
        return None

    # mappings
    def create_mapping(self, function: str, topic: str, **extra) -> dict:
        body = {"FunctionName": function, "Topics": [topic], "StartingPosition": "TRIM_HORIZON",
                "MaximumBatchingWindowInSeconds": 0, **extra}
        if "SelfManagedEventSource" not in body:
            body.setdefault("EventSourceArn", self.cluster_arn)
        return self.lambda_client().create_event_source_mapping(**body)

    def wait_state(self, uuid_: str, state: str) -> dict:
        client = self.lambda_client()
        return wait_until(lambda: (lambda m: m if m["State"] == state else None)(
            client.get_event_source_mapping(UUID=uuid_)), timeout=20, what=f"state {state}")


def declared_uuid(name: str) -> str:
    """The UUID Wharf gives a mapping declared in its config file (FNV-1a of the name)."""
    def fnv(seed: int) -> int:
        h = seed
        for c in name.encode():
            h = ((h ^ c) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        return h
    a, b = fnv(0xCBF29CE484222325), fnv(0x84222325CBF29CE4)
    return (f"{a >> 32:08x}-{(a >> 16) & 0xFFFF:04x}-5{a & 0xFFF:03x}-"
            f"{0x8000 | ((b >> 48) & 0x3FFF):04x}-{b & 0xFFFFFFFFFFFF:012x}")


def expected_headers(headers) -> list:
    """Produced headers as the event shows them: [name, signed bytes]."""
    return [[k, [b - 256 if b > 127 else b for b in (v or b"")]] for k, v in headers or []]


@pytest.fixture(scope="module", params=["wharf", "apache"])
def esm(request, tmp_path_factory) -> Iterator[EsmEnv]:
    if not os.access(wharf_binary(), os.X_OK):
        pytest.fail(f"wharf binary not found at {wharf_binary()}: run `make build` or set WHARF_BIN")
    workdir = tmp_path_factory.mktemp(f"esm-{request.param}")
    out_dir = workdir / "out"
    out_dir.mkdir()
    endpoint = HttpEndpoint(out_dir)
    tag = uuid.uuid4().hex[:8]
    config = {
        "schema_registry": {"enabled": False}, "rest_proxy": {"enabled": False},
        "connect": {"enabled": False},
        "functions": standard_functions(out_dir, endpoint.url),
        "triggers": {"topic": f"_wharf_triggers-{tag}", "retry_backoff": "50ms",
                     "retry_backoff_max": "500ms"},
    }
    external = None
    if request.param == "apache":
        external = request.getfixturevalue("kafka_single").bootstrap_servers
        config["broker"] = {"enabled": False}
        config["kafka"] = {"bootstrap_servers": external.split(",")}
    config = deep_merge(config, copy.deepcopy(getattr(request.module, "ESM_EXTRA_CONFIG", {})))
    env = EsmEnv(request.param, external or "", workdir, out_dir, config, external)
    env.start()
    yield env
    code = env.stop()
    endpoint.stop()
    if code not in (0, None, -signal.SIGKILL):
        pytest.fail(f"wharf exited with {code} on SIGTERM:\n{env.wharf.log_text()[-3000:]}")
