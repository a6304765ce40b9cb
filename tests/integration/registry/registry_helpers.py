"""Starting and stopping Wharf instances that serve a Schema Registry, for the tests."""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from backends import launch_wharf
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
                    data_dir: Path | None = None, probe_auth=None) -> Registry:
    """probe_auth: credentials (a requests auth) for the readiness probe when the registry
    requires authentication."""
    base: dict = {"rest_proxy": {"enabled": False}, "connect": {"enabled": False}}
    if kafka_bootstrap:
        base["broker"] = {"enabled": False}
        base["kafka"] = {"bootstrap_servers": kafka_bootstrap.split(",")}
    w = launch_wharf(workdir, deep_merge(base, config or {}), data_dir=data_dir)
    bootstrap = kafka_bootstrap or f"127.0.0.1:{w.ports['broker']}"
    if w.config.get("schema_registry", {}).get("enabled", True):
        # The registry reads its topic after the listener opens; wait until it answers.
        url = f"http://127.0.0.1:{w.ports['schema_registry']}/subjects"
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url, timeout=5, auth=probe_auth).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the registry did not become ready:\n{w.log_text()[-2000:]}")
            time.sleep(0.05)
    return Registry("apache" if kafka_bootstrap else "wharf",
                    f"http://127.0.0.1:{w.ports['schema_registry']}", bootstrap, w, workdir,
                    bool(kafka_bootstrap))


def stop_registry(reg: Registry) -> None:
    code = reg.wharf.stop(signal.SIGTERM)
    if code != 0:
        pytest.fail(f"wharf exited with {code} on SIGTERM:\n{reg.wharf.log_text()[-3000:]}")
