"""`wharf serve`: the admin API, metrics, logging, limits and a graceful stop."""

import http.client
import json
import signal
import socket
import subprocess
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families


def test_healthz_and_index(start_wharf):
    w = start_wharf()
    r = requests.get(w.admin_url + "/healthz", timeout=5)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["not_ready"] == []
    assert {"name": "admin-http", "ready": True} in body["components"]
    assert {"name": "kafka-broker", "ready": True} in body["components"]
    assert requests.get(w.admin_url + "/", timeout=5).json()["name"] == "wharf"


def test_startup_prints_where_listeners_are(start_wharf):
    w = start_wharf()
    text = w.log_text()
    assert f"listening on http://127.0.0.1:{w.ports['admin']}" in text
    assert f"embedded Kafka broker listening on 127.0.0.1:{w.ports['broker']}" in text


def test_metrics_parse_as_prometheus_text(start_wharf):
    w = start_wharf()
    for _ in range(3):
        requests.get(w.admin_url + "/healthz", timeout=5)
    r = requests.get(w.admin_url + "/metrics", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    for name, kind in [("process_cpu_seconds", "counter"), ("process_resident_memory_bytes", "gauge"),
                       ("process_open_fds", "gauge"), ("wharf_uptime_seconds", "gauge"),
                       ("wharf_http_requests", "counter"),
                       ("wharf_http_request_duration_seconds", "histogram")]:
        assert name in families, f"{name} missing from /metrics"
        assert families[name].type == kind
    rss = families["process_resident_memory_bytes"].samples[0].value
    assert 1e6 < rss < 1e9
    healthz = [s for s in families["wharf_http_requests"].samples
               if s.labels.get("server") == "admin" and s.labels.get("code") == "200"]
    assert sum(s.value for s in healthz) >= 3
    routes = {s.labels.get("route") for s in families["wharf_http_request_duration_seconds"].samples}
    assert "/healthz" in routes


def test_keep_alive_reuses_one_connection(start_wharf):
    w = start_wharf()
    conn = http.client.HTTPConnection("127.0.0.1", w.ports["admin"], timeout=5)
    for _ in range(5):
        conn.request("GET", "/healthz")
        res = conn.getresponse()
        assert res.status == 200
        res.read()
    sock = conn.sock
    conn.request("GET", "/livez")
    conn.getresponse().read()
    assert conn.sock is sock  # the server kept the connection open
    conn.close()


def test_errors_are_json_and_other_clients_keep_working(start_wharf):
    w = start_wharf(config={"http": {"max_body_size": "1KiB"}})
    r = requests.get(w.admin_url + "/no/such/thing", timeout=5)
    assert r.status_code == 404 and "error_code" in r.json()
    r = requests.delete(w.admin_url + "/healthz", timeout=5)
    assert r.status_code == 405 and r.headers["Allow"] == "GET"
    r = requests.post(w.admin_url + "/healthz", data=b"x" * 5000, timeout=5)
    assert r.status_code == 413 and r.json()["error_code"] == 413
    with socket.create_connection(("127.0.0.1", w.ports["admin"]), timeout=5) as s:
        s.sendall(b"\x16\x03\x01garbage that is not HTTP\r\n\r\n")
        reply = s.recv(4096)
        assert reply.startswith(b"HTTP/1.1 400")
    assert requests.get(w.admin_url + "/healthz", timeout=5).status_code == 200


def test_oversized_headers_get_431(start_wharf):
    w = start_wharf(config={"http": {"max_header_size": "2KiB"}})
    r = requests.get(w.admin_url + "/healthz", headers={"X-Big": "a" * 8000}, timeout=5)
    assert r.status_code == 431


def test_slowloris_request_times_out(start_wharf):
    w = start_wharf(config={"http": {"read_timeout": "500ms"}})
    with socket.create_connection(("127.0.0.1", w.ports["admin"]), timeout=5) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finishes the headers
        started = time.monotonic()
        data = s.recv(4096)
        assert time.monotonic() - started < 4
        assert data == b"" or data.startswith(b"HTTP/1.1 408")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_exits_zero_and_says_so(start_wharf, sig):
    w = start_wharf()
    # An idle keep-alive connection must not hold the shutdown up.
    conn = http.client.HTTPConnection("127.0.0.1", w.ports["admin"], timeout=5)
    conn.request("GET", "/healthz")
    conn.getresponse().read()
    started = time.monotonic()
    assert w.stop(sig) == 0
    assert time.monotonic() - started < 5
    assert "shutting down" in w.log_text() and "stopped" in w.log_text()
    with pytest.raises(requests.ConnectionError):
        requests.get(w.admin_url + "/healthz", timeout=2)


def test_environment_overrides_the_file(start_wharf, tmp_path):
    from wharf_fixture import free_port
    port = free_port()
    w = start_wharf(env={"WHARF_ADMIN_PORT": str(port)})
    assert w.admin_url == f"http://127.0.0.1:{port}"
    assert requests.get(w.admin_url + "/healthz", timeout=5).status_code == 200


def test_json_logs_to_a_file(start_wharf, tmp_path):
    log_file = tmp_path / "wharf.json.log"
    w = start_wharf(config={"log": {"format": "json", "file": str(log_file), "level": "debug"}})
    requests.get(w.admin_url + "/healthz", timeout=5)
    assert w.stop() == 0
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert lines, "the log file is empty"
    assert all({"time", "level", "component", "msg"} <= set(line) for line in lines)
    assert any(line["component"] == "admin" and "/healthz" in line["msg"] for line in lines)


def test_port_in_use_fails_clearly(start_wharf, wharf_bin, tmp_path):
    w = start_wharf()
    path = tmp_path / "clash.yaml"
    path.write_text(f"admin:\n  port: {w.ports['admin']}\n")
    out = subprocess.run([wharf_bin, "serve", "--config", str(path)], capture_output=True,
                         text=True, timeout=10, stdin=subprocess.DEVNULL)
    assert out.returncode != 0
    assert "cannot listen" in out.stderr


def test_tls_admin_listener(start_wharf, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    w = start_wharf(config={"admin": {"tls": {"cert_file": str(cert), "key_file": str(key)}}},
                    verify=str(cert))
    assert w.admin_url.startswith("https://")
    r = requests.get(w.admin_url + "/healthz", verify=str(cert), timeout=5)
    assert r.status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{w.ports['admin']}/healthz", timeout=2)
