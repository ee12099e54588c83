"""Health and metrics of real servers: gunicorn with deploy/gunicorn.conf.py, a real database, real HTTP.

- ``/readyz`` of a server whose own PostgreSQL (a private cluster: the
  machine's is never stopped) stops: HTTP 503 within a second, 200 again
  once it is back.
- ``/metrics`` of two gunicorn workers sharing a PROMETHEUS_MULTIPROC_DIR
  (and Redis, as in production): after a scripted set of dials, logins and
  refusals spread over both workers, every counter is exactly what was done.
- ``/metrics`` refuses a client that is not on the loopback, over the
  network, and lets it in once its network is allowed.
"""

from __future__ import annotations

import http.client
import json
import secrets
import shutil
import subprocess
import sys
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from testkit.liveserver import LiveServer
from testkit.private_postgres import PrivatePostgres
from testkit.services import require
from tests.e2e.deployment import DEPLOY, ROOT, delete_redis_keys, require_redis

pytestmark = pytest.mark.service

PASSWORD = "metrics-Password-1"


def gunicorn() -> list[str]:
    """gunicorn with the production settings (deploy/gunicorn.conf.py: its hooks included)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(DEPLOY / "gunicorn.conf.py"),
        "astitray.asgi:application",
    ]


def served(port: int, workers: int, bind: str = "127.0.0.1") -> dict[str, str]:
    return {"ASTITRAY_BIND": f"{bind}:{port}", "WEB_CONCURRENCY": str(workers)}


def get(port: int, path: str, host: str = "127.0.0.1", source: str = "") -> tuple[int, bytes, float]:
    """(status, body, seconds) of ``GET path`` at ``host:port``, from ``source`` if given."""
    connection = http.client.HTTPConnection(
        host, port, timeout=30, source_address=(source, 0) if source else None
    )
    started = time.monotonic()
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read(), time.monotonic() - started
    finally:
        connection.close()


def samples(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def test_readyz_answers_503_within_a_second_once_the_database_stops():
    with PrivatePostgres() as postgres:
        server = LiveServer(database_url=postgres.url, workers=2)
        server.command = gunicorn()
        server.env.update(served(server.port, 2))
        with server:
            status, body, _ = get(server.port, "/readyz")
            assert (status, json.loads(body)["database"]) == (200, "up")

            postgres.stop()
            for _probe in range(4):  # whichever worker answers, each with its own connection
                status, body, seconds = get(server.port, "/readyz")
                assert status == 503 and seconds < 1.0, (status, seconds)
                assert json.loads(body) == {**json.loads(body), "status": "unavailable", "database": "down"}
            status, _, _ = get(server.port, "/healthz")
            assert status == 200  # alive all the same: systemd must not restart it for that

            postgres.start()
            deadline = time.monotonic() + 30
            while get(server.port, "/readyz")[0] != 200:
                assert time.monotonic() < deadline, "/readyz never recovered"
                time.sleep(0.2)


SETUP = """
from django.contrib.auth import get_user_model
from accounts.models import Extension
from dialer.models import NumberRule
NumberRule.objects.create(position=1, pattern=r"899123456$", action=NumberRule.Action.DENY)
for n in range({users}):
    user = get_user_model().objects.create_user(f"user{{n}}", password="{password}")
    Extension.objects.create(user=user, number=f"10{{n:02d}}", channel=f"PJSIP/10{{n:02d}}")
