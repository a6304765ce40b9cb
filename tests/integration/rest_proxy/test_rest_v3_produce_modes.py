"""REST Proxy v3 produce beyond one record, against the embedded broker and Apache Kafka:
a chunked stream of records answered record by record while the client still sends
(Confluent's streaming mode), several records in one whole body, records:batch (207 with
successes and failures by id), and topic config changes (set, reset, configs:alter)."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlparse

import pytest
import requests

from rest_helpers import TIMEOUT, b64, cluster_id, create_topic, kafka_read_all, name


def _v3(rest_proxy) -> str:
    return f"{rest_proxy.url}/v3/clusters/{cluster_id(rest_proxy.bootstrap)}"


class ChunkedStream:
    """One streamed produce request over a raw socket: the body goes out chunk by chunk
    and the answer is read while the request is still open."""

    def __init__(self, url: str):
        u = urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=TIMEOUT)
        self.sock.sendall(
            f"POST {u.path} HTTP/1.1\r\nHost: {u.netloc}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode())
        self.raw = b""
        self.status: int | None = None
        self.body = b""  # de-chunked answer so far
        self.finished = False

    def send(self, text: str) -> None:
        data = text.encode()
        self.sock.sendall(b"%x\r\n%s\r\n" % (len(data), data))

    def close_body(self) -> None:
        self.sock.sendall(b"0\r\n\r\n")

    def _pump(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.raw += chunk
        if self.status is None and b"\r\n\r\n" in self.raw:
            head, self.raw = self.raw.split(b"\r\n\r\n", 1)
            self.status = int(head.split(b" ")[1])
            assert b"transfer-encoding: chunked" in head.lower(), head
        while self.status is not None and b"\r\n" in self.raw:
            size_line, rest = self.raw.split(b"\r\n", 1)
            size = int(size_line, 16)
            if len(rest) < size + 2:
                break
            if size == 0:
                self.finished = True
            self.body += rest[:size]
            self.raw = rest[size + 2:]
        return True

    def reports(self, count: int) -> list[dict]:
        """Waits until `count` whole JSON reports have arrived; returns them all."""
        decoder = json.JSONDecoder()
        while True:
            text = self.body.decode()
            out, pos = [], 0
            while True:
                while pos < len(text) and text[pos].isspace():
                    pos += 1
                if pos >= len(text):
                    break
                try:
                    value, pos = decoder.raw_decode(text, pos)
                except json.JSONDecodeError:
                    break
                out.append(value)
            if len(out) >= count:
                return out
            assert self._pump(), f"connection closed after {len(out)} reports: {text!r}"

    def wait_end(self) -> None:
        while not self.finished:
            assert self._pump(), "connection closed before the last chunk"


def _record(i: int, **extra) -> str:
    return json.dumps({"key": {"type": "STRING", "data": f"k{i}"},
                       "value": {"type": "JSON", "data": {"n": i}}, **extra})


def test_stream_is_answered_record_by_record_while_the_client_sends(rest_proxy):
    topic = name("v3-stream")
    create_topic(rest_proxy.bootstrap, topic, partitions=2)
    stream = ChunkedStream(f"{_v3(rest_proxy)}/topics/{topic}/records")
    try:
        stream.send(_record(0, partition_id=1))
        # The first report arrives before the second record is sent.
        [first] = stream.reports(1)
        assert stream.status == 200
        assert first["error_code"] == 200 and first["partition_id"] == 1 and first["offset"] == 0
        assert first["key"] == {"type": "STRING", "size": 2}
        stream.send(_record(1, partition_id=1) + "\n" + _record(2, partition_id=0))
        reports = stream.reports(3)
        assert [(r["partition_id"], r["offset"]) for r in reports] == [(1, 0), (1, 1), (0, 0)]
        # A record for a partition that does not exist fails alone; the stream goes on.
        stream.send(_record(3, partition_id=7))
        stream.send(_record(4, partition_id=0))
        reports = stream.reports(5)
        assert reports[3]["error_code"] == 40402, reports[3]
        assert reports[4]["error_code"] == 200 and reports[4]["offset"] == 1
        stream.close_body()
        stream.wait_end()
    finally:
        stream.sock.close()
    records = kafka_read_all(rest_proxy.bootstrap, topic, 4)
    assert sorted(r["key"] for r in records) == [b"k0", b"k1", b"k2", b"k4"]
    assert {json.loads(r["value"])["n"] for r in records} == {0, 1, 2, 4}


def test_stream_from_a_generator_body_reports_every_record_in_order(rest_proxy):
    topic = name("v3-stream-gen")
    create_topic(rest_proxy.bootstrap, topic)
    count = 300

    def body():
        for i in range(count):
            yield (_record(i) + ("\n" if i % 2 else "")).encode()

    # requests sends a generator with Transfer-Encoding: chunked.
    r = requests.post(f"{_v3(rest_proxy)}/topics/{topic}/records", data=body(),
                      headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    decoder, text, pos, reports = json.JSONDecoder(), r.text, 0, []
    while pos < len(text.rstrip()):
        value, pos = decoder.raw_decode(text, pos)
        reports.append(value)
        while pos < len(text) and text[pos].isspace():
            pos += 1
    assert len(reports) == count
    assert all(rep["error_code"] == 200 for rep in reports)
    assert [rep["offset"] for rep in reports] == list(range(count))
    assert len(kafka_read_all(rest_proxy.bootstrap, topic, count)) == count


def test_malformed_json_mid_stream_ends_it_after_the_good_records(rest_proxy):
    topic = name("v3-stream-bad")
    create_topic(rest_proxy.bootstrap, topic)
    stream = ChunkedStream(f"{_v3(rest_proxy)}/topics/{topic}/records")
    try:
        stream.send(_record(0))
        stream.send('{"value": {"type": "JSON", "data": ')
        stream.send("}}}")  # not JSON
        reports = stream.reports(2)
        assert reports[0]["error_code"] == 200
        assert reports[1]["error_code"] == 400 and "Malformed JSON" in reports[1]["message"]
        stream.wait_end()
    finally:
        stream.sock.close()
    # The proxy keeps serving.
    r = requests.post(f"{_v3(rest_proxy)}/topics/{topic}/records",
                      json={"value": {"type": "STRING", "data": "after"}}, timeout=TIMEOUT)
    assert r.status_code == 200 and r.json()["offset"] == 1


def test_whole_body_with_several_records_gets_every_report(rest_proxy):
    topic = name("v3-several")
    create_topic(rest_proxy.bootstrap, topic)
    body = _record(0) + _record(1) + "\n" + _record(2)
    r = requests.post(f"{_v3(rest_proxy)}/topics/{topic}/records", data=body,
                      headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    reports = [json.loads(line) for line in r.text.splitlines() if line.strip()]
    assert [rep["offset"] for rep in reports] == [0, 1, 2]


def test_single_record_errors_keep_their_status(rest_proxy):
    topic = name("v3-single-errors")
    create_topic(rest_proxy.bootstrap, topic)
    url = f"{_v3(rest_proxy)}/topics/{topic}/records"
    r = requests.post(url, json={"partition_id": 9, "value": {"type": "STRING", "data": "x"}},
                      timeout=TIMEOUT)
    assert r.status_code == 404 and r.json()["error_code"] == 40402
    r = requests.post(f"{_v3(rest_proxy)}/topics/{name('absent')}/records",
                      json={"value": {"type": "STRING", "data": "x"}}, timeout=TIMEOUT)
    assert r.status_code == 404 and r.json()["error_code"] == 40401
    r = requests.post(url, data=b"", headers={"Content-Type": "application/json"},
                      timeout=TIMEOUT)
    assert r.status_code == 400 and r.json()["error_code"] == 400
    r = requests.post(url, data=b'{"value": ', headers={"Content-Type": "application/json"},
                      timeout=TIMEOUT)
    assert r.status_code == 400
    r = requests.post(url, data=b"{}", headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
    assert r.status_code == 415


def test_records_batch_answers_207_by_entry_id(rest_proxy):
    topic = name("v3-batch")
    create_topic(rest_proxy.bootstrap, topic, partitions=2)
    url = f"{_v3(rest_proxy)}/topics/{topic}/records:batch"
    entries = [
        {"id": "a", "partition_id": 0, "key": {"type": "BINARY", "data": b64("ka")},
         "value": {"type": "STRING", "data": "va"},
         "headers": [{"name": "h", "value": b64("hv")}]},
        {"id": "b", "partition_id": 5, "value": {"type": "STRING", "data": "vb"}},
        {"id": "c", "value": {"type": "NOPE", "data": "vc"}},
        {"id": "d", "partition_id": 1, "value": {"type": "JSON", "data": [1, 2]}},
    ]
    r = requests.post(url, json={"entries": entries}, timeout=TIMEOUT)
    assert r.status_code == 207, r.text
    body = r.json()
    successes = {s["id"]: s for s in body["successes"]}
    failures = {f["id"]: f for f in body["failures"]}
    assert set(successes) == {"a", "d"} and set(failures) == {"b", "c"}
    assert successes["a"]["partition_id"] == 0 and successes["a"]["offset"] == 0
    assert successes["a"]["topic_name"] == topic
    assert successes["a"]["key"] == {"type": "BINARY", "size": 2}
    assert successes["d"]["partition_id"] == 1 and successes["d"]["value"]["type"] == "JSON"
    assert failures["b"]["error_code"] == 40402
    assert failures["c"]["error_code"] >= 400 and failures["c"]["message"]
    records = kafka_read_all(rest_proxy.bootstrap, topic, 2)
    assert [(r["key"], r["value"]) for r in records] == [(b"ka", b"va"), (None, b"[1,2]")]
    assert records[0]["headers"] == [("h", b"hv")]


@pytest.mark.parametrize("body, why", [
    ({"entries": []}, "empty"),
    ({"entries": [{"id": "x", "value": {"type": "STRING", "data": "1"}},
                  {"id": "x", "value": {"type": "STRING", "data": "2"}}]}, "ids not distinct"),
    ({"entries": [{"value": {"type": "STRING", "data": "1"}}]}, "no id"),
    ({"entries": [{"id": "y" * 81}]}, "id too long"),
    ({"records": []}, "not entries"),
])
def test_records_batch_refuses_bad_batches_whole(rest_proxy, body, why):
    topic = name("v3-batch-bad")
    create_topic(rest_proxy.bootstrap, topic)
    r = requests.post(f"{_v3(rest_proxy)}/topics/{topic}/records:batch", json=body,
                      timeout=TIMEOUT)
    assert r.status_code == 400, (why, r.text)
    assert r.json()["error_code"] == 400
    assert kafka_read_all(rest_proxy.bootstrap, topic, 1, timeout=2) == []


def test_records_batch_on_an_unknown_topic_fails_every_entry(rest_proxy):
    r = requests.post(f"{_v3(rest_proxy)}/topics/{name('absent')}/records:batch",
                      json={"entries": [{"id": "1", "value": {"type": "STRING", "data": "x"}}]},
                      timeout=TIMEOUT)
    assert r.status_code == 207
    assert r.json() == {"successes": [], "failures": [
        {"id": "1", "error_code": 40401, "message": "Topic not found."}]}


def _config(base: str, topic: str, config: str) -> dict:
    r = requests.get(f"{base}/topics/{topic}/configs/{config}", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


def test_topic_configs_set_reset_and_alter(rest_proxy):
    base = _v3(rest_proxy)
    topic = name("v3-configs")
    create_topic(rest_proxy.bootstrap, topic)
    default_retention = _config(base, topic, "retention.ms")["value"]

    r = requests.put(f"{base}/topics/{topic}/configs/retention.ms", json={"value": "3600000"},
                     timeout=TIMEOUT)
    assert r.status_code == 204, r.text
    retention = _config(base, topic, "retention.ms")
    assert retention["value"] == "3600000" and retention["source"] == "DYNAMIC_TOPIC_CONFIG"
    assert retention["is_default"] is False

    r = requests.post(f"{base}/topics/{topic}/configs:alter", json={"data": [
        {"name": "cleanup.policy", "value": "compact"},
        {"name": "max.message.bytes", "value": "200000", "operation": "SET"},
        {"name": "retention.ms", "operation": "DELETE"}]}, timeout=TIMEOUT)
    assert r.status_code == 204, r.text
    assert _config(base, topic, "cleanup.policy")["value"] == "compact"
    assert _config(base, topic, "max.message.bytes")["value"] == "200000"
    assert _config(base, topic, "retention.ms")["value"] == default_retention

    # validate_only checks and changes nothing.
    r = requests.post(f"{base}/topics/{topic}/configs:alter", json={
        "data": [{"name": "cleanup.policy", "value": "delete"}], "validate_only": True},
        timeout=TIMEOUT)
    assert r.status_code == 204, r.text
    assert _config(base, topic, "cleanup.policy")["value"] == "compact"

    r = requests.delete(f"{base}/topics/{topic}/configs/cleanup.policy", timeout=TIMEOUT)
    assert r.status_code == 204
    policy = _config(base, topic, "cleanup.policy")
    assert policy["value"] == "delete" and policy["source"] != "DYNAMIC_TOPIC_CONFIG"
    # Resetting one kept the other.
    assert _config(base, topic, "max.message.bytes")["value"] == "200000"


def test_topic_config_changes_refuse_bad_input(rest_proxy):
    base = _v3(rest_proxy)
    topic = name("v3-configs-bad")
    create_topic(rest_proxy.bootstrap, topic)
    r = requests.put(f"{base}/topics/{topic}/configs/retention.ms", json={"valu": "1"},
                     timeout=TIMEOUT)
    assert r.status_code == 400
    r = requests.put(f"{base}/topics/{topic}/configs/no.such.config", json={"value": "1"},
                     timeout=TIMEOUT)
    assert 400 <= r.status_code < 500, r.text
    r = requests.put(f"{base}/topics/{topic}/configs/retention.ms", json={"value": "soon"},
                     timeout=TIMEOUT)
    assert 400 <= r.status_code < 500, r.text
    r = requests.post(f"{base}/topics/{topic}/configs:alter",
                      json={"data": [{"name": "retention.ms", "operation": "MERGE"}]},
                      timeout=TIMEOUT)
    assert r.status_code == 400
    r = requests.put(f"{base}/topics/{name('absent')}/configs/retention.ms", json={"value": "1"},
                     timeout=TIMEOUT)
    assert r.status_code == 404
