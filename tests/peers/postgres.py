#!/usr/bin/env python3
"""Run a throwaway PostgreSQL on loopback for Wharf's integration tests.

A fresh cluster is initdb'ed into a temp dir (data, unix socket and log), listens on
127.0.0.1 with trust auth, and is removed again by stop(). PostgreSQL refuses to run
as root, so as root the server runs as the system user `wharf-pg` (created on first
use); as any other user it runs as that user.

As a module::

    with PostgresServer() as pg:
        psycopg.connect(pg.dsn)           # postgresql://postgres@127.0.0.1:PORT/postgres

As a command (stays up until Ctrl-C / SIGTERM)::

    python3 tests/peers/postgres.py

Only the standard library is used, so the system python can run it too.
"""

from __future__ import annotations

import argparse
import atexit
import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peerutil import (die_with_parent, free_port, make_run_dir, tail, terminate,  # noqa: E402
                      wait_until)

PG_SYSTEM_USER = "wharf-pg"


def pg_bindir() -> Path:
    """PostgreSQL's server binaries: $WHARF_PG_BIN, else 15 (what scripts/deps.sh
    installs), else the newest /usr/lib/postgresql/*/bin."""
    if os.environ.get("WHARF_PG_BIN"):
        return Path(os.environ["WHARF_PG_BIN"])
    preferred = Path("/usr/lib/postgresql/15/bin")
    if (preferred / "postgres").exists():
        return preferred
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if not found:
        raise FileNotFoundError("no PostgreSQL server binaries (run scripts/deps.sh)")
    return Path(found[-1]).parent


def ensure_system_user() -> pwd.struct_passwd | None:
    """As root, return (creating it if needed) the unprivileged user to run as."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        pass
    result = subprocess.run(
        ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", "/usr/sbin/nologin", "--comment", "Wharf test PostgreSQL", PG_SYSTEM_USER],
        capture_output=True, text=True)
    # Exit code 9: a concurrent run created it first.
    if result.returncode not in (0, 9):
        raise RuntimeError(f"useradd {PG_SYSTEM_USER} failed: {result.stderr}")
    return pwd.getpwnam(PG_SYSTEM_USER)


@dataclass
class PostgresServer:
    port: int = 0  # 0: pick a free one
    superuser: str = "postgres"
    dbname: str = "postgres"
    keep_dir: bool = False
    startup_timeout: float = 60.0
    host: str = "127.0.0.1"
    base_dir: Path | None = None
    process: subprocess.Popen | None = None
    _account: pwd.struct_passwd | None = None

    @property
    def dsn(self) -> str:
        return f"postgresql://{self.superuser}@{self.host}:{self.port}/{self.dbname}"

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_path(self) -> Path:
        return self.base_dir / "postgres.log"

    def __enter__(self) -> "PostgresServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run_as(self) -> dict:
        """subprocess kwargs that drop root for the PostgreSQL binaries."""
        if self._account is None:
            return {}
        return {"user": self._account.pw_uid, "group": self._account.pw_gid, "extra_groups": [],
                "env": {**os.environ, "HOME": str(self.base_dir), "USER": self._account.pw_name}}

    def start(self) -> None:
        bindir = pg_bindir()
        self._account = ensure_system_user()
        self.port = self.port or free_port(self.host)
        self.base_dir = make_run_dir("wharf-pg-")
        atexit.register(self.stop)
        try:
            if self._account is not None:
                os.chown(self.base_dir, self._account.pw_uid, self._account.pw_gid)
            # --auth=trust covers the socket and host 127.0.0.1/::1; --no-sync skips
            # fsyncs nobody needs for a throwaway cluster.
            initdb = subprocess.run(
                [str(bindir / "initdb"), "-D", str(self.data_dir), "-U", self.superuser,
                 "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"],
                cwd=self.base_dir, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                **self._run_as())
            if initdb.returncode != 0:
                raise RuntimeError(f"initdb failed:\n{initdb.stdout}{initdb.stderr}")
            settings = {
                "listen_addresses": f"'{self.host}'",
                "port": str(self.port),
                "unix_socket_directories": f"'{self.base_dir}'",
                "max_connections": "50",
                "shared_buffers": "32MB",
                # Durability is pointless for a throwaway test database; speed is not.
                "fsync": "off",
                "synchronous_commit": "off",
                "full_page_writes": "off",
            }
            with open(self.data_dir / "postgresql.conf", "a") as conf:
                conf.write("\n# wharf test peer\n")
                conf.writelines(f"{k} = {v}\n" for k, v in settings.items())
            # The postmaster runs in the foreground as our child, so the kernel can
            # kill it with us (die_with_parent); pg_ctl would detach it.
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(
                    [str(bindir / "postgres"), "-D", str(self.data_dir)],
                    cwd=self.base_dir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    preexec_fn=die_with_parent, **self._run_as())
            pg_isready = [str(bindir / "pg_isready"), "-q", "-h", self.host, "-p", str(self.port),
                          "-U", self.superuser, "-d", self.dbname]
            wait_until(lambda: subprocess.run(pg_isready).returncode == 0, self.startup_timeout,
                       "PostgreSQL", proc=self.process, log=self.log_path)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """pg_ctl stop -m fast (SIGKILL if that fails), then remove the temp dir."""
        atexit.unregister(self.stop)
        if self.process is not None and self.process.poll() is None:
            subprocess.run([str(pg_bindir() / "pg_ctl"), "stop", "-D", str(self.data_dir),
                            "-m", "fast", "-w", "-t", "30"],
                           cwd=self.base_dir, stdin=subprocess.DEVNULL, capture_output=True,
                           **self._run_as())
            terminate([self.process], timeout=10, sig=signal.SIGINT)  # SIGINT = fast shutdown
        self.process = None
        if self.base_dir and not self.keep_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--keep-dir", action="store_true")
    args = parser.parse_args()
    server = PostgresServer(port=args.port, keep_dir=args.keep_dir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    started = time.monotonic()
    server.start()
    try:
        print(f"POSTGRES_DSN={server.dsn}", flush=True)
        print(f"# ready in {time.monotonic() - started:.1f}s; dir {server.base_dir}; Ctrl-C to stop",
              flush=True)
        signal.pause()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
