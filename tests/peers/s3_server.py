#!/usr/bin/env python3
"""Run moto's server on loopback as an S3-compatible peer for Wharf's tests.

moto comes from the test venv (.cache/venv, see setup_python.sh). Any access key and
secret are accepted; state lives in memory and is gone when the server stops.

As a module::

    with S3Server() as s3:
        boto3.client("s3", endpoint_url=s3.endpoint_url, **s3.credentials)

As a command (stays up until Ctrl-C / SIGTERM)::

    .cache/venv/bin/python tests/peers/s3_server.py
"""

from __future__ import annotations

import argparse
import atexit
import importlib.util
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peerutil import (VENV_PYTHON, die_with_parent, free_port, make_run_dir, tail,  # noqa: E402
                      terminate, wait_until)


def moto_python() -> str:
    """An interpreter that has moto: this one if it does, else the test venv's."""
    if importlib.util.find_spec("moto") is not None:
        return sys.executable
    if VENV_PYTHON.exists():
        return str(VENV_PYTHON)
    raise FileNotFoundError("moto not installed: run tests/peers/setup_python.sh")


@dataclass
class S3Server:
    port: int = 0  # 0: pick a free one
    host: str = "127.0.0.1"
    region: str = "us-east-1"
    startup_timeout: float = 60.0
    process: subprocess.Popen | None = None
    base_dir: Path | None = None

    @property
    def log_path(self) -> Path | None:
        return self.base_dir / "moto.log" if self.base_dir else None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def credentials(self) -> dict[str, str]:
        """boto3 client kwargs; moto accepts any key pair."""
        return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing",
                "region_name": self.region}

    def __enter__(self) -> "S3Server":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self.port = self.port or free_port(self.host)
        self.base_dir = make_run_dir("wharf-moto-")
        atexit.register(self.stop)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [moto_python(), "-m", "moto.server", "-H", self.host, "-p", str(self.port)],
                cwd=self.base_dir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent)

        def answers() -> bool:
            with urllib.request.urlopen(f"{self.endpoint_url}/moto-api/", timeout=2) as r:
                return r.status == 200

        try:
            wait_until(answers, self.startup_timeout, "moto S3 server",
                       proc=self.process, log=self.log_path, interval=0.2)
        except BaseException:
            self.stop()
            raise

    def reset(self) -> None:
        """Drop all buckets and objects (moto's reset API)."""
        req = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=10).close()

    def stop(self) -> None:
        atexit.unregister(self.stop)
        terminate([self.process], timeout=10)
        self.process = None
        if self.base_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = S3Server(port=args.port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    started = time.monotonic()
    server.start()
    try:
        print(f"S3_ENDPOINT_URL={server.endpoint_url}", flush=True)
        print(f"# ready in {time.monotonic() - started:.1f}s; Ctrl-C to stop", flush=True)
        signal.pause()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
