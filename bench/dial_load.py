"""Benchmark and fault test: ``dialer.dial`` under load, against ``accounts.whoami``, then with a flaky PBX.

A live server under gunicorn (several workers) on PostgreSQL, with Redis as
the cache when ``redis-server`` is installed (else each worker's local
memory), the PBX being the fake AMI server in a process of its own (as a
PBX would be). 50 users each have a phone; 50 concurrent clients, one per
user, each dial distinct numbers.

1. Load: rounds of ``accounts.whoami`` then ``dialer.dial`` for a fixed
   time each (interleaved, so that a busy machine slows both alike):
   calls/s, p50 and p99 of each, and their ratio (target: a dial costs at
   most twice a whoami).
2. Faults: the fake AMI drops every connection every few seconds while the
   clients dial on.
3. Checks, once the outcomes have come: every accepted dial (an answer
   with a call id) has exactly one Call row; every dial refused with
   ``PBX_UNAVAILABLE``/``PBX_ERROR`` has its ``failed`` row and no other
   dial has one; at most one Originate per call reached the PBX, and none
   the log does not know; every row ended in a final status or
   ``unknown``. Prints the counts; exits non-zero if a check fails.

Prints its figures on the last line.

    .venv/bin/python -m bench.dial_load [--clients 50] [--seconds 4] [--rounds 5]
        [--fault-seconds 15] [--drop-every 3] [--workers 4] [--database astitray_bench_dial_load]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import xmlrpc.client
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import psycopg

from testkit.fake_asterisk import FakeAmi
from testkit.liveserver import LiveServer, free_port

PASSWORD = "bench-Dial-1"
PBX_CODES = (-32085, -32084)  # PBX_UNAVAILABLE, PBX_ERROR: a failed row is written

SETUP = """
from django.contrib.auth import get_user_model
from accounts.models import Extension
from drivers.models import PbxServer

PbxServer.objects.all().delete()
pbx = PbxServer.objects.create(name="Asterisk (fake)", driver="asterisk_ami", host="127.0.0.1", port={port},
                               username="astitray", secret="astitray-secret", context="outbound",
                               is_default=True, timeout_s=5)
User = get_user_model()
for n in range({clients}):
    user = User.objects.create_user(f"bench{{n:02d}}", password={password!r})
    Extension.objects.create(user=user, number=f"1{{n:03d}}", channel=f"PJSIP/1{{n:03d}}")
