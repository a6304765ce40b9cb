"""Shared fixtures for Wharf's integration tests: real reference peers (Apache Kafka,
PostgreSQL, an S3-compatible server) and runners for the Kafka client tools.

Every peer is session-scoped, listens on free loopback ports and is stopped (its temp
data removed) at teardown. Set WHARF_KEEP_PEER_DIRS=1 to keep Kafka's and
PostgreSQL's temp dirs (configs, data, logs) for debugging.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
PEERS_DIR = REPO_ROOT / "tests" / "peers"
for _p in (HERE, PEERS_DIR):  # also set by pytest.ini's pythonpath; kept for other rootdirs
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

# The fixture that starts Wharf itself lives in wharf_fixture.py when it exists.
pytest_plugins = ["wharf_fixture"] if os.path.exists(os.path.join(os.path.dirname(__file__), "wharf_fixture.py")) else []

from kafka_cluster import KafkaCluster  # noqa: E402
from postgres import PostgresServer  # noqa: E402
from s3_server import S3Server  # noqa: E402

KEEP_DIRS = os.environ.get("WHARF_KEEP_PEER_DIRS") == "1"

# Fixtures that imply a marker, so e.g. `-m "not cluster"` deselects by peer.
_FIXTURE_MARKERS = {"kafka_single": "kafka", "kafka_cluster3": "cluster",
                    "postgres": "postgres", "s3_server": "s3"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in _FIXTURE_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


# --- peers ---------------------------------------------------------------------------

P = TypeVar("P")


def _start(factory: Callable[[], P], attempts: int = 2) -> P:
    """Start a peer, retrying once: a 'free' port can be taken between picking it and
    the peer binding it."""
    for attempt in range(1, attempts + 1):
        peer = factory()
        try:
            peer.start()
            return peer
        except Exception:
            if attempt == attempts:
                raise


@pytest.fixture(scope="session")
def kafka_single() -> Iterator[KafkaCluster]:
    """Apache Kafka, one combined broker+controller node (KRaft)."""
    cluster = _start(lambda: KafkaCluster(nodes=1, keep_dir=KEEP_DIRS))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def kafka_cluster3() -> Iterator[KafkaCluster]:
    """Apache Kafka, three combined broker+controller nodes (ids 1..3); internal and
    auto-created topics get replication factor 3."""
    cluster = _start(lambda: KafkaCluster(nodes=3, keep_dir=KEEP_DIRS))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL; connect with `postgres.dsn`."""
    server = _start(lambda: PostgresServer(keep_dir=KEEP_DIRS))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3-compatible server; use `s3_server.endpoint_url` and `.credentials`."""
    server = _start(S3Server)
    yield server
    server.stop()


# --- client tools ----------------------------------------------------------------------

@dataclass
class CliTool:
    """Runs a command-line peer and captures its output as text."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: object, input: str | None = None, timeout: float = 90,
            check: bool = True) -> subprocess.CompletedProcess:
        cmd = self.argv + [str(a) for a in args]
        proc = subprocess.run(cmd, input=input, stdin=None if input is not None else subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **self.env})
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited with {proc.returncode}\n"
                                 f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
        return proc

    __call__ = run

    def json_lines(self, *args: object, **kwargs) -> list[dict]:
        """run() and parse each non-empty stdout line as JSON."""
        return parse_json_lines(self.run(*args, **kwargs).stdout)


def parse_json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def kafka_cli() -> CliTool:
    """Apache Kafka's CLI tools by short name: kafka_cli("topics", "--list", ...)."""
    return CliTool([str(PEERS_DIR / "kafka_cli.sh")])


@pytest.fixture(scope="session")
def java_client() -> CliTool:
    """The Java kafka-clients peer (tests/peers/java/JavaClient.java)."""
    return CliTool([str(PEERS_DIR / "java_client.sh")])


@pytest.fixture(scope="session")
def kafkajs_client() -> CliTool:
    """The Node.js kafkajs peer (tests/peers/node/kafkajs_client.js)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed")
    if not (REPO_ROOT / ".cache" / "node" / "node_modules" / "kafkajs").exists():
        subprocess.run([str(PEERS_DIR / "setup_node.sh")], check=True, stdin=subprocess.DEVNULL)
    return CliTool([node, str(PEERS_DIR / "node" / "kafkajs_client.js")])


@pytest.fixture(scope="session")
def kcat() -> CliTool:
    """kcat (librdkafka's CLI), installed by scripts/deps.sh."""
    path = shutil.which("kcat") or shutil.which("kafkacat")
    if path is None:
        pytest.skip("kcat not installed (scripts/deps.sh installs it)")
    return CliTool([path])


@pytest.fixture
def unique_topic(request: pytest.FixtureRequest) -> str:
    """A topic name unique to this test, since the Kafka peers are shared per session."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.name)[:120]
    return f"{base}-{uuid.uuid4().hex[:8]}"
