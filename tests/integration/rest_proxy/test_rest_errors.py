"""REST Proxy error answers against the embedded broker and Apache Kafka: Confluent's
codes and bodies for unknown topics, partitions and consumer instances, content
negotiation, bad payloads and limits; never a 5xx or a hang for a client's mistake."""

from __future__ import annotations

import json
import socket

import pytest
import requests

from rest_helpers import (TIMEOUT, V2, V2_BINARY, V2_JSON, V2Consumer, b64, cluster_id,
                          create_topic, name, produce_v2)


def _error(r: requests.Response, status: int, code: int) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error_code", "message"}, body
    assert body["error_code"] == code, body
    assert body["message"]
    return body


@pytest.fixture(scope="module")
def topic(rest_proxy) -> str:
    t = name("errors")
    create_topic(rest_proxy.bootstrap, t, partitions=2)
    return t


def test_unknown_topic_is_40401(rest_proxy):
    url = rest_proxy.url
    missing = name("missing")
    _error(requests.get(f"{url}/topics/{missing}", timeout=TIMEOUT), 404, 40401)
    _error(requests.get(f"{url}/topics/{missing}/partitions", timeout=TIMEOUT), 404, 40401)
    _error(produce_v2(url, missing, [{"value": b64("x")}]), 404, 40401)
    # Producing does not create the topic.
    _error(requests.get(f"{url}/topics/{missing}", timeout=TIMEOUT), 404, 40401)


def test_unknown_partition_is_40402(rest_proxy, topic):
    url = rest_proxy.url
    _error(requests.get(f"{url}/topics/{topic}/partitions/7", timeout=TIMEOUT), 404, 40402)
    _error(requests.get(f"{url}/topics/{topic}/partitions/7/offsets", timeout=TIMEOUT), 404, 40402)
    _error(requests.get(f"{url}/topics/{topic}/partitions/x", timeout=TIMEOUT), 404, 40402)
    _error(produce_v2(url, topic, [{"value": b64("x")}], partition=7), 404, 40402)
    _error(produce_v2(url, topic, [{"value": b64("x"), "partition": 2}]), 404, 40402)


def test_unknown_consumer_instance_is_40403(rest_proxy):
    base = f"{rest_proxy.url}/consumers/{name('g')}/instances/nobody"
    headers = {"Content-Type": V2}
    calls = [("DELETE", "", None), ("GET", "/subscription", None),
             ("POST", "/subscription", {"topics": ["t"]}), ("DELETE", "/subscription", None),
             ("GET", "/assignments", None),
             ("POST", "/assignments", {"partitions": [{"topic": "t", "partition": 0}]}),
             ("POST", "/positions", {"offsets": [{"topic": "t", "partition": 0, "offset": 1}]}),
             ("POST", "/positions/beginning", {"partitions": [{"topic": "t", "partition": 0}]}),
             ("POST", "/positions/end", {"partitions": [{"topic": "t", "partition": 0}]}),
             ("GET", "/records", None), ("POST", "/offsets", None),
             ("GET", "/offsets", {"partitions": [{"topic": "t", "partition": 0}]})]
    for method, path, body in calls:
        r = requests.request(method, base + path, headers=headers,
                             data=None if body is None else json.dumps(body), timeout=TIMEOUT)
        _error(r, 404, 40403)


def test_accept_mismatch_is_40601(rest_proxy, topic):
    consumer = V2Consumer(rest_proxy.url, name("g"), "binary")
    try:
        consumer.assign(topic, [0])
        r = requests.get(f"{consumer.base}/records", headers={"Accept": V2_JSON}, timeout=TIMEOUT)
        _error(r, 406, 40601)
        r = requests.get(f"{consumer.base}/records", headers={"Accept": "text/html"},
                         timeout=TIMEOUT)
        _error(r, 406, 406)
        # Generic types are answered in the consumer's own format.
        for accept in ("*/*", V2, "application/json", V2_BINARY):
            r = requests.get(f"{consumer.base}/records?timeout=10", headers={"Accept": accept},
                             timeout=TIMEOUT)
            assert r.status_code == 200 and r.headers["Content-Type"] == V2_BINARY, accept
    finally:
        consumer.delete()


def test_duplicate_instance_name_is_40902(rest_proxy):
    # Confluent's code for an existing instance is 40902 (40901 is "already subscribed").
    group = name("g")
    consumer = V2Consumer(rest_proxy.url, group, "binary", name="same")
    try:
        r = requests.post(f"{rest_proxy.url}/consumers/{group}", json={"name": "same"},
                          headers={"Content-Type": V2}, timeout=TIMEOUT)
        _error(r, 409, 40902)
        # The same name in another group is another instance.
        other = V2Consumer(rest_proxy.url, name("g"), "binary", name="same")
        other.delete()
    finally:
        consumer.delete()


