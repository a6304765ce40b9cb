"""Process and port helpers shared by the test peers (standard library only)."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable

REPO_ROOT = Path(__file__).resolve().parents[2]
PEERS_DIR = REPO_ROOT / "tests" / "peers"
CACHE_DIR = REPO_ROOT / ".cache"
VENV_PYTHON = CACHE_DIR / "venv" / "bin" / "python"


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """Ports the kernel reports free right now (all held open at once so they differ).
    Another process could still take one before the peer binds it; that is rare
    enough on a test machine to accept."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port(host: str = "127.0.0.1") -> int:
    return free_ports(1, host)[0]


def die_with_parent() -> None:
    """preexec_fn: have the kernel SIGKILL the child if the test process dies, so a
    crashed or killed pytest leaves no server behind. It fires when the *thread* that
    forked exits, so start peers from a thread that outlives them (e.g. the main one).
    subprocess runs preexec_fn after any user=/group= switch, which would clear it."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def terminate(procs: Iterable[subprocess.Popen | None], timeout: float = 30.0,
              kill: bool = False, sig: int = signal.SIGTERM) -> None:
    """Signal all live processes at once (sig, or SIGKILL if kill), then SIGKILL any
    still running after timeout seconds in total."""
    live = [p for p in procs if p is not None and p.poll() is None]
    for p in live:
        p.send_signal(signal.SIGKILL if kill else sig)
    deadline = time.monotonic() + timeout
    for p in live:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_until(check: Callable[[], bool], timeout: float, what: str,
               proc: subprocess.Popen | None = None, log: Path | None = None,
               interval: float = 0.1) -> None:
    """Poll check() until it returns true. Fail early if proc exits, and include the
    tail of log in the error."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited with {proc.returncode}\n{tail(log)}")
        try:
            if check():
                return
        except Exception as e:  # noqa: BLE001 - any failure just means "not yet"
            last_error = e
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not ready after {timeout}s ({last_error})\n{tail(log)}")
        time.sleep(interval)


def tail(path: Path | None, lines: int = 40) -> str:
    if path is None:
        return ""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


_OWNER_FILE = ".wharf-owner-pid"


def make_run_dir(prefix: str) -> Path:
    """A fresh temp dir for one peer run, tagged with our pid. Dirs with the same prefix
    left behind by runs that were killed (their owner pid is gone) are removed first."""
    for old in Path(tempfile.gettempdir()).glob(prefix + "*"):
        try:
            pid = int((old / _OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # not ours, or being created right now
        if not _pid_alive(pid):
            shutil.rmtree(old, ignore_errors=True)
    path = Path(tempfile.mkdtemp(prefix=prefix))
    (path / _OWNER_FILE).write_text(str(os.getpid()))
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True
