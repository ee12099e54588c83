"""A real Astitray server for benchmarks and tests: gunicorn on a free loopback port, a throwaway database.

Usage::

    with LiveServer(env={"ASTITRAY_AUTH_CACHE_SECONDS": "0"}) as server:
        server.manage("shell", "-c", "...")      # set up data
        proxy = server.proxy("alice", "pw")      # xmlrpc.client.ServerProxy

A server can also run a given command line (a systemd unit's ``ExecStart``)
with exactly the environment given (``inherit_env=False``), be stopped as
systemd stops it (:meth:`stop`: SIGTERM, gunicorn finishes the requests
under way) and write its output to a file (``log_path``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    def __init__(
        self,
        env: dict[str, str] | None = None,
        workers: int = 2,
        database_url: str = "",
        *,
        command: Sequence[str] | None = None,
        port: int | None = None,
        inherit_env: bool = True,
        migrate: bool = True,
        log_path: Path | None = None,
        host: str = "127.0.0.1",
        asgi: bool = False,
    ) -> None:
        """``command``: run this instead of gunicorn on ``port`` (which it must then serve).

        ``inherit_env=False``: the server gets ``env`` only (with ``PATH``),
        not this process's environment nor the default database and key.
        ``host``: the Host header of the readiness check (one of ``ALLOWED_HOSTS``).
        ``asgi``: gunicorn's uvicorn workers serving ``astitray.asgi`` (as deploy/ does), not WSGI.
        """
        self.asgi = asgi
        self.tmp = tempfile.TemporaryDirectory(prefix="astitray-bench-")
        self.port = port or free_port()
        self.workers = workers
        self.command = list(command) if command else None
        self.run_migrate = migrate
        # Under the test suite, a server's output goes where testkit/log_secrets.py scans for secrets.
        test_logs = os.environ.get("ASTITRAY_TEST_LOG_DIR")
        if log_path is None and test_logs:
            log_path = Path(test_logs) / f"server-{self.port}-{os.path.basename(self.tmp.name)}.log"
        self.log_path = log_path
        self.host = host
        if inherit_env:
            self.env = {
                **os.environ,
                "DATABASE_URL": database_url or f"sqlite:///{self.tmp.name}/bench.sqlite3",
                "ASTITRAY_SECRET_KEY_PATH": f"{self.tmp.name}/secret_key",
                # Under the test suite: everything, for the secrets check (DEBUG, the RPC calls too).
                "LOG_LEVEL": "DEBUG" if test_logs else "WARNING",
                **({"LOG_LEVEL_RPC": "DEBUG"} if test_logs else {}),
                **(env or {}),
            }
        else:
            self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **(env or {})}
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
        if self.run_migrate:
            self.manage("migrate", "--noinput", "-v", "0")
        try:
            self.start()
        except BaseException:
            self.tmp.cleanup()
            raise
        return self

    def start(self, timeout: float = 60) -> None:
        """Start the server and wait until it answers HTTP (any status: it may redirect to HTTPS)."""
        served = ["astitray.asgi:application", "--worker-class", "uvicorn_worker.UvicornWorker"]
        command = self.command or [
            sys.executable,
            "-m",
            "gunicorn",
            *(served if self.asgi else ["astitray.wsgi"]),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
        ]
        output = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115 (the server's)
        try:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=output, stderr=output)
        finally:
            if output is not None:
                output.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited at start with status {self.process.returncode}")
            if self.answers():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not start")

    def answers(self) -> bool:
        """Whether the server answers ``system.listMethods`` now (any HTTP answer: a redirect too)."""
        body = xmlrpc.client.dumps((), "system.listMethods").encode()
        request = (
            f"POST /rpc/ HTTP/1.0\r\nHost: {self.host}\r\nContent-Type: text/xml\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock,
        ):
            sock.sendall(request)
            return sock.recv(12).startswith(b"HTTP/")
        return False

    def stop(self, timeout: float = 60) -> int | None:
        """Stop it as systemd does (SIGTERM: requests under way are finished); its exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=10)

    def __exit__(self, *exc: object) -> None:
        self.stop()
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
