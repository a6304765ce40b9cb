"""REST Proxy v2 round trips against the embedded broker and Apache Kafka: metadata,
binary and JSON produce read back by a v2 consumer (keys, partitions, offsets), and
records crossing between HTTP and a Kafka client in both directions."""

from __future__ import annotations

import json

import requests

from rest_helpers import (TIMEOUT, V2, V2_BINARY, V2_JSON, V2Consumer, b64, create_topic,
                          kafka_produce, kafka_read_all, name, produce_v2, unb64)


def test_metadata_routes(rest_proxy):
    topic = name("meta")
    create_topic(rest_proxy.bootstrap, topic, partitions=3)
    url = rest_proxy.url

    r = requests.get(f"{url}/topics", timeout=TIMEOUT)
    assert r.status_code == 200 and r.headers["Content-Type"] == V2
    assert topic in r.json()
    assert "__consumer_offsets" not in r.json()

    brokers = requests.get(f"{url}/brokers", timeout=TIMEOUT).json()["brokers"]
    assert len(brokers) == 1

    t = requests.get(f"{url}/topics/{topic}", timeout=TIMEOUT).json()
    assert t["name"] == topic
    assert t["configs"]["cleanup.policy"] == "delete"
    assert [p["partition"] for p in t["partitions"]] == [0, 1, 2]
    assert t["partitions"][0]["leader"] == brokers[0]
    assert t["partitions"][0]["replicas"] == [{"broker": brokers[0], "leader": True,
                                               "in_sync": True}]

    parts = requests.get(f"{url}/topics/{topic}/partitions", timeout=TIMEOUT).json()
    assert parts == t["partitions"]
    one = requests.get(f"{url}/topics/{topic}/partitions/1", timeout=TIMEOUT).json()
    assert one == t["partitions"][1]
    offsets = requests.get(f"{url}/topics/{topic}/partitions/1/offsets", timeout=TIMEOUT)
    assert offsets.json() == {"beginning_offset": 0, "end_offset": 0}
    assert requests.get(f"{url}/", timeout=TIMEOUT).json() == {}


def test_binary_produce_then_v2_consumer_reads_back(rest_proxy):
    topic = name("binary")
    create_topic(rest_proxy.bootstrap, topic, partitions=3)
    records = [{"key": b64(f"key-{i}"), "value": b64(bytes([i, 0, 255]) + b"payload"),
                "partition": i % 3} for i in range(9)]
    records.append({"value": b64(b"no key"), "partition": 0})
    records.append({"key": b64(b"null value"), "value": None, "partition": 1})
    r = produce_v2(rest_proxy.url, topic, records)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == V2
    body = r.json()
    assert body["key_schema_id"] is None and body["value_schema_id"] is None
    assert len(body["offsets"]) == len(records)
    next_offset = {0: 0, 1: 0, 2: 0}
    for rec, off in zip(records, body["offsets"]):
        assert off["error_code"] is None and off["error"] is None
        assert off["partition"] == rec["partition"]
        assert off["offset"] == next_offset[rec["partition"]]
        next_offset[rec["partition"]] += 1

    end = requests.get(f"{rest_proxy.url}/topics/{topic}/partitions/0/offsets", timeout=TIMEOUT)
    assert end.json() == {"beginning_offset": 0, "end_offset": 4}

    consumer = V2Consumer(rest_proxy.url, name("group"), "binary")
    try:
        consumer.subscribe(topic)
        got = consumer.read(len(records))
        assert len(got) == len(records)
        by_position = {(g["partition"], g["offset"]): g for g in got}
        for rec, off in zip(records, body["offsets"]):
            g = by_position[(off["partition"], off["offset"])]
            assert g["topic"] == topic
            assert g["key"] == rec.get("key")
            assert g["value"] == rec["value"]
        # Commit what was consumed (no body), then the committed offsets are the next ones.
        assert consumer.post("/offsets").status_code == 200
        committed = consumer.get("/offsets", {"partitions": [
            {"topic": topic, "partition": p} for p in range(3)]})
        assert committed.status_code == 200, committed.text
        assert sorted((o["partition"], o["offset"]) for o in committed.json()["offsets"]) == \
            [(0, 4), (1, 4), (2, 3)]
        assert consumer.records(timeout_ms=200) == []
    finally:
        consumer.delete()


