"""The Schema Registry with authentication and per-subject access rules, on both backends.

Every route refuses a request without valid credentials (401 with a challenge, Confluent's
40101); principals see and change only the subjects their rules name (403, 40301), lists
leave out what they may not read, and the registry-wide settings need admin on every
subject. Confluent's SchemaRegistryClient authenticates with HTTP Basic, and the REST
Proxy reaches a registry that requires authentication with its configured credentials."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
import requests

from registry_helpers import launch_registry, stop_registry

TIMEOUT = 30
SR = "application/vnd.schemaregistry.v1+json"
READER_KEY = "reader-key-" + uuid.uuid4().hex
WRITER_KEY = "writer-key-" + uuid.uuid4().hex
ADMIN_KEY = "admin-key-" + uuid.uuid4().hex
ALICE_PASSWORD = "alice-" + uuid.uuid4().hex[:8]
PROXY_PASSWORD = "proxy-" + uuid.uuid4().hex[:8]

SECURITY = {"auth": {
    "enabled": True,
    "api_keys": [f"reader:{READER_KEY}", f"writer:{WRITER_KEY}", f"admin:{ADMIN_KEY}"],
    "basic_users": [f"alice:plain:{ALICE_PASSWORD}", f"proxy:plain:{PROXY_PASSWORD}"],
    "rules": ["reader:read:orders-*", "writer:write:orders-*", "writer:delete:orders-*",
              "alice:write:alice-*", "proxy:write:*", "admin:all:*"],
}}


class Bearer(requests.auth.AuthBase):
    def __init__(self, token: str):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


READER, WRITER, ADMIN = Bearer(READER_KEY), Bearer(WRITER_KEY), Bearer(ADMIN_KEY)


@pytest.fixture(scope="module", params=["wharf", "apache"])
def secured(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f"registry-security-{request.param}")
    kafka = request.getfixturevalue("kafka_single").bootstrap_servers \
        if request.param == "apache" else None
    tag = uuid.uuid4().hex[:8]
    reg = launch_registry(workdir, kafka, {"schema_registry": {
        "topic": f"_schemas-{tag}", "group_id": f"schema-registry-{tag}", **SECURITY}},
        probe_auth=ADMIN)
    yield reg
    stop_registry(reg)


def call(reg, method: str, path: str, auth=None, body=None) -> requests.Response:
    data = None if body is None else json.dumps(body)
    return requests.request(method, reg.url + path, data=data, auth=auth, timeout=TIMEOUT,
                            headers={"Content-Type": SR})


def schema(name: str) -> dict:
    return {"schema": json.dumps({"type": "record", "name": name,
                                  "fields": [{"name": "a", "type": "long"}]})}


def register(reg, subject: str, auth, name: str = "R") -> requests.Response:
    return call(reg, "POST", f"/subjects/{subject}/versions", auth, schema(name))


def every_route(subject: str) -> list[tuple[str, str, dict | None]]:
    s = subject
    return [
        ("GET", "/", None), ("GET", "/schemas", None), ("GET", "/schemas/types", None),
        ("GET", "/schemas/ids/1", None), ("GET", "/schemas/ids/1/schema", None),
        ("GET", "/schemas/ids/1/subjects", None), ("GET", "/schemas/ids/1/versions", None),
        ("GET", "/subjects", None), ("POST", f"/subjects/{s}", schema("R")),
        ("DELETE", f"/subjects/{s}", None), ("GET", f"/subjects/{s}/versions", None),
        ("POST", f"/subjects/{s}/versions", schema("R")),
        ("GET", f"/subjects/{s}/versions/1", None), ("DELETE", f"/subjects/{s}/versions/1", None),
        ("GET", f"/subjects/{s}/versions/1/schema", None),
        ("GET", f"/subjects/{s}/versions/1/referencedby", None),
        ("POST", f"/compatibility/subjects/{s}/versions", schema("R")),
        ("POST", f"/compatibility/subjects/{s}/versions/latest", schema("R")),
        ("GET", "/config", None), ("PUT", "/config", {"compatibility": "NONE"}),
        ("DELETE", "/config", None), ("GET", f"/config/{s}", None),
        ("PUT", f"/config/{s}", {"compatibility": "NONE"}), ("DELETE", f"/config/{s}", None),
        ("GET", "/mode", None), ("PUT", "/mode", {"mode": "READONLY"}), ("DELETE", "/mode", None),
        ("GET", f"/mode/{s}", None), ("PUT", f"/mode/{s}", {"mode": "READONLY"}),
        ("DELETE", f"/mode/{s}", None),
    ]


@pytest.mark.parametrize("credentials", ["none", "wrong key", "wrong password", "unknown user",
                                         "malformed"])
def test_every_route_refuses_requests_without_valid_credentials(secured, credentials):
    subject = "orders-" + uuid.uuid4().hex[:6]
    assert register(secured, subject, WRITER).status_code == 200
    auth = {"none": None, "wrong key": Bearer("not-a-key"),
            "wrong password": ("alice", "nope"), "unknown user": ("mallory", ALICE_PASSWORD),
            "malformed": Bearer("")}[credentials]
    for method, path, body in every_route(subject):
        r = call(secured, method, path, auth, body)
        assert r.status_code == 401, (method, path, r.status_code, r.text)
        assert r.json()["error_code"] == 40101, (method, path, r.text)
        assert r.headers.get("WWW-Authenticate"), (method, path)
    # Nothing above changed anything.
    r = call(secured, "GET", f"/subjects/{subject}/versions", ADMIN)
    assert r.status_code == 200 and r.json() == [1]
    assert call(secured, "GET", "/mode", ADMIN).json()["mode"] == "READWRITE"


def test_rules_decide_which_subjects_a_principal_reads_and_changes(secured):
    tag = uuid.uuid4().hex[:6]
    orders, secret = f"orders-{tag}", f"secret-{tag}"
    r = register(secured, orders, WRITER, "Order")
    assert r.status_code == 200, r.text
    order_id = r.json()["id"]
    # The writer may not touch subjects outside its prefix, nor may the reader write.
    for auth, subject in ((WRITER, secret), (READER, orders), (READER, secret)):
        r = register(secured, subject, auth, "Order")
        assert r.status_code == 403 and r.json()["error_code"] == 40301, r.text
    r = register(secured, secret, ADMIN, "Secret")
    assert r.status_code == 200
    secret_id = r.json()["id"]

    # The reader reads orders-*, and only that.
    assert call(secured, "GET", f"/subjects/{orders}/versions/1", READER).json()["id"] == order_id
    assert call(secured, "POST", f"/subjects/{orders}", READER, schema("Order")).status_code == 200
    compat = call(secured, "POST", f"/compatibility/subjects/{orders}/versions/latest", READER,
                  schema("Order"))
    assert compat.status_code == 200 and compat.json()["is_compatible"] is True
    for path in (f"/subjects/{secret}/versions", f"/subjects/{secret}/versions/1",
                 f"/config/{secret}", f"/mode/{secret}"):
        r = call(secured, "GET", path, READER)
        assert r.status_code == 403 and r.json()["error_code"] == 40301, (path, r.text)
    subjects = call(secured, "GET", "/subjects", READER).json()
    assert orders in subjects and secret not in subjects
    assert all(s.startswith("orders-") for s in subjects)
    listed = call(secured, "GET", "/schemas", READER).json()
    assert {s["subject"] for s in listed} <= set(subjects) and orders in {s["subject"] for s in listed}
    admin_subjects = call(secured, "GET", "/subjects", ADMIN).json()
    assert {orders, secret} <= set(admin_subjects)

    # Ids: readable through a subject the principal may read.
    assert call(secured, "GET", f"/schemas/ids/{order_id}", READER).status_code == 200
    r = call(secured, "GET", f"/schemas/ids/{secret_id}", READER)
    assert r.status_code == 403 and r.json()["error_code"] == 40301
    assert call(secured, "GET", f"/schemas/ids/{secret_id}/schema", READER).status_code == 403
    assert call(secured, "GET", f"/schemas/ids/{secret_id}/subjects", READER).json() == []
    assert call(secured, "GET", f"/schemas/ids/{secret_id}/subjects", ADMIN).json() == [secret]

    # Deleting needs delete; the writer has it on orders-*, the reader has not.
    r = call(secured, "DELETE", f"/subjects/{orders}/versions/1", READER)
    assert r.status_code == 403
    r = call(secured, "DELETE", f"/subjects/{orders}/versions/1", WRITER)
    assert r.status_code == 200 and r.json() == 1


def test_settings_need_admin(secured):
    subject = "orders-" + uuid.uuid4().hex[:6]
    for auth in (READER, WRITER):
        for method, path, body in (("PUT", "/config", {"compatibility": "NONE"}),
                                   ("DELETE", "/config", None),
                                   ("PUT", "/mode", {"mode": "READONLY"}),
                                   ("PUT", f"/config/{subject}", {"compatibility": "NONE"}),
                                   ("PUT", f"/mode/{subject}", {"mode": "READONLY"})):
            r = call(secured, method, path, auth, body)
            assert r.status_code == 403 and r.json()["error_code"] == 40301, (method, path, r.text)
    assert call(secured, "GET", "/config", READER).status_code == 200
    r = call(secured, "PUT", f"/config/{subject}", ADMIN, {"compatibility": "FULL"})
    assert r.status_code == 200, r.text
    r = call(secured, "GET", f"/config/{subject}", READER)
    assert r.status_code == 200 and r.json()["compatibilityLevel"] == "FULL"
    assert call(secured, "DELETE", f"/config/{subject}", ADMIN).status_code == 200


def test_confluent_client_with_basic_auth(secured):
    from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    subject = "alice-" + uuid.uuid4().hex[:6]
    text = schema("Alice")["schema"]
    client = SchemaRegistryClient({"url": secured.url,
                                   "basic.auth.user.info": f"alice:{ALICE_PASSWORD}"})
    schema_id = client.register_schema(subject, Schema(text, "AVRO"))
    assert client.get_latest_version(subject).schema_id == schema_id
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema("orders-" + uuid.uuid4().hex[:6], Schema(text, "AVRO"))
    assert refused.value.http_status_code == 403 and refused.value.error_code == 40301
    wrong = SchemaRegistryClient({"url": secured.url, "basic.auth.user.info": "alice:wrong"})
    with pytest.raises(SchemaRegistryError) as unauthenticated:
        wrong.get_subjects()
    assert unauthenticated.value.http_status_code == 401


@pytest.mark.parametrize("configured", [True, False], ids=["with-credentials", "without"])
def test_rest_proxy_avro_reaches_a_secured_registry(secured, tmp_path_factory, configured):
    from confluent_kafka.admin import AdminClient, NewTopic

    proxy_config = {"enabled": True, "schema_registry_url": secured.url}
    if configured:
        proxy_config["schema_registry_basic_auth_user_info"] = f"proxy:{PROXY_PASSWORD}"
    proxy = launch_registry(tmp_path_factory.mktemp("proxy"), secured.bootstrap,
                            {"rest_proxy": proxy_config, "schema_registry": {"enabled": False}})
    try:
        topic = f"secured-{uuid.uuid4().hex[:8]}"
        admin = AdminClient({"bootstrap.servers": secured.bootstrap})
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic] \
            .result(30)
        url = f"http://127.0.0.1:{proxy.wharf.ports['rest_proxy']}/topics/{topic}"
        body = {"value_schema": schema("Proxied")["schema"], "records": [{"value": {"a": 7}}]}
        r = requests.post(url, data=json.dumps(body), timeout=TIMEOUT,
                          headers={"Content-Type": "application/vnd.kafka.avro.v2+json"})
        if configured:
            assert r.status_code == 200, r.text
            value_id = r.json()["value_schema_id"]
            got = call(secured, "GET", f"/subjects/{topic}-value/versions/1", ADMIN).json()
            assert got["id"] == value_id
        else:
            # The registry's 401 comes back as an error, never a produced record.
            assert r.status_code >= 400, r.text
            assert "401" in r.json()["message"] or "uthenticat" in r.json()["message"], r.text
            missing = call(secured, "GET", f"/subjects/{topic}-value/versions", ADMIN)
            assert missing.status_code == 404
    finally:
        stop_registry(proxy)


def test_basic_header_forms(secured):
    """A Basic header that is not base64, or has no colon, is a 401, not a crash."""
    for header in ("Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode(), "Basic",
                   "Digest abc", "Bearer"):
        r = requests.get(secured.url + "/subjects", headers={"Authorization": header},
                         timeout=TIMEOUT)
        assert r.status_code == 401 and r.json()["error_code"] == 40101, header
