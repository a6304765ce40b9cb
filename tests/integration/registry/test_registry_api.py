"""The Schema Registry API with Confluent's own client and serializers, against the
embedded broker and Apache Kafka: registration and ids, lookups, compatibility levels and
their verbose answers, soft and permanent deletion, references, config and modes, errors
in Confluent's shape, the `_schemas` topic's layout, and state surviving a restart."""

from __future__ import annotations

import json
import struct
import uuid

import pytest
import requests

from registry_helpers import launch_registry, stop_registry

SR = "application/vnd.schemaregistry.v1+json"
TIMEOUT = 30


def record(name: str, *fields: tuple) -> str:
    out = {"type": "record", "name": name, "fields": []}
    for f in fields:
        field = {"name": f[0], "type": f[1]}
        if len(f) > 2:
            field["default"] = f[2]
        out["fields"].append(field)
    return json.dumps(out)


def post(reg, path: str, body: dict, **kw) -> requests.Response:
    return requests.post(f"{reg.url}{path}", data=json.dumps(body),
                         headers={"Content-Type": SR}, timeout=TIMEOUT, **kw)


def put(reg, path: str, body: dict) -> requests.Response:
    return requests.put(f"{reg.url}{path}", data=json.dumps(body), headers={"Content-Type": SR},
                        timeout=TIMEOUT)


def get(reg, path: str, **kw) -> requests.Response:
    return requests.get(f"{reg.url}{path}", timeout=TIMEOUT, **kw)


def delete(reg, path: str, **kw) -> requests.Response:
    return requests.delete(f"{reg.url}{path}", timeout=TIMEOUT, **kw)


def register(reg, subject: str, schema: str, **extra) -> requests.Response:
    return post(reg, f"/subjects/{subject}/versions", {"schema": schema, **extra})


def assert_error(r: requests.Response, status: int, code: int) -> dict:
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert body["error_code"] == code and body["message"], body
    return body


