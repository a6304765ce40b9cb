"""Retention deletes old segments and compaction keeps the latest value per key, on the
embedded broker and on Apache Kafka, each configured to check every second."""

from __future__ import annotations

import time
from typing import Iterator

import pytest

from backends import KafkaBackend, launch_wharf
from broker_clients import confluent_produce, confluent_read_all, create_topic, end_offsets, \
    topic_name
from kafka_cluster import KafkaCluster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["wharf", "apache"])
def cleanup_backend(request, tmp_path_factory) -> Iterator[KafkaBackend]:
    if request.param == "wharf":
        workdir = tmp_path_factory.mktemp("wharf-cleanup")
        w = launch_wharf(workdir, config={"broker": {"retention_check_interval": "1s"}})
        yield KafkaBackend("wharf", f"127.0.0.1:{w.ports['broker']}", w, workdir)
        assert w.stop() == 0
    else:
        kafka = KafkaCluster(nodes=1, extra_config={"log.retention.check.interval.ms": "1000",
                                                    "log.cleaner.backoff.ms": "1000",
                                                    "log.segment.delete.delay.ms": "0"})
        kafka.start()
        yield KafkaBackend("apache", kafka.bootstrap_servers)
        kafka.stop()


def produce_in_segments(bootstrap: str, topic: str, batches: list[list[dict]]) -> None:
    """One produce per batch, spaced past segment.ms so each lands in its own segment."""
    for batch in batches:
        confluent_produce(bootstrap, topic, batch)
        time.sleep(0.4)


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def test_retention_deletes_old_segments(cleanup_backend):
    b = cleanup_backend.bootstrap
    topic = topic_name("retention")
    create_topic(b, topic, 1, {"retention.ms": "2000", "segment.ms": "200"})
    old = [[{"key": f"old-{i}-{j}", "value": "x" * 100} for j in range(10)] for i in range(3)]
    produce_in_segments(b, topic, old)
    time.sleep(2.5)  # the old records are now past retention.ms
    confluent_produce(b, topic, [{"key": "fresh", "value": "y"}])  # rolls the last old segment
    wait_for(lambda: end_offsets(b, topic)[0][0] >= 30, 45,
             "retention to delete the expired segments")
    # Kafka may also roll and delete the fresh record's segment once it expires in turn;
    # either way nothing old is left and offsets are not reused.
    low, high = end_offsets(b, topic)[0]
    assert high == 31 and low in (30, 31)
    assert all(r["key"] == "fresh" for r in confluent_read_all(b, topic))


def test_compaction_keeps_the_latest_value_per_key(cleanup_backend):
    b = cleanup_backend.bootstrap
    topic = topic_name("compact")
    create_topic(b, topic, 1, {"cleanup.policy": "compact", "segment.ms": "200",
                               "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "100"})
    keys = [f"k{i}" for i in range(5)]
    produce_in_segments(b, topic, [
        [{"key": k, "value": "v1"} for k in keys],
        [{"key": k, "value": "v2"} for k in keys],
        [{"key": "k0", "value": None}, {"key": "k1", "value": "v3"}],  # a tombstone and an update
        [{"key": "filler", "value": "f"}],
    ])
    confluent_produce(b, topic, [{"key": "filler", "value": "g"}])  # rolls the filler segment

    def compacted():
        records = confluent_read_all(b, topic)
        values = {}
        for r in records:
            values.setdefault(r["key"], []).append(r["value"])
        stale = [k for k in keys if len(values.get(k, [])) > 1]
        return (values, records) if not stale else None

    values, records = wait_for(compacted, 60, "the cleaner to compact the topic")
    assert values["k1"] == ["v3"]
    for k in ("k2", "k3", "k4"):
        assert values[k] == ["v2"]
    assert values.get("k0", [None]) == [None]  # the tombstone, or nothing once it expired
    # Offsets keep their original values and order.
    offsets = [r["offset"] for r in records]
    assert offsets == sorted(offsets)
    assert records[-1]["value"] == "g"
