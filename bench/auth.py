"""Benchmark: ``accounts.whoami`` for a Django user, an LDAP user and an SQL-table user.

Against live gunicorn servers (2 workers, SQLite), a real slapd and a real
user table (PostgreSQL when it runs on 127.0.0.1:5432, else a SQLite file),
with the authentication cache on, and for the LDAP user also off (every call
binds to the directory). Users are measured in interleaved rounds so that a
busy machine slows them alike. Prints its figures on the last line; with the
cache on, the LDAP user must be within 1.5x of the Django user (p50).

    .venv/bin/python -m bench.auth [--calls 300] [--uncached-calls 100]
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import bcrypt

from testkit.liveserver import LiveServer
from testkit.slapd import Slapd

DJANGO_USER = ("alice", "bench-Django-1")
LDAP_USER = ("carol", "bench-Ldap-1")
SQL_USER = ("ivan", "bench-Sql-1")
ROUNDS = 3

SETUP_DJANGO_USER = f"""
from django.contrib.auth import get_user_model
from accounts.models import Extension
user = get_user_model().objects.create_user({DJANGO_USER[0]!r}, password={DJANGO_USER[1]!r})
Extension.objects.create(user=user, number="1001", channel="PJSIP/1001")
"""


def directory_entries(base: str) -> str:
    return (
        f"dn: uid=carol,ou=people,{base}\nobjectClass: inetOrgPerson\nuid: carol\ncn: Carol Lopez\n"
        f"givenName: Carol\nsn: Lopez\nmail: carol@example.org\ntelephoneNumber: +33 1 23 45 20 01\n"
        f"userPassword: {LDAP_USER[1]}\n"
    )


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


@contextlib.contextmanager
def user_table(tmp: Path) -> Iterator[tuple[str, str]]:
    """(ASTITRAY_AUTH_SQL_URL, a description) of a table holding ivan with a bcrypt (cost 12) hash."""
    hashed = bcrypt.hashpw(SQL_USER[1].encode(), bcrypt.gensalt(rounds=12)).decode()
    create = "CREATE TABLE people (login VARCHAR(150) PRIMARY KEY, pw_hash VARCHAR(255), phone VARCHAR(32))"
    if port_open(5432):
        import psycopg

        database = "astitray_bench_usertable"
        with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
            admin.execute(f'CREATE DATABASE "{database}"')
        try:
            with psycopg.connect(host="127.0.0.1", user="postgres", dbname=database, autocommit=True) as db:
                db.execute(create)
                db.execute("INSERT INTO people VALUES (%s, %s, %s)", (SQL_USER[0], hashed, "3001"))
            yield f"postgres://postgres@127.0.0.1:5432/{database}", "PostgreSQL"
        finally:
            with psycopg.connect(
                host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
            ) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        return
    path = tmp / "users.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute(create)
        db.execute("INSERT INTO people VALUES (?, ?, ?)", (SQL_USER[0], hashed, "3001"))
        db.commit()
    yield f"sqlite:///{path}", "SQLite"


def server_env(ldap: Slapd, sql_url: str, cache_seconds: int) -> dict[str, str]:
    return {
        "ASTITRAY_AUTH_BACKENDS": "ldap,sql,django",
        "ASTITRAY_AUTH_CACHE_SECONDS": str(cache_seconds),
        "AUTH_LDAP_SERVER_URI": ldap.uri,
        "AUTH_LDAP_USER_DN_TEMPLATE": f"uid=%(user)s,ou=people,{ldap.base_dn}",
        "ASTITRAY_LDAP_EXTENSION_REGEX": r"(\d{4})$",
        "ASTITRAY_AUTH_SQL_URL": sql_url,
        "ASTITRAY_AUTH_SQL_QUERY": (
            "SELECT pw_hash AS password, phone AS extension FROM people WHERE login = %s"
        ),
        "ASTITRAY_AUTH_SQL_HASH": "bcrypt",
    }


def timed(call: Callable[[], object], count: int) -> tuple[list[float], float]:
    durations = []
    started = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        call()
        durations.append(time.perf_counter() - t0)
    return durations, time.perf_counter() - started


class Figures:
    def __init__(self) -> None:
        self.durations: list[float] = []
        self.total = 0.0

    def add(self, measured: tuple[list[float], float]) -> None:
        self.durations += measured[0]
        self.total += measured[1]

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.durations) * 1000

    def __str__(self) -> str:
        return f"p50 {self.p50_ms:.1f} ms {len(self.durations) / self.total:.0f} calls/s"


def whoami_of(server: LiveServer, user: tuple[str, str], extension: str) -> Callable[[], Any]:
    proxy = server.proxy(*user)
    answer = proxy.accounts.whoami()
    assert answer["extension"] == extension, answer  # the phone really came from its source
    return proxy.accounts.whoami


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls per user with the cache on")
    parser.add_argument("--uncached-calls", type=int, default=100, help="LDAP calls with the cache off")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="astitray-bench-auth-") as tmp, Slapd() as ldap:
        ldap.add_base()
        ldap.add(directory_entries(ldap.base_dn))
        with user_table(Path(tmp)) as (sql_url, sql_kind):
            figures = {name: Figures() for name in ("django", "ldap", "sql", "ldap-uncached")}
            with LiveServer(env=server_env(ldap, sql_url, 600)) as server:
                server.manage("shell", "-c", SETUP_DJANGO_USER)
                calls = {
                    "django": whoami_of(server, DJANGO_USER, "1001"),
                    "ldap": whoami_of(server, LDAP_USER, "2001"),
                    "sql": whoami_of(server, SQL_USER, "3001"),
                }
                for call in calls.values():  # every worker process fills its own cache
                    timed(call, 10)
                for _ in range(ROUNDS):
                    for name, call in calls.items():
                        figures[name].add(timed(call, args.calls // ROUNDS))
            with LiveServer(env=server_env(ldap, sql_url, 0)) as server:
                call = whoami_of(server, LDAP_USER, "2001")
                figures["ldap-uncached"].add(timed(call, args.uncached_calls))

    ratio = figures["ldap"].p50_ms / figures["django"].p50_ms
    print(
        f"whoami: django user (cache on) {figures['django']} | ldap user (cache on) {figures['ldap']} | "
        f"ldap user (cache off) {figures['ldap-uncached']} | sql user on {sql_kind} (cache on) "
        f"{figures['sql']} | ldap/django p50 {ratio:.2f}x (limit 1.5x)"
    )
    if ratio > 1.5:
        sys.exit(1)


if __name__ == "__main__":
    main()