"""


# --- The fake PBX, in its own process -----------------------------------------------


def serve_fake_ami(pipe: Connection) -> None:
    """Run the fake AMI; commands: ("drops", seconds or 0), ("originates",), ("stop",)."""
    stop_drops = threading.Event()

    def drop_every(ami: FakeAmi, seconds: float, stop: threading.Event) -> None:
        while not stop.wait(seconds):
            ami.drop_connections()

    with FakeAmi() as ami:
        pipe.send(ami.port)
        while True:
            command, *args = pipe.recv()
            if command == "drops":
                stop_drops.set()
                stop_drops = threading.Event()
                if args[0]:
                    threading.Thread(target=drop_every, args=(ami, args[0], stop_drops), daemon=True).start()
                pipe.send(ami.connections)
            elif command == "originates":
                pipe.send([action.get("ActionID") for action in ami.originates])
            elif command == "stop":
                stop_drops.set()
                pipe.send(None)
                return


@contextlib.contextmanager
def fake_pbx() -> Iterator[Connection]:
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(target=serve_fake_ami, args=(theirs,), daemon=True)
    process.start()
    try:
        yield ours
    finally:
        with contextlib.suppress(OSError, EOFError):
            ours.send(("stop",))
            ours.recv()
        process.join(timeout=10)


def ask(pbx: Connection, *command: object) -> object:
    pbx.send(command)
    return pbx.recv()


# --- Services: PostgreSQL database, Redis ----------------------------------------------


@contextlib.contextmanager
def postgres_database(name: str) -> Iterator[str]:
    def admin() -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True)

    with admin() as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin() as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def redis_cache() -> Iterator[tuple[str, int | None]]:
    """(``CACHE_URL``, pid) of a throwaway redis-server, or local memory when it is not installed."""
    program = shutil.which("redis-server")
    if program is None:
        yield "locmem://bench", None
        return
    port = free_port()
    process = subprocess.Popen(
        [program, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- Server CPU ------------------------------------------------------------------------


class ServerCpu:
    """CPU seconds used by the Astitray side: gunicorn's processes, their PostgreSQL backends, Redis.

    Read from ``/proc`` (Linux). The fake PBX and the clients are left out:
    a real PBX runs elsewhere. Unlike latencies, this hardly depends on what
    else the machine is doing.
    """

    def __init__(self, gunicorn_pid: int, database: str, redis_pid: int | None) -> None:
        self.gunicorn_pid = gunicorn_pid
        # "postgres: postgres NAME ...", or with Debian's cluster name: "postgres: 15/main: postgres NAME ..."
        self.backend = re.compile(rf"postgres: (?:\S+: )?postgres {re.escape(database)} ")
        self.redis_pid = redis_pid
        self.tick = os.sysconf("SC_CLK_TCK")

    def _ours(self, pid: int, stat: list[str], cmdline: str) -> bool:
        return (
            pid in (self.gunicorn_pid, self.redis_pid)
            or int(stat[1]) == self.gunicorn_pid
            or self.backend.match(cmdline) is not None
        )

    def seconds(self) -> float:
        total = 0.0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as file:
                    stat = file.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{entry}/cmdline", "rb") as file:
                    cmdline = file.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if self._ours(int(entry), stat, cmdline):
                total += (int(stat[11]) + int(stat[12])) / self.tick
        return total


# --- Clients --------------------------------------------------------------------------


@dataclass
class Tally:
    """What the clients saw: latencies, accepted call ids, faults by code, transport errors."""

    durations: list[float] = field(default_factory=list)
    cpu_s: float = 0.0
    accepted: list[str] = field(default_factory=list)
    statuses: collections.Counter = field(default_factory=collections.Counter)
    faults: collections.Counter = field(default_factory=collections.Counter)
    errors: collections.Counter = field(default_factory=collections.Counter)
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def stats(self) -> dict[str, float]:
        ordered = sorted(self.durations)
        return {
            "calls_per_s": len(ordered) / self.elapsed if self.elapsed else 0.0,
            "p50_ms": statistics.median(ordered) * 1000 if ordered else 0.0,
            "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000 if ordered else 0.0,
            "cpu_ms": self.cpu_s / len(ordered) * 1000 if ordered else 0.0,
        }


class Clients:
    """One thread per user, each with its own counter of distinct numbers."""

    def __init__(self, server: LiveServer, count: int, cpu: ServerCpu) -> None:
        self.proxies = [server.proxy(f"bench{n:02d}", PASSWORD) for n in range(count)]
        self.counters = [0] * count
        self.cpu = cpu

    def number(self, client: int) -> str:
        self.counters[client] += 1
        return f"01{client:02d}{self.counters[client]:06d}"  # a valid French number, never repeated

    def run(self, procedure: str, seconds: float, tally: Tally) -> None:
        start = threading.Barrier(len(self.proxies) + 1)
        stop_at: list[float] = []

        def client(n: int) -> None:
            start.wait()
            while time.monotonic() < stop_at[0]:
                self.call(n, procedure, tally)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(len(self.proxies))]
        for thread in threads:
            thread.start()
        cpu_before = self.cpu.seconds()
        began = time.monotonic()
        stop_at.append(began + seconds)
        start.wait()
        for thread in threads:
            thread.join()
        tally.elapsed += time.monotonic() - began
        tally.cpu_s += self.cpu.seconds() - cpu_before

    def call(self, n: int, procedure: str, tally: Tally) -> None:
        proxy = self.proxies[n]
        t0 = time.perf_counter()
        try:
            if procedure == "whoami":
                proxy.accounts.whoami()
                answer = None
            else:
                answer = proxy.dialer.dial(self.number(n))
        except xmlrpc.client.Fault as fault:
            with tally.lock:
                tally.faults[fault.faultCode] += 1
            return
        except (OSError, xmlrpc.client.ProtocolError) as exc:
            with tally.lock:
                tally.errors[type(exc).__name__] += 1
            return
        took = time.perf_counter() - t0
        with tally.lock:
            tally.durations.append(took)
            if answer is not None:
                tally.accepted.append(answer["call_id"])
                tally.statuses[answer["status"]] += 1


# --- Checks -------------------------------------------------------------------------------


def wait_for_outcomes(database_url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(database_url, autocommit=True) as db:
        while time.monotonic() < deadline:
            queued = db.execute("SELECT count(*) FROM dialer_call WHERE status = 'queued'").fetchone()
            if queued is not None and queued[0] == 0:
                return
            time.sleep(0.2)


def check(database_url: str, tallies: list[Tally], originates: list[str]) -> tuple[dict[str, int], bool]:
    accepted = [call_id for tally in tallies for call_id in tally.accepted]
    refused_with_row = sum(tally.faults[code] for tally in tallies for code in PBX_CODES)
    with psycopg.connect(database_url, autocommit=True) as db:
        rows = db.execute("SELECT call_id::text, status FROM dialer_call").fetchall()
    row_ids = collections.Counter(call_id for call_id, _ in rows)
    statuses = collections.Counter(status for _, status in rows)
    sent = collections.Counter(originates)
    accepted_set = set(accepted)
    counts = {
        "accepted": len(accepted),
        "rows": len(rows),
        "lost": sum(1 for call_id in accepted_set if row_ids[call_id] == 0),
        "duplicate_rows": sum(1 for call_id in accepted_set if row_ids[call_id] > 1),
        "refused_with_row": refused_with_row,
        "failed_rows_of_refused": sum(
            1 for call_id, status in rows if call_id not in accepted_set and status == "failed"
        ),
        "other_rows": sum(
            1 for call_id, status in rows if call_id not in accepted_set and status != "failed"
        ),
        "originates": len(originates),
        "duplicate_originates": sum(1 for count in sent.values() if count > 1),
        "unknown_originates": sum(1 for call_id in sent if call_id not in row_ids),
        "not_final": statuses["queued"],
        **{f"status_{status}": count for status, count in sorted(statuses.items())},
    }
    ok = (
        counts["lost"] == 0
        and counts["duplicate_rows"] == 0
        and len(accepted) == len(accepted_set)
        and counts["failed_rows_of_refused"] == refused_with_row
        and counts["other_rows"] == 0
        and counts["duplicate_originates"] == 0
        and counts["unknown_originates"] == 0
        and counts["not_final"] == 0
    )
    return counts, ok


def fmt(stats: dict[str, float]) -> str:
    return (
        f"{stats['calls_per_s']:.0f}/s p50 {stats['p50_ms']:.1f} ms p99 {stats['p99_ms']:.1f} ms "
        f"server CPU {stats['cpu_ms']:.2f} ms/call"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=4.0, help="per procedure and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--fault-seconds", type=float, default=15.0)
    parser.add_argument("--drop-every", type=float, default=3.0, help="seconds between the PBX's drops")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--database", default="astitray_bench_dial_load", help="PostgreSQL database (recreated)"
    )
    args = parser.parse_args()

    with (
        postgres_database(args.database) as database_url,
        redis_cache() as (cache_url, redis_pid),
        fake_pbx() as pbx,
    ):
        port = pbx.recv()
        env = {
            "SECRET_KEY": "bench-" + "x" * 60,
            "CACHE_URL": cache_url,
            "ASTITRAY_RATE_LIMIT": "1000",  # the limiter runs, and 50 busy users stay under it
            # Measure calls, not the password hash: no credential expires from the cache mid-run,
            # and the database backends (whose CPU is counted) live through the run.
            "ASTITRAY_AUTH_CACHE_SECONDS": "3600",
            "DATABASE_CONN_MAX_AGE": "3600",
            "LOG_LEVEL": "ERROR",
        }
        with LiveServer(env=env, workers=args.workers, database_url=database_url) as server:
            server.manage("shell", "-c", SETUP.format(port=port, clients=args.clients, password=PASSWORD))
            assert server.process is not None
            cpu = ServerCpu(server.process.pid, args.database, redis_pid)
            clients = Clients(server, args.clients, cpu)
            warm = Tally()
            clients.run("whoami", 1.0, warm)
            clients.run("dial", 1.0, warm)  # every worker logs in to the PBX

            whoami, dial = Tally(), Tally()
            for _ in range(args.rounds):
                clients.run("whoami", args.seconds, whoami)
                clients.run("dial", args.seconds, dial)

            faulty = Tally()
            ask(pbx, "drops", args.drop_every)
            clients.run("dial", args.fault_seconds, faulty)
            ask(pbx, "drops", 0)

            wait_for_outcomes(database_url, timeout=120)
            originates = ask(pbx, "originates")
            assert isinstance(originates, list)
            counts, ok = check(database_url, [warm, dial, faulty], originates)

    w, d = whoami.stats(), dial.stats()
    faults = dict(sum((t.faults for t in (warm, dial, faulty)), collections.Counter()))
    errors = dict(sum((t.errors for t in (warm, dial, faulty)), collections.Counter()))
    phase = (
        f"{len(faulty.accepted)} dials accepted {dict(faulty.statuses)} ({fmt(faulty.stats())}), "
        f"faults {dict(faulty.faults)}"
    )
    print(f"faults {faults or 'none'}, transport errors {errors or 'none'}; with drops: {phase}")
    print("checks: " + ", ".join(f"{key} {value}" for key, value in counts.items()))
    print(
        f"{args.clients} clients, {args.workers} workers, PostgreSQL, {cache_url.split(':')[0]} cache: "
        f"dialer.dial {fmt(d)} | accounts.whoami {fmt(w)} | "
        f"dial/whoami: p50 {d['p50_ms'] / w['p50_ms']:.2f}x, "
        f"1/throughput {w['calls_per_s'] / d['calls_per_s']:.2f}x, "
        f"server CPU {d['cpu_ms'] / w['cpu_ms']:.2f}x (target <= 2) | with drops every "
        f"{args.drop_every:g} s: {counts['accepted']} accepted dials, {counts['rows']} rows, "
        f"{counts['lost']} lost, {counts['duplicate_rows']} duplicate rows, "
        f"{counts['duplicate_originates']} duplicate originates, {counts['not_final']} not final "
        f"({counts.get('status_unknown', 0)} unknown) | checks {'OK' if ok else 'FAILED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
