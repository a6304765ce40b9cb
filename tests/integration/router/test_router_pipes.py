"""EventBridge Pipes on both backends: a Kafka topic through a filter and an HTTP
enrichment (which returns more items for some records and drops others) to a topic, a
pipe without enrichment (the exact per-record payload), a function enrichment to an event
bus, a failing target in StateReason, two workers sharing a pipe, the aws CLI, validation
errors, stopping and starting, and pipes surviving a restart (declared and created
ones)."""

from __future__ import annotations

import base64
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from backends import launch_wharf, wharf_binary
from router_helpers import consume
from wharf_fixture import WharfProcess

MSK_ARN = "arn:aws:kafka:us-east-1:000000000000:cluster/wharf/local"
ROLE = "arn:aws:iam::000000000000:role/pipes"
ENRICH = "arn:aws:events:us-east-1:000000000000:api-destination/enrich"


@dataclass
class Enricher:
    """An enrichment endpoint: gets a JSON array of record payloads and answers, per
    record, by the `action` in its JSON value: "keep" (the payload itself, marked), "dup"
    (two new items), "drop" (nothing)."""
    port: int = 0
    batches: list[list[dict]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seen(self) -> list[dict]:
        with self.lock:
            return [item for batch in self.batches for item in batch]


@pytest.fixture(scope="module")
def enricher() -> Iterator[Enricher]:
    e = Enricher()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            with e.lock:
                e.batches.append(body)
            out = []
            for item in body:
                value = json.loads(base64.b64decode(item["value"]))
                if value["action"] == "keep":
                    out.append({**item, "enriched": True})
                elif value["action"] == "dup":
                    out += [{"n": value["n"], "copy": i, "partition": item["partition"],
                             "offset": item["offset"]} for i in range(2)]
            data = json.dumps(out).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    e.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield e
    server.shutdown()


@dataclass
class Pipes:
    backend: str
    bootstrap: str
    workdir: Path
    config: dict
    wharf: WharfProcess
    tag: str

    @property
    def url(self) -> str:
        return self.wharf.admin_url

    def client(self):
        return boto3.client("pipes", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="x", aws_secret_access_key="x")

    def restart(self) -> None:
        self.wharf.stop()
        if self.backend == "wharf":
            self.wharf = launch_wharf(self.workdir, self.config, data_dir=self.workdir / "data",
                                      broker_port=self.wharf.ports["broker"])
        else:
            self.wharf = launch_wharf(self.workdir, self.config)
        wait_ready(self)


def wait_ready(p: Pipes) -> None:
    deadline = time.monotonic() + 60
    while requests.get(p.url + "/v1/pipes", timeout=10).status_code != 200:
        if time.monotonic() > deadline:
            raise AssertionError(f"pipes did not become ready:\n{p.wharf.log_text()[-3000:]}")
        time.sleep(0.1)


@pytest.fixture(scope="module", params=["wharf", "apache"])
def pipes(request, tmp_path_factory, enricher) -> Iterator[Pipes]:
    if not os.access(wharf_binary(), os.X_OK):
        pytest.fail(f"wharf binary not found at {wharf_binary()}: run `make build` or set WHARF_BIN")
    workdir = tmp_path_factory.mktemp(f"pipes-{request.param}")
    tag = uuid.uuid4().hex[:8]
    # A Wharf function for function enrichments: a command per batch that answers, for
    # each record payload, {"offset": ..., "doubled": <value's n> * 2}.
    script = ("import base64, json, sys; items = json.load(sys.stdin); "
              "print(json.dumps([{'offset': i['offset'], "
              "'doubled': json.loads(base64.b64decode(i['value']))['n'] * 2} for i in items]))")
    config = {"rest_proxy": {"enabled": False}, "schema_registry": {"enabled": False},
              "connect": {"enabled": False},
              "triggers": {"enabled": True, "topic": f"_wharf_triggers-{tag}"},
              "functions": {"doubler": {"exec": [sys.executable, "-c", script]}},
              "router": {
                  "topic": f"_wharf_router-{tag}",
                  "bus_topic_prefix": f"wharf.bus.{tag}.",
                  "retry_backoff": "50ms", "retry_backoff_max": "200ms",
                  "api_destinations": {"enrich": {"url": f"http://127.0.0.1:{enricher.port}/e"}},
                  "pipes": {f"declared-{tag}": {
                      "Source": f"arn:wharf:kafka:::topic/declared-in-{tag}",
                      "SourceParameters": {
                          "ManagedStreamingKafkaParameters": {"TopicName": f"declared-in-{tag}",
                                                              "StartingPosition": "TRIM_HORIZON"},
                          "FilterCriteria": {"Filters": [{"Pattern": {"value": {"ok": [True]}}}]}},
                      "Target": f"arn:wharf:kafka:::topic/declared-out-{tag}"}}}}
    kafka = None
    if request.param == "apache":
        kafka = request.getfixturevalue("kafka_single").bootstrap_servers
        config["broker"] = {"enabled": False}
        config["kafka"] = {"bootstrap_servers": kafka.split(",")}
    w = launch_wharf(workdir, config)
    p = Pipes(request.param, kafka or f"127.0.0.1:{w.ports['broker']}", workdir, config, w, tag)
    wait_ready(p)
    yield p
    p.wharf.stop()


@pytest.fixture
def name() -> str:
    return f"p-{uuid.uuid4().hex[:10]}"


def make_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
        f.result(30)
    deadline = time.monotonic() + 30
    while topic not in admin.list_topics(timeout=10).topics:
        assert time.monotonic() < deadline, f"{topic} did not appear"
        time.sleep(0.1)


def produce_all(bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes, int]],
                headers=None) -> None:
    p = Producer({"bootstrap.servers": bootstrap})
    for key, value, partition in records:
        p.produce(topic, value=value, key=key, partition=partition, headers=headers)
    assert p.flush(30) == 0


