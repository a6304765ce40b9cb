"""Fixtures for the embedded broker's integration tests.

`kafka_backend` runs each test twice with the same expectations: against Wharf's
embedded broker ("wharf", one `wharf serve` per test module with its own data dir) and
against Apache Kafka ("apache", the session's `kafka_single` peer).
"""

from __future__ import annotations

import os
import signal
from typing import Iterator

import pytest

from backends import KafkaBackend, launch_wharf, wharf_binary


@pytest.fixture(scope="module")
def wharf_broker(tmp_path_factory) -> Iterator[KafkaBackend]:
    """Wharf's embedded broker for one test module (its own temp data dir); it must
    exit cleanly on SIGTERM at the end."""
    if not os.access(wharf_binary(), os.X_OK):
        pytest.fail(f"wharf binary not found at {wharf_binary()}: "
                    "run `make build` or set WHARF_BIN")
    workdir = tmp_path_factory.mktemp("wharf-broker")
    w = launch_wharf(workdir)
    backend = KafkaBackend("wharf", f"127.0.0.1:{w.ports['broker']}", w, workdir)
    yield backend
    code = backend.wharf.stop(signal.SIGTERM)
    if code != 0:
        pytest.fail(f"wharf exited with {code} on SIGTERM:\n{backend.wharf.log_text()[-3000:]}")


@pytest.fixture(scope="module", params=["wharf", "apache"])
def kafka_backend(request) -> KafkaBackend:
    if request.param == "wharf":
        return request.getfixturevalue("wharf_broker")
    return KafkaBackend("apache", request.getfixturevalue("kafka_single").bootstrap_servers)


@pytest.fixture(autouse=True)
def _wharf_still_running(request) -> Iterator[None]:
    """After each wharf test, fail (as a teardown error) if the broker process died,
    with its log tail, and start a new one on the same data dir and port so the rest
    of the module still runs."""
    yield
    if "kafka_backend" not in request.fixturenames:
        return
    backend = request.getfixturevalue("kafka_backend")
    if backend.name != "wharf" or backend.wharf.proc.poll() is None:
        return
    dead = backend.wharf
    log_tail = "\n".join(dead.log_text().splitlines()[-60:])
    backend.wharf = launch_wharf(backend.workdir, data_dir=backend.workdir / "data",
                                 broker_port=dead.ports["broker"])
    pytest.fail(f"wharf died during the test (exit code {dead.proc.returncode}); log tail:\n"
                f"{log_tail}")
