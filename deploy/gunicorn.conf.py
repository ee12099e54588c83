"""gunicorn settings of an Astitray app server.

``gunicorn --config deploy/gunicorn.conf.py astitray.asgi:application``.

Read from the environment (deploy/astitray.env), like the rest of Astitray:

- ``ASTITRAY_BIND``: where nginx reaches this server, comma-separated
  (default ``127.0.0.1:8000``; ``0.0.0.0:8000`` when nginx is on another
  host, with a firewall letting only the proxies in).
- ``WEB_CONCURRENCY``: worker processes (default two per CPU, plus one).
  Each worker is an ASGI server (uvicorn): it serves many requests at once,
  each blocking one (a dial, a search) in a thread of its own, and holds
  its own connection to each AMI PBX. The API's long polls (``events.wait``)
  wait in the worker's event loop, with no thread (docs/deploying.md,
  "Long polls").
"""

from __future__ import annotations

import multiprocessing
import os


def _workers() -> int:
    raw = os.environ.get("WEB_CONCURRENCY", "").strip()
    if not raw:
        return multiprocessing.cpu_count() * 2 + 1
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"WEB_CONCURRENCY must be a number of worker processes, not {raw!r}")
    return int(raw)


bind = [item.strip() for item in os.environ.get("ASTITRAY_BIND", "127.0.0.1:8000").split(",") if item.strip()]
workers = _workers()
# uvicorn workers (ASGI): thousands of clients may wait in events.wait, each holding a socket,
# not a worker; a dial still waits for the PBX's answer, in a thread of its own.
worker_class = "uvicorn_worker.UvicornWorker"
# A worker silent this long (a stuck PBX cannot hold one: its timeout is shorter) is replaced.
timeout = 30
# On SIGTERM (systemctl stop, a deployment): no new connections; requests under way
# (a dial already sent to the PBX) are finished and answered, for up to this long. A client
# waiting in events.wait longer than that is cut off: it calls again, with its cursor.
graceful_timeout = 30
# No periodic recycling of workers (max_requests): a worker that quits closes its AMI
# connection, and the calls it placed that are still ringing never learn how they
# ended (they read "unknown" later). There is no leak to cure at that price.
max_requests = 0
# Each worker opens its own connections (database, AMI) after the fork, never shared.
preload_app = False
# The heartbeat file in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
proc_name = "astitray"
# No control socket (gunicorn 25.1+ opens one in $HOME by default): systemctl does the
# managing, and the home directory is read-only for the service.
control_socket_disable = True

# Logs to standard output (the journal under systemd). The access log has no
# Authorization header, no body: no password, no dialed number but /cid/'s query.
accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms'

# --- Metrics and systemd's watchdog (docs/deploying.md, "Health checks, metrics and the dashboard") ---


def on_starting(server) -> None:
    """Before any worker: the metrics directory (PROMETHEUS_MULTIPROC_DIR) must be usable.

    Each process keeps its counters in a file there and /metrics adds them up, so
    that counts survive a worker's restart. systemd creates the directory
    (RuntimeDirectory=); it is never emptied here: the PBX listener and the
    phonebook import may share it, and a counter must never go back.
    """
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if directory:
        os.makedirs(directory, exist_ok=True)
        if not os.access(directory, os.W_OK | os.X_OK):
            raise SystemExit(f"PROMETHEUS_MULTIPROC_DIR={directory} is not writable by this user")


def when_ready(server) -> None:
    """Once the sockets listen: systemd's watchdog (WatchdogSec=), fed while /healthz answers."""
    from astitray import watchdog

    if watchdog.start(bind):
        server.log.info("systemd watchdog: /healthz probed every %.1f s", watchdog.interval_s())


def child_exit(server, worker) -> None:
    """A worker is gone: its live gauges leave the figures (its counters stay, as they must)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
