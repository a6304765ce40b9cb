"""The Kafka backends that broker tests run against with the same expectations: Wharf's
embedded broker and Apache Kafka (the `kafka_single` peer).

`launch_wharf(...)` starts `wharf serve` outside pytest's function-scoped `start_wharf`
fixture, so a module- or session-scoped fixture can own it (and restart it on the same
data dir). `KafkaBackend` is what the `kafka_backend` fixture yields.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

from wharf_fixture import WharfProcess, deep_merge, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]


def wharf_binary() -> str:
    return os.environ.get("WHARF_BIN", str(REPO_ROOT / "build" / "release" / "wharf"))


def launch_wharf(workdir: Path, config: dict | None = None, data_dir: Path | None = None,
                 broker_port: int | None = None, ready_timeout: float = 15) -> WharfProcess:
    """Start `wharf serve` with every listener on a free port (the Kafka listener on
    broker_port if given) and its log under workdir; wait until /livez answers and, when
    the embedded broker is enabled, the Kafka port accepts connections."""
    workdir.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in
             ("broker", "admin", "schema_registry", "rest_proxy", "connect")}
    if broker_port:
        ports["broker"] = broker_port
    base = {
        "broker": {"port": ports["broker"], "data_dir": str(data_dir or workdir / "data")},
        "admin": {"port": ports["admin"]},
        "schema_registry": {"port": ports["schema_registry"]},
        "rest_proxy": {"port": ports["rest_proxy"]},
        "connect": {"port": ports["connect"]},
    }
    merged = deep_merge(base, config or {})
    n = len(list(workdir.glob("wharf-*.yaml")))
    config_path = workdir / f"wharf-{n}.yaml"
    config_path.write_text(yaml.safe_dump(merged))
    log_path = workdir / f"wharf-{n}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHARF_")}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([wharf_binary(), "serve", "--config", str(config_path)],
                                stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env)
    w = WharfProcess(proc, merged, config_path, log_path, ports)
    broker_enabled = merged.get("broker", {}).get("enabled", True)
    deadline = time.monotonic() + ready_timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"wharf exited with {proc.returncode}:\n{w.log_text()}")
        try:
            if requests.get(w.admin_url + "/livez", timeout=1).ok and (
                    not broker_enabled or _port_open(ports["broker"])):
                return w
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            w.stop()
            raise RuntimeError(f"wharf did not become ready:\n{w.log_text()}")
        time.sleep(0.02)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class KafkaBackend:
    """One Kafka-compatible server under test: `.name` is "wharf" or "apache",
    `.bootstrap` is host:port. `.wharf` is the WharfProcess for the embedded broker."""

    name: str
    bootstrap: str
    wharf: WharfProcess | None = None
    workdir: Path | None = None  # the embedded broker's config, logs and data dir

    @property
    def host_port(self) -> tuple[str, int]:
        host, port = self.bootstrap.split(",")[0].rsplit(":", 1)
        return host, int(port)

    def __str__(self) -> str:
        return self.name