def test_confluent_serializers_round_trip_through_kafka(registry, subject):
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    topic = f"orders-{uuid.uuid4().hex[:8]}"
    schema = record("Order", ("id", "long"), ("customer", "string"),
                    ("total", ["null", "double"], None))
    client = SchemaRegistryClient({"url": registry.url})
    serializer = AvroSerializer(client, schema)
    producer = Producer({"bootstrap.servers": registry.bootstrap})
    orders = [{"id": i, "customer": f"c{i}", "total": i * 1.5 if i % 2 else None}
              for i in range(5)]
    for o in orders:
        producer.produce(topic, serializer(o, SerializationContext(topic, MessageField.VALUE)))
    assert producer.flush(30) == 0

    # The serializer registered the schema under <topic>-value.
    assert f"{topic}-value" in client.get_subjects()
    latest = client.get_latest_version(f"{topic}-value")
    consumer = Consumer({"bootstrap.servers": registry.bootstrap, "group.id": uuid.uuid4().hex,
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    deserializer = AvroDeserializer(client)
    got = []
    try:
        while len(got) < len(orders):
            msg = consumer.poll(1.0)
            if msg is None or msg.error():
                continue
            magic, schema_id = struct.unpack(">bI", msg.value()[:5])
            assert magic == 0 and schema_id == latest.schema_id
            got.append(deserializer(msg.value(), SerializationContext(topic, MessageField.VALUE)))
    finally:
        consumer.close()
    assert got == orders


def test_ids_are_global_and_reregistering_is_idempotent(registry, subject):
    schema = record("Same", ("a", "int"))
    first = register(registry, subject, schema)
    assert first.status_code == 200 and first.headers["Content-Type"] == SR
    sid = first.json()["id"]
    # Whitespace and key order do not make a new schema.
    again = register(registry, subject, json.dumps(json.loads(schema), indent=2, sort_keys=True))
    assert again.json() == {"id": sid}
    assert get(registry, f"/subjects/{subject}/versions").json() == [1]
    # The same schema under another subject keeps its id.
    other = register(registry, subject + "-other", schema)
    assert other.json() == {"id": sid}
    assert sorted(get(registry, f"/schemas/ids/{sid}/subjects").json()) == \
        sorted([subject, subject + "-other"])
    assert {"subject": subject, "version": 1} in get(registry, f"/schemas/ids/{sid}/versions").json()
    by_id = get(registry, f"/schemas/ids/{sid}").json()
    assert json.loads(by_id["schema"]) == json.loads(schema) and "schemaType" not in by_id
    assert json.loads(get(registry, f"/schemas/ids/{sid}/schema").text) == json.loads(schema)
    # A different schema gets a new id.
    newer = register(registry, subject, record("Same", ("a", "int"), ("b", "int", 0))).json()["id"]
    assert newer != sid
    assert get(registry, f"/subjects/{subject}/versions").json() == [1, 2]
    v = get(registry, f"/subjects/{subject}/versions/latest").json()
    assert v["subject"] == subject and v["version"] == 2 and v["id"] == newer
    assert subject in get(registry, "/subjects").json()
    found = post(registry, f"/subjects/{subject}", {"schema": schema}).json()
    assert found["version"] == 1 and found["id"] == sid


def test_backward_compatibility_with_verbose_reasons(registry, subject):
    assert register(registry, subject, record("User", ("id", "int"))).status_code == 200
    no_default = record("User", ("id", "int"), ("email", "string"))
    r = register(registry, subject, no_default)
    body = assert_error(r, 409, 409)
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in body["message"]
    check = post(registry, f"/compatibility/subjects/{subject}/versions/latest?verbose=true",
                 {"schema": no_default}).json()
    assert check["is_compatible"] is False
    assert any("READER_FIELD_MISSING_DEFAULT_VALUE" in m and "'/fields/1'" in m
               for m in check["messages"]), check
    ok = record("User", ("id", "int"), ("email", "string", ""))
    assert post(registry, f"/compatibility/subjects/{subject}/versions",
                {"schema": ok}).json() == {"is_compatible": True}
    assert register(registry, subject, ok).status_code == 200
    # Narrowing a type breaks BACKWARD too; promotion does not.
    assert register(registry, subject, record("User", ("id", "long"), ("email", "string", ""))
                    ).status_code == 200
    narrowed = record("User", ("id", "int"), ("email", "string", ""), ("n", "int", 0))
    assert_error(register(registry, subject, narrowed), 409, 409)
    # A schema the subject already holds is answered with its id, without a check.
    assert register(registry, subject, ok).status_code == 200
    assert get(registry, f"/subjects/{subject}/versions").json() == [1, 2, 3]


def test_levels_per_subject_forward_full_transitive_none(registry, subject):
    assert put(registry, f"/config/{subject}", {"compatibility": "forward"}).json() == \
        {"compatibility": "FORWARD"}
    assert get(registry, f"/config/{subject}").json() == {"compatibilityLevel": "FORWARD"}
    register(registry, subject, record("T", ("a", "int"), ("b", "int")))
    # FORWARD: old readers must read new data; removing b (no default) breaks them.
    assert_error(register(registry, subject, record("T", ("a", "int"))), 409, 409)
    # Adding a field is fine for FORWARD.
    assert register(registry, subject, record("T", ("a", "int"), ("b", "int"), ("c", "int"))
                    ).status_code == 200

    full = subject + "-full"
    put(registry, f"/config/{full}", {"compatibility": "FULL_TRANSITIVE"})
    register(registry, full, record("T", ("a", "int")))
    register(registry, full, record("T", ("a", "int"), ("b", "string", "x")))
    assert_error(register(registry, full, record("T", ("a", "int"), ("c", "string"))), 409, 409)

    none = subject + "-none"
    put(registry, f"/config/{none}", {"compatibility": "NONE"})
    register(registry, none, record("T", ("a", "int")))
    assert register(registry, none, '"string"').status_code == 200

    assert_error(put(registry, f"/config/{subject}", {"compatibility": "SOMETIMES"}), 422, 42203)
    # Subject-level config falls back to global only when asked.
    fresh = subject + "-fresh"
    assert_error(get(registry, f"/config/{fresh}"), 404, 40408)
    assert "compatibilityLevel" in get(registry, f"/config/{fresh}?defaultToGlobal=true").json()
    assert delete(registry, f"/config/{subject}").json() == {"compatibilityLevel": "FORWARD"}
    assert_error(get(registry, f"/config/{subject}"), 404, 40408)


def test_soft_and_permanent_deletes(registry, subject):
    ids = [register(registry, subject, record("D", ("a", "int"), *[(f"f{i}", "int", 0)
                                                                    for i in range(n)])).json()["id"]
           for n in range(3)]
    assert_error(delete(registry, f"/subjects/{subject}/versions/2?permanent=true"), 404, 40407)
    assert delete(registry, f"/subjects/{subject}/versions/2").json() == 2
    assert_error(delete(registry, f"/subjects/{subject}/versions/2"), 404, 40406)
    assert get(registry, f"/subjects/{subject}/versions").json() == [1, 3]
    assert get(registry, f"/subjects/{subject}/versions?deleted=true").json() == [1, 2, 3]
    assert_error(get(registry, f"/subjects/{subject}/versions/2"), 404, 40402)
    assert get(registry, f"/subjects/{subject}/versions/2?deleted=true").json()["id"] == ids[1]
    assert delete(registry, f"/subjects/{subject}/versions/2?permanent=true").json() == 2
    assert get(registry, f"/subjects/{subject}/versions?deleted=true").json() == [1, 3]

    assert_error(delete(registry, f"/subjects/{subject}?permanent=true"), 404, 40405)
    assert delete(registry, f"/subjects/{subject}").json() == [1, 3]
    assert subject not in get(registry, "/subjects").json()
    assert subject in get(registry, "/subjects?deleted=true").json()
    assert_error(delete(registry, f"/subjects/{subject}"), 404, 40404)
    assert get(registry, f"/schemas/ids/{ids[0]}").status_code == 200  # soft: still by id
    assert delete(registry, f"/subjects/{subject}?permanent=true").json() == [1, 3]
    assert subject not in get(registry, "/subjects?deleted=true").json()
    assert_error(get(registry, f"/subjects/{subject}/versions"), 404, 40401)
    assert_error(get(registry, f"/schemas/ids/{ids[0]}"), 404, 40403)
    # Ids are never reused: the same schema registered again gets a new one... or its old id
    # if another subject still holds it; here none does.
    again = register(registry, subject, record("D", ("a", "int"))).json()["id"]
    assert again not in ids[1:]
    assert get(registry, f"/subjects/{subject}/versions").json() == [1]


def test_references(registry, subject):
    address = record("Address", ("city", "string"))
    register(registry, subject + "-address", address)
    customer = json.dumps({"type": "record", "name": "Customer",
                           "fields": [{"name": "home", "type": "Address"}]})
    refs = [{"name": "Address", "subject": subject + "-address", "version": 1}]
    assert_error(register(registry, subject, customer), 422, 42201)  # Address unknown without it
    cid = register(registry, subject, customer, references=refs).json()["id"]
    got = get(registry, f"/subjects/{subject}/versions/1").json()
    assert got["references"] == refs and got["id"] == cid
    assert get(registry, f"/subjects/{subject}-address/versions/1/referencedby").json() == [cid]
    assert_error(delete(registry, f"/subjects/{subject}-address/versions/1"), 422, 42206)
    missing = [{"name": "Address", "subject": subject + "-nope", "version": 1}]
    assert_error(register(registry, subject + "-2", customer, references=missing), 422, 42201)


def test_modes(registry, subject):
    register(registry, subject, record("M", ("a", "int")))
    assert put(registry, f"/mode/{subject}", {"mode": "READONLY"}).json() == {"mode": "READONLY"}
    assert get(registry, f"/mode/{subject}").json() == {"mode": "READONLY"}
    assert_error(register(registry, subject, record("M", ("a", "int"), ("b", "int", 1))), 422, 42205)
    assert_error(delete(registry, f"/subjects/{subject}/versions/1"), 422, 42205)
    assert delete(registry, f"/mode/{subject}").json() == {"mode": "READONLY"}
    assert register(registry, subject, record("M", ("a", "int"), ("b", "int", 1))).status_code == 200
    assert_error(put(registry, f"/mode/{subject}", {"mode": "SOMETIMES"}), 422, 42204)
    # IMPORT keeps chosen ids and versions, on an empty subject only (unless forced).
    assert_error(put(registry, f"/mode/{subject}", {"mode": "IMPORT"}), 422, 42205)
    imported = subject + "-import"
    assert put(registry, f"/mode/{imported}", {"mode": "IMPORT"}).status_code == 200
    r = register(registry, imported, record("I", ("a", "int")), id=900001, version=7)
    assert r.json() == {"id": 900001}, r.text
    assert get(registry, f"/subjects/{imported}/versions/7").json()["id"] == 900001
    assert_error(register(registry, imported, record("J", ("a", "int")), id=900001, version=8),
                 422, 42205)
    # Outside IMPORT an id cannot be chosen; ids handed out later skip past imported ones.
    delete(registry, f"/mode/{imported}")
    assert_error(register(registry, subject, record("K", ("a", "int")), id=5), 422, 42205)
    assert register(registry, subject + "-after", record("K", ("a", "int"))).json()["id"] > 900001


@pytest.mark.parametrize("method, path, body, status, code", [
    ("POST", "/subjects/{s}/versions", {"schema": "{\"type\": \"nope\"}"}, 422, 42201),
    ("POST", "/subjects/{s}/versions", {"schema": "not json"}, 422, 42201),
    ("POST", "/subjects/{s}/versions", {}, 422, 42201),
    ("POST", "/subjects/{s}/versions", {"schema": "\"int\"", "schemaType": "XML"}, 422, 42201),
    ("GET", "/subjects/{s}/versions/0", None, 422, 42202),
    ("GET", "/subjects/{s}/versions/abc", None, 422, 42202),
    ("GET", "/subjects/{s}/versions/1", None, 404, 40401),
    ("GET", "/schemas/ids/987654321", None, 404, 40403),
    ("POST", "/subjects/{s}", {"schema": "\"int\""}, 404, 40401),
    ("GET", "/no/such/route", None, 404, 404),
])
def test_errors_in_confluents_shape(registry, subject, method, path, body, status, code):
    url = path.replace("{s}", subject)
    if method == "GET":
        r = get(registry, url)
    else:
        r = post(registry, url, body)
    assert_error(r, status, code)


def test_bad_bodies_get_4xx(registry, subject):
    url = f"{registry.url}/subjects/{subject}/versions"
    r = requests.post(url, data="{not json", headers={"Content-Type": SR}, timeout=TIMEOUT)
    assert_error(r, 400, 400)
    r = requests.post(url, data='{"schema": "\\"int\\""}', headers={"Content-Type": "text/plain"},
                      timeout=TIMEOUT)
    assert_error(r, 415, 415)
    register(registry, subject, '"int"')
    assert_error(post(registry, f"/subjects/{subject}", {"schema": '"long"'}), 404, 40403)


def test_the_topic_holds_confluents_layout(registry, subject):
    from confluent_kafka import Consumer, TopicPartition

    sid = register(registry, subject, record("Layout", ("a", "int"))).json()["id"]
    put(registry, f"/config/{subject}", {"compatibility": "FULL"})
    topic = shared_settings(registry)["topic"]
    consumer = Consumer({"bootstrap.servers": registry.bootstrap, "group.id": uuid.uuid4().hex,
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    seen = {}
    try:
        for _ in range(200):
            msg = consumer.poll(0.5)
            if msg is None:
                if len(seen) >= 2:
                    break
                continue
            key = json.loads(msg.key())
            if key.get("subject") == subject:
                seen[key["keytype"]] = (key, json.loads(msg.value()) if msg.value() else None)
    finally:
        consumer.close()
    key, value = seen["SCHEMA"]
    assert key == {"keytype": "SCHEMA", "subject": subject, "version": 1, "magic": 1}
    assert value["id"] == sid and value["subject"] == subject and value["deleted"] is False
    assert json.loads(value["schema"]) == json.loads(record("Layout", ("a", "int")))
    assert seen["CONFIG"] == ({"keytype": "CONFIG", "subject": subject, "magic": 0},
                              {"compatibilityLevel": "FULL"})


def shared_settings(reg) -> dict:
    """The settings another instance needs to serve the same registry."""
    own = reg.wharf.config["schema_registry"]
    return {"topic": own["topic"], "group_id": own["group_id"]}


def test_state_survives_a_restart(registry, tmp_path, subject):
    sid = register(registry, subject, record("Kept", ("a", "int"))).json()["id"]
    # Another Wharf on the same Kafka and topic reads everything back.
    other = launch_registry(tmp_path, registry.bootstrap,
                            {"schema_registry": shared_settings(registry)})
    try:
        assert get(other, f"/subjects/{subject}/versions/1").json()["id"] == sid
        assert json.loads(get(other, f"/schemas/ids/{sid}/schema").text)["name"] == "Kept"
    finally:
        stop_registry(other)


def test_normalize_stores_one_form_for_equivalent_schemas(registry, subject):
    spaced = json.dumps({"type": "record", "name": "Norm", "namespace": "acme",
                         "fields": [{"name": "a", "type": "long", "default": 1},
                                    {"name": "b", "type": ["null", "string"], "aliases": ["y", "x"]}]},
                        indent=2)
    reordered = json.dumps({"fields": [{"default": 1, "type": "long", "name": "a"},
                                       {"aliases": ["x", "y"], "name": "b",
                                        "type": ["null", "string"]}],
                            "name": "acme.Norm", "type": "record"})
    first = post(registry, f"/subjects/{subject}/versions?normalize=true", {"schema": spaced})
    assert first.status_code == 200, first.text
    again = post(registry, f"/subjects/{subject}/versions?normalize=true", {"schema": reordered})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert get(registry, f"/subjects/{subject}/versions").json() == [1]
    stored = get(registry, f"/subjects/{subject}/versions/1").json()["schema"]
    assert stored == ('{"name":"acme.Norm","type":"record","fields":['
                      '{"name":"a","type":"long","order":"ASCENDING","default":1},'
                      '{"name":"b","type":["null","string"],"order":"ASCENDING",'
                      '"aliases":["x","y"]}]}')
    # The stored form is a schema other Avro implementations read.
    import fastavro
    fastavro.parse_schema(json.loads(stored))
    # Lookup with normalize finds it from any spelling; without, only the stored text.
    found = post(registry, f"/subjects/{subject}?normalize=true", {"schema": spaced})
    assert found.status_code == 200 and found.json()["version"] == 1
    assert_error(post(registry, f"/subjects/{subject}", {"schema": reordered}), 404, 40403)