"""


def test_counters_of_two_workers_add_up_exactly(tmp_path: Path):
    require_redis()
    users, allowed = 6, 3
    metrics_dir = tmp_path / "metrics"
    prefix = f"astitray-metrics-{secrets.token_hex(4)}"
    server = LiveServer(
        workers=2,
        env={
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "CACHE_URL": f"redis://127.0.0.1:6379/0?prefix={prefix}",
            "ASTITRAY_RATE_LIMIT": str(allowed),
            "ASTITRAY_LOCKOUT_FAILURES": "3",
            "ASTITRAY_LOCKOUT_BY": "username",
        },
    )
    server.command = gunicorn()
    server.env.update(served(server.port, 2))
    try:
        with server:
            server.manage("shell", "-c", SETUP.format(users=users, password=PASSWORD))

            def dials(n: int) -> list[str]:
                proxy = server.proxy(f"user{n}", PASSWORD)
                outcomes = []
                # allowed + 1 distinct numbers (the last one over the rate limit) and one denied number.
                for text in [f"01 42 68 53 {n}{k}" for k in range(allowed + 1)] + ["0899 123 456"]:
                    try:
                        outcomes.append(proxy.dialer.dial(text)["status"])
                    except xmlrpc.client.Fault as fault:
                        outcomes.append(str(fault.faultCode))
                return outcomes

            with ThreadPoolExecutor(max_workers=users) as pool:
                outcomes = [item for result in pool.map(dials, range(users)) for item in result]
            assert sorted(set(outcomes)) == ["-32086", "-32087", "answered"]
            intruder = server.proxy("mallory", "guess")
            for _attempt in range(4):  # 3 refused by Django's users (the third locks out), 1 by the lockout
                with pytest.raises(xmlrpc.client.Fault):
                    intruder.accounts.whoami()

            pids = {path.stem.split("_")[-1] for path in metrics_dir.glob("counter_*.db")}
            assert len(pids) >= 2, f"the calls did not reach both workers: {pids}"
            status, body, _ = get(server.port, "/metrics")
    finally:
        delete_redis_keys(prefix)
    assert status == 200
    found = samples(body)

    def value(name: str, **labels: str) -> float:
        return found.get((name, tuple(sorted(labels.items()))), 0.0)

    pbx = "Console (demo)"
    assert value("astitray_calls_total", pbx=pbx, status="answered") == users * allowed
    assert value("astitray_calls_total", pbx=pbx, status="denied") == users
    assert value("astitray_dial_seconds_count", pbx=pbx) == users * allowed
    assert value("astitray_rate_limited_total", limit="dial") == users
    rpc = "astitray_rpc_calls_total"
    assert value(rpc, procedure="dialer.dial", fault="none") == users * allowed
    assert value(rpc, procedure="dialer.dial", fault="-32086") == users
    assert value(rpc, procedure="dialer.dial", fault="-32087") == users
    assert value(rpc, procedure="accounts.whoami", fault="-32098") == 4
    assert value("astitray_auth_failures_total", backend="django") == 3
    assert value("astitray_auth_failures_total", backend="lockout") == 1
    assert value("astitray_auth_lockouts_total", via="rpc") == 1


def _global_address() -> str:
    """An address of this machine that is not a loopback one ("" if it has none)."""
    if shutil.which("ip") is None:
        return ""
    command = ["ip", "-o", "-4", "addr", "show", "scope", "global"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    for line in result.stdout.splitlines():
        return line.split()[3].split("/")[0]
    return ""


def test_metrics_refuse_an_address_that_is_not_allowed_over_the_network():
    address = _global_address()
    require(bool(address), "this machine has no non-loopback IPv4 address to connect from")
    server = LiveServer(workers=1)
    server.command = gunicorn()
    server.env.update(served(server.port, 1, bind="0.0.0.0"))
    with server:
        assert get(server.port, "/metrics")[0] == 200  # from 127.0.0.1
        status, body, _ = get(server.port, "/metrics", host=address, source=address)
        assert (status, body) == (403, b"")
        assert get(server.port, "/healthz", host=address, source=address)[0] == 200  # probes stay open
    network = ".".join(address.split(".")[:3]) + ".0/24"
    server = LiveServer(workers=1, env={"ASTITRAY_METRICS_ALLOWED": network})
    server.command = gunicorn()
    server.env.update(served(server.port, 1, bind="0.0.0.0"))
    with server:
        assert get(server.port, "/metrics", host=address, source=address)[0] == 200
        assert get(server.port, "/metrics")[0] == 403  # the loopback is no longer listed


def test_the_figures_page_names_no_secret(tmp_path: Path):
    """Nothing of the settings' secrets, nor a password tried, appears in /metrics."""
    server = LiveServer(workers=1, env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})
    server.command = gunicorn()
    server.env.update(served(server.port, 1))
    with server:
        with pytest.raises(xmlrpc.client.Fault):
            server.proxy("someone", "a-tried-Password-9").accounts.whoami()
        body = get(server.port, "/metrics")[1].decode()
    assert "a-tried-Password-9" not in body and "someone" not in body
    assert str(ROOT) not in body
