"""Admin APIs through confluent-kafka's AdminClient and Kafka's own CLI tools:
CreateTopics (with configs, and its errors), DescribeConfigs (overrides, defaults,
synonyms), IncrementalAlterConfigs and AlterConfigs, CreatePartitions, DeleteRecords,
DeleteTopics. Same expectations for the embedded broker and Apache Kafka."""

from __future__ import annotations

import json
import os
import time

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import (AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource,
                                   NewPartitions, NewTopic)

from broker_clients import (admin, confluent_produce, confluent_read_all, console_consume,
                            create_topic, end_offsets, kafka_cli, topic_name, wait_for_topic,
                            write_temp)
from broker_wire import Connection, metadata_v4_request, parse_metadata_v4


def error_of(future) -> int | None:
    """The Kafka error code a future fails with, or None if it succeeds."""
    try:
        future.result(30)
        return None
    except KafkaException as e:
        return e.args[0].code()


def describe(b: str, topic: str) -> dict:
    a = admin(b)
    r = ConfigResource("topic", topic)
    return a.describe_configs([r])[r].result(30)


def overrides(b: str, topic: str) -> dict[str, str]:
    return {k: v.value for k, v in describe(b, topic).items()
            if v.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value}


def topic_error(b: str, topic: str) -> int | None:
    """Metadata's error for one topic (no auto-creation)."""
    md = admin(b).list_topics(topic, timeout=15).topics.get(topic)
    assert md is not None
    return md.error.code() if md.error else None


def partition_count(b: str, topic: str) -> int:
    return len(admin(b).list_topics(topic, timeout=15).topics[topic].partitions)


# --- CreateTopics ---------------------------------------------------------------------

def test_create_topic_with_configs_then_describe(kafka_backend):
    b = kafka_backend.bootstrap
    topic = topic_name("admin-create")
    create_topic(b, topic, 3, {"retention.ms": "123456", "cleanup.policy": "compact",
                               "max.message.bytes": "2000000"})
    assert partition_count(b, topic) == 3
    configs = describe(b, topic)
    for name, value in {"retention.ms": "123456", "cleanup.policy": "compact",
                        "max.message.bytes": "2000000"}.items():
        entry = configs[name]
        assert (entry.value, entry.source, entry.is_default) == \
            (value, ConfigSource.DYNAMIC_TOPIC_CONFIG.value, False), name
    for name, value in {"segment.bytes": "1073741824", "retention.bytes": "-1",
                        "compression.type": "producer", "message.timestamp.type": "CreateTime",
                        "min.compaction.lag.ms": "0", "delete.retention.ms": "86400000"}.items():
        entry = configs[name]
        assert (entry.value, entry.source, entry.is_default) == \
            (value, ConfigSource.DEFAULT_CONFIG.value, True), name
    assert overrides(b, topic) == {"retention.ms": "123456", "cleanup.policy": "compact",
                                   "max.message.bytes": "2000000"}


# Every topic config Apache Kafka 4.3 describes, with its default.
KAFKA_TOPIC_DEFAULTS = {
    "cleanup.policy": "delete",
    "compression.gzip.level": "-1",
    "compression.lz4.level": "9",
    "compression.type": "producer",
    "compression.zstd.level": "3",
    "delete.retention.ms": "86400000",
    "file.delete.delay.ms": "60000",
    "flush.messages": "9223372036854775807",
    "flush.ms": "9223372036854775807",
    "follower.replication.throttled.replicas": "",
    "index.interval.bytes": "4096",
    "leader.replication.throttled.replicas": "",
    "local.retention.bytes": "-2",
    "local.retention.ms": "-2",
    "max.compaction.lag.ms": "9223372036854775807",
    "max.message.bytes": "1048588",
    "message.timestamp.after.max.ms": "3600000",
    "message.timestamp.before.max.ms": "9223372036854775807",
    "message.timestamp.type": "CreateTime",
    "min.cleanable.dirty.ratio": "0.5",
    "min.compaction.lag.ms": "0",
    "min.insync.replicas": "1",
    "preallocate": "false",
    "remote.log.copy.disable": "false",
    "remote.log.delete.on.disable": "false",
    "remote.storage.enable": "false",
    "retention.bytes": "-1",
    "retention.ms": "604800000",
    "segment.bytes": "1073741824",
    "segment.index.bytes": "10485760",
    "segment.jitter.ms": "0",
    "segment.ms": "604800000",
    "unclean.leader.election.enable": "false",
}


