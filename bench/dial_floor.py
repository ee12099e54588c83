"""Benchmark: what a console dial costs in the server's own code, against the I/O it cannot avoid (issue 16).

In one process (Django's test client, no HTTP), on a throwaway SQLite file
and Redis, interleaved in rounds: ``system.listMethods``, a cached
``accounts.whoami`` and ``dialer.dial`` (the console driver, a new number
each time). Then the same I/O a dial does, done raw on the same database
and Redis: the ``Call`` row's INSERT, the outcome's transaction (UPDATE,
the ``call`` event's INSERT, COMMIT), five Redis round trips and the
number's parsing (phonenumbers). What the dial costs beyond whoami (its
caller already known) against that floor tells how much of it is Python
around the I/O rather than the I/O itself.

Prints p50 (ms) of each on its last line.

    .venv/bin/python -m bench.dial_floor [--calls 400]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import xmlrpc.client
from collections.abc import Callable
from pathlib import Path

from testkit.liveserver import ROOT
from testkit.redis_server import RedisServer

PASSWORD = "bench-Password-1"


def p50(call: Callable[[], object], calls: int) -> float:
    durations = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations) * 1000


def interleaved(targets: dict[str, Callable[[], object]], calls: int, rounds: int = 10) -> dict[str, float]:
    """{name: p50 ms}, each target called ``calls`` times in ``rounds`` turns (noise falls on all alike)."""
    for call in targets.values():
        for _ in range(10):
            call()
    found: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, call in targets.items():
            found[name].append(p50(call, max(1, calls // rounds)))
    return {name: statistics.median(values) for name, values in found.items()}


def api_targets() -> dict[str, Callable[[], object]]:
    """listMethods, whoami and dial through Django's full request path (Django is set up)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.models import Extension

    user = get_user_model().objects.create_user("alice", password=PASSWORD)
    Extension.objects.create(user=user, number="1001", channel="PJSIP/1001")
    client = Client(SERVER_NAME="127.0.0.1")
    authorization = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()

    def rpc(method: str, *params: Callable[[], str]) -> Callable[[], object]:
        def call() -> object:
            body = xmlrpc.client.dumps(tuple(param() for param in params), method)
            answer = client.post("/rpc/", body, content_type="text/xml", HTTP_AUTHORIZATION=authorization)
            if answer.status_code != 200 or b"<fault>" in answer.content:
                raise RuntimeError(f"{method}: {answer.content[:300]!r}")
            return answer

        return call

    return {
        "listMethods": rpc("system.listMethods"),
        "whoami": rpc("accounts.whoami"),
        "dial": rpc("dialer.dial", lambda: f"+331{random.randrange(10**7, 10**8)}"),
    }


def raw_targets(database: Path, redis_url: str) -> dict[str, Callable[[], object]]:
    """The dial's I/O done raw: its SQL on the same file, its Redis round trips, its number parsing."""
    import phonenumbers
    import redis

    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")  # as astitray/env.py sets them
    (user_id,) = connection.execute("SELECT id FROM auth_user WHERE username = 'alice'").fetchone()
    client = redis.Redis.from_url(redis_url)

    def sql() -> None:
        call_id = uuid.uuid4().hex
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        cursor = connection.execute(
            "INSERT INTO dialer_call (call_id, user_id, username, extension, channel, pbx_id, direction, "
            "text, number, name, caller_id, status, reason, reference, call_key, created, updated) "
            "VALUES (?, ?, 'alice', '1001', 'PJSIP/1001', NULL, 'out', '+33123456789', '0123456789', '', "
            "'', 'queued', '', '', ?, ?, ?)",
            (call_id, user_id, call_id, now, now),
        )
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "UPDATE dialer_call SET status = 'answered', reason = 'console driver', updated = ?, "
            "reference = ? WHERE id = ? AND status IN ('queued', 'unknown')",
            (now, f"console-{call_id}", cursor.lastrowid),
        )
        connection.execute(
            "INSERT INTO events_userevent (user_id, type, payload, created) VALUES (?, 'call', ?, ?)",
            (user_id, json.dumps({"type": "call", "call_id": call_id, "status": "answered"}), now),
        )
        connection.execute("COMMIT")

    def round_trips() -> None:
        for _ in range(5):
            client.mget(["astitray:a", "astitray:b", "astitray:c"])

    def parsing() -> None:
        number = phonenumbers.parse(f"+331{random.randrange(10**7, 10**8)}", "FR")
        phonenumbers.is_valid_number(number)
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    return {"raw sql": sql, "raw 5 redis": round_trips, "raw parse": parsing}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=400, help="calls of each target")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="astitray-dial-floor-") as tmp, RedisServer() as redis_server:
        database = Path(tmp) / "bench.sqlite3"
        env = {
            "DATABASE_URL": f"sqlite:///{database}",
            "CACHE_URL": redis_server.url,
            "ASTITRAY_SECRET_KEY_PATH": f"{tmp}/secret_key",
            "ASTITRAY_RATE_LIMIT": "0",
            "ASTITRAY_AUTH_CACHE_SECONDS": "3600",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "astitray.settings",
        }
        os.environ.update(env)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)
        import django

        django.setup()
        found = interleaved(api_targets(), args.calls)
        found |= interleaved(raw_targets(database, redis_server.url), args.calls)
    floor = found["raw sql"] + found["raw 5 redis"] + found["raw parse"]
    own = found["dial"] - found["whoami"]
    print(
        "dial_floor: in-process p50 ms "
        + ", ".join(f"{name} {value:.2f}" for name, value in found.items())
        + f" | the dial beyond whoami {own:.2f} ms, its raw I/O {floor:.2f} ms ({own / floor:.1f}x)"
        + f" | dial {found['dial'] / found['listMethods']:.2f}x listMethods in-process"
    )


if __name__ == "__main__":
    main()
