"""A real Astitray server for benchmarks: gunicorn on a free loopback port, a throwaway database.

Usage::

    with LiveServer(env={"ASTITRAY_AUTH_CACHE_SECONDS": "0"}) as server:
        server.manage("shell", "-c", "...")      # set up data
        proxy = server.proxy("alice", "pw")      # xmlrpc.client.ServerProxy
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    def __init__(self, env: dict[str, str] | None = None, workers: int = 2, database_url: str = "") -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="astitray-bench-")
        self.port = free_port()
        self.workers = workers
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url or f"sqlite:///{self.tmp.name}/bench.sqlite3",
            "ASTITRAY_SECRET_KEY_PATH": f"{self.tmp.name}/secret_key",
            "LOG_LEVEL": "WARNING",
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def __enter__(self) -> LiveServer:
        self.manage("migrate", "--noinput", "-v", "0")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "astitray.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.proxy().system.listMethods()
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("the server did not start")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.tmp.cleanup()

    def proxy(self, username: str = "", password: str = "") -> Any:
        auth = f"{username}:{password}@" if username else ""
        return xmlrpc.client.ServerProxy(f"http://{auth}127.0.0.1:{self.port}/rpc/")


def measure(call: Callable[[], object], count: int) -> dict[str, float]:
    """Run ``call`` ``count`` times in a row: calls/s, p50 and p99 in milliseconds."""
    durations = []
    started = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        call()
        durations.append(time.perf_counter() - t0)
    total = time.perf_counter() - started
    durations.sort()
    return {
        "calls_per_s": count / total,
        "p50_ms": statistics.median(durations) * 1000,
        "p99_ms": durations[min(len(durations) - 1, int(len(durations) * 0.99))] * 1000,
    }


def fmt(stats: dict[str, float]) -> str:
    return f"{stats['calls_per_s']:.0f} calls/s p50 {stats['p50_ms']:.1f} ms p99 {stats['p99_ms']:.1f} ms"
