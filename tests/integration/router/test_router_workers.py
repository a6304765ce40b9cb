"""Several Wharf workers share a rule through its consumer group, on both backends: a rule
created through one worker's API runs in both, each reading part of the bus, and every
event put through either worker reaches the target."""

from __future__ import annotations

import json
import time

from confluent_kafka.admin import AdminClient

from backends import launch_wharf
from router_helpers import consume


def group_members(bootstrap: str, group: str) -> int:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    described = admin.describe_consumer_groups([group])[group].result(timeout=10)
    return len(described.members)


def test_two_workers_share_a_rule(router, name, tmp_path):
    shared = {k: router.wharf.config[k] for k in ("router", "functions")}
    second = launch_wharf(tmp_path / "worker2", {
        **shared,
        "broker": {"enabled": False}, "kafka": {"bootstrap_servers": router.bootstrap.split(",")},
        "rest_proxy": {"enabled": False}, "schema_registry": {"enabled": False},
        "connect": {"enabled": False}, "triggers": {"enabled": False}})
    try:
        events = router.client()
        events.put_rule(Name=name, EventPattern=json.dumps({"source": [name]}))
        events.put_targets(Rule=name, Targets=[
            {"Id": "out", "Arn": f"arn:wharf:kafka:::topic/{name}-out"}])
        group = f"wharf-router.default.{name}"
        deadline = time.monotonic() + 60
        while group_members(router.bootstrap, group) < 2:
            assert time.monotonic() < deadline, second.log_text()[-3000:]
            time.sleep(0.5)
        other = type(router)(router.backend, second.admin_url, router.bootstrap, second,
                             tmp_path).client()
        ids = set()
        for i in range(10):
            client = events if i % 2 else other
            put = client.put_events(Entries=[
                {"Source": name, "DetailType": "t", "Detail": json.dumps({"i": i})}])
            assert put["FailedEntryCount"] == 0
            ids.add(put["Entries"][0]["EventId"])
        got = {json.loads(r["value"])["id"] for r in consume(router.bootstrap, f"{name}-out", 10)}
        assert got == ids
    finally:
        second.stop()