def test_illegal_state_is_40903(rest_proxy, topic):
    consumer = V2Consumer(rest_proxy.url, name("g"), "binary")
    try:
        consumer.subscribe(topic)
        r = consumer.post("/assignments", {"partitions": [{"topic": topic, "partition": 0}]})
        _error(r, 409, 40903)
        assert requests.delete(consumer.base + "/subscription", timeout=TIMEOUT).status_code == 204
        consumer.assign(topic, [0])
        # Partition 1 is not assigned: Java's IllegalStateException.
        r = consumer.post("/positions", {"offsets": [{"topic": topic, "partition": 1, "offset": 0}]})
        _error(r, 409, 40903)
    finally:
        consumer.delete()


def test_bad_payloads(rest_proxy, topic):
    url = rest_proxy.url
    # Malformed JSON: 400.
    r = requests.post(f"{url}/topics/{topic}", data='{"records": [', timeout=TIMEOUT,
                      headers={"Content-Type": V2_BINARY})
    _error(r, 400, 400)
    # Binary data that is not base64: 400 (as Confluent's BadRequestException).
    _error(produce_v2(url, topic, [{"value": "not base64!"}]), 400, 400)
    _error(produce_v2(url, topic, [{"value": {"an": "object"}}]), 400, 400)
    # Well-formed JSON of the wrong shape: 422.
    for body in ({}, {"records": "x"}, {"records": []}, {"records": [{"value": "AA==",
                                                                        "partition": -1}]}, [1]):
        r = requests.post(f"{url}/topics/{topic}", data=json.dumps(body), timeout=TIMEOUT,
                          headers={"Content-Type": V2_BINARY})
        _error(r, 422, 42206)
    # Consumer creation.
    group = name("g")
    r = requests.post(f"{url}/consumers/{group}", json={"format": "xml"},
                      headers={"Content-Type": V2}, timeout=TIMEOUT)
    _error(r, 422, 422)
    r = requests.post(f"{url}/consumers/{group}", json={"auto.offset.reset": "sometimes"},
                      headers={"Content-Type": V2}, timeout=TIMEOUT)
    _error(r, 422, 42204)
    r = requests.post(f"{url}/consumers/{group}", data="{oops", headers={"Content-Type": V2},
                      timeout=TIMEOUT)
    _error(r, 400, 400)
    # v3 records.
    base = f"{url}/v3/clusters/{cluster_id(rest_proxy.bootstrap)}"
    r = requests.post(f"{base}/topics/{topic}/records",
                      json={"value": {"type": "BINARY", "data": "%%%"}}, timeout=TIMEOUT)
    _error(r, 400, 400)
    r = requests.post(f"{base}/topics/{topic}/records", data="[1,", timeout=TIMEOUT,
                      headers={"Content-Type": "application/json"})
    _error(r, 400, 400)
    r = requests.post(f"{base}/topics/{topic}/records", json={"partition_id": 9,
                                                             "value": {"data": "AA=="}},
                      timeout=TIMEOUT)
    _error(r, 404, 40402)
    r = requests.post(f"{base}/topics/{name('missing')}/records", json={"value": {"data": "AA=="}},
                      timeout=TIMEOUT)
    _error(r, 404, 40401)
    r = requests.post(f"{base}/topics", json={"topic_name": "bad name!"}, timeout=TIMEOUT)
    _error(r, 422, 42206)


