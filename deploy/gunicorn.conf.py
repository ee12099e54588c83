"""gunicorn settings of an Astitray app server (``gunicorn --config deploy/gunicorn.conf.py astitray.wsgi``).

Read from the environment (deploy/astitray.env), like the rest of Astitray:

- ``ASTITRAY_BIND``: where nginx reaches this server, comma-separated
  (default ``127.0.0.1:8000``; ``0.0.0.0:8000`` when nginx is on another
  host, with a firewall letting only the proxies in).
- ``WEB_CONCURRENCY``: worker processes (default two per CPU, plus one).
  Each worker serves one request at a time and holds its own database
  connection and its own connection to each AMI PBX.
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
# Sync workers: a dial waits for the PBX's answer (at most the PBX's network timeout).
worker_class = "sync"
# A worker silent this long (a stuck PBX cannot hold one: its timeout is shorter) is replaced.
timeout = 30
# On SIGTERM (systemctl stop, a deployment): no new connections; requests under way
# (a dial already sent to the PBX) are finished and answered, for up to this long.
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
