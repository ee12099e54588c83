"""Benchmark: 1,000 clients waiting in ``events.wait`` on one app server, and the PBX's events reaching them.

One app server as deployed (issue 14; docs/deploying.md): gunicorn with
``deploy/gunicorn.conf.py`` (uvicorn workers serving ``astitray.asgi``; 4
workers, as the shipped ``astitray.env`` says), PostgreSQL, a throwaway
Redis as the shared cache (the wake-ups' pub/sub), multiprocess metrics,
and ``manage.py pbx_events`` as its own process. The PBX is in a process
of its own: the fake AMI replaying the recorded bytes of a real Asterisk
(``EventsAmi``: an incoming call nobody answers, transcript ami-21),
each call retargeted at another user's phone with ids of its own, and a
``FakeAmi`` that places the dials.

1. Before: ``accounts.whoami`` and ``dialer.dial`` (console of a tray: one
   client, XML-RPC with an API token, a new connection per call), in turn:
   p50 and p99; the server's memory (RSS of gunicorn's processes) and threads.
2. ``--clients`` clients (one user, one phone and one token each; XML-RPC
   with ``Authorization: Bearer``, as the tray sends, over keep-alive
   connections of one asyncio process) call ``events.wait`` with the cursor
   of their last answer and the tray's timeout (25 s), again at once after
   each answer. Once every one waits: the server's memory, threads, open
   connections per worker and CPU over a few quiet seconds.
3. While they wait: ``--calls`` incoming calls at ``--calls-per-second``,
   each to another user's phone; the fake PBX writes the recorded events
   up to the phone's ringing, then the rest ``--ring-seconds`` later (the
   caller gives up: ``missed``). Latency of an event: from the moment the
   fake PBX writes the bytes that cause it to the moment its client has
   the whole answer (the clock is the machine's monotonic one, shared by
   the processes). Meanwhile whoami and dial are measured again.
4. After the clients left: whoami and dial again. Their baseline is
   before and after together; the ratio is their p50 while the clients
   wait over that baseline (target: at most 1.5x).

Checks: every call gave its user exactly ``incoming`` then ``missed``,
nobody got an event that is not theirs, no client got a fault or lost its
connection. Exits non-zero when a check fails. Prints the figures on the
last line.

    .venv/bin/python -m bench.events [--clients 1000] [--calls 200] [--calls-per-second 5]
        [--ring-seconds 1] [--samples 100] [--wait-timeout 25] [--workers 4] [--ramp-seconds 5]
        [--database astitray_bench_events]

Small: ``--clients 100 --calls 40 --samples 40``; large: ``--clients 5000 --calls 1000``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import hashlib
import hmac
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psycopg

from bench.api_cost import Client, log, percentiles, xml_body
from bench.dial_load import ServerCpu, postgres_database, redis_cache
from testkit.liveserver import ROOT, LiveServer, free_port

Stamp = tuple[float, float]  # (time.monotonic(), time.time()): the same moment on both clocks
RECORDING = "ami-21-incoming-noanswer"  # "Marie Dubois" calls; phone 1003 rings 4 s; she gives up
RECORDED_PHONE = "1003"
FIRST_PHONE = 20000  # the waiting users' phones: PJSIP/20000, PJSIP/20001, ...
CALLER_NUMBER = "0142685300"
TARGET_P50_MS, TARGET_P99_MS, TARGET_RATIO = 100.0, 500.0, 1.5

SETUP = """
import hashlib
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from accounts.models import ApiToken, Extension
from bench.events import token_for
from drivers.models import PbxServer

PbxServer.objects.all().delete()
common = dict(driver="asterisk_ami", host="127.0.0.1", username="astitray", secret="astitray-secret",
              context="outbound", timeout_s=5)