def test_describe_configs_lists_every_topic_config_with_kafkas_default(kafka_backend):
    b = kafka_backend.bootstrap
    topic = topic_name("admin-defaults")
    create_topic(b, topic, 1)
    configs = describe(b, topic)
    assert {k: v.value for k, v in configs.items()} == KAFKA_TOPIC_DEFAULTS
    # (Apache Kafka reports min.insync.replicas as a cluster-wide dynamic default.)
    assert {k for k, v in configs.items() if v.source != ConfigSource.DEFAULT_CONFIG.value} \
        <= {"min.insync.replicas"}
    assert not any(v.is_read_only or v.is_sensitive for v in configs.values())


def test_describe_configs_synonyms_name_the_broker_settings(kafka_backend):
    """An override's synonyms list it, then the broker-level setting it overrides
    (as kafka-configs --describe prints them); a default's synonym is the broker's."""
    b = kafka_backend.bootstrap
    topic = topic_name("admin-synonyms")
    create_topic(b, topic, 1, {"cleanup.policy": "compact", "max.message.bytes": "2000000",
                               "segment.bytes": "1048576"})
    configs = describe(b, topic)

    def synonyms(name):
        return [(s.name, s.value, s.source) for s in configs[name].synonyms.values()]

    dyn, default = ConfigSource.DYNAMIC_TOPIC_CONFIG.value, ConfigSource.DEFAULT_CONFIG.value
    assert synonyms("cleanup.policy") == [("cleanup.policy", "compact", dyn),
                                          ("log.cleanup.policy", "delete", default)]
    assert synonyms("max.message.bytes") == [("max.message.bytes", "2000000", dyn),
                                             ("message.max.bytes", "1048588", default)]
    assert synonyms("segment.bytes") == [("segment.bytes", "1048576", dyn),
                                         ("log.segment.bytes", "1073741824", default)]
    assert synonyms("retention.bytes") == [("log.retention.bytes", "-1", default)]
    assert synonyms("message.timestamp.type") == \
        [("log.message.timestamp.type", "CreateTime", default)]


@pytest.mark.parametrize("case", ["exists", "invalid-chars", "dot-dot", "too-long",
                                  "replication-3", "replication-0", "unknown-config",
                                  "bad-config-value", "zero-partitions",
                                  "assignment-unknown-broker", "assignment-duplicate-broker"])
def test_create_topic_errors(kafka_backend, case):
    b = kafka_backend.bootstrap
    a = admin(b)
    existing = topic_name("admin-exists")
    fresh = topic_name("admin-err")
    if case == "exists":
        create_topic(b, existing, 1)
    new, want = {
        "exists": (NewTopic(existing, 2, 1), KafkaError.TOPIC_ALREADY_EXISTS),
        "invalid-chars": (NewTopic(fresh + " bad!", 1, 1), KafkaError.TOPIC_EXCEPTION),
        "dot-dot": (NewTopic("..", 1, 1), KafkaError.TOPIC_EXCEPTION),
        "too-long": (NewTopic("t" * 250, 1, 1), KafkaError.TOPIC_EXCEPTION),
        "replication-3": (NewTopic(fresh, 1, 3), KafkaError.INVALID_REPLICATION_FACTOR),
        "unknown-config": (NewTopic(fresh, 1, 1, config={"no.such.config": "1"}),
                           KafkaError.INVALID_CONFIG),
        "bad-config-value": (NewTopic(fresh, 1, 1, config={"retention.ms": "soon"}),
                             KafkaError.INVALID_CONFIG),
        "zero-partitions": (NewTopic(fresh, 0, 1), KafkaError.INVALID_PARTITIONS),
        "replication-0": (NewTopic(fresh, 1, 0), KafkaError.INVALID_REPLICATION_FACTOR),
        # Manual assignments naming a broker that does not exist, or one broker twice.
        "assignment-unknown-broker": (NewTopic(fresh, 2, replica_assignment=[[1], [2]]),
                                      KafkaError.INVALID_REPLICA_ASSIGNMENT),
        "assignment-duplicate-broker": (NewTopic(fresh, 1, replica_assignment=[[1, 1]]),
                                        KafkaError.INVALID_REPLICA_ASSIGNMENT),
    }[case]
    assert error_of(a.create_topics([new], request_timeout=30)[new.topic]) == want
    if case != "exists" and case not in ("dot-dot", "too-long"):
        assert topic_error(b, new.topic) in (KafkaError.UNKNOWN_TOPIC_OR_PART,
                                              KafkaError.TOPIC_EXCEPTION)
    if case == "exists":
        assert partition_count(b, existing) == 1  # unchanged


