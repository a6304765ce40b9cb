"""REST Proxy security against the embedded broker and Apache Kafka: an authentication
matrix (API keys, HS256 and RS256 JWTs, HTTP Basic; every bad credential against every
route family), per-topic authorization, consumer instance ownership, CORS, per-principal
rate limits, HTTPS with a real client, and a browser-style fetch() partner (Node 20)
whose records a real Kafka client reads back."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from backends import launch_wharf
from rest_helpers import (TIMEOUT, V2, V2_BINARY, b64, cluster_id, create_topic, kafka_read_all,
                          name)
from wharf_fixture import deep_merge

PEERS_NODE = Path(__file__).resolve().parents[2] / "peers" / "node"

HS_SECRET = "hs256-shared-secret-for-tests"
AUDIENCE = "wharf-rest"
ISSUER = "https://issuer.test"
ORIGIN = "https://app.example"
# Every test topic the "good" principals may use starts with this; others do not.
OK_PREFIX = "sec-ok-"


# --- credentials ------------------------------------------------------------------------

def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(header: dict, claims: dict, sign) -> str:
    head = _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(claims).encode())
    return head + "." + _b64url(sign(head.encode()))


def hs256(claims: dict, secret: str = HS_SECRET) -> str:
    return _jwt({"alg": "HS256", "typ": "JWT"}, claims,
                lambda data: hmac.new(secret.encode(), data, hashlib.sha256).digest())


def rs256(claims: dict, key) -> str:
    return _jwt({"alg": "RS256", "typ": "JWT"}, claims,
                lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256()))


def claims(sub: str = "jwt-user", **overrides) -> dict:
    now = int(time.time())
    c = {"sub": sub, "aud": AUDIENCE, "iss": ISSUER, "iat": now, "exp": now + 300}
    c.update(overrides)
    return {k: v for k, v in c.items() if v is not None}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def pbkdf2_form(password: str, salt: bytes = b"pepper-salt", iterations: int = 1000) -> str:
    key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2-sha256:{iterations}:{base64.b64encode(salt).decode()}:{base64.b64encode(key).decode()}"


def sha256_form(password: str, salt: str = "NaCl") -> str:
    return f"sha256:{salt}:{hashlib.sha256((salt + password).encode()).hexdigest()}"


class Keys:
    """The RS256 key pair Wharf trusts and another it does not."""

    def __init__(self, workdir: Path):
        self.trusted = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.untrusted = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key_file = workdir / "jwt-public.pem"
        self.public_key_file.write_bytes(self.trusted.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def security_config(keys: Keys) -> dict:
    return {"rest_proxy": {
        "auth": {
            "enabled": True,
            "api_keys": ["alice:alice-key-0123456789", "mallory:mallory-key-0123456789",
                         "root:root-key-0123456789"],
            "basic_users": [f"carol:{pbkdf2_form('carol-password')}",
                            f"dave:{sha256_form('dave-password')}"],
            "rules": [f"alice:all:{OK_PREFIX}*", f"jwt-user:all:{OK_PREFIX}*",
                      f"dave:all:{OK_PREFIX}*", f"carol:consume:{OK_PREFIX}*",
                      "mallory:produce:mallory-*", "root:all:*"],
            "jwt": {"hs256_secret": HS_SECRET, "rs256_public_key_file": str(keys.public_key_file),
                    "audience": AUDIENCE, "issuer": ISSUER},
        },
        "cors": {"allowed_origins": [ORIGIN]},
    }}


def _launch(workdir: Path, bootstrap: str, config: dict):
    base = {"schema_registry": {"enabled": False}, "connect": {"enabled": False},
            "broker": {"enabled": False}, "kafka": {"bootstrap_servers": bootstrap.split(",")}}
    return launch_wharf(workdir, deep_merge(base, config))


class Secured:
    def __init__(self, rest_proxy, workdir: Path):
        self.keys = Keys(workdir)
        self.wharf = _launch(workdir, rest_proxy.bootstrap, security_config(self.keys))
        self.url = f"http://127.0.0.1:{self.wharf.ports['rest_proxy']}"
        self.bootstrap = rest_proxy.bootstrap
        self.cluster = cluster_id(rest_proxy.bootstrap)
        self.v3 = f"{self.url}/v3/clusters/{self.cluster}"


@pytest.fixture(scope="module")
def secured(rest_proxy, tmp_path_factory):
    s = Secured(rest_proxy, tmp_path_factory.mktemp(f"secured-{rest_proxy.name}"))
    yield s
    assert s.wharf.stop(signal.SIGTERM) == 0, s.wharf.log_text()[-3000:]


@pytest.fixture(scope="module")
def ok_topic(secured) -> str:
    topic = name(OK_PREFIX + "t")
    create_topic(secured.bootstrap, topic)
    return topic


def good_credentials(keys: Keys) -> dict[str, str]:
    return {
        "api key": "Bearer alice-key-0123456789",
        "HS256 JWT": "Bearer " + hs256(claims()),
        "RS256 JWT": "Bearer " + rs256(claims(), keys.trusted),
        "Basic (sha256)": basic("dave", "dave-password"),
    }


def bad_credentials(keys: Keys) -> dict[str, str | None]:
    now = int(time.time())
    return {
        "no credentials": None,
        "wrong API key": "Bearer not-a-key-0123456789",
        "expired JWT": "Bearer " + hs256(claims(exp=now - 600, iat=now - 900)),
        "not-yet-valid JWT": "Bearer " + hs256(claims(nbf=now + 600, exp=now + 900)),
        "wrong audience": "Bearer " + hs256(claims(aud="someone-else")),
        "wrong issuer": "Bearer " + hs256(claims(iss="https://evil.test")),
        "HS256 wrong secret": "Bearer " + hs256(claims(), secret="guessed-secret"),
        "alg none": "Bearer " + _jwt({"alg": "none", "typ": "JWT"}, claims(), lambda _: b""),
        "HS256 signed with the RSA public key": "Bearer " + hs256(
            claims(), secret=keys.public_key_file.read_text()),
        "RS256 untrusted key": "Bearer " + rs256(claims(), keys.untrusted),
        "Basic wrong password": basic("carol", "not-carols-password"),
        "Basic unknown user": basic("eve", "carol-password"),
        "unknown scheme": "Digest username=carol",
    }


def call(method: str, url: str, auth: str | None, **kwargs) -> requests.Response:
    headers = dict(kwargs.pop("headers", {}))
    if auth is not None:
        headers["Authorization"] = auth
    return requests.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)


def families(s: Secured, topic: str) -> dict:
    """One request per route family: (method, url, kwargs)."""
    binary = {"headers": {"Content-Type": V2_BINARY, "Accept": V2},
              "data": json.dumps({"records": [{"value": b64("x")}]})}
    return {
        "v2 metadata": ("GET", f"{s.url}/topics/{topic}", {}),
        "v2 partitions": ("GET", f"{s.url}/topics/{topic}/partitions/0/offsets", {}),
        "v2 produce": ("POST", f"{s.url}/topics/{topic}", binary),
        "v2 consumers": ("POST", f"{s.url}/consumers/{name('g')}",
                         {"headers": {"Content-Type": V2}, "data": "{}"}),
        "v3 topics": ("GET", f"{s.v3}/topics/{topic}", {}),
        "v3 configs": ("GET", f"{s.v3}/topics/{topic}/configs", {}),
        "v3 records": ("POST", f"{s.v3}/topics/{topic}/records",
                       {"json": {"value": {"type": "BINARY", "data": b64("y")}}}),
        "v3 records streamed": ("POST", f"{s.v3}/topics/{topic}/records", {
            "headers": {"Content-Type": "application/json"},
            "data": iter([json.dumps({"value": {"type": "STRING", "data": "z"}}).encode()])}),
        "v3 records batch": ("POST", f"{s.v3}/topics/{topic}/records:batch", {"json": {
            "entries": [{"id": "1", "value": {"type": "STRING", "data": "b"}}]}}),
        "v3 config set": ("PUT", f"{s.v3}/topics/{topic}/configs/retention.ms",
                          {"json": {"value": "86400000"}}),
        "v3 groups": ("GET", f"{s.v3}/consumer-groups", {}),
        "v3 clusters": ("GET", f"{s.url}/v3/clusters", {}),
    }


def assert_error(r: requests.Response, status: int, code: int, what: str) -> None:
    assert r.status_code == status, f"{what}: {r.status_code} {r.text}"
    body = r.json()
    assert body["error_code"] == code, f"{what}: {body}"
    assert isinstance(body["message"], str) and body["message"], what


# --- authentication ---------------------------------------------------------------------

def test_bad_credentials_refused_on_every_route_family(secured, ok_topic):
    for cred_name, auth in bad_credentials(secured.keys).items():
        for family, (method, url, kwargs) in families(secured, ok_topic).items():
            r = call(method, url, auth, **kwargs)
            what = f"{cred_name} on {family}"
            assert_error(r, 401, 40101, what)
            challenge = r.headers.get("WWW-Authenticate", "")
            assert "Bearer realm=" in challenge and "Basic realm=" in challenge, what
            # The refusal never echoes the credential.
            if auth:
                assert auth.split(" ", 1)[1][:12] not in r.text, what


def test_good_credentials_accepted_on_every_route_family(secured, ok_topic):
    for cred_name, auth in good_credentials(secured.keys).items():
        for family, (method, url, kwargs) in families(secured, ok_topic).items():
            r = call(method, url, auth, **kwargs)
            assert r.status_code in (200, 201, 204, 207), \
                f"{cred_name} on {family}: {r.status_code} {r.text}"
            if family == "v2 consumers":
                base_uri = r.json()["base_uri"]
                assert call("DELETE", base_uri, auth).status_code == 204


def test_principal_without_rights_gets_403_on_every_topic_route(secured, ok_topic):
    mallory = "Bearer mallory-key-0123456789"
    for family, (method, url, kwargs) in families(secured, ok_topic).items():
        r = call(method, url, mallory, **kwargs)
        if family in ("v2 consumers", "v3 clusters"):
            # Not about a topic: any authenticated principal; consuming is checked below.
            assert r.status_code == 200, f"{family}: {r.text}"
            if family == "v2 consumers":
                base = r.json()["base_uri"]
                sub = call("POST", f"{base}/subscription", mallory,
                           headers={"Content-Type": V2}, json={"topics": [ok_topic]})
                assert_error(sub, 403, 40301, "mallory subscribes")
                assign = call("POST", f"{base}/assignments", mallory, headers={"Content-Type": V2},
                              json={"partitions": [{"topic": ok_topic, "partition": 0}]})
                assert_error(assign, 403, 40301, "mallory assigns")
                commit = call("POST", f"{base}/offsets", mallory, headers={"Content-Type": V2},
                              json={"offsets": [{"topic": ok_topic, "partition": 0, "offset": 0}]})
                assert_error(commit, 403, 40301, "mallory commits")
                assert call("DELETE", base, mallory).status_code == 204
            continue
        assert_error(r, 403, 40301, f"mallory on {family}")


def test_consume_only_principal(secured, ok_topic):
    carol = basic("carol", "carol-password")  # PBKDF2-stored password
    produce = call("POST", f"{secured.v3}/topics/{ok_topic}/records", carol,
                   json={"value": {"type": "BINARY", "data": b64("z")}})
    assert_error(produce, 403, 40301, "carol produces")
    delete = call("DELETE", f"{secured.v3}/topics/{ok_topic}", carol)
    assert_error(delete, 403, 40301, "carol deletes")
    assert call("GET", f"{secured.v3}/topics/{ok_topic}", carol).status_code == 200
    assert call("GET", f"{secured.v3}/consumer-groups", carol).status_code == 200


def test_unknown_paths_and_anonymous_off(secured):
    # No anonymous access configured: even the root answers 401.
    assert_error(call("GET", f"{secured.url}/", None), 401, 40101, "root")
    assert call("GET", f"{secured.url}/", "Bearer alice-key-0123456789").status_code == 200


# --- authorization ----------------------------------------------------------------------

def test_topic_lists_show_only_permitted_topics(secured, ok_topic):
    other = name("sec-no-t")
    create_topic(secured.bootstrap, other)
    alice = "Bearer alice-key-0123456789"
    v2 = call("GET", f"{secured.url}/topics", alice).json()
    assert ok_topic in v2 and other not in v2
    v3 = [t["topic_name"] for t in call("GET", f"{secured.v3}/topics", alice).json()["data"]]
    assert ok_topic in v3 and other not in v3
    everything = call("GET", f"{secured.url}/topics", "Bearer root-key-0123456789").json()
    assert ok_topic in everything and other in everything
    mallory = call("GET", f"{secured.url}/topics", "Bearer mallory-key-0123456789").json()
    assert all(t.startswith("mallory-") for t in mallory), mallory
    assert_error(call("GET", f"{secured.url}/topics/{other}", alice), 403, 40301, "describe other")


def test_topic_admin_rights(secured):
    alice = "Bearer alice-key-0123456789"
    allowed = name(OK_PREFIX + "created")
    r = call("POST", f"{secured.v3}/topics", alice,
             json={"topic_name": allowed, "partitions_count": 1, "replication_factor": 1})
    assert r.status_code == 201, r.text
    refused = call("POST", f"{secured.v3}/topics", alice,
                   json={"topic_name": name("sec-no-created"), "partitions_count": 1,
                         "replication_factor": 1})
    assert_error(refused, 403, 40301, "create outside the prefix")
    configs = call("GET", f"{secured.v3}/topics/{allowed}/configs/cleanup.policy", alice)
    assert configs.status_code == 200, configs.text
    mallory = call("DELETE", f"{secured.v3}/topics/{allowed}", "Bearer mallory-key-0123456789")
    assert_error(mallory, 403, 40301, "mallory deletes")
    assert call("DELETE", f"{secured.v3}/topics/{allowed}", alice).status_code == 204


def test_consumer_instances_belong_to_their_creator(secured, ok_topic):
    alice = "Bearer alice-key-0123456789"
    group = name("sec-group")
    created = call("POST", f"{secured.url}/consumers/{group}", alice, headers={"Content-Type": V2},
                   json={"format": "binary", "auto.offset.reset": "earliest"})
    assert created.status_code == 200, created.text
    base = created.json()["base_uri"]
    assert base.startswith("http://")
    sub = call("POST", f"{base}/subscription", alice, headers={"Content-Type": V2},
               json={"topics": [ok_topic]})
    assert sub.status_code == 204, sub.text
    # A pattern may match topics alice may not read: refused; root may read everything.
    pattern = call("POST", f"{base}/subscription", alice, headers={"Content-Type": V2},
                   json={"topic_pattern": OK_PREFIX + ".*"})
    assert_error(pattern, 403, 40301, "pattern subscription")

    for who in ("Bearer mallory-key-0123456789", "Bearer " + hs256(claims())):
        for method, path in (("GET", "/records"), ("GET", "/subscription"), ("DELETE", "")):
            r = call(method, base + path, who, headers={"Accept": "application/vnd.kafka.binary.v2+json"})
            assert_error(r, 404, 40403, f"{method} {path} by another principal")

    records = call("GET", f"{base}/records?timeout=500", alice,
                   headers={"Accept": "application/vnd.kafka.binary.v2+json"})
    assert records.status_code == 200, records.text
    assert call("DELETE", base, alice).status_code == 204

    root = "Bearer root-key-0123456789"
    created = call("POST", f"{secured.url}/consumers/{group}", root, headers={"Content-Type": V2},
                   json={})
    base = created.json()["base_uri"]
    ok = call("POST", f"{base}/subscription", root, headers={"Content-Type": V2},
              json={"topic_pattern": OK_PREFIX + ".*"})
    assert ok.status_code == 204, ok.text
    assert call("DELETE", base, root).status_code == 204


def test_produce_lands_in_kafka_for_allowed_principal(secured, ok_topic):
    topic = name(OK_PREFIX + "produce")
    create_topic(secured.bootstrap, topic)
    token = "Bearer " + rs256(claims(), secured.keys.trusted)
    r = call("POST", f"{secured.url}/topics/{topic}", token,
             headers={"Content-Type": V2_BINARY, "Accept": V2},
             data=json.dumps({"records": [{"value": b64("v2-signed")}]}))
    assert r.status_code == 200 and r.json()["offsets"][0]["error_code"] is None, r.text
    r = call("POST", f"{secured.v3}/topics/{topic}/records", token,
             json={"value": {"type": "BINARY", "data": b64("v3-signed")}})
    assert r.status_code == 200 and r.json()["error_code"] == 200, r.text
    values = [rec["value"] for rec in kafka_read_all(secured.bootstrap, topic, 2)]
    assert values == [b"v2-signed", b"v3-signed"]


def test_credentials_never_logged(secured, ok_topic):
    for auth in list(good_credentials(secured.keys).values()) + \
            [a for a in bad_credentials(secured.keys).values() if a]:
        call("GET", f"{secured.url}/topics/{ok_topic}", auth)
    log = secured.wharf.log_text()
    for secret in ("alice-key-0123456789", "mallory-key", "root-key", HS_SECRET, "carol-password",
                   "dave-password", "eyJ"):
        assert secret not in log, f"{secret} appears in the log"


# --- CORS -------------------------------------------------------------------------------

def test_cors_preflight_and_headers(secured, ok_topic):
    pre = requests.options(f"{secured.v3}/topics/{ok_topic}/records", timeout=TIMEOUT, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert pre.status_code == 204, pre.text
    assert pre.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert "authorization" in pre.headers["Access-Control-Allow-Headers"].lower()
    assert int(pre.headers["Access-Control-Max-Age"]) > 0

    evil = requests.options(f"{secured.v3}/topics/{ok_topic}/records", timeout=TIMEOUT, headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in evil.headers

    alice = "Bearer alice-key-0123456789"
    ok = call("GET", f"{secured.v3}/topics/{ok_topic}", alice, headers={"Origin": ORIGIN})
    assert ok.status_code == 200 and ok.headers["Access-Control-Allow-Origin"] == ORIGIN
    # Error answers carry the headers too, so the page can read why.
    refused = call("GET", f"{secured.v3}/topics/{ok_topic}", None, headers={"Origin": ORIGIN})
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "WWW-Authenticate" in refused.headers["Access-Control-Expose-Headers"]
    missing = call("GET", f"{secured.url}/no/such/path", alice, headers={"Origin": ORIGIN})
    assert missing.status_code == 404 and missing.headers["Access-Control-Allow-Origin"] == ORIGIN
    other = call("GET", f"{secured.v3}/topics/{ok_topic}", alice,
                 headers={"Origin": "https://evil.example"})
    assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other.headers


# --- rate limits ------------------------------------------------------------------------

def test_rate_limit_answers_429_then_recovers(rest_proxy, start_rest_proxy):
    proxy = start_rest_proxy({"rest_proxy": {
        "auth": {"enabled": True, "api_keys": ["slow:slow-key-0123", "fast:fast-key-0123"],
                 "rules": ["*:all:*"]},
        "rate_limit": {"enabled": True, "requests_per_second": 2, "burst": 3,
                       "overrides": ["fast:1000:1000"]}}})
    slow = {"Authorization": "Bearer slow-key-0123"}
    statuses = []
    limited = None
    for _ in range(8):
        r = requests.get(f"{proxy.url}/v3/clusters", headers=slow, timeout=TIMEOUT)
        statuses.append(r.status_code)
        if r.status_code == 429:
            limited = r
    assert statuses[:3] == [200, 200, 200], statuses
    assert limited is not None, statuses
    assert limited.json()["error_code"] == 42901
    retry_after = int(limited.headers["Retry-After"])
    assert 1 <= retry_after <= 2
    # Another principal has its own bucket (and a bigger one).
    for _ in range(20):
        r = requests.get(f"{proxy.url}/v3/clusters", headers={"Authorization": "Bearer fast-key-0123"},
                         timeout=TIMEOUT)
        assert r.status_code == 200
    time.sleep(retry_after + 0.2)
    assert requests.get(f"{proxy.url}/v3/clusters", headers=slow, timeout=TIMEOUT).status_code == 200
    # Guessing keys spends the client address's bucket: 401s, then 429.
    guesses = [requests.get(f"{proxy.url}/v3/clusters", timeout=TIMEOUT,
                            headers={"Authorization": f"Bearer guess-{i}"}).status_code
               for i in range(6)]
    assert guesses[:3] == [401, 401, 401] and 429 in guesses, guesses


# --- HTTPS ------------------------------------------------------------------------------

def test_https_round_trip(rest_proxy, start_rest_proxy, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    proxy = start_rest_proxy({"rest_proxy": {
        "tls": {"cert_file": str(cert), "key_file": str(key)},
        "auth": {"enabled": True, "api_keys": ["alice:alice-tls-key"], "rules": ["alice:all:*"]}}})
    url = proxy.url.replace("http://", "https://")
    auth = {"Authorization": "Bearer alice-tls-key"}
    topic = name(OK_PREFIX + "tls")
    create_topic(rest_proxy.bootstrap, topic)

    r = requests.post(f"{url}/topics/{topic}", verify=str(cert), timeout=TIMEOUT,
                      headers={**auth, "Content-Type": V2_BINARY, "Accept": V2},
                      data=json.dumps({"records": [{"value": b64("over-tls")}]}))
    assert r.status_code == 200, r.text
    assert [rec["value"] for rec in kafka_read_all(rest_proxy.bootstrap, topic, 1)] == [b"over-tls"]

    created = requests.post(f"{url}/consumers/{name('tls-group')}", verify=str(cert),
                            timeout=TIMEOUT, headers={**auth, "Content-Type": V2}, json={})
    assert created.status_code == 200, created.text
    base_uri = created.json()["base_uri"]
    assert base_uri.startswith("https://"), base_uri
    assert requests.delete(base_uri, verify=str(cert), headers=auth,
                           timeout=TIMEOUT).status_code == 204

    # Plain HTTP is not served on the TLS port, and old protocol versions are refused.
    with pytest.raises(requests.RequestException):
        requests.get(proxy.url + "/v3/clusters", headers=auth, timeout=5)
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = ssl.create_default_context(cafile=str(cert))
        ctx.minimum_version = ctx.maximum_version = version
        with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1]))) as sock:
            with ctx.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
                assert tls.version() == version.name.replace("_", ".")
    curl = shutil.which("curl")
    if curl:
        out = subprocess.run([curl, "-sS", "--cacert", str(cert), "--tlsv1.0", "--tls-max", "1.1",
                              "-H", "Authorization: Bearer alice-tls-key", f"{url}/v3/clusters"],
                             capture_output=True, text=True)
        assert out.returncode != 0, "a TLS 1.0/1.1 handshake was accepted"
        ok = subprocess.run([curl, "-sS", "--cacert", str(cert), "-H",
                             "Authorization: Bearer alice-tls-key", f"{url}/v3/clusters"],
                            capture_output=True, text=True)
        assert ok.returncode == 0 and json.loads(ok.stdout)["kind"] == "KafkaClusterList", ok.stderr


# --- browser-style partner ----------------------------------------------------------------

def test_browser_fetch_produces_with_bearer_token(secured):
    node = shutil.which("node")
    assert node, "node is required for the browser-style partner test"
    topic = name(OK_PREFIX + "fetch")
    create_topic(secured.bootstrap, topic)
    token = hs256(claims())
    out = subprocess.run([node, str(PEERS_NODE / "rest_fetch_client.js"), "--url", secured.url,
                          "--token", token, "--cluster", secured.cluster, "--topic", topic,
                          "--origin", ORIGIN, "--count", "3"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    reports = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    assert [r["api"] for r in reports] == ["v3"] * 3 + ["v2"] * 3
    records = kafka_read_all(secured.bootstrap, topic, 6)
    assert [(r["partition"], r["offset"]) for r in records] == \
        sorted((r["partition"], r["offset"]) for r in reports)
    assert [json.loads(r["value"]) for r in records] == [r["value"] for r in reports]

    # The same script with a token of a principal without rights fails at the produce.
    refused = subprocess.run([node, str(PEERS_NODE / "rest_fetch_client.js"), "--url", secured.url,
                              "--token", "mallory-key-0123456789", "--cluster", secured.cluster,
                              "--topic", topic, "--origin", ORIGIN, "--count", "1"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "403" in refused.stderr, refused.stderr


# --- anonymous access ---------------------------------------------------------------------

def test_anonymous_access_only_where_rules_allow(rest_proxy, start_rest_proxy):
    proxy = start_rest_proxy({"rest_proxy": {"auth": {
        "enabled": True, "anonymous": True, "api_keys": ["writer:writer-key-0123"],
        "rules": ["anonymous:consume:public-*", "writer:all:*"]}}})
    public, private = name("public-t"), name("private-t")
    for topic in (public, private):
        create_topic(rest_proxy.bootstrap, topic)
    listed = requests.get(f"{proxy.url}/topics", timeout=TIMEOUT).json()
    assert public in listed and private not in listed
    assert requests.get(f"{proxy.url}/topics/{public}", timeout=TIMEOUT).status_code == 200
    assert_error(requests.get(f"{proxy.url}/topics/{private}", timeout=TIMEOUT), 403, 40301,
                 "anonymous describes a private topic")
    produce = requests.post(f"{proxy.url}/topics/{public}", timeout=TIMEOUT,
                            headers={"Content-Type": V2_BINARY, "Accept": V2},
                            data=json.dumps({"records": [{"value": b64("anon")}]}))
    assert_error(produce, 403, 40301, "anonymous produces")
    # Wrong credentials are refused, never downgraded to anonymous.
    assert_error(call("GET", f"{proxy.url}/topics/{public}", "Bearer wrong-key"), 401, 40101,
                 "wrong key with anonymous on")
    assert call("GET", f"{proxy.url}/topics/{private}", "Bearer writer-key-0123").status_code == 200
