"""systemd's watchdog for gunicorn: ``WATCHDOG=1`` only while ``/healthz`` answers.

With ``WatchdogSec=`` in the unit, systemd gives the service's main process
``WATCHDOG_USEC`` and expects ``WATCHDOG=1`` on ``NOTIFY_SOCKET`` at least
that often, else it kills and restarts the service. gunicorn's master
(started from ``deploy/gunicorn.conf.py``'s ``when_ready``) runs
:func:`start`: a thread that asks ``GET /healthz`` through the server's own
listening socket every third of that time and notifies systemd only when a
worker answered 200. Workers that all hang (or a master that no longer
hands connections to them) thus get the service restarted; a master that
is alive but serves nothing is not mistaken for a healthy one.

Django-free: it runs in gunicorn's master, which never loads the project.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

logger = logging.getLogger(__name__)

THREAD_NAME = "astitray-watchdog"
_PATH = "/healthz"


def interval_s(environ: dict[str, str] | None = None) -> float | None:
    """How often to probe (a third of ``WATCHDOG_USEC``), or None when systemd wants no watchdog.

    ``WATCHDOG_PID``, when set, must be this process (systemd's rule: the
    variable is inherited by children, which must not answer for the service).
    """
    env = os.environ if environ is None else environ
    usec, pid = env.get("WATCHDOG_USEC", ""), env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and (not pid.isdigit() or int(pid) != os.getpid()):
        return None
    return int(usec) / 1_000_000 / 3


def probe_address(bind: str) -> tuple[int, Any]:
    """(socket family, address) to reach a gunicorn ``bind`` entry from this host.

    ``0.0.0.0:8000`` is reached on 127.0.0.1, ``[::]:8000`` on ::1,
    ``unix:/run/astitray.sock`` on that socket.
    """
    if bind.startswith("unix:"):
        return socket.AF_UNIX, bind.removeprefix("unix:")
    host, _, port = bind.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if host in ("0.0.0.0", "*"):  # noqa: S104  (an address to reach, not one to listen on)
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return family, (host, int(port))


def healthz_answers(family: int, address: Any, timeout: float) -> bool:
    """Whether ``GET /healthz`` at ``address`` is answered 200 within ``timeout`` seconds."""
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(address)
            sock.sendall(f"GET {_PATH} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode("ascii"))
            status_line = sock.recv(64).split(b"\r\n", 1)[0]
    except OSError:
        return False
    return status_line.split(b" ")[1:2] == [b"200"]


def notify(state: str, environ: dict[str, str] | None = None) -> bool:
    """Send ``state`` to systemd's ``NOTIFY_SOCKET``; whether it was sent."""
    env = os.environ if environ is None else environ
    path = env.get("NOTIFY_SOCKET", "")
    if not path:
        return False
    if path.startswith("@"):
        path = "\0" + path[1:]  # an abstract socket
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(path)
            sock.sendall(state.encode("ascii"))
    except OSError as exc:
        logger.warning("watchdog: systemd's notification socket refused %s: %s", state, exc)
        return False
    return True


def _run(family: int, address: Any, every: float) -> None:
    timeout = min(every, 10.0)
    while True:
        started = time.monotonic()
        if healthz_answers(family, address, timeout):
            notify("WATCHDOG=1")
        else:
            logger.warning("watchdog: %s did not answer: systemd not told we are alive", _PATH)
        time.sleep(max(0.0, every - (time.monotonic() - started)))


def start(bind: list[str]) -> bool:
    """Start the watchdog thread if systemd asked for one (and none runs yet); whether it runs."""
    every = interval_s()
    if every is None or not bind:
        return False
    if any(thread.name == THREAD_NAME for thread in threading.enumerate()):
        return True
    family, address = probe_address(bind[0])
    threading.Thread(target=_run, args=(family, address, every), name=THREAD_NAME, daemon=True).start()
    return True
