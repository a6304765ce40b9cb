"""The REST Proxy when Kafka is not there: not ready in /healthz, Kafka errors as
Confluent's retriable error, and no listener at all when no cluster is configured."""

from __future__ import annotations

import requests

from wharf_fixture import free_port


def test_unreachable_kafka_is_not_ready_and_answers_50003(start_wharf):
    dead = f"127.0.0.1:{free_port()}"
    w = start_wharf(config={"broker": {"enabled": False},
                            "kafka": {"bootstrap_servers": [dead], "request_timeout": "1s"}})
    health = requests.get(w.admin_url + "/healthz", timeout=10)
    assert health.status_code == 503
    assert "rest-proxy" in health.json()["not_ready"]
    rest = f"http://127.0.0.1:{w.ports['rest_proxy']}"
    r = requests.get(f"{rest}/topics", timeout=10)
    assert r.status_code == 500 and r.json()["error_code"] == 50003, r.text
    assert w.stop() == 0


def test_no_cluster_configured_keeps_the_listener_closed(start_wharf):
    w = start_wharf(config={"broker": {"enabled": False}})
    assert "the REST Proxy needs a Kafka cluster" in w.log_text()
    health = requests.get(w.admin_url + "/healthz", timeout=10).json()
    assert "rest-proxy" not in [c["name"] for c in health["components"]]
    try:
        requests.get(f"http://127.0.0.1:{w.ports['rest_proxy']}/topics", timeout=2)
        raise AssertionError("the REST Proxy listener is open")
    except requests.ConnectionError:
        pass