def msk_source(topic: str, **extra) -> dict:
    return {"ManagedStreamingKafkaParameters": {"TopicName": topic,
                                                "StartingPosition": "TRIM_HORIZON", **extra}}


def test_filter_enrichment_to_a_topic(pipes, enricher, name):
    make_topic(pipes.bootstrap, f"{name}-in", 2)
    client = pipes.client()
    out = client.create_pipe(
        Name=name, RoleArn=ROLE, Source=MSK_ARN,
        SourceParameters={**msk_source(f"{name}-in", BatchSize=3),
                          "FilterCriteria": {"Filters": [
                              {"Pattern": json.dumps({"value": {"kind": ["order"]}})}]}},
        Enrichment=ENRICH, Target=f"arn:wharf:kafka:::topic/{name}-out")
    assert out["Arn"] == f"arn:aws:pipes:us-east-1:000000000000:pipe/{name}"
    assert out["DesiredState"] == "RUNNING" and out["CurrentState"] == "CREATING"
    actions = ["keep", "dup", "drop", "keep", "dup", "keep"]
    records = []
    for n, action in enumerate(actions):
        records.append((f"k{n}".encode(), json.dumps(
            {"kind": "order", "n": n, "action": action}).encode(), n % 2))
        # A record no filter matches, between every two that do.
        records.append((b"skip", json.dumps({"kind": "noise", "n": 100 + n,
                                             "action": "keep"}).encode(), n % 2))
    records.append((b"bin", b"\xff\x00 not json", 0))
    produce_all(pipes.bootstrap, f"{name}-in", records)
    # keep -> 1 item, dup -> 2, drop -> 0: 3 keeps + 2 dups * 2 = 7
    got = consume(pipes.bootstrap, f"{name}-out", 7)
    items = [json.loads(r["value"]) for r in got]
    assert len(consume(pipes.bootstrap, f"{name}-out", 7, timeout=3)) == 7
    # Filtered records never reached the enrichment.
    seen = enricher.seen()
    mine = [i for i in seen if i["topic"] == f"{name}-in"]
    assert sorted(json.loads(base64.b64decode(i["value"]))["n"] for i in mine) == \
        list(range(len(actions)))
    assert all(len(batch) <= 3 for batch in enricher.batches)
    kept = [(r, i) for r, i in zip(got, items) if i.get("enriched")]
    assert sorted(json.loads(base64.b64decode(i["value"]))["n"] for _, i in kept) == [0, 3, 5]
    for record, item in kept:
        # A source record as an item: keyed by its source key.
        assert record["key"] == base64.b64decode(item["key"]).decode()
        assert item["eventSource"] == "aws:kafka" and item["eventSourceArn"] == MSK_ARN
    dups = [i for i in items if "copy" in i]
    assert sorted((i["n"], i["copy"]) for i in dups) == [(1, 0), (1, 1), (4, 0), (4, 1)]
    # Order per source partition: offsets never go back.
    for partition in ("0", "1"):
        offsets = [i["offset"] for i in items if str(i["partition"]) == partition]
        assert offsets == sorted(offsets), offsets
    d = client.describe_pipe(Name=name)
    assert d["CurrentState"] == "RUNNING" and d["Enrichment"] == ENRICH
    metrics = requests.get(pipes.url + "/metrics", timeout=10).text
    assert f'wharf_router_pipe_filtered_records_total{{pipe="{name}"}} 7' in metrics
    assert f'wharf_router_pipe_records_total{{pipe="{name}"}} 13' in metrics
    assert f'wharf_router_pipe_target_deliveries_total{{pipe="{name}"}} 7' in metrics


