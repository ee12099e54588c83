"""``manage.py pbx_events`` (and other commands) as real processes on one shared SQLite file.

For the tests of failover: listeners killed with SIGKILL, stopped with
SIGTERM, racing for a PBX, a dial worker killed before the outcome. The
test reads the shared database directly (``sqlite3``) while the processes
write it. Their output goes where testkit/log_secrets.py scans for secrets.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class Site:
    """A migrated database file and the environment of every process that shares it."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="astitray-listeners-")
        self.path = Path(self.tmp.name) / "shared.sqlite3"
        self.logs = Path(os.environ.get("ASTITRAY_TEST_LOG_DIR") or self.tmp.name)
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.path}",
            "ASTITRAY_SECRET_KEY_PATH": f"{self.tmp.name}/secret_key",
            "ASTITRAY_CONSOLE_SPOOL": f"{self.tmp.name}/spool",
            "LOG_LEVEL": "INFO",
            **(env or {}),
        }
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> Site:
        self.manage("migrate", "--noinput", "-v", "0")
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(10)
        self.tmp.cleanup()

    def manage(self, *args: str) -> str:
        """Run a management command to its end; its output."""
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, check=True)  # fmt: skip
        return done.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code)

    def start(self, *args: str, name: str = "process") -> subprocess.Popen:
        """Start ``manage.py ARGS`` in the background (its output in the test logs)."""
        log = self.logs / f"{name}-{time.time_ns()}.log"
        with open(log, "ab") as output:
            process = subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                                       stdout=output, stderr=output)  # fmt: skip
        self.processes.append(process)
        return process

    def listener(self, *args: str) -> subprocess.Popen:
        return self.start("pbx_events", *args, name="pbx-events")

    def query(self, sql: str, *params: Any) -> list[tuple]:
        """Rows of ``sql`` on the shared database (retried while a writer holds it)."""
        for _attempt in range(50):
            try:
                with sqlite3.connect(self.path, timeout=5) as db:
                    return db.execute(sql, params).fetchall()
            except sqlite3.OperationalError:
                time.sleep(0.1)
        raise RuntimeError(f"the database stayed locked: {sql}")

    def events(self, username: str) -> list[tuple]:
        """A user's events, oldest first: (type, number, status, by_me)."""
        rows = self.query(
            "SELECT e.payload FROM events_userevent e JOIN auth_user u ON u.id = e.user_id "
            "WHERE u.username = ? ORDER BY e.id",
            username,
        )
        found = []
        for (payload,) in rows:
            data = json.loads(payload)
            found.append((data["type"], data["number"], data["status"], data["by_me"]))
        return found

    def lease(self) -> tuple[str, bool] | None:
        """(holder, connected) of the only PBX's lease, while it is live."""
        rows = self.query(
            "SELECT holder, connected FROM events_listenerlease WHERE expires_at > ? AND holder != ''",
            time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        )
        return (rows[0][0], bool(rows[0][1])) if rows else None


def wait_for(check: Callable[[], object], timeout: float = 20.0, step: float = 0.1) -> Any:
    """``check()``'s first true answer within ``timeout`` seconds (else its last, false)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(step)


def kill(process: subprocess.Popen, how: int = signal.SIGKILL) -> int:
    """Send ``how`` and wait for the end; the exit status."""
    process.send_signal(how)
    return process.wait(20)


def pids(processes: Sequence[subprocess.Popen]) -> set[int]:
    return {p.pid for p in processes if p.poll() is None}