events_pbx = PbxServer.objects.create(name="Asterisk (events)", port={events_port}, **common)
PbxServer.objects.create(name="Asterisk (dial)", port={dial_port}, is_default=True, **common)
User = get_user_model()
# A usable password (a token of a user without one is checked against the outside sources), hashed once.
hashed = make_password(token_for({seed!r}, -2))
User.objects.bulk_create(
    [User(username=f"wait{{n:05d}}", password=hashed) for n in range({clients})]
    + [User(username="caller", password=hashed)],
    batch_size=1000,
)
caller = User.objects.get(username="caller")
waiting = list(User.objects.filter(username__startswith="wait").order_by("username"))
Extension.objects.bulk_create(
    [Extension(user=caller, number="1001", channel="PJSIP/1001")]  # on the default PBX: the dials'
    + [Extension(user=user, number=str({first} + n), channel=f"PJSIP/{{{first} + n}}", pbx=events_pbx)
       for n, user in enumerate(waiting)],
    batch_size=1000,
)
ApiToken.objects.bulk_create(
    [ApiToken(user=user, label="bench", key_hash=hashlib.sha256(token_for({seed!r}, n).encode()).hexdigest())
     for n, user in [(-1, caller), *enumerate(waiting)]],
    batch_size=1000,
)
print(events_pbx.pk)
"""


def token_for(seed: str, n: int) -> str:
    """The API token of waiting user ``n`` (-1: the caller), the same in the bench and in its setup."""
    digest = hmac.new(seed.encode(), str(n).encode(), hashlib.sha256).hexdigest()
    return "astk_" + (digest + digest)[:43]


# --- The PBX, in its own process --------------------------------------------------------------


def serve_pbx(pipe: Connection) -> None:
    """The fake PBXs. Commands: ("ring", serial, phone) and ("end", serial) answer the monotonic time
    the events were written at; ("connected",); ("stop",)."""
    from testkit.fake_asterisk import FakeAmi
    from testkit.fake_asterisk.events_replay import EventsAmi, retarget, ring_and_rest
    from testkit.fake_asterisk.replay import transcript

    recording = transcript(RECORDING)
    recorded = EventsAmi(recording).unsolicited()
    pending: dict[int, bytes] = {}
    with EventsAmi(recording) as events, FakeAmi() as dials:
        pipe.send((events.port, dials.port))
        while True:
            command, *args = pipe.recv()
            if command == "ring":
                serial, phone = args
                ring, pending[serial] = ring_and_rest(retarget(recorded, RECORDED_PHONE, phone, serial))
                written = (time.monotonic(), time.time())
                events.broadcast(ring)
                pipe.send(written)
            elif command == "end":
                rest = pending.pop(args[0])
                written = (time.monotonic(), time.time())
                events.broadcast(rest)
                pipe.send(written)
            elif command == "connected":
                pipe.send(events.connected)
            elif command == "stop":
                pipe.send(None)
                return


# --- The waiting clients, in their own process ------------------------------------------------


@dataclass
class Waiters:
    """What the clients saw: each event as (client, type, id, when the answer was complete)."""

    answers: list[tuple[int, str, int, Stamp]] = field(default_factory=list)
    calls: int = 0
    first_answers: int = 0
    faults: collections.Counter = field(default_factory=collections.Counter)
    errors: collections.Counter = field(default_factory=collections.Counter)


class HttpClient:
    """One keep-alive connection POSTing XML-RPC to ``/rpc/`` (reopened when the server closes it)."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.head = (
            f"POST /rpc/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/xml\r\n"
            f"Authorization: Bearer {token}\r\nUser-Agent: bench-events\r\n"
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> tuple[int, bytes, Stamp]:
        """(HTTP status, body, (monotonic, wall) time the body was complete)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(self.head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await self.writer.drain()
        status_line = await self.reader.readuntil(b"\r\n")
        length, close, chunked = 0, False, False
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
            elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            data = b""
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                data += (await self.reader.readexactly(size + 2))[:-2]
            await self.reader.readuntil(b"\r\n")
        else:
            data = await self.reader.readexactly(length)
        complete = (time.monotonic(), time.time())
        if close:
            self.close()
        return int(status_line.split()[1]), data, complete

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def wait_loop(n: int, client: HttpClient, timeout: int, seen: Waiters) -> None:
    """One tray's long poll: a first short call for the cursor, then ``timeout``-second waits, forever."""
    cursor, wait_s = "", 1
    while True:
        try:
            status, data, complete = await client.post(xml_body("events.wait", cursor, wait_s))
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            seen.errors[type(exc).__name__] += 1
            client.close()
            await asyncio.sleep(1)
            continue
        seen.calls += 1
        if status != 200:
            seen.errors[f"HTTP {status}"] += 1
            await asyncio.sleep(1)
            continue
        try:
            answer: Any = xmlrpc.client.loads(data)[0][0]
        except xmlrpc.client.Fault as fault:
            seen.faults[fault.faultCode] += 1
            await asyncio.sleep(1)
            continue
        for event in answer["events"]:
            seen.answers.append((n, event["type"], event["id"], complete))
        if wait_s == 1:
            seen.first_answers += 1
        cursor, wait_s = answer["cursor"], timeout