def test_payload_without_enrichment(pipes, name):
    make_topic(pipes.bootstrap, f"{name}-in", 2)
    client = pipes.client()
    client.create_pipe(Name=name, RoleArn=ROLE, Source=MSK_ARN,
                       SourceParameters=msk_source(f"{name}-in"),
                       Target=f"arn:wharf:kafka:::topic/{name}-out")
    produce_all(pipes.bootstrap, f"{name}-in",
                [(b"key-a", b'{"a": 1}', 1), (None, b"\x00\x01binary", 0)],
                headers=[("h1", b"v1")])
    got = consume(pipes.bootstrap, f"{name}-out", 2)
    by_partition = {json.loads(r["value"])["partition"]: (r, json.loads(r["value"])) for r in got}
    record, item = by_partition["1"]
    assert record["key"] == "key-a"
    assert item["eventSource"] == "aws:kafka"
    assert item["eventSourceArn"] == MSK_ARN
    assert item["eventSourceKey"] == f"{name}-in-1"
    assert item["topic"] == f"{name}-in"
    assert item["offset"] == 0
    assert isinstance(item["timestamp"], int) and item["timestamp"] > 1_600_000_000_000
    assert item["timestampType"] == "CREATE_TIME"
    assert base64.b64decode(item["key"]) == b"key-a"
    assert base64.b64decode(item["value"]) == b'{"a": 1}'
    assert item["headers"] == [{"h1": list(b"v1")}]
    record, item = by_partition["0"]
    assert record["key"] is None and "key" not in item
    assert base64.b64decode(item["value"]) == b"\x00\x01binary"


def test_stop_and_start(pipes, name):
    make_topic(pipes.bootstrap, f"{name}-in", 1)
    client = pipes.client()
    client.create_pipe(Name=name, RoleArn=ROLE, Source=f"arn:wharf:kafka:::topic/{name}-in",
                       SourceParameters=msk_source(f"{name}-in"),
                       TargetParameters={
                           "InputTemplate": '{"n": <$.topic>, "pipe": "<aws.pipes.pipe-name>"}'},
                       Target=f"arn:wharf:kafka:::topic/{name}-out")
    produce_all(pipes.bootstrap, f"{name}-in", [(b"a", b"1", 0)])
    assert json.loads(consume(pipes.bootstrap, f"{name}-out", 1)[0]["value"]) == \
        {"n": f"{name}-in", "pipe": name}
    stopped = client.stop_pipe(Name=name)
    assert stopped["DesiredState"] == "STOPPED" and stopped["CurrentState"] == "STOPPING"
    deadline = time.monotonic() + 20
    while client.describe_pipe(Name=name)["CurrentState"] != "STOPPED":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    produce_all(pipes.bootstrap, f"{name}-in", [(b"b", b"2", 0)])
    time.sleep(3)
    assert len(consume(pipes.bootstrap, f"{name}-out", 1, timeout=3)) == 1
    assert client.start_pipe(Name=name)["DesiredState"] == "RUNNING"
    assert len(consume(pipes.bootstrap, f"{name}-out", 2)) == 2


