"""Starts the real `wharf` binary on free loopback ports for integration tests.

`wharf_bin` is the binary under test (WHARF_BIN, default build/release/wharf).
`start_wharf(config=..., args=..., env=...)` starts `wharf serve` with every listener on
a free port, waits until the admin API answers, and stops it at teardown.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deep_merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass
class WharfProcess:
    proc: subprocess.Popen
    config: dict
    config_path: Path
    log_path: Path
    ports: dict = field(default_factory=dict)

    @property
    def admin_url(self) -> str:
        scheme = "https" if self.config.get("admin", {}).get("tls") else "http"
        return f"{scheme}://127.0.0.1:{self.ports['admin']}"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture(scope="session")
def wharf_bin() -> str:
    path = os.environ.get("WHARF_BIN", str(REPO_ROOT / "build" / "release" / "wharf"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"wharf binary not found at {path}: run `make build` or set WHARF_BIN")
    return path


@pytest.fixture
def start_wharf(wharf_bin, tmp_path):
    started: list[WharfProcess] = []

    def start(config: dict | None = None, args: list[str] | None = None,
              env: dict | None = None, wait_ready: bool = True,
              verify=True) -> WharfProcess:
        ports = {name: free_port() for name in
                 ("broker", "admin", "schema_registry", "rest_proxy", "connect")}
        base = {
            "broker": {"port": ports["broker"], "data_dir": str(tmp_path / "data")},
            "admin": {"port": ports["admin"]},
            "schema_registry": {"port": ports["schema_registry"]},
            "rest_proxy": {"port": ports["rest_proxy"]},
            "connect": {"port": ports["connect"]},
        }
        merged = deep_merge(base, config or {})
        if env and "WHARF_ADMIN_PORT" in env:  # the environment must win over the file
            ports["admin"] = int(env["WHARF_ADMIN_PORT"])
        for name in ports:
            if name != "admin" or not (env and "WHARF_ADMIN_PORT" in env):
                ports[name] = merged.get(name, {}).get("port", ports[name])
        fd, config_path = tempfile.mkstemp(suffix=".yaml", dir=tmp_path)
        os.close(fd)
        Path(config_path).write_text(yaml.safe_dump(merged))
        log_path = tmp_path / f"wharf-{len(started)}.log"
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("WHARF_")}
        full_env.update(env or {})
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([wharf_bin, "serve", "--config", config_path, *(args or [])],
                                    stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=full_env)
        w = WharfProcess(proc, merged, Path(config_path), log_path, ports)
        started.append(w)
        if wait_ready:
            deadline = time.monotonic() + 15
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"wharf exited with {proc.returncode}:\n{w.log_text()}")
                try:
                    if requests.get(w.admin_url + "/livez", timeout=1, verify=verify).ok:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"wharf did not become ready:\n{w.log_text()}")
                time.sleep(0.02)
        return w

    yield start
    for w in started:
        w.stop()