def serve_waiters(pipe: Connection, port: int, tokens: list[str], timeout: int, ramp_s: float) -> None:
    """The clients. Commands: ("status",) -> (first answers, calls, errors); ("stop",) -> Waiters."""
    asyncio.run(_waiters(pipe, port, tokens, timeout, ramp_s))


async def _waiters(pipe: Connection, port: int, tokens: list[str], timeout: int, ramp_s: float) -> None:
    seen = Waiters()
    clients = [HttpClient(port, token) for token in tokens]
    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        for n, client in enumerate(clients):
            tasks.append(asyncio.create_task(wait_loop(n, client, timeout, seen)))
            await asyncio.sleep(ramp_s / len(clients))

    starting = asyncio.create_task(start())
    loop = asyncio.get_running_loop()
    while True:
        command, *_args = await loop.run_in_executor(None, pipe.recv)
        if command == "status":
            errors = sum(seen.errors.values()) + sum(seen.faults.values())
            pipe.send((seen.first_answers, seen.calls, errors))
        elif command == "stop":
            starting.cancel()
            for task in tasks:
                task.cancel()
            await asyncio.gather(starting, *tasks, return_exceptions=True)
            for client in clients:
                client.close()
            pipe.send(seen)
            return


class Child:
    """``target(pipe, *args)`` in a process of its own, asked over a pipe; ("stop",) ends it once."""

    def __init__(self, target: Any, *args: Any) -> None:
        self.pipe, theirs = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(
            target=target, args=(theirs, *args), daemon=True
        )
        self.stopped = False

    def __enter__(self) -> Child:
        self.process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def ask(self, *command: object) -> Any:
        self.pipe.send(command)
        return self.pipe.recv()

    def stop(self) -> Any:
        """Its last answer (None if it had died or was stopped already)."""
        answer = None
        if not self.stopped and self.process.is_alive():
            self.stopped = True
            with contextlib.suppress(OSError, EOFError):
                self.pipe.send(("stop",))
                if self.pipe.poll(60):
                    answer = self.pipe.recv()
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.kill()
        return answer


# --- The server's processes ------------------------------------------------------------------


def server_pids(master: int) -> list[int]:
    """gunicorn's master and its workers."""
    with open(f"/proc/{master}/task/{master}/children") as children:
        return [master, *(int(pid) for pid in children.read().split())]


