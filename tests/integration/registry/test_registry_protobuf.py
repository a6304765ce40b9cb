"""Protobuf schemas in Wharf's registry, on both backends: confluent-kafka's
ProtobufSerializer registers a message's file (its imports as references) and writes
through Kafka, its ProtobufDeserializer reads back with the schema it fetches
(`?format=serialized`); .proto text registrations, Confluent's compatibility rules with
their reasons, and 42201 for a schema that does not compile."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid

import pytest
import requests

SR = "application/vnd.schemaregistry.v1+json"
TIMEOUT = 30

COMMON = """syntax = "proto3";
package shop.common;
message Money {
  string currency = 1;
  int64 cents = 2;
}
"""

ORDER = """syntax = "proto3";
package shop;
import "shop/common/money.proto";
import "google/protobuf/timestamp.proto";
message Order {
  string id = 1;
  shop.common.Money total = 2;
  google.protobuf.Timestamp placed = 3;
  repeated string items = 4;
  map<string, int32> counts = 5;
  oneof payment {
    string card = 6;
    string voucher = 7;
  }
}
message Refund {
  string order_id = 1;
}
"""


@pytest.fixture(scope="module")
def order_module(tmp_path_factory):
    """The Order message compiled by protoc (Debian's) into a Python module."""
    root = tmp_path_factory.mktemp("protos")
    (root / "shop" / "common").mkdir(parents=True)
    (root / "shop" / "common" / "money.proto").write_text(COMMON)
    (root / "shop" / "order.proto").write_text(ORDER)
    out = root / "py"
    out.mkdir()
    subprocess.run(["protoc", f"-I{root}", f"--python_out={out}", "shop/common/money.proto",
                    "shop/order.proto"], check=True)
    for d in (out / "shop", out / "shop" / "common"):
        (d / "__init__.py").touch()
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("shop.order_pb2")
    finally:
        sys.path.remove(str(out))


def post(reg, path: str, body: dict) -> requests.Response:
    return requests.post(f"{reg.url}{path}", data=json.dumps(body),
                         headers={"Content-Type": SR}, timeout=TIMEOUT)


def test_types_list_protobuf(registry):
    assert "PROTOBUF" in requests.get(f"{registry.url}/schemas/types", timeout=TIMEOUT).json()


def test_confluent_protobuf_serializer_round_trip(registry, order_module):
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    topic = f"orders-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": registry.bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(30)
    client = SchemaRegistryClient({"url": registry.url})
    serializer = ProtobufSerializer(order_module.Order, client, {"use.deprecated.format": False})
    orders = []
    for i in range(5):
        o = order_module.Order(id=f"o{i}", items=["a", "b"][: i % 3], card=f"c{i}")
        o.total.currency = "EUR"
        o.total.cents = 100 * i
        o.placed.seconds = 1_700_000_000 + i
        o.counts["x"] = i
        orders.append(o)
    producer = Producer({"bootstrap.servers": registry.bootstrap})
    for o in orders:
        producer.produce(topic, value=serializer(o, SerializationContext(topic, MessageField.VALUE)))
    assert producer.flush(30) == 0

    # The registry holds the file as .proto text, its import as a reference subject.
    latest = requests.get(f"{registry.url}/subjects/{topic}-value/versions/latest",
                          timeout=TIMEOUT).json()
    assert latest["schemaType"] == "PROTOBUF"
    assert "message Order" in latest["schema"] and "message Refund" in latest["schema"]
    assert [r["name"] for r in latest["references"]] == ["shop/common/money.proto"]
    serialized = requests.get(f"{registry.url}/schemas/ids/{latest['id']}?format=serialized",
                              timeout=TIMEOUT).json()["schema"]
    from google.protobuf import descriptor_pb2
    import base64
    fd = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(serialized))
    assert [m.name for m in fd.message_type] == ["Order", "Refund"]

    deserializer = ProtobufDeserializer(order_module.Order, {"use.deprecated.format": False},
                                        schema_registry_client=client)
    consumer = Consumer({"bootstrap.servers": registry.bootstrap, "group.id": topic,
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got = []
    try:
        while len(got) < len(orders):
            m = consumer.poll(10)
            assert m is not None, f"only {len(got)} of {len(orders)} records came back"
            assert m.error() is None, m.error()
            got.append(deserializer(m.value(), SerializationContext(topic, MessageField.VALUE)))
    finally:
        consumer.close()
    assert got == orders


def test_text_registration_ids_and_compatibility(registry, subject):
    v1 = 'syntax = "proto3";\npackage p;\nmessage M {\n  string a = 1;\n  int32 n = 2;\n}\n'
    first = post(registry, f"/subjects/{subject}/versions", {"schema": v1, "schemaType": "PROTOBUF"})
    assert first.status_code == 200, first.text
    # The same schema, spelt differently, is the same schema.
    again = post(registry, f"/subjects/{subject}/versions",
                 {"schema": v1.replace("\n", "\n\n"), "schemaType": "PROTOBUF"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]

    added = v1.replace("int32 n = 2;", "int32 n = 2;\n  string note = 3;")
    ok = post(registry, f"/compatibility/subjects/{subject}/versions/latest?verbose=true",
              {"schema": added, "schemaType": "PROTOBUF"})
    assert ok.status_code == 200 and ok.json()["is_compatible"] is True, ok.text

    changed = v1.replace("int32 n = 2;", "string n = 2;")
    bad = post(registry, f"/compatibility/subjects/{subject}/versions/latest?verbose=true",
               {"schema": changed, "schemaType": "PROTOBUF"})
    assert bad.status_code == 200 and bad.json()["is_compatible"] is False
    assert any("FIELD_SCALAR_KIND_CHANGED" in m for m in bad.json()["messages"]), bad.json()
    refused = post(registry, f"/subjects/{subject}/versions",
                   {"schema": changed, "schemaType": "PROTOBUF"})
    assert refused.status_code == 409 and "FIELD_SCALAR_KIND_CHANGED" in refused.json()["message"]

    # An Avro schema against a Protobuf subject is a different type: incompatible.
    avro = post(registry, f"/compatibility/subjects/{subject}/versions/latest?verbose=true",
                {"schema": '"string"'})
    assert avro.json()["is_compatible"] is False


@pytest.mark.parametrize("text", [
    'syntax = "proto3";\nmessage M { Missing m = 1; }\n',
    'syntax = "proto3";\nmessage M { string a = 1 }\n',
    'syntax = "proto3";\nimport "nowhere.proto";\nmessage M { string a = 1; }\n',
    "bm90IGEgZGVzY3JpcHRvcg==",
])
def test_invalid_protobuf_is_42201(registry, subject, text):
    r = post(registry, f"/subjects/{subject}/versions", {"schema": text, "schemaType": "PROTOBUF"})
    assert r.status_code == 422, r.text
    assert r.json()["error_code"] == 42201 and r.json()["message"].startswith("Invalid schema")