def test_content_types(rest_proxy, topic):
    url = rest_proxy.url
    for content_type in ("text/plain", "application/xml", "application/vnd.kafka.avro.v2+json",
                         "application/vnd.kafka.binary.v1+json"):
        r = requests.post(f"{url}/topics/{topic}", data=json.dumps({"records": [{"value": "AA=="}]}),
                          headers={"Content-Type": content_type}, timeout=TIMEOUT)
        _error(r, 415, 415)
    # No embedded format named: binary, as Confluent documents.
    for content_type in (V2, "application/json"):
        r = requests.post(f"{url}/topics/{topic}", data=json.dumps({"records": [{"value": "AA=="}]}),
                          headers={"Content-Type": content_type}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
    base = f"{url}/v3/clusters/{cluster_id(rest_proxy.bootstrap)}"
    r = requests.post(f"{base}/topics/{topic}/records", data=json.dumps({"value": {"data": "AA=="}}),
                      headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
    _error(r, 415, 415)


def test_routes_methods_and_clusters(rest_proxy):
    url = rest_proxy.url
    _error(requests.get(f"{url}/no/such/route", timeout=TIMEOUT), 404, 404)
    r = requests.put(f"{url}/topics", timeout=TIMEOUT)
    _error(r, 405, 405)
    assert r.headers["Allow"] == "GET"
    _error(requests.get(f"{url}/v3/clusters/not-this-one", timeout=TIMEOUT), 404, 404)
    _error(requests.get(f"{url}/v3/clusters/not-this-one/topics", timeout=TIMEOUT), 404, 404)
    base = f"{url}/v3/clusters/{cluster_id(rest_proxy.bootstrap)}"
    _error(requests.get(f"{base}/topics/{name('missing')}", timeout=TIMEOUT), 404, 40403)


def test_oversized_body_is_413_and_the_proxy_keeps_serving(start_rest_proxy, rest_proxy, topic):
    small = start_rest_proxy({"http": {"max_body_size": "4KiB"}})
    big = json.dumps({"records": [{"value": b64(b"x" * 8000)}]})
    r = requests.post(f"{small.url}/topics/{topic}", data=big,
                      headers={"Content-Type": V2_BINARY}, timeout=TIMEOUT)
    _error(r, 413, 413)
    r = produce_v2(small.url, topic, [{"value": b64("fits")}])
    assert r.status_code == 200, r.text


def test_garbage_and_half_requests_do_not_hang(rest_proxy):
    host, port = rest_proxy.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"\x16\x03\x01 definitely not http\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 400")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST /topics/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{}")
        s.shutdown(socket.SHUT_WR)  # the body never completes
        data = s.recv(4096)
        assert data == b"" or data.startswith(b"HTTP/1.1 4")
    assert requests.get(f"{rest_proxy.url}/topics", timeout=TIMEOUT).status_code == 200


def test_seek_to_time_on_unassigned_or_unknown_partition_is_4xx_at_once(rest_proxy, topic):
    """A timestamp seek used to ask Kafka for the offsets of any partition named, and for
    one that does not exist waited for the Kafka client's timeout and answered 500 (found
    by schemathesis). It is checked against the assignment first, as offset seeks are."""
    import time

    consumer = V2Consumer(rest_proxy.url, name("g"))
    try:
        consumer.assign(topic, [0])
        for target in ({"topic": name("missing"), "partition": 0}, {"topic": topic, "partition": 1}):
            started = time.monotonic()
            r = consumer.post("/positions", {"timestamps": [
                {**target, "timestamp": "2000-01-01T00:00:00Z"}]})
            _error(r, 409, 40903)
            assert time.monotonic() - started < 2
        _error(consumer.post("/positions", {"timestamps": [
            {"topic": "", "partition": 0, "timestamp": "2000-01-01T00:00:00Z"}]}), 422, 42206)
        r = consumer.post("/positions", {"timestamps": [
            {"topic": topic, "partition": 0, "timestamp": "2000-01-01T00:00:00Z"}]})
        assert r.status_code == 204, r.text
    finally:
        consumer.delete()


def test_commit_refused_by_the_group_is_40903(rest_proxy, topic):
    """An instance with a manual assignment committing into a group that has active members
    gets UNKNOWN_MEMBER_ID from Kafka (Java's CommitFailedException): a 409 about the
    instance's state, not a 500 (found by schemathesis)."""
    import time

    from confluent_kafka import Consumer

    group = name("g")
    member = Consumer({"bootstrap.servers": rest_proxy.bootstrap, "group.id": group,
                       "session.timeout.ms": 10000})
    member.subscribe([topic])
    deadline = time.monotonic() + 30
    while not member.assignment():
        assert time.monotonic() < deadline, "the Kafka consumer got no assignment"
        member.poll(0.2)
    consumer = V2Consumer(rest_proxy.url, group)
    try:
        consumer.assign(topic, [0])
        r = consumer.post("/offsets", {"offsets": [{"topic": topic, "partition": 0, "offset": 0}]})
        _error(r, 409, 40903)
    finally:
        consumer.delete()
        member.close()


def test_error_bodies_are_utf8_json_whatever_the_path(rest_proxy):
    """A percent-encoded byte that is not UTF-8 in the path used to reach the error message
    raw, making the body invalid JSON; it is now U+FFFD."""
    for path in ("/nope%FF%00x", f"/v3/clusters/c%C0%AF/topics", "/consumers/g/instances/i%ED%A0%80"):
        r = requests.get(rest_proxy.url + path, timeout=TIMEOUT)
        assert r.status_code in (404, 405), r.text
        body = json.loads(r.content.decode("utf-8"))  # strict: raises on invalid UTF-8
        assert set(body) == {"error_code", "message"}, body


def test_topic_names_kafka_could_not_have_are_42206(rest_proxy):
    """Assignments, seeks, commits and subscriptions used to take any string as a topic
    (one with a NUL byte reached librdkafka cut short, as the topic "") (found by
    schemathesis on Apache Kafka)."""
    consumer = V2Consumer(rest_proxy.url, name("g"))
    try:
        for bad in ("a\u0000b", "é", "a b", "..", "x" * 250):
            part = {"topic": bad, "partition": 0}
            _error(consumer.post("/assignments", {"partitions": [part]}), 422, 42206)
            _error(consumer.post("/positions", {"offsets": [{**part, "offset": 1}]}), 422, 42206)
            _error(consumer.post("/positions/beginning", {"partitions": [part]}), 422, 42206)
            _error(consumer.post("/offsets", {"offsets": [{**part, "offset": 1}]}), 422, 42206)
            _error(consumer.post("/subscription", {"topics": [bad]}), 422, 42206)
        _error(consumer.post("/subscription", {"topic_pattern": "a\u0000"}), 422, 42206)
        r = consumer.get("/assignments")
        assert r.status_code == 200 and r.json() == {"partitions": []}, r.text
    finally:
        consumer.delete()
