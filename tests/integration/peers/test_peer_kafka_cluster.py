"""Smoke tests for the 3-node Apache Kafka cluster peer."""

from __future__ import annotations

import re

from kafka_helpers import confluent_consume, confluent_produce, expected_records, kv_headers

N = 10


def test_replicated_topic_round_trip(kafka_cluster3, kafka_cli, unique_topic):
    b = kafka_cluster3.bootstrap_servers
    assert len(b.split(",")) == 3
    kafka_cli("topics", "--bootstrap-server", b, "--create", "--topic", unique_topic,
              "--partitions", 3, "--replication-factor", 3, "--config", "min.insync.replicas=2")

    out = kafka_cli("topics", "--bootstrap-server", b, "--describe", "--topic", unique_topic).stdout
    assert re.search(r"PartitionCount:\s*3\b", out), out
    assert re.search(r"ReplicationFactor:\s*3\b", out), out
    partitions = re.findall(r"Partition:\s*(\d+)\s+Leader:\s*(\d+)\s+Replicas:\s*([\d,]+)\s+Isr:\s*([\d,]+)", out)
    assert len(partitions) == 3, out
    for _, leader, replicas, isr in partitions:
        assert sorted(replicas.split(",")) == ["1", "2", "3"], out
        assert sorted(isr.split(",")) == ["1", "2", "3"], out
        assert leader in replicas.split(",")

    # acks=all has to wait for the in-sync followers.
    acks = confluent_produce(b, unique_topic, N, **{"acks": "all"})
    assert len(acks) == N and {p for p, _ in acks} <= {0, 1, 2}
    got = confluent_consume(b, unique_topic, N, group="g-cluster")
    # Order is only kept per partition; compare as sets of records.
    key = lambda r: r["key"]  # noqa: E731
    assert sorted(kv_headers(got), key=key) == sorted(expected_records(N, "confluent"), key=key)


def test_cluster_metadata_lists_three_brokers(kafka_cluster3):
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": kafka_cluster3.bootstrap_servers})
    md = admin.list_topics(timeout=15)
    assert sorted(md.brokers) == [1, 2, 3]
    ports = sorted(int(hp.rsplit(":", 1)[1]) for hp in kafka_cluster3.bootstrap_servers.split(","))
    assert sorted(br.port for br in md.brokers.values()) == ports
    assert md.controller_id in (1, 2, 3)
