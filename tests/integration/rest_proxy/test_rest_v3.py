"""REST Proxy v3 against the embedded broker and Apache Kafka: clusters, topics
(create/list/get/delete), topic configs, partitions, and single-record produce answered
with Confluent's delivery report."""

from __future__ import annotations

import datetime
import json

import requests

from rest_helpers import TIMEOUT, b64, cluster_id, create_topic, kafka_read_all, name


def _v3(rest_proxy) -> str:
    return f"{rest_proxy.url}/v3/clusters/{cluster_id(rest_proxy.bootstrap)}"


def test_clusters(rest_proxy):
    cid = cluster_id(rest_proxy.bootstrap)
    r = requests.get(f"{rest_proxy.url}/v3/clusters", timeout=TIMEOUT)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert body["kind"] == "KafkaClusterList"
    assert body["metadata"] == {"self": f"{rest_proxy.url}/v3/clusters", "next": None}
    [cluster] = body["data"]
    assert cluster["kind"] == "KafkaCluster" and cluster["cluster_id"] == cid
    assert cluster["metadata"] == {"self": f"{rest_proxy.url}/v3/clusters/{cid}",
                                   "resource_name": f"crn:///kafka={cid}"}
    assert cluster["topics"] == {"related": f"{rest_proxy.url}/v3/clusters/{cid}/topics"}
    assert cluster["controller"]["related"].startswith(f"{rest_proxy.url}/v3/clusters/{cid}/brokers/")
    assert requests.get(f"{rest_proxy.url}/v3/clusters/{cid}", timeout=TIMEOUT).json() == cluster


