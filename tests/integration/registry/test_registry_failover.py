"""Several Wharf instances serving one registry: the writer is chosen through Kafka group
membership, the others forward writes to it, and killing the writer mid-registration
moves writing to another instance without losing or duplicating an acknowledged id."""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid

import pytest
import requests

from registry_helpers import launch_registry, stop_registry

SR = "application/vnd.schemaregistry.v1+json"


def schema(n: int) -> str:
    return json.dumps({"type": "record", "name": f"R{n}", "fields": [{"name": "a", "type": "int"}]})


def register(url: str, subject: str, text: str, timeout: float = 30) -> requests.Response:
    return requests.post(f"{url}/subjects/{subject}/versions", data=json.dumps({"schema": text}),
                         headers={"Content-Type": SR}, timeout=timeout)


@pytest.fixture
def pair(registry, tmp_path):
    """Two more instances sharing one fresh topic and group (sessions as short as brokers allow by default: 6 s)."""
    tag = uuid.uuid4().hex[:8]
    settings = {"schema_registry": {"topic": f"_schemas-fo-{tag}", "group_id": f"sr-fo-{tag}",
                                    "session_timeout": "6s", "compatibility_level": "NONE"}}
    first = launch_registry(tmp_path / "a", registry.bootstrap, settings)
    second = launch_registry(tmp_path / "b", registry.bootstrap, settings)
    yield first, second
    for reg in (first, second):
        if reg.wharf.proc.poll() is None:
            stop_registry(reg)


def test_writes_through_either_instance_share_one_id_space(pair):
    first, second = pair
    ids = {}
    for n in range(20):
        via = first if n % 2 else second
        r = register(via.url, f"sub-{n % 3}", schema(n))
        assert r.status_code == 200, r.text
        ids[n] = r.json()["id"]
    assert len(set(ids.values())) == 20
    # Both instances answer reads with every registration.
    for reg in (first, second):
        deadline = time.monotonic() + 10
        while True:
            got = {n: requests.get(f"{reg.url}/schemas/ids/{i}", timeout=10).status_code
                   for n, i in ids.items()}
            if all(code == 200 for code in got.values()) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert all(code == 200 for code in got.values()), got


def test_killing_the_writer_loses_no_acknowledged_registration(pair):
    first, second = pair
    # Find the writer: the instance that does not forward (its log says so).
    register(first.url, "warmup", schema(0))
    deadline = time.monotonic() + 15
    writer = None
    while writer is None and time.monotonic() < deadline:
        for reg in (first, second):
            if "is now the Schema Registry's writer" in reg.wharf.log_text():
                writer = reg
        time.sleep(0.1)
    assert writer is not None
    survivor = second if writer is first else first

    acknowledged: dict[int, int] = {}
    failures: list[str] = []
    stop = threading.Event()

    def load():
        n = 1
        while not stop.is_set():
            try:
                r = register(survivor.url, "load", schema(1000 + n), timeout=40)
                if r.status_code == 200:
                    acknowledged[n] = r.json()["id"]
                else:
                    failures.append(r.text)
            except requests.RequestException as e:
                failures.append(str(e))
            n += 1

    thread = threading.Thread(target=load)
    thread.start()
    time.sleep(1.5)
    writer.wharf.proc.send_signal(signal.SIGKILL)
    writer.wharf.proc.wait(10)
    # Writing resumes on the survivor once the dead writer's session times out.
    count_at_kill = len(acknowledged)
    deadline = time.monotonic() + 30
    while len(acknowledged) < count_at_kill + 10 and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    thread.join(60)
    assert len(acknowledged) >= count_at_kill + 10, (count_at_kill, len(acknowledged), failures[-3:])
    # Every acknowledged registration is there, under its id; no id was handed out twice.
    assert len(set(acknowledged.values())) == len(acknowledged)
    versions = requests.get(f"{survivor.url}/subjects/load/versions", timeout=10).json()
    by_id = {}
    for v in versions:
        got = requests.get(f"{survivor.url}/subjects/load/versions/{v}", timeout=10).json()
        by_id[got["id"]] = json.loads(got["schema"])["name"]
    for n, sid in acknowledged.items():
        assert by_id.get(sid) == f"R{1000 + n}", (n, sid)
