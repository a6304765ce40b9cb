"""The REST Proxy's protobuf and jsonschema embedded formats and JSON Schema in the
registry, on both backends: v2 produce with value_schema (registered under
<topic>-value) or value_schema_id, read back by confluent-kafka's ProtobufDeserializer and
JSONDeserializer; records from Confluent's serializers read through v2 consumers of the
same formats; Confluent's errors for records that do not fit their schema."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid

import pytest
import requests

from registry_helpers import launch_registry, stop_registry

V2 = "application/vnd.kafka.v2+json"
TIMEOUT = 30

PROTO = """syntax = "proto3";
package web;
message Click {
  string user = 1;
  int64 ms = 2;
  repeated string tags = 3;
}
"""

JSON_SCHEMA = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#", "title": "Click", "type": "object",
    "properties": {"user": {"type": "string"}, "ms": {"type": "integer", "minimum": 0}},
    "required": ["user", "ms"], "additionalProperties": False})


@pytest.fixture(scope="module")
def proxy(registry, tmp_path_factory):
    reg = launch_registry(tmp_path_factory.mktemp("proxy"), registry.bootstrap, {
        "rest_proxy": {"enabled": True, "schema_registry_url": registry.url},
        "schema_registry": {"enabled": False}})
    yield f"http://127.0.0.1:{reg.wharf.ports['rest_proxy']}"
    stop_registry(reg)


@pytest.fixture(scope="module")
def click_pb2(tmp_path_factory):
    root = tmp_path_factory.mktemp("click-proto")
    (root / "click.proto").write_text(PROTO)
    subprocess.run(["protoc", f"-I{root}", f"--python_out={root}", "click.proto"], check=True)
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("click_pb2")
    finally:
        sys.path.remove(str(root))


def new_topic(bootstrap: str) -> str:
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = f"fmt-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(30)
    return topic


def produce(proxy: str, topic: str, fmt: str, body: dict) -> requests.Response:
    return requests.post(f"{proxy}/topics/{topic}", data=json.dumps(body), timeout=TIMEOUT,
                         headers={"Content-Type": f"application/vnd.kafka.{fmt}.v2+json"})


def consume_raw(bootstrap: str, topic: str, count: int) -> list:
    from confluent_kafka import Consumer

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"g-{uuid.uuid4().hex[:6]}",
                  "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    out = []
    try:
        while len(out) < count:
            m = c.poll(10)
            assert m is not None, f"{len(out)} of {count} records"
            assert m.error() is None, m.error()
            out.append(m)
    finally:
        c.close()
    return out


def read_v2(proxy: str, topic: str, fmt: str, count: int) -> list:
    group = f"rest-{uuid.uuid4().hex[:6]}"
    r = requests.post(f"{proxy}/consumers/{group}", timeout=TIMEOUT, headers={"Content-Type": V2},
                      data=json.dumps({"format": fmt, "auto.offset.reset": "earliest"}))
    assert r.status_code == 200, r.text
    base = r.json()["base_uri"]
    try:
        requests.post(f"{base}/subscription", data=json.dumps({"topics": [topic]}),
                      headers={"Content-Type": V2}, timeout=TIMEOUT).raise_for_status()
        got = []
        for _ in range(30):
            r = requests.get(f"{base}/records?timeout=1000", timeout=TIMEOUT,
                             headers={"Accept": f"application/vnd.kafka.{fmt}.v2+json"})
            assert r.status_code == 200, r.text
            got.extend(r.json())
            if len(got) >= count:
                return got
        raise AssertionError(f"read {len(got)} of {count}")
    finally:
        requests.delete(base, timeout=TIMEOUT)


def test_protobuf_produce_is_read_by_confluents_deserializer(registry, proxy, click_pb2):
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    topic = new_topic(registry.bootstrap)
    clicks = [{"user": "ann", "ms": 1, "tags": ["a"]}, {"user": "bo", "ms": "2", "tags": []}]
    r = produce(proxy, topic, "protobuf", {"value_schema": PROTO,
                                           "records": [{"value": c} for c in clicks]})
    assert r.status_code == 200, r.text
    schema_id = r.json()["value_schema_id"]
    assert all(o["error_code"] is None for o in r.json()["offsets"]), r.text
    latest = requests.get(f"{registry.url}/subjects/{topic}-value/versions/latest",
                          timeout=TIMEOUT).json()
    assert latest["id"] == schema_id and latest["schemaType"] == "PROTOBUF"

    client = SchemaRegistryClient({"url": registry.url})
    deserializer = ProtobufDeserializer(click_pb2.Click, {"use.deprecated.format": False},
                                        schema_registry_client=client)
    messages = consume_raw(registry.bootstrap, topic, 2)
    got = [deserializer(m.value(), SerializationContext(topic, MessageField.VALUE))
           for m in messages]
    assert [(c.user, c.ms, list(c.tags)) for c in got] == [("ann", 1, ["a"]), ("bo", 2, [])]
    # Confluent's wire format: magic 0, the id, message index 0 as a single byte.
    assert messages[0].value()[:6] == b"\x00" + schema_id.to_bytes(4, "big") + b"\x00"

    # By id, and a record that does not fit the message.
    r = produce(proxy, topic, "protobuf", {"value_schema_id": schema_id,
                                           "records": [{"value": {"user": "cy", "ms": 3}}]})
    assert r.status_code == 200, r.text
    bad = produce(proxy, topic, "protobuf", {"value_schema_id": schema_id,
                                             "records": [{"value": {"nope": 1}}]})
    assert bad.status_code == 422 and bad.json()["error_code"] == 42203, bad.text


def test_protobuf_records_from_confluents_serializer_through_a_v2_consumer(registry, proxy,
                                                                            click_pb2):
    from confluent_kafka import Producer
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    topic = new_topic(registry.bootstrap)
    serializer = ProtobufSerializer(click_pb2.Click, SchemaRegistryClient({"url": registry.url}),
                                    {"use.deprecated.format": False})
    p = Producer({"bootstrap.servers": registry.bootstrap})
    for i in range(3):
        msg = click_pb2.Click(user=f"u{i}", ms=i, tags=["t"] * i)
        p.produce(topic, value=serializer(msg, SerializationContext(topic, MessageField.VALUE)))
    assert p.flush(30) == 0
    got = read_v2(proxy, topic, "protobuf", 3)
    assert [r["value"]["user"] for r in got] == ["u0", "u1", "u2"]
    assert got[2]["value"]["tags"] == ["t", "t"] and got[2]["value"]["ms"] in (2, "2")


def test_jsonschema_produce_is_read_by_confluents_deserializer(registry, proxy):
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.json_schema import JSONDeserializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    topic = new_topic(registry.bootstrap)
    clicks = [{"user": "ann", "ms": 1}, {"user": "bo", "ms": 2}]
    r = produce(proxy, topic, "jsonschema", {"value_schema": JSON_SCHEMA,
                                             "records": [{"value": c} for c in clicks]})
    assert r.status_code == 200, r.text
    schema_id = r.json()["value_schema_id"]
    latest = requests.get(f"{registry.url}/subjects/{topic}-value/versions/latest",
                          timeout=TIMEOUT).json()
    assert latest["id"] == schema_id and latest["schemaType"] == "JSON"
    deserializer = JSONDeserializer(None, schema_registry_client=SchemaRegistryClient(
        {"url": registry.url}))
    got = [deserializer(m.value(), SerializationContext(topic, MessageField.VALUE))
           for m in consume_raw(registry.bootstrap, topic, 2)]
    assert got == clicks
    assert read_v2(proxy, topic, "jsonschema", 2)[1]["value"] == clicks[1]

    for wrong in ({"user": "x"}, {"user": "x", "ms": -1}, {"user": "x", "ms": 1, "extra": 1}):
        bad = produce(proxy, topic, "jsonschema", {"value_schema_id": schema_id,
                                                   "records": [{"value": wrong}]})
        assert bad.status_code == 422 and bad.json()["error_code"] == 42203, (wrong, bad.text)


def test_json_schema_serializer_and_compatibility(registry, subject):
    from confluent_kafka import Producer
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    client = SchemaRegistryClient({"url": registry.url})
    topic = new_topic(registry.bootstrap)
    serializer = JSONSerializer(JSON_SCHEMA, client)
    p = Producer({"bootstrap.servers": registry.bootstrap})
    p.produce(topic, value=serializer({"user": "a", "ms": 5},
                                      SerializationContext(topic, MessageField.VALUE)))
    assert p.flush(30) == 0
    (m,) = consume_raw(registry.bootstrap, topic, 1)
    assert JSONDeserializer(JSON_SCHEMA)(m.value(), SerializationContext(
        topic, MessageField.VALUE)) == {"user": "a", "ms": 5}

    # A closed content model gaining a required property is not backward compatible.
    def check(schema: dict) -> dict:
        r = requests.post(f"{registry.url}/compatibility/subjects/{topic}-value/versions/latest"
                          "?verbose=true", timeout=TIMEOUT,
                          data=json.dumps({"schema": json.dumps(schema), "schemaType": "JSON"}),
                          headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
        assert r.status_code == 200, r.text
        return r.json()
    base = json.loads(JSON_SCHEMA)
    wider = dict(base, properties=dict(base["properties"], note={"type": "string"}))
    assert check(wider)["is_compatible"] is True
    narrower = dict(wider, required=["user", "ms", "note"])
    verdict = check(narrower)
    assert verdict["is_compatible"] is False
    assert any("REQUIRED_PROPERTY_ADDED" in m for m in verdict["messages"]), verdict
    invalid = requests.post(f"{registry.url}/subjects/{subject}/versions", timeout=TIMEOUT,
                            data=json.dumps({"schema": '{"type": 5}', "schemaType": "JSON"}),
                            headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    assert invalid.status_code == 422 and invalid.json()["error_code"] == 42201


def test_v3_produce_in_schema_formats(registry, proxy, click_pb2):
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroDeserializer
    from confluent_kafka.schema_registry.json_schema import JSONDeserializer
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    cluster = requests.get(f"{proxy}/v3/clusters", timeout=TIMEOUT).json()["data"][0]["cluster_id"]
    topic = new_topic(registry.bootstrap)
    url = f"{proxy}/v3/clusters/{cluster}/topics/{topic}/records"
    # A topic just created on Apache Kafka may take a moment to show in its metadata.
    import time
    deadline = time.monotonic() + 30
    while requests.get(f"{proxy}/v3/clusters/{cluster}/topics/{topic}",
                       timeout=TIMEOUT).status_code != 200:
        assert time.monotonic() < deadline, f"{topic} never appeared"
        time.sleep(0.2)

    def send(record: dict) -> requests.Response:
        return requests.post(url, data=json.dumps(record), timeout=TIMEOUT,
                             headers={"Content-Type": "application/json"})

    avro_schema = json.dumps({"type": "record", "name": "Click", "fields": [
        {"name": "user", "type": "string"}, {"name": "ms", "type": "long"}]})
    r = send({"key": {"type": "STRING", "data": "k1"},
              "value": {"type": "AVRO", "schema": avro_schema, "subject": f"{topic}-avro",
                        "data": {"user": "ann", "ms": 1}}})
    assert r.status_code == 200, r.text
    assert r.json()["value"]["type"] == "AVRO" and r.json()["key"]["type"] == "STRING"
    avro_id = requests.get(f"{registry.url}/subjects/{topic}-avro/versions/latest",
                           timeout=TIMEOUT).json()["id"]
    # By id, and by the latest version of a subject with only the type.
    r = send({"value": {"schema_id": avro_id, "data": {"user": "bo", "ms": 2}}})
    assert r.status_code == 200 and r.json()["value"]["type"] == "AVRO", r.text
    requests.post(f"{registry.url}/subjects/{topic}-value/versions", timeout=TIMEOUT,
                  data=json.dumps({"schema": JSON_SCHEMA, "schemaType": "JSON"}),
                  headers={"Content-Type": "application/json"}).raise_for_status()
    r = send({"value": {"type": "JSONSCHEMA", "data": {"user": "cy", "ms": 3}}})
    assert r.status_code == 200 and r.json()["value"]["type"] == "JSONSCHEMA", r.text
    r = send({"value": {"type": "PROTOBUF", "schema": PROTO, "subject": f"{topic}-proto",
                        "data": {"user": "di", "ms": "4", "tags": ["x"]}}})
    assert r.status_code == 200 and r.json()["value"]["type"] == "PROTOBUF", r.text

    client = SchemaRegistryClient({"url": registry.url})
    ctx = SerializationContext(topic, MessageField.VALUE)
    m = consume_raw(registry.bootstrap, topic, 4)
    assert m[0].key() == b"k1"
    assert AvroDeserializer(client)(m[0].value(), ctx) == {"user": "ann", "ms": 1}
    assert AvroDeserializer(client)(m[1].value(), ctx) == {"user": "bo", "ms": 2}
    assert JSONDeserializer(None, schema_registry_client=client)(m[2].value(), ctx) == \
        {"user": "cy", "ms": 3}
    click = ProtobufDeserializer(click_pb2.Click, {"use.deprecated.format": False},
                                 schema_registry_client=client)(m[3].value(), ctx)
    assert (click.user, click.ms, list(click.tags)) == ("di", 4, ["x"])

    # Errors: data that does not fit (42203), a schema of another type, no such subject.
    bad = send({"value": {"type": "JSONSCHEMA", "data": {"user": "cy"}}})
    assert bad.status_code == 422 and bad.json()["error_code"] == 42203, bad.text
    wrong_type = send({"value": {"type": "PROTOBUF", "schema_id": avro_id, "data": {}}})
    assert wrong_type.status_code == 422 and wrong_type.json()["error_code"] == 42205
    missing = send({"value": {"type": "AVRO", "subject": f"{topic}-nothing", "data": {}}})
    assert 400 <= missing.status_code < 500, missing.text