def proc_status(pid: int) -> dict[str, int]:
    """RSS (kB), threads and open file descriptors of ``pid``."""
    found = {"rss_kb": 0, "threads": 0}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                found["rss_kb"] = int(line.split()[1])
            elif line.startswith("Threads:"):
                found["threads"] = int(line.split()[1])
    found["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return found


@dataclass
class Footprint:
    """The server's memory and threads at one moment: all its processes, and each worker."""

    rss_mb: float
    threads: int
    workers: list[dict[str, int]]

    @classmethod
    def of(cls, master: int) -> Footprint:
        pids = server_pids(master)
        each = [proc_status(pid) for pid in pids]
        return cls(sum(e["rss_kb"] for e in each) / 1024, sum(e["threads"] for e in each), each[1:])

    def describe(self) -> str:
        workers = ", ".join(f"{w['rss_kb'] / 1024:.0f} MB/{w['threads']}t/{w['fds']}fd" for w in self.workers)
        return f"RSS {self.rss_mb:.0f} MB, {self.threads} threads (workers: {workers})"


# --- whoami and dial, one client ---------------------------------------------------------------


class Sampler:
    """``accounts.whoami`` and ``dialer.dial`` in turn, one call at a time, a new connection each."""

    def __init__(self, port: int, token: str) -> None:
        self.client = Client(port)
        self.client.headers["Authorization"] = f"Bearer {token}"
        self.dialed = 0

    def one(self, durations: dict[str, list[float]]) -> None:
        self.dialed += 1
        number = f"0199{self.dialed:06d}"  # a valid French number, never the same twice
        for name, body in (
            ("whoami", xml_body("accounts.whoami")),
            ("dial", xml_body("dialer.dial", number)),
        ):
            started = time.perf_counter()
            self.client.result(body)
            durations[name].append(time.perf_counter() - started)

    def run(self, samples: int, until: threading.Event | None = None) -> dict[str, list[float]]:
        """``samples`` of each (and more until ``until`` is set)."""
        durations: dict[str, list[float]] = {"whoami": [], "dial": []}
        while len(durations["dial"]) < samples or (until is not None and not until.is_set()):
            self.one(durations)
        return durations


# --- The calls and their latency ----------------------------------------------------------------


@dataclass
class Written:
    """When the fake PBX wrote each call's events: (client, kind "ring" or "end", (monotonic, wall) time)."""

    times: list[tuple[int, str, Stamp]] = field(default_factory=list)


def make_calls(pbx: Child, clients: int, calls: int, per_second: float, ring_s: float) -> Written:
    """``calls`` incoming calls, ``per_second``, each to the next user's phone, ending ``ring_s`` later."""
    written = Written()
    ends: list[tuple[float, int, int]] = []  # (due, serial, client)
    started = time.monotonic()
    for serial in range(calls + 1):
        due = started + serial / per_second
        while ends and (serial == calls or ends[0][0] <= due):
            end_due, end_serial, end_client = ends.pop(0)
            time.sleep(max(0.0, end_due - time.monotonic()))
            written.times.append((end_client, "end", pbx.ask("end", end_serial)))
        if serial == calls:
            break
        time.sleep(max(0.0, due - time.monotonic()))
        client = serial % clients
        written.times.append((client, "ring", pbx.ask("ring", serial, str(FIRST_PHONE + client))))
        ends.append((time.monotonic() + ring_s, serial, client))
    return written


KIND_OF = {"incoming": "ring", "missed": "end"}


@dataclass(frozen=True)
class Latency:
    """One event: its id, seconds from the PBX's write to the client's answer, and both wall clock times."""

    event_id: int
    seconds: float
    written_at: float
    answered_at: float


def split_at_rows(found: list[Latency], database_url: str) -> tuple[list[float], list[float]]:
    """Where the time went: PBX write -> the event's row (the listener), row -> the answer (the app)."""
    with psycopg.connect(database_url, autocommit=True) as db:
        rows = db.execute(
            "SELECT id, extract(epoch FROM created)::float8 FROM events_userevent WHERE id = ANY(%s)",
            ([each.event_id for each in found],),
        ).fetchall()
    created: dict[int, float] = dict(rows)
    listener = [created[e.event_id] - e.written_at for e in found if e.event_id in created]
    app = [e.answered_at - created[e.event_id] for e in found if e.event_id in created]
    return listener, app


def latencies(written: Written, seen: Waiters) -> tuple[list[Latency], dict[str, int]]:
    """Event-to-client latencies, and the counts the checks read.

    Each user's ``incoming`` events are paired, in order, with the times their
    phone's ringing was written, their ``missed`` with the times the rest was.
    """
    expected: dict[tuple[int, str], list[Stamp]] = collections.defaultdict(list)
    for client, kind, at in written.times:
        expected[(client, kind)].append(at)
    received: dict[tuple[int, str], list[tuple[int, Stamp]]] = collections.defaultdict(list)
    other = 0
    ids: collections.Counter = collections.Counter()
    for client, type_, event_id, at in seen.answers:
        ids[event_id] += 1
        if type_ in KIND_OF:
            received[(client, KIND_OF[type_])].append((event_id, at))
        else:
            other += 1
    found: list[Latency] = []
    missing = extra = 0
    for key in set(expected) | set(received):
        times, answers = expected.get(key, []), sorted(received.get(key, []))
        found += [
            Latency(event_id, answered[0] - wrote[0], wrote[1], answered[1])
            for wrote, (event_id, answered) in zip(times, answers, strict=False)
        ]
        missing += max(0, len(times) - len(answers))
        extra += max(0, len(answers) - len(times))
    counts = {
        "expected": len(written.times),
        "received": len(seen.answers),
        "missing": missing,
        "extra": extra,
        "other": other,
        "duplicates": sum(1 for count in ids.values() if count > 1),
    }
    return found, counts


def p50_p99(durations: list[float]) -> tuple[float, float]:
    return percentiles(durations) if durations else (0.0, 0.0)


# --- main ------------------------------------------------------------------------------------------


def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.2)


