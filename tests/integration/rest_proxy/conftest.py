"""Fixtures for the REST Proxy's integration tests.

`rest_proxy` runs each test module twice with the same expectations: against a
`wharf serve` whose REST Proxy uses its own embedded broker ("wharf"), and against a
`wharf serve --no-broker` whose REST Proxy reaches the session's Apache Kafka
(`kafka_single`) through `kafka.bootstrap_servers` ("apache"). Either way the tests
check Kafka's side with a real Kafka client (confluent-kafka) on `rest_proxy.bootstrap`.

`start_rest_proxy(config)` starts one more Wharf against the same Kafka with extra
settings (a short consumer instance timeout, say); it is stopped after the test.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

from backends import launch_wharf, wharf_binary
from wharf_fixture import WharfProcess, deep_merge


@dataclass
class RestProxy:
    """One REST Proxy under test: `.url` is its base URL, `.bootstrap` the Kafka cluster
    it serves, `.name` "wharf" (embedded broker) or "apache"."""

    name: str
    url: str
    bootstrap: str
    wharf: WharfProcess
    workdir: Path

    @property
    def admin_url(self) -> str:
        return self.wharf.admin_url

    def __str__(self) -> str:
        return self.name


def _launch(workdir: Path, kafka_bootstrap: str | None, config: dict | None = None) -> RestProxy:
    base: dict = {"schema_registry": {"enabled": False}, "connect": {"enabled": False}}
    if kafka_bootstrap:
        base["broker"] = {"enabled": False}
        base["kafka"] = {"bootstrap_servers": kafka_bootstrap.split(",")}
    w = launch_wharf(workdir, deep_merge(base, config or {}))
    bootstrap = kafka_bootstrap or f"127.0.0.1:{w.ports['broker']}"
    return RestProxy("apache" if kafka_bootstrap else "wharf",
                     f"http://127.0.0.1:{w.ports['rest_proxy']}", bootstrap, w, workdir)


def _stop(proxy: RestProxy) -> None:
    code = proxy.wharf.stop(signal.SIGTERM)
    if code != 0:
        pytest.fail(f"wharf exited with {code} on SIGTERM:\n{proxy.wharf.log_text()[-3000:]}")


@pytest.fixture(scope="module", params=["wharf", "apache"])
def rest_proxy(request, tmp_path_factory) -> Iterator[RestProxy]:
    if not os.access(wharf_binary(), os.X_OK):
        pytest.fail(f"wharf binary not found at {wharf_binary()}: run `make build` or set WHARF_BIN")
    workdir = tmp_path_factory.mktemp(f"rest-proxy-{request.param}")
    kafka = request.getfixturevalue("kafka_single").bootstrap_servers \
        if request.param == "apache" else None
    proxy = _launch(workdir, kafka)
    yield proxy
    _stop(proxy)


@pytest.fixture
def start_rest_proxy(rest_proxy, tmp_path) -> Iterator[Callable[[dict], RestProxy]]:
    """Starts another Wharf whose REST Proxy serves the same Kafka as `rest_proxy`, with
    extra config."""
    started: list[RestProxy] = []

    def start(config: dict) -> RestProxy:
        kafka = rest_proxy.bootstrap
        # For the embedded case the new process is a REST Proxy only, on the first one's broker.
        proxy = _launch(tmp_path / f"extra-{len(started)}", kafka, config)
        proxy.name = rest_proxy.name
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        _stop(proxy)


@pytest.fixture(autouse=True)
def _wharf_still_running(request) -> Iterator[None]:
    """After each test, fail (as a teardown error) if the Wharf under test died."""
    yield
    if "rest_proxy" not in request.fixturenames:
        return
    proxy = request.getfixturevalue("rest_proxy")
    if proxy.wharf.proc.poll() is not None:
        tail = "\n".join(proxy.wharf.log_text().splitlines()[-60:])
        pytest.fail(f"wharf died during the test (exit code {proxy.wharf.proc.returncode}):\n{tail}")
