"""Fixtures for the Schema Registry's integration tests.

`registry` runs each test module twice: against a `wharf serve` whose registry keeps its
topic on the embedded broker ("wharf"), and against a `wharf serve --no-broker` whose
registry uses the session's Apache Kafka (`kafka_single`) ("apache"). Each test gets
subjects of its own (`subject()`), so tests share one registry without interfering.
"""

from __future__ import annotations

import os
import uuid
from typing import Iterator

import pytest

from backends import wharf_binary
from registry_helpers import Registry, launch_registry, stop_registry


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