def database_connections(database_url: str, name: str) -> int:
    """Connections PostgreSQL has open to the bench's database (the server's, the listener's)."""
    with psycopg.connect(database_url, autocommit=True) as db:
        row = db.execute("SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = %s", (name,)).fetchone()
    return int(row[0]) if row else 0


def redis_connections(cache_url: str) -> int:
    """Clients the bench's own Redis has connected (the server's and the listener's), this ask aside."""
    if not cache_url.startswith("redis://"):
        return 0
    import redis

    with redis.Redis.from_url(cache_url) as client:
        return int(client.info("clients")["connected_clients"]) - 1


class Connections:
    """The server's (and listener's) connections to PostgreSQL and Redis, each time they are counted."""

    def __init__(self, database_url: str, name: str, cache_url: str) -> None:
        self.database_url, self.name, self.cache_url = database_url, name, cache_url
        self.seen: list[tuple[int, int]] = []

    def count(self) -> str:
        self.seen.append(
            (database_connections(self.database_url, self.name), redis_connections(self.cache_url))
        )
        database, redis = self.seen[-1]
        return f"{database} database connections, {redis} Redis connections"


def listener_connected(database_url: str) -> bool:
    with psycopg.connect(database_url, autocommit=True) as db:
        row = db.execute("SELECT count(*) FROM events_listenerlease WHERE connected").fetchone()
    return bool(row and row[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=200, help="incoming calls while the clients wait")
    parser.add_argument("--calls-per-second", type=float, default=5.0)
    parser.add_argument("--ring-seconds", type=float, default=1.0, help="from the ringing to the call's end")
    parser.add_argument("--samples", type=int, default=100, help="whoami and dial calls per phase (at least)")
    parser.add_argument("--wait-timeout", type=int, default=25, help="events.wait's timeout (the tray's: 25)")
    parser.add_argument("--workers", type=int, default=4, help="WEB_CONCURRENCY (astitray.env ships 4)")
    parser.add_argument("--ramp-seconds", type=float, default=5.0, help="the clients connect over this long")
    parser.add_argument("--quiet-seconds", type=float, default=5.0, help="server CPU while they just wait")
    parser.add_argument("--database", default="astitray_bench_events", help="PostgreSQL database (recreated)")
    args = parser.parse_args()
    seed = os.urandom(8).hex()

    with (
        tempfile.TemporaryDirectory(prefix="astitray-bench-events-") as tmp,
        postgres_database(args.database) as database_url,
        redis_cache() as (cache_url, redis_pid),
        Child(serve_pbx) as pbx,
    ):
        events_port, dial_port = pbx.pipe.recv()
        port = free_port()
        env = {
            "SECRET_KEY": "bench-" + "x" * 60,
            "CACHE_URL": cache_url,
            "ASTITRAY_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(args.workers),
            "PROMETHEUS_MULTIPROC_DIR": tmp,
            "ASTITRAY_RATE_LIMIT": "0",  # no limit: one client dials hundreds of times a minute here
            "LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "deploy/gunicorn.conf.py")]
        server = LiveServer(
            env=env,
            database_url=database_url,
            command=[*command, "astitray.asgi:application"],
            port=port,
            log_path=Path(tmp) / "gunicorn.log",  # its access log: a line per request
        )
        log(f"migrating, starting {args.workers} uvicorn workers (PostgreSQL, {cache_url.split(':', 1)[0]})")
        with server:
            setup = SETUP.format(
                events_port=events_port,
                dial_port=dial_port,
                clients=args.clients,
                first=FIRST_PHONE,
                seed=seed,
            )
            events_pbx = int(server.manage("shell", "-c", setup).split()[-1])
            with open(Path(tmp) / "pbx_events.log", "ab") as output:
                listener = subprocess.Popen(
                    [sys.executable, "manage.py", "pbx_events", "--pbx", str(events_pbx)],
                    cwd=ROOT, env=server.env, stdout=output, stderr=output,
                )  # fmt: skip
            try:
                return run(args, server, pbx, database_url, redis_pid, seed, cache_url)
            except Exception:
                for name in ("gunicorn.log", "pbx_events.log"):  # what the server said, for the reader
                    lines = (Path(tmp) / name).read_text(errors="replace").splitlines()
                    log(
                        f"{name}, last lines:\n"
                        + "\n".join(line for line in lines if "POST /rpc/" not in line)[-3000:]
                    )
                raise
            finally:
                listener.terminate()
                listener.wait(timeout=30)


def run(  # noqa: PLR0917 (the run's parts, in order)
    args: argparse.Namespace,
    server: LiveServer,
    pbx: Child,
    database_url: str,
    redis_pid: int | None,
    seed: str,
    cache_url: str,
) -> int:
    assert server.process is not None
    master = server.process.pid
    wait_for(lambda: listener_connected(database_url) and pbx.ask("connected"), 60, "the listener connecting")
    sampler = Sampler(server.port, token_for(seed, -1))
    warm_up(server.port, token_for(seed, -1))
    log("before: whoami and dial")
    before = sampler.run(args.samples)
    idle = Footprint.of(master)
    opened = Connections(database_url, args.database, cache_url)
    log(f"before: {idle.describe()}, {opened.count()}")

    tokens = [token_for(seed, n) for n in range(args.clients)]
    cpu = ServerCpu(master, args.database, redis_pid)
    with Child(serve_waiters, server.port, tokens, args.wait_timeout, args.ramp_seconds) as waiters:
        log(f"{args.clients} clients connecting")
        wait_for(
            lambda: waiters.ask("status")[0] >= args.clients, 120 + args.ramp_seconds, "every client waiting"
        )
        time.sleep(2)  # their second call reaches the server, which waits on it
        cpu_before, quiet_from = cpu.seconds(), time.monotonic()
        time.sleep(args.quiet_seconds)
        quiet_cpu = (cpu.seconds() - cpu_before) / (time.monotonic() - quiet_from)
        waiting = Footprint.of(master)
        log(f"waiting: {waiting.describe()}, CPU {quiet_cpu:.0%} of a core, {opened.count()}")

        log(f"{args.calls} calls at {args.calls_per_second:g}/s; whoami and dial meanwhile")
        calls_done = threading.Event()
        made: list[Written] = []

        def calling() -> None:
            try:
                made.append(
                    make_calls(pbx, args.clients, args.calls, args.calls_per_second, args.ring_seconds)
                )
            finally:
                calls_done.set()

        producer = threading.Thread(target=calling)
        producer.start()
        during = sampler.run(args.samples, until=calls_done)
        producer.join()
        time.sleep(2)  # the last events reach their clients
        busiest = max(waiting, Footprint.of(master), key=lambda f: f.rss_mb)
        opened.count()
        seen: Waiters = waiters.stop()
    log("after: whoami and dial")
    after = sampler.run(args.samples)

    found, counts = latencies(made[0], seen)
    split = split_at_rows(found, database_url)
    ok = (
        counts["missing"] == 0 and counts["extra"] == 0 and counts["other"] == 0 and counts["duplicates"] == 0
        and not seen.errors and not seen.faults
    )  # fmt: skip
    log(
        f"checks: {counts}, client faults {dict(seen.faults)}, errors {dict(seen.errors)}, calls {seen.calls}"
    )
    log(f"database, Redis connections (before, waiting, after the calls): {opened.seen}")
    counts["database_connections"] = max(database for database, _ in opened.seen)
    counts["redis_connections"] = max(redis for _, redis in opened.seen)
    return report(args, found, split, before, during, after, idle, busiest, quiet_cpu, counts, ok, cache_url)


def warm_up(port: int, token: str) -> None:
    """Calls on parallel connections: every worker has imported and connected before the first figure."""

    def calls() -> None:
        client = Client(port)
        client.headers["Authorization"] = f"Bearer {token}"
        for _ in range(5):
            client.result(xml_body("accounts.whoami"))

    threads = [threading.Thread(target=calls) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def report(  # noqa: PLR0917 (every figure of the run)
    args: argparse.Namespace,
    found: list[Latency],
    split: tuple[list[float], list[float]],
    before: dict[str, list[float]],
    during: dict[str, list[float]],
    after: dict[str, list[float]],
    idle: Footprint,
    waiting: Footprint,
    quiet_cpu: float,
    counts: dict[str, int],
    ok: bool,
    cache_url: str,
) -> int:
    p50, p99 = p50_p99([each.seconds for each in found])
    (listener50, listener99), (app50, app99) = (p50_p99(part) for part in split)
    parts = []
    for name in ("whoami", "dial"):
        base50, _base99 = p50_p99(before[name] + after[name])
        load50, load99 = p50_p99(during[name])
        ratio = load50 / base50 if base50 else 0.0
        met = "met" if ratio <= TARGET_RATIO else "MISSED"
        parts.append(
            f"{name} p50 {base50:.1f} -> {load50:.1f} ms ({ratio:.2f}x, target <= {TARGET_RATIO:g}x {met}; "
            f"p99 waiting {load99:.1f} ms)"
        )
    extra_mb = waiting.rss_mb - idle.rss_mb
    per_client_kb = extra_mb * 1024 / args.clients
    threads_per_client = (waiting.threads - idle.threads) / args.clients
    cache = cache_url.split(":", maxsplit=1)[0]
    unexpected = counts["extra"] + counts["other"] + counts["duplicates"]
    p50_met = "met" if p50 < TARGET_P50_MS else "MISSED"
    p99_met = "met" if p99 < TARGET_P99_MS else "MISSED"
    print(
        f"{args.clients} clients waiting, {args.workers} uvicorn workers, PostgreSQL, "
        f"{cache}: event-to-client p50 {p50:.1f} ms (target < {TARGET_P50_MS:.0f} {p50_met}) "
        f"p99 {p99:.1f} ms (target < {TARGET_P99_MS:.0f} {p99_met}) over {len(found)} events "
        f"(PBX to row p50/p99 {listener50:.1f}/{listener99:.1f} ms, row to client {app50:.1f}/{app99:.1f}) | "
        f"server RSS {idle.rss_mb:.0f} -> {waiting.rss_mb:.0f} MB ({per_client_kb:.1f} kB/client), "
        f"threads {idle.threads} -> {waiting.threads} ({threads_per_client:.3f}/client), "
        f"CPU {quiet_cpu:.0%} of a core while they wait, "
        f"up to {counts['database_connections']} PostgreSQL connections, "
        f"{counts['redis_connections']} Redis connections | " + " | ".join(parts) + " | "
        f"events: {counts['expected']} written, {counts['received']} received, {counts['missing']} missing, "
        f"{unexpected} unexpected | checks {'OK' if ok else 'FAILED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
