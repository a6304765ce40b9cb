"""EventBridge's API as the aws CLI and boto3 see it, on both backends: buses, rules,
targets, PutEvents' per-entry results and limits, TestEventPattern, and the JSON 1.1
errors."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import botocore.exceptions
import pytest
import requests

from backends import REPO_ROOT

AWS = Path(os.environ.get("AWS_CLI", REPO_ROOT / ".cache" / "venv" / "bin" / "aws"))


def aws(router, *args: str, check: bool = True) -> dict | subprocess.CompletedProcess:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": ""}
    proc = subprocess.run([str(AWS), "events", *args, "--endpoint-url", router.url,
                           "--output", "json"], capture_output=True, text=True, env=env,
                          timeout=60)
    if not check:
        return proc
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout) if proc.stdout.strip() else {}


def test_aws_cli_drives_buses_rules_and_targets(router, name):
    bus = aws(router, "create-event-bus", "--name", name, "--description", "orders")
    assert bus["EventBusArn"] == f"arn:aws:events:us-east-1:000000000000:event-bus/{name}"
    again = aws(router, "create-event-bus", "--name", name, check=False)
    assert again.returncode != 0 and "ResourceAlreadyExistsException" in again.stderr
    described = aws(router, "describe-event-bus", "--name", name)
    assert described["Name"] == name and described["Description"] == "orders"
    listed = aws(router, "list-event-buses", "--name-prefix", name)
    assert [b["Name"] for b in listed["EventBuses"]] == [name]
    assert "default" in [b["Name"] for b in aws(router, "list-event-buses")["EventBuses"]]

    pattern = json.dumps({"source": ["a"]})
    rule = aws(router, "put-rule", "--name", "r1", "--event-bus-name", name,
               "--event-pattern", pattern, "--description", "first")
    assert rule["RuleArn"] == f"arn:aws:events:us-east-1:000000000000:rule/{name}/r1"
    d = aws(router, "describe-rule", "--name", "r1", "--event-bus-name", name)
    assert d["State"] == "ENABLED" and d["EventBusName"] == name and d["Description"] == "first"
    assert json.loads(d["EventPattern"]) == {"source": ["a"]}
    aws(router, "disable-rule", "--name", "r1", "--event-bus-name", name)
    assert aws(router, "describe-rule", "--name", "r1", "--event-bus-name",
               name)["State"] == "DISABLED"
    aws(router, "enable-rule", "--name", "r1", "--event-bus-name", name)
    rules = aws(router, "list-rules", "--event-bus-name", name)["Rules"]
    assert [(r["Name"], r["State"]) for r in rules] == [("r1", "ENABLED")]

    targets = [{"Id": f"t{i}", "Arn": f"arn:wharf:kafka:::topic/{name}-{i}"} for i in range(5)]
    put = aws(router, "put-targets", "--rule", "r1", "--event-bus-name", name,
              "--targets", json.dumps(targets))
    assert put["FailedEntryCount"] == 0
    too_many = aws(router, "put-targets", "--rule", "r1", "--event-bus-name", name, "--targets",
                   json.dumps([{"Id": "t9", "Arn": "arn:wharf:kafka:::topic/x"}]), check=False)
    assert too_many.returncode != 0 and "LimitExceededException" in too_many.stderr
    listed = aws(router, "list-targets-by-rule", "--rule", "r1", "--event-bus-name", name)
    assert sorted(t["Id"] for t in listed["Targets"]) == [f"t{i}" for i in range(5)]
    busy = aws(router, "delete-rule", "--name", "r1", "--event-bus-name", name, check=False)
    assert busy.returncode != 0 and "ValidationException" in busy.stderr
    removed = aws(router, "remove-targets", "--rule", "r1", "--event-bus-name", name, "--ids",
                  *[f"t{i}" for i in range(5)], "missing")
    assert removed["FailedEntryCount"] == 1
    assert removed["FailedEntries"][0]["TargetId"] == "missing"
    aws(router, "delete-rule", "--name", "r1", "--event-bus-name", name)
    gone = aws(router, "describe-rule", "--name", "r1", "--event-bus-name", name, check=False)
    assert gone.returncode != 0 and "ResourceNotFoundException" in gone.stderr
    aws(router, "delete-event-bus", "--name", name)
    gone = aws(router, "describe-event-bus", "--name", name, check=False)
    assert gone.returncode != 0 and "ResourceNotFoundException" in gone.stderr


def test_aws_cli_put_events_and_test_event_pattern(router, name):
    out = aws(router, "put-events", "--entries", json.dumps([
        {"Source": "s", "DetailType": "d", "Detail": "{}"},
        {"Source": "s", "DetailType": "d", "Detail": "not json"},
        {"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": name}]))
    assert out["FailedEntryCount"] == 2
    assert "EventId" in out["Entries"][0]
    assert out["Entries"][1]["ErrorCode"] == "MalformedDetail"
    assert out["Entries"][2]["ErrorCode"] == "ResourceNotFoundException"
    event = {"id": "1", "account": "1", "source": "s", "time": "2026-01-01T00:00:00Z",
             "region": "us-east-1", "detail-type": "d", "detail": {"n": 5}}
    res = aws(router, "test-event-pattern", "--event-pattern",
              json.dumps({"detail": {"n": [{"numeric": [">", 1]}]}}), "--event", json.dumps(event))
    assert res["Result"] is True


def test_boto3_test_event_pattern_and_errors(router, name):
    events = router.client()
    event = json.dumps({"id": "1", "account": "1", "source": "s", "time": "2026-01-01T00:00:00Z",
                        "region": "us-east-1", "detail-type": "d", "resources": [],
                        "detail": {"state": "running"}})
    assert events.test_event_pattern(
        EventPattern='{"detail": {"state": ["running"]}}', Event=event)["Result"] is True
    assert events.test_event_pattern(
        EventPattern='{"detail": {"state": ["stopped"]}}', Event=event)["Result"] is False
    with pytest.raises(botocore.exceptions.ClientError) as bad:
        events.test_event_pattern(EventPattern='{"detail": {"state": "running"}}', Event=event)
    assert bad.value.response["Error"]["Code"] == "InvalidEventPatternException"
    with pytest.raises(botocore.exceptions.ClientError) as bad:
        events.put_rule(Name=name, EventPattern='{"source": [')
    assert bad.value.response["Error"]["Code"] == "InvalidEventPatternException"
    with pytest.raises(botocore.exceptions.ClientError) as bad:
        events.describe_rule(Name=name)
    assert bad.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as bad:
        events.delete_event_bus(Name="default")
    assert bad.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as bad:
        events.put_targets(Rule=name, Targets=[{"Id": "x", "Arn": "arn:wharf:kafka:::topic/x"}])
    assert bad.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_put_events_limits(router):
    entry = {"Source": "s", "DetailType": "d", "Detail": "{}"}
    res = router.call("PutEvents", {"Entries": [entry] * 11})
    assert res.status_code == 400
    assert res.json()["__type"] == "ValidationException"
    big = {"Source": "s", "DetailType": "d", "Detail": json.dumps({"x": "y" * 256 * 1024})}
    res = router.call("PutEvents", {"Entries": [big]})
    assert res.status_code == 400 and res.json()["__type"] == "ValidationException"
    # 256 KB an entry, 1 MB a request.
    fat = {"Source": "s", "DetailType": "d", "Detail": json.dumps({"x": "y" * 200 * 1024})}
    res = router.call("PutEvents", {"Entries": [fat] * 4})
    assert res.status_code == 200 and res.json()["FailedEntryCount"] == 0
    res = router.call("PutEvents", {"Entries": [fat] * 6})
    assert res.status_code == 400 and res.json()["__type"] == "ValidationException"
    deep = {"Source": "s", "DetailType": "d", "Detail": '{"a":' * 200 + "1" + "}" * 200}
    res = router.call("PutEvents", {"Entries": [deep]})
    assert res.json()["Entries"][0]["ErrorCode"] == "MalformedDetail"
    res = router.call("PutEvents", {"Entries": [{"DetailType": "d", "Detail": "{}"}]})
    assert res.status_code == 200
    assert res.json()["FailedEntryCount"] == 1
    assert res.json()["Entries"][0]["ErrorCode"] == "InvalidArgument"
    metrics = requests.get(router.url + "/metrics", timeout=10).text
    assert 'wharf_router_put_events_entries_total{bus="default"}' in metrics
    assert "wharf_router_put_events_failed_entries_total" in metrics
    res = router.call("NoSuchOperation", {})
    assert res.status_code == 400 and res.json()["__type"] == "UnknownOperationException"
    assert res.headers["Content-Type"].startswith("application/x-amz-json-1.1")
    # The admin index still answers GET /.
    assert requests.get(router.url + "/", timeout=10).status_code == 200


def test_wharf_rule_and_event_verbs(router, name):
    from backends import wharf_binary

    def wharf(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([wharf_binary(), *args, "--admin-url", router.url],
                              capture_output=True, text=True, timeout=60)

    put = wharf("rule", "put", name, "--pattern", json.dumps({"source": [name]}),
                "--description", "from the CLI")
    assert put.returncode == 0, put.stderr
    assert json.loads(put.stdout)["RuleArn"].endswith(f":rule/{name}")
    added = wharf("rule", "add-target", name, "--id", "out",
                  "--arn", f"arn:wharf:kafka:::topic/{name}-out", "--input-path", "$.detail")
    assert added.returncode == 0, added.stderr
    assert json.loads(wharf("rule", "get", name).stdout)["Description"] == "from the CLI"
    assert [t["Id"] for t in json.loads(wharf("rule", "targets", name).stdout)["Targets"]] == ["out"]
    assert name in [r["Name"] for r in json.loads(wharf("rule", "list").stdout)["Rules"]]
    sent = wharf("event", "put", "--source", name, "--detail-type", "t", "--detail", '{"cli": 1}')
    assert sent.returncode == 0, sent.stderr
    from router_helpers import consume
    assert json.loads(consume(router.bootstrap, f"{name}-out", 1)[0]["value"]) == {"cli": 1}
    assert wharf("rule", "disable", name).returncode == 0
    busy = wharf("rule", "delete", name)
    assert busy.returncode == 1 and "ValidationException" in busy.stderr
    assert wharf("rule", "remove-target", name, "--id", "out").returncode == 0
    assert wharf("rule", "delete", name).returncode == 0
    missing = wharf("rule", "get", name)
    assert missing.returncode == 1 and "ResourceNotFoundException" in missing.stderr