def test_validation_and_not_found(pipes, name):
    client = pipes.client()
    with pytest.raises(ClientError) as e:
        client.create_pipe(Name=name, RoleArn=ROLE, Source=MSK_ARN,
                           SourceParameters=msk_source("t", BatchSize=20000),
                           Target="arn:wharf:kafka:::topic/o")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    res = requests.post(f"{pipes.url}/v1/pipes/{name}", timeout=10, json={
        "RoleArn": ROLE, "Source": "arn:aws:sqs:us-east-1:000000000000:q",
        "Target": "arn:wharf:kafka:::topic/o"})
    assert res.status_code == 400 and res.headers["X-Amzn-ErrorType"] == "ValidationException"
    assert [f["name"] for f in res.json()["fieldList"]] == ["Source"]
    with pytest.raises(ClientError) as e:
        client.create_pipe(Name=name, RoleArn=ROLE, Source=f"arn:wharf:kafka:::topic/{name}",
                           Enrichment=ENRICH.replace("/enrich", "/undeclared"),
                           Target="arn:wharf:kafka:::topic/o")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "undeclared" in e.value.response["Error"]["Message"]
    # An MSK source on another cluster than the one Wharf serves.
    res = requests.post(f"{pipes.url}/v1/pipes/{name}", timeout=10, json={
        "RoleArn": ROLE, "Source": "arn:aws:kafka:us-east-1:000000000000:cluster/other/1",
        "SourceParameters": msk_source("t"), "Target": "arn:wharf:kafka:::topic/o"})
    assert res.status_code == 400 and [f["name"] for f in res.json()["fieldList"]] == ["Source"]
    with pytest.raises(ClientError) as e:
        client.describe_pipe(Name=name)
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    client.create_pipe(Name=name, RoleArn=ROLE, Source=f"arn:wharf:kafka:::topic/{name}",
                       Target="arn:wharf:kafka:::topic/o", DesiredState="STOPPED")
    with pytest.raises(ClientError) as e:
        client.create_pipe(Name=name, RoleArn=ROLE, Source=f"arn:wharf:kafka:::topic/{name}",
                           Target="arn:wharf:kafka:::topic/o")
    assert e.value.response["Error"]["Code"] == "ConflictException"
    client.delete_pipe(Name=name)


