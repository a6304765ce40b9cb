#!/usr/bin/env python3
"""Run Apache Kafka (KRaft mode) on loopback as a reference peer for Wharf's tests.

Each node is a combined broker+controller (process.roles=broker,controller) with a
static quorum (controller.quorum.voters). One node gives a single-broker setup,
three give a replicated cluster. Everything lives in a temp dir that stop() removes.

As a module::

    with KafkaCluster(nodes=3) as kafka:
        use(kafka.bootstrap_servers)      # "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3"

As a command (stays up until Ctrl-C / SIGTERM)::

    python3 tests/peers/kafka_cluster.py --nodes 3

Only the standard library is used, so the system python can run it too.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peerutil import (CACHE_DIR, PEERS_DIR, die_with_parent, free_ports, make_run_dir,  # noqa: E402
                      tail, terminate)

POM = PEERS_DIR / "kafka" / "pom.xml"


def kafka_version() -> str:
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text())
    assert match, f"no kafka.version in {POM}"
    return match.group(1)


def kafka_home() -> Path:
    return CACHE_DIR / "peers" / f"kafka-{kafka_version()}"


def ensure_kafka() -> Path:
    """Fetch the Kafka jars unless cached (the script is a fast no-op then)."""
    home = kafka_home()
    if not (home / ".stamp").exists():
        subprocess.run([str(PEERS_DIR / "fetch_kafka.sh")], check=True, stdin=subprocess.DEVNULL)
    return home


def new_cluster_id() -> str:
    """A Kafka Uuid string: 16 random bytes, URL-safe base64 without padding.
    Like Kafka's Uuid.randomUuid(), avoid a leading '-' that CLIs read as a flag."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


# --- minimal Kafka wire protocol, enough for a readiness probe -------------------

def _request(host: str, port: int, api_key: int, version: int, body: bytes, timeout: float) -> bytes:
    """Send one request with a v1 header and return the response after its correlation id."""
    client_id = b"wharf-probe"
    header = struct.pack(">hhih", api_key, version, 1, len(client_id)) + client_id
    payload = header + body
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(struct.pack(">i", len(payload)) + payload)
        size = struct.unpack(">i", _recv_exact(sock, 4))[0]
        data = _recv_exact(sock, size)
    return data[4:]


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed mid-response")
        buf += chunk
    return bytes(buf)


def _metadata_version(host: str, port: int, timeout: float) -> int:
    """Pick a non-flexible Metadata version (4..8) that the broker supports, via
    ApiVersions v0 (whose format never changes)."""
    data = _request(host, port, 18, 0, b"", timeout)
    error, count = struct.unpack_from(">hi", data, 0)
    if error:
        raise RuntimeError(f"ApiVersions error {error}")
    for i in range(count):
        key, lo, hi = struct.unpack_from(">hhh", data, 6 + 6 * i)
        if key == 3:
            version = max(4, lo)
            if version > min(hi, 8):
                raise RuntimeError(f"Metadata versions {lo}..{hi} not probeable")
            return version
    raise RuntimeError("broker does not list the Metadata API")


def probe_metadata(host: str, port: int, timeout: float = 2.0) -> tuple[list[int], int]:
    """Return (broker ids, controller id) from a Metadata request asking for no topics."""
    version = _metadata_version(host, port, timeout)
    # topics: empty array (not null: null means all topics); allow_auto_topic_creation: false
    data = _request(host, port, 3, version, struct.pack(">ib", 0, 0), timeout)
    pos = 4  # throttle_time_ms
    (nbrokers,) = struct.unpack_from(">i", data, pos)
    pos += 4
    brokers = []
    for _ in range(nbrokers):
        node_id, hlen = struct.unpack_from(">ih", data, pos)
        pos += 6 + hlen + 4  # host, port
        (rlen,) = struct.unpack_from(">h", data, pos)
        pos += 2 + max(rlen, 0)  # rack (nullable)
        brokers.append(node_id)
    (clen,) = struct.unpack_from(">h", data, pos)
    pos += 2 + max(clen, 0)  # cluster_id (nullable)
    (controller,) = struct.unpack_from(">i", data, pos)
    return sorted(brokers), controller