def test_json_produce_then_v2_json_consumer_reads_back(rest_proxy):
    topic = name("json")
    create_topic(rest_proxy.bootstrap, topic, partitions=2)
    values = [{"name": "alice", "tags": ["a", "b"], "n": 1.5, "ok": True},
              [1, 2, 3], "just a string", 42, None, {"nested": {"deep": [{"x": -1}]}}]
    records = [{"key": {"id": i}, "value": v} for i, v in enumerate(values)]
    r = produce_v2(rest_proxy.url, topic, records, content_type=V2_JSON)
    assert r.status_code == 200, r.text
    assert all(o["error_code"] is None for o in r.json()["offsets"])

    consumer = V2Consumer(rest_proxy.url, name("group"), "json")
    try:
        consumer.assign(topic, [0, 1])
        got = consumer.read(len(records))
        assert sorted((g["key"]["id"], json.dumps(g["value"])) for g in got) == \
            sorted((i, json.dumps(v)) for i, v in enumerate(values))
        # A Kafka client sees compact JSON text.
        raw = kafka_read_all(rest_proxy.bootstrap, topic, len(records))
        assert {r["key"] for r in raw} == {json.dumps({"id": i}, separators=(",", ":")).encode()
                                           for i in range(len(values))}
        assert json.dumps(values[0], separators=(",", ":")).encode() in {r["value"] for r in raw}
    finally:
        consumer.delete()


def test_produce_to_one_partition(rest_proxy):
    topic = name("to-partition")
    create_topic(rest_proxy.bootstrap, topic, partitions=3)
    r = produce_v2(rest_proxy.url, topic, [{"value": b64(f"v{i}")} for i in range(4)],
                   partition=2)
    assert r.status_code == 200, r.text
    assert [(o["partition"], o["offset"]) for o in r.json()["offsets"]] == \
        [(2, 0), (2, 1), (2, 2), (2, 3)]


def test_a_kafka_client_consumes_what_http_produced(rest_proxy):
    topic = name("http-to-kafka")
    create_topic(rest_proxy.bootstrap, topic, partitions=2)
    records = [{"key": b64(f"k{i}"), "value": b64(f"value {i}")} for i in range(10)]
    r = produce_v2(rest_proxy.url, topic, records)
    assert r.status_code == 200, r.text
    positions = [(o["partition"], o["offset"]) for o in r.json()["offsets"]]
    got = kafka_read_all(rest_proxy.bootstrap, topic, len(records))
    assert len(got) == len(records)
    by_position = {(g["partition"], g["offset"]): g for g in got}
    for rec, pos in zip(records, positions):
        assert by_position[pos]["key"] == unb64(rec["key"])
        assert by_position[pos]["value"] == unb64(rec["value"])
    # Same key, same partition: the proxy's partitioner is consistent per key.
    again = produce_v2(rest_proxy.url, topic, [{"key": b64("k3"), "value": b64("again")}])
    assert again.json()["offsets"][0]["partition"] == positions[3][0]


def test_http_consumes_what_a_kafka_client_produced(rest_proxy):
    topic = name("kafka-to-http")
    create_topic(rest_proxy.bootstrap, topic, partitions=3)
    records = [{"key": f"key-{i}".encode(), "value": f"value-{i}".encode(), "partition": i % 3}
               for i in range(12)]
    positions = kafka_produce(rest_proxy.bootstrap, topic, records)
    consumer = V2Consumer(rest_proxy.url, name("group"), "binary")
    try:
        consumer.assign(topic, [0, 1, 2])
        r = consumer.post("/positions/beginning", {"partitions": [
            {"topic": topic, "partition": p} for p in range(3)]})
        assert r.status_code == 204, r.text
        got = consumer.read(len(records))
        assert sorted((g["partition"], g["offset"], unb64(g["key"]), unb64(g["value"]))
                      for g in got) == \
            sorted((p, o, rec["key"], rec["value"]) for (p, o), rec in zip(positions, records))
    finally:
        consumer.delete()


def test_seek_to_offsets_and_to_the_end(rest_proxy):
    topic = name("seek")
    create_topic(rest_proxy.bootstrap, topic, partitions=1)
    r = produce_v2(rest_proxy.url, topic, [{"value": b64(f"v{i}")} for i in range(6)])
    assert [o["offset"] for o in r.json()["offsets"]] == list(range(6)), r.text
    consumer = V2Consumer(rest_proxy.url, name("group"), "binary")
    try:
        consumer.assign(topic, [0])
        r = consumer.post("/positions", {"offsets": [{"topic": topic, "partition": 0, "offset": 4}]})
        assert r.status_code == 204, r.text
        got = consumer.read(2)
        assert [g["offset"] for g in got] == [4, 5]
        assert consumer.post("/positions/beginning", {"partitions": [
            {"topic": topic, "partition": 0}]}).status_code == 204
        assert consumer.read(6)[0]["offset"] == 0
        assert consumer.post("/positions/end", {"partitions": [
            {"topic": topic, "partition": 0}]}).status_code == 204
        assert consumer.records(timeout_ms=300) == []
        produce_v2(rest_proxy.url, topic, [{"value": b64("after the end")}])
        got = consumer.read(1)
        assert got[0]["offset"] == 6 and unb64(got[0]["value"]) == b"after the end"
    finally:
        consumer.delete()