def test_create_topic_with_broker_defaults_or_manual_assignment(kafka_backend):
    """num_partitions/replication_factor -1 take the broker defaults (KIP-464); a
    manual assignment on the one broker sets the partition count."""
    b = kafka_backend.bootstrap
    a = admin(b)
    defaults, manual = topic_name("admin-defaults-1"), topic_name("admin-manual")
    futs = a.create_topics([NewTopic(defaults, -1, -1),
                            NewTopic(manual, 3, replica_assignment=[[1], [1], [1]])])
    assert error_of(futs[defaults]) is None and error_of(futs[manual]) is None
    wait_for_topic(b, defaults, 1)
    wait_for_topic(b, manual, 3)


def test_create_topic_validate_only_creates_nothing(kafka_backend):
    b = kafka_backend.bootstrap
    topic = topic_name("admin-validate")
    a = admin(b)
    assert error_of(a.create_topics([NewTopic(topic, 2, 1)], validate_only=True)[topic]) is None
    assert topic_error(b, topic) == KafkaError.UNKNOWN_TOPIC_OR_PART
    bad = NewTopic(topic, 1, 1, config={"cleanup.policy": "sometimes"})
    assert error_of(a.create_topics([bad], validate_only=True)[topic]) == KafkaError.INVALID_CONFIG


# --- AlterConfigs ---------------------------------------------------------------------

def test_incremental_alter_configs(kafka_backend):
    b = kafka_backend.bootstrap
    topic = topic_name("admin-incr")
    create_topic(b, topic, 1, {"retention.ms": "100000"})
    a = admin(b)

    def alter(*entries, validate_only=False):
        r = ConfigResource("topic", topic, incremental_configs=[
            ConfigEntry(name, value, incremental_operation=op) for name, value, op in entries])
        return error_of(a.incremental_alter_configs([r], validate_only=validate_only)[r])

    SET, DELETE = AlterConfigOpType.SET, AlterConfigOpType.DELETE
    APPEND, SUBTRACT = AlterConfigOpType.APPEND, AlterConfigOpType.SUBTRACT
    assert alter(("segment.ms", "3600000", SET), ("retention.ms", "200000", SET)) is None
    assert overrides(b, topic) == {"segment.ms": "3600000", "retention.ms": "200000"}
    assert alter(("cleanup.policy", "compact", APPEND)) is None
    assert describe(b, topic)["cleanup.policy"].value == "delete,compact"
    assert alter(("cleanup.policy", "delete", SUBTRACT)) is None
    assert describe(b, topic)["cleanup.policy"].value == "compact"
    assert alter(("retention.ms", "", DELETE)) is None
    entry = describe(b, topic)["retention.ms"]
    assert (entry.value, entry.source) == ("604800000", ConfigSource.DEFAULT_CONFIG.value)
    assert alter(("segment.ms", "1", SET), validate_only=True) is None
    assert overrides(b, topic) == {"segment.ms": "3600000", "cleanup.policy": "compact"}
    # Errors leave the configs alone.
    assert alter(("no.such.config", "1", SET)) == KafkaError.INVALID_CONFIG
    assert alter(("retention.ms", "abc", SET)) == KafkaError.INVALID_CONFIG
    assert alter(("retention.ms", "5", APPEND)) == KafkaError.INVALID_CONFIG  # not a list
    assert overrides(b, topic) == {"segment.ms": "3600000", "cleanup.policy": "compact"}
    missing = ConfigResource("topic", topic + "-missing", incremental_configs=[
        ConfigEntry("retention.ms", "1", incremental_operation=SET)])
    assert error_of(a.incremental_alter_configs([missing])[missing]) == \
        KafkaError.UNKNOWN_TOPIC_OR_PART


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_legacy_alter_configs_replaces_all_overrides(kafka_backend):
    b = kafka_backend.bootstrap
    topic = topic_name("admin-legacy")
    create_topic(b, topic, 1, {"retention.ms": "100000", "cleanup.policy": "compact"})
    a = admin(b)
    r = ConfigResource("topic", topic, set_config={"segment.ms": "99999999",
                                                   "retention.bytes": "1048576"})
    assert error_of(a.alter_configs([r])[r]) is None
    assert overrides(b, topic) == {"segment.ms": "99999999", "retention.bytes": "1048576"}
    bad = ConfigResource("topic", topic, set_config={"nonsense.x": "1"})
    assert error_of(a.alter_configs([bad])[bad]) == KafkaError.INVALID_CONFIG
    assert overrides(b, topic) == {"segment.ms": "99999999", "retention.bytes": "1048576"}


