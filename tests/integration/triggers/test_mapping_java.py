"""An event source mapping into a Java handler, on both backends: a
`RequestHandler<KafkaEvent, Void>` built with Maven against aws-lambda-java-events runs
unmodified under AWS's Java runtime interface client (kept warm by Wharf, speaking the
Lambda Runtime API) and sees every produced record, key and value base64-decoded, in order
within each partition."""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from backends import launch_wharf

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def java_home() -> Path:
    subprocess.run(["bash", str(REPO_ROOT / "tests" / "peers" / "fetch_lambda_java.sh")],
                   check=True)
    homes = sorted((REPO_ROOT / ".cache" / "peers").glob("lambda-java-*"))
    assert homes, "fetch_lambda_java.sh left no .cache/peers/lambda-java-*"
    return homes[-1]


@pytest.mark.parametrize("backend", ["wharf", "apache"])
def test_java_handler_sees_every_record_in_order(backend, java_home, tmp_path, request):
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    record_file = tmp_path / "records.txt"
    topic = f"java-{uuid.uuid4().hex[:8]}"
    config = {
        "rest_proxy": {"enabled": False}, "schema_registry": {"enabled": False},
        "connect": {"enabled": False},
        "functions": {"java-recorder": {
            "runtime": ["java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp",
                        f"{java_home}/handler.jar:{java_home}/libs/*",
                        "com.amazonaws.services.lambda.runtime.api.client.AWSLambda",
                        "example.RecordingHandler::handleRequest"],
            "timeout_s": 60, "concurrency": 2,
            "environment": {"RECORD_FILE": str(record_file)}}},
        "triggers": {"mappings": {"java": {
            "FunctionName": "java-recorder", "Topics": [topic], "BatchSize": 7,
            "StartingPosition": "TRIM_HORIZON", "MaximumBatchingWindowInSeconds": 0}}},
    }
    if backend == "apache":
        bootstrap = request.getfixturevalue("kafka_single").bootstrap_servers
        config["broker"] = {"enabled": False}
        config["kafka"] = {"bootstrap_servers": bootstrap.split(",")}
    w = launch_wharf(tmp_path / "wharf", config)
    try:
        if backend == "wharf":
            bootstrap = f"127.0.0.1:{w.ports['broker']}"
        admin = AdminClient({"bootstrap.servers": bootstrap})
        admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])[topic] \
            .result(30)
        producer = Producer({"bootstrap.servers": bootstrap})
        sent: dict[int, list[str]] = {0: [], 1: []}
        for i in range(40):
            partition = i % 2
            value = f"v{i}-é"
            producer.produce(topic, key=f"k{i}", value=value.encode(), partition=partition)
            sent[partition].append(f"k{i}={value}")
        assert producer.flush(30) == 0

        deadline = time.monotonic() + 120
        lines: list[str] = []
        while time.monotonic() < deadline:
            lines = record_file.read_text().splitlines() if record_file.exists() else []
            if len(lines) >= 40:
                break
            time.sleep(0.2)
        assert len(lines) == 40, f"{len(lines)} of 40 records reached the handler:\n" \
                                 f"{w.log_text()[-3000:]}"
        got: dict[int, list[str]] = {0: [], 1: []}
        for line in lines:
            where, payload, source = line.split(" ")
            t, partition, offset = where.rsplit("/", 2)
            assert t == topic and source == "aws:kafka"
            got[int(partition)].append((int(offset), payload))
        for partition in (0, 1):
            offsets = [o for o, _ in got[partition]]
            assert offsets == list(range(20)), f"partition {partition} out of order: {offsets}"
            assert [p for _, p in got[partition]] == sent[partition]
    finally:
        code = w.stop(signal.SIGTERM)
        assert code == 0, w.log_text()[-3000:]
