"""Fixtures for the Schema Registry's integration tests.

`registry` runs each test module twice: against a `wharf serve` whose registry keeps its
topic on the embedded broker ("wharf"), and against a `wharf serve --no-broker` whose
registry uses the session's Apache Kafka (`kafka_single`) ("apache"). Each test gets
subjects of its own (`subject()`), so tests share one registry without interfering.
"""

from __future__ import annotations

import os
import signal
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from backends import launch_wharf, wharf_binary
from wharf_fixture import WharfProcess, deep_merge


@dataclass
class Registry:
    name: str
    url: str
    bootstrap: str
    wharf: WharfProcess
    workdir: Path
    kafka_external: bool

    def __str__(self) -> str:
        return self.name


def launch_registry(workdir: Path, kafka_bootstrap: str | None, config: dict | None = None,
                    data_dir: Path | None = None) -> Registry:
    base: dict = {"rest_proxy": {"enabled": False}, "connect": {"enabled": False}}
    if kafka_bootstrap:
        base["broker"] = {"enabled": False}
        base["kafka"] = {"bootstrap_servers": kafka_bootstrap.split(",")}
    w = launch_wharf(workdir, deep_merge(base, config or {}), data_dir=data_dir)
    bootstrap = kafka_bootstrap or f"127.0.0.1:{w.ports['broker']}"
    return Registry("apache" if kafka_bootstrap else "wharf",
                    f"http://127.0.0.1:{w.ports['schema_registry']}", bootstrap, w, workdir,
                    bool(kafka_bootstrap))


def stop_registry(reg: Registry) -> None:
    code = reg.wharf.stop(signal.SIGTERM)
    if code != 0:
        pytest.fail(f"wharf exited with {code} on SIGTERM:\n{reg.wharf.log_text()[-3000:]}")


@pytest.fixture(scope="module", params=["wharf", "apache"])
def registry(request, tmp_path_factory) -> Iterator[Registry]:
    if not os.access(wharf_binary(), os.X_OK):
        pytest.fail(f"wharf binary not found at {wharf_binary()}: run `make build` or set WHARF_BIN")
    workdir = tmp_path_factory.mktemp(f"registry-{request.param}")
    kafka = request.getfixturevalue("kafka_single").bootstrap_servers \
        if request.param == "apache" else None
    # A topic and group of their own per module, so modules sharing the Apache Kafka start
    # empty and elect their writers apart.
    tag = uuid.uuid4().hex[:8]
    reg = launch_registry(workdir, kafka, {"schema_registry": {
        "topic": f"_schemas-{tag}", "group_id": f"schema-registry-{tag}"}})
    yield reg
    stop_registry(reg)


@pytest.fixture
def subject() -> str:
    return f"s-{uuid.uuid4().hex[:10]}"