# --- the cluster -------------------------------------------------------------------

@dataclass
class KafkaNode:
    node_id: int
    broker_port: int
    controller_port: int
    dir: Path
    process: subprocess.Popen | None = None

    @property
    def config_path(self) -> Path:
        return self.dir / "server.properties"

    @property
    def log_path(self) -> Path:
        return self.dir / "kafka.log"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.broker_port}"


@dataclass
class KafkaCluster:
    """Apache Kafka in KRaft mode: `nodes` combined broker+controller processes.

    extra_config overrides/extends every node's server.properties. heap is the JVM
    -Xmx of each node. keep_dir leaves the temp dir (configs, data, logs) in place.
    """

    nodes: int = 1
    extra_config: dict[str, str] = field(default_factory=dict)
    heap: str = "512m"
    startup_timeout: float = 120.0
    keep_dir: bool = False
    host: str = "127.0.0.1"
    cluster_id: str = field(default_factory=new_cluster_id)
    base_dir: Path | None = None
    members: list[KafkaNode] = field(default_factory=list)

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(n.bootstrap for n in self.members)

    def __enter__(self) -> "KafkaCluster":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # configuration

    def _config(self, node: KafkaNode) -> dict[str, str]:
        rf = min(self.nodes, 3)
        min_isr = 2 if rf >= 3 else 1
        voters = ",".join(f"{m.node_id}@{self.host}:{m.controller_port}" for m in self.members)
        config = {
            "process.roles": "broker,controller",
            "node.id": str(node.node_id),
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://{self.host}:{node.broker_port},CONTROLLER://{self.host}:{node.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{node.broker_port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(node.dir / "data"),
            "num.partitions": "1",
            # Auto-created topics are replicated like the internal ones, so a cluster
            # keeps serving them while one node is down.
            "default.replication.factor": str(rf),
            "auto.create.topics.enable": "true",
            "group.initial.rebalance.delay.ms": "0",
            "offsets.topic.replication.factor": str(rf),
            # Kafka's default of 50 partitions makes the first group coordinator lookup
            # wait for 50 (x3) partitions to be created; a few are plenty for tests.
            "offsets.topic.num.partitions": "3",
            "transaction.state.log.replication.factor": str(rf),
            "transaction.state.log.min.isr": str(min_isr),
            "transaction.state.log.num.partitions": "3",
            "share.coordinator.state.topic.replication.factor": str(rf),
            "share.coordinator.state.topic.min.isr": str(min_isr),
            # Small test peers: fewer threads than the production defaults.
            "num.network.threads": "2",
            "num.io.threads": "4",
            "num.recovery.threads.per.data.dir": "1",
            "background.threads": "4",
        }
        config.update({k: str(v) for k, v in self.extra_config.items()})
        return config

    def _java(self, heap: str, fast_start: bool) -> list[str]:
        home = kafka_home()
        cmd = ["java", "-Xms64m", f"-Xmx{heap}", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
               f"-Dlog4j2.configurationFile={home / 'log4j2.properties'}",
               f"-Dwharf.log.level={os.environ.get('WHARF_KAFKA_LOG_LEVEL', 'INFO')}"]
        if fast_start:
            cmd.append("-XX:TieredStopAtLevel=1")
        cmd += os.environ.get("WHARF_KAFKA_JAVA_OPTS", "").split()
        return cmd + ["-cp", str(home / "libs" / "*")]

    # lifecycle

    def start(self) -> None:
        ensure_kafka()
        self.base_dir = make_run_dir(f"wharf-kafka{self.nodes}-")
        atexit.register(self.stop)
        try:
            ports = free_ports(2 * self.nodes, self.host)
            self.members = [
                KafkaNode(i + 1, ports[2 * i], ports[2 * i + 1], self.base_dir / f"node{i + 1}")
                for i in range(self.nodes)
            ]
            for node in self.members:
                node.dir.mkdir(parents=True)
                node.config_path.write_text(
                    "".join(f"{k}={v}\n" for k, v in self._config(node).items()))
            self._format()
            for node in self.members:
                self.start_node(node.node_id, wait=False)
            self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def _format(self) -> None:
        """Format every node's storage (in parallel: each is a JVM start)."""
        procs = []
        for node in self.members:
            cmd = self._java("256m", fast_start=True) + [
                "kafka.tools.StorageTool", "format", "--config", str(node.config_path),
                "--cluster-id", self.cluster_id]
            procs.append(subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, text=True))
        try:
            for node, proc in zip(self.members, procs):
                out, _ = proc.communicate(timeout=120)
                if proc.returncode != 0:
                    raise RuntimeError(f"formatting node {node.node_id} failed:\n{out}")
        finally:
            terminate(procs, timeout=5, kill=True)

    def node(self, node_id: int) -> KafkaNode:
        return self.members[node_id - 1]

    def start_node(self, node_id: int, wait: bool = True) -> None:
        """(Re)start one node; with wait, block until the whole cluster is ready."""
        node = self.node(node_id)
        assert node.process is None or node.process.poll() is not None, f"node {node_id} running"
        cmd = self._java(self.heap, fast_start=False) + ["kafka.Kafka", str(node.config_path)]
        with open(node.log_path, "ab") as log:
            node.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, cwd=node.dir,
                                            preexec_fn=die_with_parent)
        if wait:
            self.wait_ready()

    def stop_node(self, node_id: int, timeout: float = 30.0, kill: bool = False) -> None:
        """Stop one node: SIGTERM (a clean shutdown), SIGKILL after timeout or if kill."""
        terminate([self.node(node_id).process], timeout, kill)

    def wait_ready(self, timeout: float | None = None) -> None:
        """Wait until every running node answers Metadata listing all running brokers
        and a controller; raise with the log tail of a node that died or hung."""
        deadline = time.monotonic() + (timeout or self.startup_timeout)
        running = [n for n in self.members if n.process and n.process.poll() is None]
        want = sorted(n.node_id for n in running)
        pending = list(running)
        last_error: object = None
        while pending:
            node = pending[0]
            if node.process.poll() is not None:
                raise RuntimeError(f"Kafka node {node.node_id} exited with {node.process.returncode}"
                                   f"\n{self.log_tail(node.node_id)}")
            try:
                brokers, controller = probe_metadata(self.host, node.broker_port)
                if brokers == want and controller >= 0:
                    pending.pop(0)
                    continue
                last_error = f"brokers={brokers} controller={controller}"
            except (OSError, RuntimeError, struct.error) as e:
                last_error = e
            if time.monotonic() > deadline:
                raise TimeoutError(f"Kafka node {node.node_id} not ready ({last_error})"
                                   f"\n{self.log_tail(node.node_id)}")
            time.sleep(0.2)

    def log_tail(self, node_id: int, lines: int = 40) -> str:
        return tail(self.node(node_id).log_path, lines)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop all nodes at once (SIGTERM, then SIGKILL) and remove the temp dir."""
        atexit.unregister(self.stop)
        terminate([n.process for n in self.members], timeout)
        for n in self.members:
            n.process = None
        if self.base_dir and not self.keep_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1, help="combined broker+controller nodes")
    parser.add_argument("--heap", default="512m", help="JVM -Xmx per node")
    parser.add_argument("--keep-dir", action="store_true", help="keep configs, data and logs")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="extra server.properties setting (repeatable)")
    args = parser.parse_args()
    extra = dict(s.split("=", 1) for s in args.set)

    cluster = KafkaCluster(nodes=args.nodes, heap=args.heap, keep_dir=args.keep_dir,
                           extra_config=extra)
    # SIGTERM (e.g. from a CI script) should shut down as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    started = time.monotonic()
    cluster.start()
    try:
        print(f"BOOTSTRAP_SERVERS={cluster.bootstrap_servers}", flush=True)
        print(f"# ready in {time.monotonic() - started:.1f}s; dir {cluster.base_dir}; "
              f"Ctrl-C to stop", flush=True)
        signal.pause()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
