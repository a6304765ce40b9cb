"""Smoke tests for Apache Kafka's admin CLI tools against the single-node peer."""

from __future__ import annotations

import re

from kafka_helpers import confluent_consume, confluent_produce

N = 7


def test_consumer_groups_describe_shows_committed_offsets(kafka_single, kafka_cli, unique_topic):
    b = kafka_single.bootstrap_servers
    group = f"grp-{unique_topic}"
    confluent_produce(b, unique_topic, N)
    confluent_consume(b, unique_topic, N, group=group)  # commits offset N

    listed = kafka_cli("consumer-groups", "--bootstrap-server", b, "--list").stdout.split()
    assert group in listed

    out = kafka_cli("consumer-groups", "--bootstrap-server", b, "--describe",
                    "--group", group).stdout
    rows = [line.split() for line in out.splitlines() if line.startswith(group + " ")]
    # GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...
    assert [r[1:6] for r in rows] == [[unique_topic, "0", str(N), str(N), "0"]], out


def test_configs_alter_and_describe_topic(kafka_single, kafka_cli, unique_topic):
    b = kafka_single.bootstrap_servers
    kafka_cli("topics", "--bootstrap-server", b, "--create", "--topic", unique_topic,
              "--partitions", 2, "--replication-factor", 1)
    entity = ["--bootstrap-server", b, "--entity-type", "topics", "--entity-name", unique_topic]
    kafka_cli("configs", *entity, "--alter",
              "--add-config", "retention.ms=123456,cleanup.policy=compact")
    out = kafka_cli("configs", *entity, "--describe").stdout
    assert "retention.ms=123456" in out
    assert "cleanup.policy=compact" in out

    kafka_cli("configs", *entity, "--alter", "--delete-config", "retention.ms")
    out = kafka_cli("configs", *entity, "--describe").stdout
    assert "retention.ms=" not in out
    assert "cleanup.policy=compact" in out


def test_get_offsets_and_topic_describe(kafka_single, kafka_cli, unique_topic):
    b = kafka_single.bootstrap_servers
    confluent_produce(b, unique_topic, N)
    out = kafka_cli("get-offsets", "--bootstrap-server", b, "--topic", unique_topic).stdout
    assert out.split() == [f"{unique_topic}:0:{N}"]

    out = kafka_cli("topics", "--bootstrap-server", b, "--describe", "--topic", unique_topic).stdout
    assert re.search(r"PartitionCount:\s*1\b", out), out  # num.partitions=1 on auto-create
    assert unique_topic in kafka_cli("topics", "--bootstrap-server", b, "--list").stdout.split()


def test_producer_perf_test(kafka_single, kafka_cli, unique_topic):
    out = kafka_cli("producer-perf-test", "--bootstrap-server", kafka_single.bootstrap_servers,
                    "--topic", unique_topic, "--num-records", 2000, "--record-size", 100,
                    "--throughput", -1).stdout
    # Final summary: "2000 records sent, ... records/sec ..."
    assert re.search(r"^2000 records sent", out, re.M), out
    out = kafka_cli("get-offsets", "--bootstrap-server", kafka_single.bootstrap_servers,
                    "--topic", unique_topic).stdout
    assert out.split() == [f"{unique_topic}:0:2000"]
