"""REST consumer instances: names and base URIs, deletion leaving the group, and expiry
of idle instances (consumer.instance.timeout.ms), against both backends."""

from __future__ import annotations

import time

import requests
from prometheus_client.parser import text_string_to_metric_families

from rest_helpers import TIMEOUT, V2, V2Consumer, b64, create_topic, name, produce_v2


def _group_members(bootstrap: str, group: str) -> int:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    return len(admin.describe_consumer_groups([group])[group].result(30).members)


def _instances_gauge(admin_url: str) -> float:
    text = requests.get(f"{admin_url}/metrics", timeout=TIMEOUT).text
    for family in text_string_to_metric_families(text):
        if family.name == "wharf_rest_proxy_consumer_instances":
            return family.samples[0].value
    raise AssertionError("wharf_rest_proxy_consumer_instances missing from /metrics")


def test_generated_names_and_base_uri(rest_proxy):
    group = name("g")
    r = requests.post(f"{rest_proxy.url}/consumers/{group}", data="", timeout=TIMEOUT,
                      headers={"Content-Type": V2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["instance_id"].startswith("rest-consumer-")
    assert body["base_uri"] == f"{rest_proxy.url}/consumers/{group}/instances/{body['instance_id']}"
    assert requests.delete(body["base_uri"], timeout=TIMEOUT).status_code == 204


def test_delete_leaves_the_group(rest_proxy):
    topic = name("leave")
    create_topic(rest_proxy.bootstrap, topic)
    produce_v2(rest_proxy.url, topic, [{"value": b64("x")}])
    group = name("g")
    consumer = V2Consumer(rest_proxy.url, group, "binary")
    consumer.subscribe(topic)
    consumer.read(1)
    assert _group_members(rest_proxy.bootstrap, group) == 1
    consumer.delete()
    deadline = time.monotonic() + 20
    while _group_members(rest_proxy.bootstrap, group) != 0:
        assert time.monotonic() < deadline, "the deleted instance is still a group member"
        time.sleep(0.2)
    r = requests.get(f"{consumer.base}/subscription", timeout=TIMEOUT)
    assert r.status_code == 404 and r.json()["error_code"] == 40403


def test_idle_instances_expire_and_busy_ones_stay(start_rest_proxy, rest_proxy):
    proxy = start_rest_proxy({"rest_proxy": {"consumer_instance_timeout": "1500ms"}})
    topic = name("expiry")
    create_topic(rest_proxy.bootstrap, topic)
    idle = V2Consumer(proxy.url, name("g"), "binary")
    busy = V2Consumer(proxy.url, name("g"), "binary")
    busy.assign(topic, [0])
    assert _instances_gauge(proxy.admin_url) == 2
    started = time.monotonic()
    while time.monotonic() - started < 3.5:
        assert busy.records(timeout_ms=200) == []
        time.sleep(0.2)
    r = requests.get(f"{idle.base}/assignments", timeout=TIMEOUT)
    assert r.status_code == 404 and r.json()["error_code"] == 40403
    assert busy.get("/assignments").json()["partitions"] == [{"topic": topic, "partition": 0}]
    assert _instances_gauge(proxy.admin_url) == 1
    assert "expired after" in proxy.wharf.log_text()
    # The name is free again.
    again = V2Consumer(proxy.url, idle.group, "binary", name=idle.instance)
    again.delete()
    busy.delete()


def test_healthz_reports_the_rest_proxy(rest_proxy):
    health = requests.get(f"{rest_proxy.admin_url}/healthz", timeout=TIMEOUT).json()
    assert {"name": "rest-proxy", "ready": True} in health["components"]
    assert health["status"] == "ok"