def test_topic_lifecycle(rest_proxy):
    base = _v3(rest_proxy)
    topic = name("v3-topic")
    r = requests.post(f"{base}/topics", json={
        "topic_name": topic, "partitions_count": 3, "replication_factor": 1,
        "configs": [{"name": "cleanup.policy", "value": "compact"}]}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"{base}/topics/{topic}"
    created = r.json()
    assert created["kind"] == "KafkaTopic" and created["topic_name"] == topic
    assert created["partitions_count"] == 3 and created["replication_factor"] == 1
    assert created["is_internal"] is False
    assert created["partitions"] == {"related": f"{base}/topics/{topic}/partitions"}

    listed = requests.get(f"{base}/topics", timeout=TIMEOUT).json()
    assert listed["kind"] == "KafkaTopicList"
    assert topic in [t["topic_name"] for t in listed["data"]]
    assert requests.get(f"{base}/topics/{topic}", timeout=TIMEOUT).json() == created

    configs = requests.get(f"{base}/topics/{topic}/configs", timeout=TIMEOUT).json()
    policy = [c for c in configs["data"] if c["name"] == "cleanup.policy"][0]
    assert policy["value"] == "compact" and policy["source"] == "DYNAMIC_TOPIC_CONFIG"
    assert policy["is_default"] is False
    one = requests.get(f"{base}/topics/{topic}/configs/cleanup.policy", timeout=TIMEOUT).json()
    assert one == policy

    partitions = requests.get(f"{base}/topics/{topic}/partitions", timeout=TIMEOUT).json()
    assert partitions["kind"] == "KafkaPartitionList"
    assert [p["partition_id"] for p in partitions["data"]] == [0, 1, 2]
    p1 = requests.get(f"{base}/topics/{topic}/partitions/1", timeout=TIMEOUT).json()
    assert p1 == partitions["data"][1]
    assert p1["leader"]["related"].startswith(f"{base}/topics/{topic}/partitions/1/replicas/")

    # Creating it again is Kafka's TopicExistsException, a 400.
    again = requests.post(f"{base}/topics", json={"topic_name": topic}, timeout=TIMEOUT)
    assert again.status_code == 400 and again.json()["error_code"] == 40002

    assert requests.delete(f"{base}/topics/{topic}", timeout=TIMEOUT).status_code == 204
    gone = requests.get(f"{base}/topics/{topic}", timeout=TIMEOUT)
    assert gone.status_code == 404 and gone.json()["error_code"] == 40403
    assert requests.delete(f"{base}/topics/{topic}", timeout=TIMEOUT).status_code == 404


def test_validate_only_creates_nothing(rest_proxy):
    base = _v3(rest_proxy)
    topic = name("v3-validate")
    r = requests.post(f"{base}/topics", json={"topic_name": topic, "partitions_count": 2,
                                               "validate_only": True}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.json()["topic_name"] == topic
    assert requests.get(f"{base}/topics/{topic}", timeout=TIMEOUT).status_code == 404


def test_produce_one_record_with_delivery_report(rest_proxy):
    base = _v3(rest_proxy)
    topic = name("v3-produce")
    create_topic(rest_proxy.bootstrap, topic, partitions=2)
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    r = requests.post(f"{base}/topics/{topic}/records", json={
        "partition_id": 1,
        "headers": [{"name": "trace", "value": b64("abc")}, {"name": "empty", "value": None}],
        "key": {"type": "STRING", "data": "user-1"},
        "value": {"type": "JSON", "data": {"amount": 12.5, "items": [1, 2]}}}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["error_code"] == 200
    assert report["cluster_id"] == cluster_id(rest_proxy.bootstrap)
    assert report["topic_name"] == topic
    assert report["partition_id"] == 1 and report["offset"] == 0
    value_text = json.dumps({"amount": 12.5, "items": [1, 2]}, separators=(",", ":"))
    assert report["key"] == {"type": "STRING", "size": 6}
    assert report["value"] == {"type": "JSON", "size": len(value_text)}
    stamp = datetime.datetime.fromisoformat(report["timestamp"].replace("Z", "+00:00"))
    assert before < stamp < before + datetime.timedelta(seconds=60)

    r2 = requests.post(f"{base}/topics/{topic}/records", json={
        "partition_id": 1, "value": {"type": "BINARY", "data": b64(b"\x00\x01raw")},
        "timestamp": "2021-02-05T19:14:42.371Z"}, timeout=TIMEOUT)
    assert r2.status_code == 200, r2.text
    assert r2.json()["offset"] == 1 and "key" not in r2.json()
    assert r2.json()["timestamp"] == "2021-02-05T19:14:42.371Z"

    got = kafka_read_all(rest_proxy.bootstrap, topic, 2)
    assert got[0]["key"] == b"user-1" and got[0]["value"] == value_text.encode()
    assert got[0]["headers"] == [("trace", b"abc"), ("empty", None)]
    assert got[1]["key"] is None and got[1]["value"] == b"\x00\x01raw"


def test_consumer_groups_consumers_and_lags(rest_proxy):
    from rest_helpers import V2Consumer, produce_v2

    base = _v3(rest_proxy)
    topic = name("v3-lag")
    create_topic(rest_proxy.bootstrap, topic, partitions=2)
    produce_v2(rest_proxy.url, topic, [{"value": b64(f"v{i}"), "partition": i % 2}
                                       for i in range(6)])
    group = name("v3-group")
    consumer = V2Consumer(rest_proxy.url, group, "binary", name="lagger",
                          **{"auto.commit.enable": "false"})
    try:
        consumer.subscribe(topic)
        consumer.read(6)
        # Committed: partition 0 fully read, partition 1 only its first record.
        r = consumer.post("/offsets", {"offsets": [{"topic": topic, "partition": 0, "offset": 2},
                                                   {"topic": topic, "partition": 1, "offset": 0}]})
        assert r.status_code == 200, r.text
        produce_v2(rest_proxy.url, topic, [{"value": b64("more")}], partition=0)

        groups = requests.get(f"{base}/consumer-groups", timeout=TIMEOUT).json()
        assert groups["kind"] == "KafkaConsumerGroupList"
        g = [x for x in groups["data"] if x["consumer_group_id"] == group][0]
        assert g["kind"] == "KafkaConsumerGroup" and g["is_simple"] is False
        assert g["state"] == "STABLE" and g["partition_assignor"]
        assert g["consumers"] == {"related": f"{base}/consumer-groups/{group}/consumers"}
        assert requests.get(f"{base}/consumer-groups/{group}", timeout=TIMEOUT).json() == g

        consumers = requests.get(f"{base}/consumer-groups/{group}/consumers",
                                 timeout=TIMEOUT).json()["data"]
        assert len(consumers) == 1 and consumers[0]["client_id"] == "lagger"
        member = consumers[0]["consumer_id"]
        one = requests.get(f"{base}/consumer-groups/{group}/consumers/{member}", timeout=TIMEOUT)
        assert one.json() == consumers[0]

        lags = requests.get(f"{base}/consumer-groups/{group}/lags", timeout=TIMEOUT).json()
        assert [(x["partition_id"], x["current_offset"], x["log_end_offset"], x["lag"])
                for x in lags["data"]] == [(0, 3, 4, 1), (1, 1, 3, 2)]
        assert {x["consumer_id"] for x in lags["data"]} == {member}
        summary = requests.get(f"{base}/consumer-groups/{group}/lag-summary",
                               timeout=TIMEOUT).json()
        assert summary["kind"] == "KafkaConsumerGroupLagSummary"
        assert summary["total_lag"] == 3 and summary["max_lag"] == 2
        assert summary["max_lag_topic_name"] == topic and summary["max_lag_partition_id"] == 1
        assert summary["max_lag_consumer_id"] == member and summary["max_lag_client_id"] == "lagger"

        one_lag = requests.get(f"{base}/consumer-groups/{group}/lags/{topic}/partitions/1",
                               timeout=TIMEOUT)
        assert one_lag.status_code == 200 and one_lag.json() == lags["data"][1]
        no_lag = requests.get(f"{base}/consumer-groups/{group}/lags/{topic}/partitions/7",
                              timeout=TIMEOUT)
        assert no_lag.status_code == 404 and no_lag.json()["error_code"] == 404

        member_url = f"{base}/consumer-groups/{group}/consumers/{member}"
        assert consumers[0]["assignments"] == {"related": f"{member_url}/assignments"}
        assignments = requests.get(f"{member_url}/assignments", timeout=TIMEOUT).json()
        assert assignments["kind"] == "KafkaConsumerAssignmentList"
        assert [(a["topic_name"], a["partition_id"], a["consumer_id"])
                for a in assignments["data"]] == [(topic, 0, member), (topic, 1, member)]
        first = assignments["data"][0]
        assert first["kind"] == "KafkaConsumerAssignment"
        assert first["partition"] == {"related": f"{base}/topics/{topic}/partitions/0"}
        assert first["lag"] == {"related": f"{base}/consumer-groups/{group}/lags/{topic}/partitions/0"}
        one = requests.get(f"{member_url}/assignments/{topic}/partitions/1", timeout=TIMEOUT)
        assert one.status_code == 200 and one.json() == assignments["data"][1]
        for missing_url in (f"{member_url}/assignments/{topic}/partitions/5",
                            f"{member_url}/assignments/other/partitions/0",
                            f"{base}/consumer-groups/{group}/consumers/nobody/assignments"):
            r = requests.get(missing_url, timeout=TIMEOUT)
            assert r.status_code == 404 and r.json()["error_code"] == 404, missing_url
    finally:
        consumer.delete()
    missing = requests.get(f"{base}/consumer-groups/{name('nobody')}", timeout=TIMEOUT)
    assert missing.status_code == 404 and missing.json()["error_code"] == 404


def test_produce_after_topic_deleted_and_created_again(rest_proxy):
    """The shared idempotent producer keeps its sequence numbers for a topic that is deleted
    and created again; the broker must take them (Kafka accepts any first sequence from a
    producer a partition does not know), or librdkafka's producer turns fatal and every
    later produce on the proxy fails (found by schemathesis on the embedded broker)."""
    import time

    from rest_helpers import V2_BINARY, produce_v2

    base = _v3(rest_proxy)
    topic = name("recreated")

    def create():
        r = requests.post(f"{base}/topics", json={"topic_name": topic, "partitions_count": 1},
                          timeout=TIMEOUT)
        assert r.status_code == 201, r.text

    def produce_until_written(count: int) -> None:
        deadline = time.monotonic() + 30
        while True:
            r = produce_v2(rest_proxy.url, topic, [{"value": b64(f"v{i}")} for i in range(count)],
                           V2_BINARY)
            errors = [o["error"] for o in r.json().get("offsets", [])] if r.status_code == 200 else []
            assert not any(e and "Fatal" in e for e in errors), r.text
            if r.status_code == 200 and not any(errors):
                return
            assert time.monotonic() < deadline, r.text
            time.sleep(0.2)

    create()
    produce_until_written(5)
    assert requests.delete(f"{base}/topics/{topic}", timeout=TIMEOUT).status_code == 204
    deadline = time.monotonic() + 30
    while requests.get(f"{base}/topics/{topic}", timeout=TIMEOUT).status_code != 404:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    create()
    produce_until_written(3)
    other = name("after-recreate")
    create_topic(rest_proxy.bootstrap, other)
    r = produce_v2(rest_proxy.url, other, [{"value": b64("x")}], V2_BINARY)
    assert r.status_code == 200 and r.json()["offsets"][0]["error_code"] is None, r.text
