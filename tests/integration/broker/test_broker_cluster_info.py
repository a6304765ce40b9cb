"""DescribeCluster, DescribeLogDirs (kafka-log-dirs CLI) and OffsetForLeaderEpoch on a
single node. Same expectations for the embedded broker and Apache Kafka."""

from __future__ import annotations

import json
import struct

from confluent_kafka.admin import AclOperation

from broker_clients import (admin, confluent_produce, create_topic, end_offsets, kafka_cli,
                            topic_name)
from broker_wire import Connection, Reader, frame, request_header, string


def test_describe_cluster(kafka_backend):
    a = admin(kafka_backend.bootstrap)
    d = a.describe_cluster().result(30)
    host, port = kafka_backend.host_port
    assert [(n.id, n.host, n.port) for n in d.nodes] == [(d.controller.id, host, port)]
    assert d.cluster_id and d.authorized_operations is None
    assert a.describe_cluster().result(30).cluster_id == d.cluster_id


def test_describe_cluster_authorized_operations_without_an_authorizer(kafka_backend):
    """With no authorizer every cluster operation is allowed, and DescribeCluster lists
    them when asked."""
    a = admin(kafka_backend.bootstrap)
    d = a.describe_cluster(include_authorized_operations=True).result(30)
    assert d.authorized_operations is not None
    assert set(d.authorized_operations) == {
        AclOperation.CREATE, AclOperation.ALTER, AclOperation.DESCRIBE,
        AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS,
        AclOperation.IDEMPOTENT_WRITE}


def test_log_dirs_cli(kafka_backend):
    b = kafka_backend.bootstrap
    topic = topic_name("logdirs")
    create_topic(b, topic, 2)
    confluent_produce(b, topic, [{"key": "k", "value": "v" * 100, "partition": 0}
                                 for _ in range(20)])
    out = kafka_cli("log-dirs", "--bootstrap-server", b, "--describe",
                    "--topic-list", topic).stdout
    doc = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    (broker,) = doc["brokers"]
    (log_dir,) = broker["logDirs"]
    assert log_dir["error"] is None and log_dir["logDir"]
    sizes = {p["partition"]: p["size"] for p in log_dir["partitions"]}
    assert set(sizes) == {f"{topic}-0", f"{topic}-1"}
    assert sizes[f"{topic}-0"] > 20 * 100 and sizes[f"{topic}-1"] == 0
    assert all(p["offsetLag"] == 0 and not p["isFuture"] for p in log_dir["partitions"])


def _offset_for_leader_epoch(conn, topic, current_epoch, epoch, corr):
    """OffsetForLeaderEpoch v3 for partition 0: (error, leader_epoch, end_offset)."""
    body = (struct.pack(">i", -1) + struct.pack(">i", 1) + string(topic) + struct.pack(">i", 1)
            + struct.pack(">iii", 0, current_epoch, epoch))
    conn.send(frame(request_header(23, 3, corr) + body))
    got_corr, data = conn.recv_response()
    assert got_corr == corr
    r = Reader(data)
    r.take("i")
    assert r.take("i") == 1 and r.string() == topic and r.take("i") == 1
    err, partition, leader_epoch, end_offset = r.take("hiiq")
    assert partition == 0
    return err, leader_epoch, end_offset


def _leader_epoch(conn, topic) -> int:
    """Partition 0's leader epoch from Metadata v7."""
    conn.send(frame(request_header(3, 7, 3) + struct.pack(">i", 1) + string(topic) + b"\x00"))
    _, data = conn.recv_response()
    r = Reader(data)
    r.take("i")
    for _ in range(r.take("i")):
        r.take("i"), r.string(), r.take("i"), r.string()
    r.string(), r.take("i"), r.take("i")
    assert r.take("h") == 0 and r.string() == topic
    r.take("b")
    assert r.take("i") == 1
    err, partition, _leader, epoch = r.take("hiii")
    assert (err, partition) == (0, 0)
    return epoch


def test_offset_for_leader_epoch(kafka_backend):
    b = kafka_backend.bootstrap
    topic = topic_name("ofle")
    create_topic(b, topic, 1)
    confluent_produce(b, topic, [{"key": "k", "value": "v", "partition": 0} for _ in range(5)])
    assert end_offsets(b, topic) == {0: (0, 5)}
    with Connection(*kafka_backend.host_port) as conn:
        epoch = _leader_epoch(conn, topic)
        assert epoch >= 0
        # The current epoch ends at the log end offset.
        assert _offset_for_leader_epoch(conn, topic, -1, epoch, 1) == (0, epoch, 5)
        assert _offset_for_leader_epoch(conn, topic, epoch, epoch, 2) == (0, epoch, 5)
        # An epoch after the current one is unknown: undefined epoch and offset.
        assert _offset_for_leader_epoch(conn, topic, -1, epoch + 1, 3) == (0, -1, -1)
        # A current_leader_epoch newer than the leader's: UNKNOWN_LEADER_EPOCH (75).
        assert _offset_for_leader_epoch(conn, topic, epoch + 1, epoch, 4)[0] == 75
        # The undefined epoch (-1) has no end offset.
        assert _offset_for_leader_epoch(conn, topic, -1, -1, 5) == (0, -1, -1)