def test_describe_configs_of_unknown_topic(kafka_backend):
    a = admin(kafka_backend.bootstrap)
    r = ConfigResource("topic", topic_name("admin-nosuch"))
    assert error_of(a.describe_configs([r])[r]) == KafkaError.UNKNOWN_TOPIC_OR_PART


# --- CreatePartitions, DeleteRecords, DeleteTopics --------------------------------------

def test_create_partitions(kafka_backend):
    b = kafka_backend.bootstrap
    topic = topic_name("admin-partitions")
    create_topic(b, topic, 1)
    a = admin(b)
    assert error_of(a.create_partitions([NewPartitions(topic, 3)])[topic]) is None
    wait_for_topic(b, topic, 3)
    reports = confluent_produce(b, topic, [{"key": "k", "value": f"p{p}", "partition": p}
                                           for p in range(3)])
    assert [(r["partition"], r["offset"]) for r in reports] == [(0, 0), (1, 0), (2, 0)]
    assert [(r["partition"], r["value"]) for r in confluent_read_all(b, topic)] == \
        [(0, "p0"), (1, "p1"), (2, "p2")]
    for n in (3, 2):  # not an increase
        assert error_of(a.create_partitions([NewPartitions(topic, n)])[topic]) == \
            KafkaError.INVALID_PARTITIONS
    missing = topic + "-missing"
    assert error_of(a.create_partitions([NewPartitions(missing, 2)])[missing]) == \
        KafkaError.UNKNOWN_TOPIC_OR_PART
    assert error_of(a.create_partitions([NewPartitions(topic, 5)], validate_only=True)[topic]) \
        is None
    assert partition_count(b, topic) == 3


