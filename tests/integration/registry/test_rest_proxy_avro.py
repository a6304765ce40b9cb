"""The REST Proxy's avro embedded format with Wharf's Schema Registry, on both backends:
v2 produce with value_schema (registered under <topic>-value) or value_schema_id, read
back by confluent-kafka's AvroDeserializer, and records produced by Confluent's
AvroSerializer read through a v2 avro consumer; Confluent's error codes for missing
schemas and JSON that does not fit."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from registry_helpers import launch_registry, stop_registry

AVRO = "application/vnd.kafka.avro.v2+json"
V2 = "application/vnd.kafka.v2+json"
TIMEOUT = 30

VALUE_SCHEMA = json.dumps({"type": "record", "name": "Click", "namespace": "web", "fields": [
    {"name": "user", "type": "string"},
    {"name": "ms", "type": "long"},
    {"name": "ref", "type": ["null", "string"], "default": None}]})


@pytest.fixture(scope="module")
def proxy(registry, tmp_path_factory):
    """A REST Proxy on the same Kafka whose schema_registry_url is the registry under test."""
    reg = launch_registry(tmp_path_factory.mktemp("proxy"), registry.bootstrap, {
        "rest_proxy": {"enabled": True, "schema_registry_url": registry.url},
        "schema_registry": {"enabled": False}})
    yield f"http://127.0.0.1:{reg.wharf.ports['rest_proxy']}"
    stop_registry(reg)


def new_topic(bootstrap: str) -> str:
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = f"clicks-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    futures[topic].result(30)
    return topic


def produce(proxy: str, topic: str, body: dict) -> requests.Response:
    return requests.post(f"{proxy}/topics/{topic}", data=json.dumps(body),
                         headers={"Content-Type": AVRO}, timeout=TIMEOUT)


def test_v2_avro_produce_is_read_by_confluents_deserializer(registry, proxy):
    from confluent_kafka import Consumer
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroDeserializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    topic = new_topic(registry.bootstrap)
    clicks = [{"user": "ann", "ms": 1, "ref": None}, {"user": "bo", "ms": 2, "ref": {"string": "x"}}]
    r = produce(proxy, topic, {"value_schema": VALUE_SCHEMA,
                               "records": [{"value": c} for c in clicks]})
    assert r.status_code == 200, r.text
    body = r.json()
    schema_id = body["value_schema_id"]
    assert isinstance(schema_id, int) and body["key_schema_id"] is None
    assert [o["offset"] for o in body["offsets"]] == [0, 1]
    # The schema went to <topic>-value; producing again by id needs no schema.
    subject = requests.get(f"{registry.url}/subjects/{topic}-value/versions/latest",
                           timeout=TIMEOUT).json()
    assert subject["id"] == schema_id
    r = produce(proxy, topic, {"value_schema_id": schema_id,
                               "records": [{"value": {"user": "cy", "ms": 3}}]})
    assert r.status_code == 200 and r.json()["value_schema_id"] == schema_id, r.text

    client = SchemaRegistryClient({"url": registry.url})
    deserializer = AvroDeserializer(client)
    consumer = Consumer({"bootstrap.servers": registry.bootstrap, "group.id": uuid.uuid4().hex,
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got = []
    try:
        for _ in range(60):
            msg = consumer.poll(1.0)
            if msg is None or msg.error():
                continue
            got.append(deserializer(msg.value(), SerializationContext(topic, MessageField.VALUE)))
            if len(got) == 3:
                break
    finally:
        consumer.close()
    assert got == [{"user": "ann", "ms": 1, "ref": None}, {"user": "bo", "ms": 2, "ref": "x"},
                   {"user": "cy", "ms": 3, "ref": None}]


def test_v2_avro_consumer_reads_confluents_serializer(registry, proxy):
    from confluent_kafka import Producer
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    topic = f"clicks-{uuid.uuid4().hex[:8]}"
    serializer = AvroSerializer(SchemaRegistryClient({"url": registry.url}), VALUE_SCHEMA)
    producer = Producer({"bootstrap.servers": registry.bootstrap})
    producer.produce(topic, key=b"k1",
                     value=serializer({"user": "dee", "ms": 9, "ref": "home"},
                                      SerializationContext(topic, MessageField.VALUE)))
    assert producer.flush(30) == 0

    group = f"g-{uuid.uuid4().hex[:8]}"
    created = requests.post(f"{proxy}/consumers/{group}", data=json.dumps(
        {"name": "c", "format": "avro", "auto.offset.reset": "earliest"}),
        headers={"Content-Type": V2}, timeout=TIMEOUT)
    assert created.status_code == 200, created.text
    base = created.json()["base_uri"]
    requests.post(f"{base}/subscription", data=json.dumps({"topics": [topic]}),
                  headers={"Content-Type": V2}, timeout=TIMEOUT).raise_for_status()
    refused = False
    for _ in range(20):
        r = requests.get(f"{base}/records?timeout=1000", headers={"Accept": AVRO}, timeout=TIMEOUT)
        # The key is not Avro (plain bytes): Confluent's proxy fails such a read, and so do we.
        if r.status_code != 200:
            assert r.json()["error_code"] == 50002 and "key" in r.json()["message"], r.text
            refused = True
            break
        assert r.json() == []
    requests.delete(base, timeout=TIMEOUT)
    assert refused

    # With an Avro key too, the records read back as Avro's JSON encoding.
    producer.produce(topic + "-2", value=serializer(
        {"user": "eve", "ms": 10, "ref": None}, SerializationContext(topic + "-2", MessageField.VALUE)))
    assert producer.flush(30) == 0
    created = requests.post(f"{proxy}/consumers/{group}", data=json.dumps(
        {"name": "c2", "format": "avro", "auto.offset.reset": "earliest"}),
        headers={"Content-Type": V2}, timeout=TIMEOUT)
    base = created.json()["base_uri"]
    requests.post(f"{base}/subscription", data=json.dumps({"topics": [topic + "-2"]}),
                  headers={"Content-Type": V2}, timeout=TIMEOUT).raise_for_status()
    records = []
    for _ in range(20):
        r = requests.get(f"{base}/records?timeout=1000", headers={"Accept": AVRO}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"] == AVRO
        records += r.json()
        if records:
            break
    requests.delete(base, timeout=TIMEOUT)
    assert records[0]["key"] is None
    assert records[0]["value"] == {"user": "eve", "ms": 10, "ref": None}


@pytest.mark.parametrize("body, code", [
    ({"records": [{"value": {"user": "x", "ms": 1}}]}, 42202),  # no value schema
    ({"value_schema": VALUE_SCHEMA, "records": [{"key": "k", "value": {"user": "x", "ms": 1}}]},
     42201),  # a key but no key schema
    ({"value_schema": VALUE_SCHEMA, "records": [{"value": {"user": "x"}}]}, 42203),  # ms missing
    ({"value_schema": VALUE_SCHEMA, "records": [{"value": {"user": 5, "ms": 1}}]}, 42203),
    ({"value_schema": "{\"type\": \"nope\"}", "records": [{"value": 1}]}, 42205),
    ({"value_schema_id": 987654, "records": [{"value": 1}]}, 404),
])
def test_v2_avro_errors(registry, proxy, body, code):
    r = produce(proxy, new_topic(registry.bootstrap), body)
    assert r.json()["error_code"] == code, r.text
    assert r.status_code == int(str(code)[:3])