def aws(pipes: Pipes, *args: str) -> dict:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": ""}
    venv_aws = Path(__file__).resolve().parents[3] / ".cache" / "venv" / "bin" / "aws"
    exe = str(venv_aws) if venv_aws.exists() else "aws"
    done = subprocess.run([exe, "pipes", *args, "--endpoint-url", pipes.url, "--output", "json"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else {}


def test_aws_cli(pipes, name):
    created = aws(pipes, "create-pipe", "--name", name, "--role-arn", ROLE, "--source", MSK_ARN,
                  "--source-parameters",
                  json.dumps(msk_source(f"{name}-in", BatchSize=10)),
                  "--target", f"arn:wharf:kafka:::topic/{name}-out",
                  "--description", "from the CLI")
    assert created["Name"] == name and created["CurrentState"] == "CREATING"
    described = aws(pipes, "describe-pipe", "--name", name)
    assert described["Description"] == "from the CLI"
    assert described["SourceParameters"]["ManagedStreamingKafkaParameters"]["BatchSize"] == 10
    listed = aws(pipes, "list-pipes", "--name-prefix", name)
    assert [p["Name"] for p in listed["Pipes"]] == [name]
    assert aws(pipes, "stop-pipe", "--name", name)["DesiredState"] == "STOPPED"
    listed = aws(pipes, "list-pipes", "--desired-state", "STOPPED", "--name-prefix", name)
    assert [p["Name"] for p in listed["Pipes"]] == [name]
    assert aws(pipes, "start-pipe", "--name", name)["DesiredState"] == "RUNNING"
    updated = aws(pipes, "update-pipe", "--name", name, "--role-arn", ROLE,
                  "--source-parameters",
                  json.dumps({"ManagedStreamingKafkaParameters": {"BatchSize": 20}}))
    assert updated["CurrentState"] == "UPDATING"
    assert aws(pipes, "describe-pipe", "--name", name)["SourceParameters"][
        "ManagedStreamingKafkaParameters"]["BatchSize"] == 20
    deleted = aws(pipes, "delete-pipe", "--name", name)
    assert deleted["DesiredState"] == "DELETED"
    assert aws(pipes, "list-pipes", "--name-prefix", name)["Pipes"] == []


def test_function_enrichment_to_an_event_bus(pipes, name):
    make_topic(pipes.bootstrap, f"{name}-in", 1)
    client = pipes.client()
    client.create_pipe(
        Name=name, RoleArn=ROLE, Source=MSK_ARN, SourceParameters=msk_source(f"{name}-in"),
        Enrichment="arn:aws:lambda:us-east-1:000000000000:function:doubler",
        Target=f"arn:aws:events:us-east-1:000000000000:event-bus/{name}")
    produce_all(pipes.bootstrap, f"{name}-in",
                [(b"a", json.dumps({"n": n}).encode(), 0) for n in range(3)])
    got = consume(pipes.bootstrap, f"wharf.bus.{pipes.tag}.{name}", 3)
    events = [json.loads(r["value"]) for r in got]
    assert [e["detail"] for e in events] == [{"offset": n, "doubled": 2 * n} for n in range(3)]
    for e in events:
        assert e["source"] == f"Pipe {name}" and e["detail-type"] == "Event from aws:kafka"
        assert e["resources"] == [f"arn:aws:pipes:us-east-1:000000000000:pipe/{name}"]
        assert e["account"] == "000000000000" and e["region"] == "us-east-1"


def test_a_failing_target_shows_in_state_reason(pipes, name):
    make_topic(pipes.bootstrap, f"{name}-in", 1)
    client = pipes.client()
    client.create_pipe(Name=name, RoleArn=ROLE, Source=f"arn:wharf:kafka:::topic/{name}-in",
                       SourceParameters=msk_source(f"{name}-in"),
                       Target="http://127.0.0.1:9/nothing-listens-here")
    produce_all(pipes.bootstrap, f"{name}-in", [(b"a", b"1", 0)])
    deadline = time.monotonic() + 30
    while True:
        d = client.describe_pipe(Name=name)
        if "failing" in d.get("StateReason", ""):
            break
        assert time.monotonic() < deadline, d
        time.sleep(0.2)
    assert d["CurrentState"] == "RUNNING"
    assert "SDK_CLIENT_ERROR" in d["StateReason"]
    client.delete_pipe(Name=name)


def group_members(bootstrap: str, group: str) -> int:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    return len(admin.describe_consumer_groups([group])[group].result(timeout=10).members)


def test_two_workers_share_a_pipe(pipes, name, tmp_path):
    second = launch_wharf(tmp_path / "worker2", {
        "router": pipes.config["router"],
        "broker": {"enabled": False}, "kafka": {"bootstrap_servers": pipes.bootstrap.split(",")},
        "rest_proxy": {"enabled": False}, "schema_registry": {"enabled": False},
        "connect": {"enabled": False}, "triggers": {"enabled": False}})
    try:
        make_topic(pipes.bootstrap, f"{name}-in", 2)
        pipes.client().create_pipe(Name=name, RoleArn=ROLE, Source=MSK_ARN,
                                   SourceParameters=msk_source(f"{name}-in"),
                                   Target=f"arn:wharf:kafka:::topic/{name}-out")
        deadline = time.monotonic() + 60
        while group_members(pipes.bootstrap, f"wharf-pipes.{name}") < 2:
            assert time.monotonic() < deadline, second.log_text()[-3000:]
            time.sleep(0.5)
        other = boto3.client("pipes", endpoint_url=second.admin_url, region_name="us-east-1",
                             aws_access_key_id="x", aws_secret_access_key="x")
        assert other.describe_pipe(Name=name)["CurrentState"] == "RUNNING"
        produce_all(pipes.bootstrap, f"{name}-in",
                    [(f"k{i}".encode(), str(i).encode(), i % 2) for i in range(20)])
        got = consume(pipes.bootstrap, f"{name}-out", 20)
        values = sorted(int(base64.b64decode(json.loads(r["value"])["value"])) for r in got)
        assert values == list(range(20))
    finally:
        second.stop()


def test_restart_keeps_pipes(pipes, name):
    """Last in the module: it restarts the module's Wharf."""
    make_topic(pipes.bootstrap, f"{name}-in", 1)
    client = pipes.client()
    client.create_pipe(Name=name, RoleArn=ROLE, Source=MSK_ARN,
                       SourceParameters=msk_source(f"{name}-in"),
                       Target=f"arn:wharf:kafka:::topic/{name}-out")
    produce_all(pipes.bootstrap, f"{name}-in", [(b"a", b"1", 0)])
    consume(pipes.bootstrap, f"{name}-out", 1)
    declared = f"declared-{pipes.tag}"
    produce_all(pipes.bootstrap, f"declared-in-{pipes.tag}",
                [(b"x", b'{"ok": true}', 0), (b"y", b'{"ok": false}', 0)])
    out = consume(pipes.bootstrap, f"declared-out-{pipes.tag}", 1)
    assert base64.b64decode(json.loads(out[0]["value"])["value"]) == b'{"ok": true}'
    pipes.restart()
    client = pipes.client()
    assert client.describe_pipe(Name=name)["Source"] == MSK_ARN
    names = [p["Name"] for p in client.list_pipes()["Pipes"]]
    assert name in names and declared in names
    # It runs again, from its committed offsets: the first record is not sent twice.
    produce_all(pipes.bootstrap, f"{name}-in", [(b"b", b"2", 0)])
    got = consume(pipes.bootstrap, f"{name}-out", 2)
    assert len(consume(pipes.bootstrap, f"{name}-out", 2, timeout=3)) == 2
    assert [base64.b64decode(json.loads(r["value"])["value"]) for r in got] == [b"1", b"2"]