def test_delete_records(kafka_backend):
    b = kafka_backend.bootstrap
    topic = topic_name("admin-delrec")
    create_topic(b, topic, 2)
    confluent_produce(b, topic, [{"key": f"k{i}", "value": f"v{i}", "partition": 0}
                                 for i in range(10)])
    a = admin(b)
    res = a.delete_records([TopicPartition(topic, 0, 4)])
    (fut,) = res.values()
    assert fut.result(30).low_watermark == 4
    assert end_offsets(b, topic)[0] == (4, 10)
    assert [r["offset"] for r in confluent_read_all(b, topic)] == list(range(4, 10))

    # Fetching below the log start: OFFSET_OUT_OF_RANGE; with auto.offset.reset=earliest
    # the consumer starts again at the new log start.
    c = Consumer({"bootstrap.servers": b, "group.id": "unused", "enable.auto.commit": False,
                  "auto.offset.reset": "error"})
    try:
        c.assign([TopicPartition(topic, 0, 1)])
        err = None
        deadline = time.monotonic() + 20
        while err is None and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is not None:
                assert m.error() is not None, f"record at {m.offset()} below the log start"
                err = m.error()
        assert err is not None and err.code() == KafkaError._AUTO_OFFSET_RESET, err
        assert "out of range" in err.str().lower() or "OFFSET_OUT_OF_RANGE" in err.str(), err
    finally:
        c.close()
    c = Consumer({"bootstrap.servers": b, "group.id": "unused", "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    try:
        c.assign([TopicPartition(topic, 0, 1)])
        m = None
        deadline = time.monotonic() + 20
        while m is None and time.monotonic() < deadline:
            m = c.poll(0.5)
        assert m is not None and m.error() is None and (m.offset(), m.value()) == (4, b"v4")
    finally:
        c.close()

    # -1 deletes everything up to the high watermark; beyond it is OFFSET_OUT_OF_RANGE.
    (fut,) = a.delete_records([TopicPartition(topic, 0, -1)]).values()
    assert fut.result(30).low_watermark == 10
    (fut,) = a.delete_records([TopicPartition(topic, 1, 5)]).values()
    assert error_of(fut) == KafkaError.OFFSET_OUT_OF_RANGE
    assert end_offsets(b, topic) == {0: (10, 10), 1: (0, 0)}
    reports = confluent_produce(b, topic, [{"key": "k", "value": "after", "partition": 0}])
    assert reports[0]["offset"] == 10


def test_delete_records_on_compacted_topic_is_a_policy_violation(kafka_backend):
    """Only topics with the delete cleanup policy allow DeleteRecords."""
    b = kafka_backend.bootstrap
    topic = topic_name("admin-delrec-compact")
    create_topic(b, topic, 1, {"cleanup.policy": "compact"})
    confluent_produce(b, topic, [{"key": f"k{i}", "value": "v", "partition": 0}
                                 for i in range(4)])
    a = admin(b)  # must outlive the future
    (fut,) = a.delete_records([TopicPartition(topic, 0, 2)]).values()
    assert error_of(fut) == KafkaError.POLICY_VIOLATION
    assert end_offsets(b, topic)[0] == (0, 4)


def test_metadata_auto_creates_topics_only_when_asked(kafka_backend):
    """A producer's Metadata request (allow_auto_topic_creation=true) creates an unknown
    topic with the default partition count; an admin client's (false) does not."""
    b = kafka_backend.bootstrap
    auto = topic_name("admin-auto")
    reports = confluent_produce(b, auto, [{"key": "k", "value": "v"}])
    assert (reports[0]["partition"], reports[0]["offset"]) == (0, 0)
    assert partition_count(b, auto) == 1
    assert [r["value"] for r in confluent_read_all(b, auto)] == ["v"]
    manual = topic_name("admin-noauto")
    for _ in range(3):
        assert topic_error(b, manual) == KafkaError.UNKNOWN_TOPIC_OR_PART
        time.sleep(0.2)


def test_list_all_topics(kafka_backend):
    """librdkafka's Metadata request for all topics (list_topics() without a topic)."""
    b = kafka_backend.bootstrap
    topic = topic_name("admin-list")
    create_topic(b, topic, 2)
    md = admin(b).list_topics(timeout=15)
    assert topic in md.topics and len(md.topics[topic].partitions) == 2
    assert [(n.id, n.host, n.port) for n in md.brokers.values()] == \
        [(md.controller_id, *kafka_backend.host_port)]


def test_delete_topic(kafka_backend):
    b = kafka_backend.bootstrap
    topic = topic_name("admin-delete")
    create_topic(b, topic, 2)
    confluent_produce(b, topic, [{"key": "k", "value": "v", "partition": 1}])
    a = admin(b)
    assert error_of(a.delete_topics([topic], operation_timeout=30)[topic]) is None
    deadline = time.monotonic() + 30
    while topic_error(b, topic) != KafkaError.UNKNOWN_TOPIC_OR_PART:
        assert time.monotonic() < deadline, "topic still listed after delete"
        time.sleep(0.2)
    with Connection(*kafka_backend.host_port) as conn:  # Metadata for all topics
        conn.send(metadata_v4_request(None, 1))
        assert topic not in parse_metadata_v4(conn.recv_response()[1])["topics"]
    assert error_of(a.delete_topics([topic])[topic]) == KafkaError.UNKNOWN_TOPIC_OR_PART
    # Re-created with the same name, the topic starts empty at offset 0.
    deadline = time.monotonic() + 30
    while True:  # Apache Kafka may still be deleting it
        err = error_of(a.create_topics([NewTopic(topic, 1, 1)])[topic])
        if err is None or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert err is None
    wait_for_topic(b, topic, 1)
    assert end_offsets(b, topic) == {0: (0, 0)}


# --- Kafka's CLI tools ------------------------------------------------------------------

def _topic_configs_line(describe_out: str, topic: str) -> dict[str, str]:
    for line in describe_out.splitlines():
        if line.startswith(f"Topic: {topic}\t") and "Configs:" in line:
            cfg = line.split("Configs:", 1)[1].strip()
            return dict(kv.split("=", 1) for kv in cfg.split(",") if kv)
    raise AssertionError(f"no topic line in:\n{describe_out}")


def test_kafka_cli_tools(kafka_backend):
    """kafka-topics, kafka-configs, kafka-delete-records and kafka-get-offsets
    against the backend."""
    b = kafka_backend.bootstrap
    topic = topic_name("admin-cli")
    out = kafka_cli("topics", "--bootstrap-server", b, "--create", "--topic", topic,
                    "--partitions", 2, "--config", "retention.ms=86400000",
                    "--config", "max.message.bytes=2000000").stdout
    assert f"Created topic {topic}." in out
    wait_for_topic(b, topic, 2)

    desc = kafka_cli("topics", "--bootstrap-server", b, "--describe", "--topic", topic).stdout
    assert "PartitionCount: 2" in desc and "ReplicationFactor: 1" in desc
    cfg = _topic_configs_line(desc, topic)
    assert {k: cfg.get(k) for k in ("retention.ms", "max.message.bytes")} == \
        {"retention.ms": "86400000", "max.message.bytes": "2000000"}
    assert len([line for line in desc.splitlines() if "\tPartition: " in line
                and "Leader: " in line]) == 2

    dup = kafka_cli("topics", "--bootstrap-server", b, "--create", "--topic", topic,
                    "--partitions", 1, check=False)
    assert dup.returncode != 0 and "already exists" in dup.stdout + dup.stderr

    kafka_cli("configs", "--bootstrap-server", b, "--alter", "--entity-type", "topics",
              "--entity-name", topic, "--add-config", "segment.ms=3600000,retention.ms=1000")
    kafka_cli("configs", "--bootstrap-server", b, "--alter", "--entity-type", "topics",
              "--entity-name", topic, "--delete-config", "retention.ms")
    out = kafka_cli("configs", "--bootstrap-server", b, "--describe", "--entity-type", "topics",
                    "--entity-name", topic).stdout
    dynamic = sorted(line.strip().split(" ", 1)[0] for line in out.splitlines()
                     if line.startswith("  "))
    assert dynamic == ["max.message.bytes=2000000", "segment.ms=3600000"], out

    kafka_cli("topics", "--bootstrap-server", b, "--alter", "--topic", topic, "--partitions", 3)
    wait_for_topic(b, topic, 3)

    confluent_produce(b, topic, [{"key": "k", "value": f"v{i}", "partition": 0}
                                 for i in range(6)])
    spec = write_temp(json.dumps({"version": 1, "partitions": [
        {"topic": topic, "partition": 0, "offset": 2}]}))
    try:
        out = kafka_cli("delete-records", "--bootstrap-server", b,
                        "--offset-json-file", spec).stdout
    finally:
        os.unlink(spec)
    assert "low_watermark: 2" in out, out
    lines = console_consume(b, topic, 0, 4)
    assert [line.split("\t")[1:] for line in lines] == \
        [[f"Offset:{i}", "NO_HEADERS", "k", f"v{i}"] for i in range(2, 6)], lines
    assert all(line.startswith("CreateTime:") for line in lines)
    offsets = kafka_cli("get-offsets", "--bootstrap-server", b, "--topic", topic,
                        "--time", "-2").stdout.split()
    assert sorted(offsets) == [f"{topic}:0:2", f"{topic}:1:0", f"{topic}:2:0"]

    kafka_cli("topics", "--bootstrap-server", b, "--delete", "--topic", topic)
    deadline = time.monotonic() + 30
    while True:
        gone = kafka_cli("topics", "--bootstrap-server", b, "--describe", "--topic", topic,
                         check=False)
        if gone.returncode != 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert gone.returncode != 0 and "does not exist" in gone.stdout + gone.stderr