def test_explicit_commits_store_the_next_offset(rest_proxy):
    topic = name("commit")
    create_topic(rest_proxy.bootstrap, topic, partitions=2)
    group = name("group")
    consumer = V2Consumer(rest_proxy.url, group, "binary", **{"auto.commit.enable": "false"})
    try:
        consumer.assign(topic, [0, 1])
        # As Confluent: the offsets given are the last records processed.
        r = consumer.post("/offsets", {"offsets": [
            {"topic": topic, "partition": 0, "offset": 9},
            {"topic": topic, "partition": 1, "offset": 0}]})
        assert r.status_code == 200, r.text
        committed = consumer.get("/offsets", {"partitions": [
            {"topic": topic, "partition": 0}, {"topic": topic, "partition": 1}]}).json()
        assert sorted((o["topic"], o["partition"], o["offset"]) for o in committed["offsets"]) == \
            [(topic, 0, 10), (topic, 1, 1)]
        from confluent_kafka.admin import AdminClient
        from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
        admin = AdminClient({"bootstrap.servers": rest_proxy.bootstrap})
        listed = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(
            group, [TopicPartition(topic, 0)])])[group].result(30)
        assert listed.topic_partitions[0].offset == 10
    finally:
        consumer.delete()


def test_subscription_and_assignment_views(rest_proxy):
    a, b = name("sub-a"), name("sub-b")
    create_topic(rest_proxy.bootstrap, a, partitions=2)
    create_topic(rest_proxy.bootstrap, b, partitions=1)
    # No commits: the pattern subscription below starts again from the earliest records.
    consumer = V2Consumer(rest_proxy.url, name("group"), "binary",
                          **{"auto.commit.enable": "false"})
    try:
        consumer.subscribe(a, b)
        assert sorted(consumer.get("/subscription").json()["topics"]) == sorted([a, b])
        produce_v2(rest_proxy.url, a, [{"value": b64("x")}], partition=1)
        consumer.read(1)  # the group has assigned the partitions by now
        assigned = consumer.get("/assignments").json()["partitions"]
        assert sorted((p["topic"], p["partition"]) for p in assigned) == \
            sorted([(a, 0), (a, 1), (b, 0)])
        assert requests.delete(consumer.base + "/subscription", timeout=TIMEOUT).status_code == 204
        assert consumer.get("/subscription").json() == {"topics": []}

        # A pattern matches whole topic names (as Java's subscribe(Pattern)).
        r = consumer.post("/subscription", {"topic_pattern": a[:-3] + ".*"})
        assert r.status_code == 204, r.text
        produce_v2(rest_proxy.url, a, [{"value": b64("y")}], partition=0)
        got = consumer.read(2)
        assert {g["topic"] for g in got} == {a}
        assert consumer.get("/subscription").json() == {"topics": [a]}
    finally:
        consumer.delete()


def test_max_bytes_splits_records_across_reads_without_losing_any(rest_proxy):
    topic = name("max-bytes")
    create_topic(rest_proxy.bootstrap, topic, partitions=1)
    produce_v2(rest_proxy.url, topic, [{"value": b64("x" * 1000)} for _ in range(10)])
    consumer = V2Consumer(rest_proxy.url, name("group"), "binary")
    try:
        consumer.assign(topic, [0])
        seen: list[int] = []
        sizes: list[int] = []
        for _ in range(40):
            batch = consumer.records(timeout_ms=300, max_bytes=3000)
            sizes.append(len(batch))
            seen.extend(g["offset"] for g in batch)
            if len(seen) >= 10:
                break
        assert seen == list(range(10))
        assert max(sizes) <= 2  # ~1.4 KB each in base64: two fit in 3000 bytes
        # What was held back is committed only once delivered.
        assert consumer.post("/offsets").status_code == 200
        committed = consumer.get("/offsets", {"partitions": [{"topic": topic, "partition": 0}]})
        assert committed.json()["offsets"][0]["offset"] == 10
    finally:
        consumer.delete()
