"""A mapping that reads another Kafka cluster declared in the config file
(`triggers.clusters`, with its own bootstrap servers and client properties): Wharf runs on
its embedded broker, and the mapping names the Apache Kafka fixture by its MSK-style ARN;
the function sees that cluster's records, with its ARN and bootstrap servers in the
event. A mapping naming an unknown cluster is refused."""

from __future__ import annotations

import base64
import json
import signal
import sys
import time
import uuid
from pathlib import Path

import requests

from backends import launch_wharf

HANDLER = """import json, sys
event = json.load(sys.stdin)
with open(sys.argv[1], "a") as out:
    out.write(json.dumps(event) + "\\n")
"""


def test_mapping_reads_a_declared_cluster(kafka_single, tmp_path):
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    bootstrap = kafka_single.bootstrap_servers
    topic = f"far-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(30)
    handler = tmp_path / "handler.py"
    handler.write_text(HANDLER)
    events = tmp_path / "events.jsonl"
    arn = "arn:aws:kafka:us-east-1:000000000000:cluster/analytics/fixture-1"
    w = launch_wharf(tmp_path / "wharf", {
        "rest_proxy": {"enabled": False}, "schema_registry": {"enabled": False},
        "connect": {"enabled": False}, "router": {"enabled": False},
        "functions": {"recorder": {"exec": [sys.executable, str(handler), str(events)]}},
        "triggers": {
            "clusters": {"analytics": {"bootstrap_servers": bootstrap.split(","),
                                       "client_properties": ["client.id=wharf-analytics"],
                                       "cluster_id": "fixture-1"}},
            "mappings": {"far": {"FunctionName": "recorder", "Topics": [topic],
                                 "EventSourceArn": arn, "StartingPosition": "TRIM_HORIZON",
                                 "MaximumBatchingWindowInSeconds": 0}}}})
    try:
        admin_url = f"http://127.0.0.1:{w.ports['admin']}"
        clusters = requests.get(f"{admin_url}/wharf/triggers/cluster", timeout=10).json()
        assert clusters["DeclaredClusters"] == [{"ClusterArn": arn, "BootstrapServers": bootstrap}]
        p = Producer({"bootstrap.servers": bootstrap})
        for i in range(5):
            p.produce(topic, value=f"far-{i}".encode())
        assert p.flush(30) == 0
        deadline = time.monotonic() + 60
        seen: list[str] = []
        while time.monotonic() < deadline and len(seen) < 5:
            time.sleep(0.2)
            seen = []
            for line in events.read_text().splitlines() if events.exists() else []:
                event = json.loads(line)
                assert event["eventSource"] == "aws:kafka" and event["eventSourceArn"] == arn
                assert event["bootstrapServers"] == bootstrap
                for records in event["records"].values():
                    seen.extend(base64.b64decode(r["value"]).decode() for r in records)
        assert seen == [f"far-{i}" for i in range(5)], w.log_text()[-2000:]

        # The embedded broker's own ARN, and an unknown cluster.
        env = {"FunctionName": "recorder", "Topics": ["other"],
               "EventSourceArn": "arn:aws:kafka:us-east-1:000000000000:cluster/nowhere/x"}
        r = requests.post(f"{admin_url}/2015-03-31/event-source-mappings", json=env, timeout=10)
        assert r.status_code == 400
        assert r.headers["X-Amzn-ErrorType"] == "InvalidParameterValueException"
    finally:
        assert w.stop(signal.SIGTERM) == 0, w.log_text()[-2000:]
