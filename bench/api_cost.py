"""Benchmark: what one API call costs, as a multiple of the framework's own floor (issue 16).

In one run, against gunicorn with ONE sync worker and one sequential client
(calls of every kind interleaved in rounds, so that the machine's noise
falls on all of them alike):

- a bare WSGI app answering a fixed XML-RPC response (``bench.wsgi_floor``);
- ``system.listMethods`` (Django and django-modern-rpc, no authentication):
  the baseline every ratio is taken against;
- ``accounts.whoami`` with the credentials in the authentication cache,
  ``dialer.normalize``, ``dialer.dial`` (the console driver, a new number
  each time), ``phonebook.search`` over 2,000 and 100,000 generated contacts
  (1,000,000 with ``--million``).

On SQLite, and on PostgreSQL too when ``DATABASE_URL`` names one (its
database is dropped and created). Then, unless ``--no-throughput``,
calls per second of ``accounts.whoami`` and of ``system.listMethods`` on
gunicorn as deployed (``deploy/gunicorn.conf.py``: ``astitray.asgi`` in
uvicorn workers, two per core plus one, multiprocess metrics) with one client process per worker. The cache is
the deployment's, a throwaway Redis (when ``redis-server`` is installed), or
with ``--cache locmem`` the embedded default (each process its own).

Prints, on its last line, p50/p99 (ms) of each and the CPU time its worker
spent per call (read from ``/proc``: on a busy machine it varies far less
than latencies), and each as a multiple of ``system.listMethods`` against the
issue's targets (which are on p50).

    .venv/bin/python -m bench.api_cost [--calls 200] [--million] [--no-throughput] [--cache locmem]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/astitray_bench_api_cost .venv/bin/python -m bench.api_cost
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.client
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
import xmlrpc.client
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench.phonebook import fill_postgres, fill_sqlite, person, queries, recreate_postgres_database
from testkit.liveserver import ROOT, LiveServer, free_port

PASSWORD = "bench-Password-1"
SETUP = f"""
from django.contrib.auth import get_user_model
from accounts.models import Extension
user = get_user_model().objects.create_user("alice", password="{PASSWORD}", first_name="Alice")
Extension.objects.create(user=user, number="1001", channel="PJSIP/1001")
"""
# No rate limit, no lockout surprises: every call does the whole work of its procedure.
SERVER_ENV = {"ASTITRAY_RATE_LIMIT": "0", "ASTITRAY_AUTH_CACHE_SECONDS": "3600"}
# The issue's targets: a procedure's p50 at most this many times listMethods' p50.
TARGETS = {
    "whoami": 2.0,
    "normalize": 2.0,
    "dial": 3.0,
    "search 100,000": 3.0,
    "search 1,000,000": 4.0,
}
THROUGHPUT_TARGET = 0.40  # whoami calls/s at least this share of listMethods calls/s
SIZES = (2_000, 100_000)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the client: one HTTP request per call, as prepared as it can be ---------------------------


def xml_body(method: str, *params: Any) -> bytes:
    return xmlrpc.client.dumps(params, method).encode()


class Client:
    """POSTs prepared XML-RPC bodies to ``/rpc/`` on a port; refuses any answer but a result."""

    def __init__(self, port: int, username: str = "", password: str = "") -> None:
        self.port = port
        self.headers = {"Content-Type": "text/xml"}
        if username:
            token = base64.b64encode(f"{username}:{password}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"

    def call(self, body: bytes) -> bytes:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("POST", "/rpc/", body, self.headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        if response.status != 200 or b"<fault>" in data:
            raise RuntimeError(f"unexpected answer {response.status}: {data[:300]!r}")
        return data

    def result(self, body: bytes) -> Any:
        return xmlrpc.client.loads(self.call(body))[0][0]


def cycling(bodies: list[bytes]) -> Iterator[bytes]:
    while True:
        yield from bodies


Target = tuple[Callable[[], object], int]  # a call, and the pid of the worker that answers it


def interleaved(targets: dict[str, Target], calls: int, per_round: int = 2) -> dict:
    """{name: (p50 ms, p99 ms, worker CPU ms per call)}: ``calls`` calls of each target, in turn."""
    for call, _pid in targets.values():  # warm-up: imports, connections, caches
        for _ in range(5):
            call()
    durations: dict[str, list[float]] = {name: [] for name in targets}
    cpu = dict.fromkeys(targets, 0.0)
    for _ in range(max(1, calls // per_round)):
        for name, (call, pid) in targets.items():
            cpu_before = cpu_seconds(pid)
            for _ in range(per_round):
                started = time.perf_counter()
                call()
                durations[name].append(time.perf_counter() - started)
            cpu[name] += cpu_seconds(pid) - cpu_before
    return {
        name: (*percentiles(values), cpu[name] * 1000 / len(values)) for name, values in durations.items()
    }


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far (counted in clock ticks: add many calls up)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pid(server: LiveServer) -> int:
    """The pid of the one gunicorn worker of ``server``."""
    assert server.process is not None
    master = server.process.pid
    with open(f"/proc/{master}/task/{master}/children") as children:
        return int(children.read().split()[0])


def percentiles(durations: list[float]) -> tuple[float, float]:
    ordered = sorted(durations)
    p99 = ordered[min(len(ordered) - 1, round(len(ordered) * 0.99) - 1)]
    return statistics.median(ordered) * 1000, p99 * 1000


# --- the servers -----------------------------------------------------------------------------


@contextmanager
def floor_server() -> Iterator[LiveServer]:
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "bench.wsgi_floor:application", "--workers", "1"]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    with LiveServer(command=command, port=port, migrate=False) as server:
        yield server


def app_server(cache_url: str, database_url: str = "") -> LiveServer:
    """The Astitray server with one sync worker (what the latencies are measured on); SQLite by default."""
    env = {**SERVER_ENV, **({"CACHE_URL": cache_url} if cache_url else {})}
    return LiveServer(env=env, workers=1, database_url=database_url)


def start_cache(stack: ExitStack, wanted: str) -> tuple[str, str]:
    """(name, CACHE_URL) of the servers' cache: a throwaway Redis as deployed, or the default (locmem)."""
    if wanted == "redis" and shutil.which("redis-server"):
        from testkit.redis_server import RedisServer

        return "redis", stack.enter_context(RedisServer()).url
    return "locmem", ""


class Database:
    """Where the contacts go: a SQLite file or a PostgreSQL database, filled up to a size."""

    def __init__(self, server: LiveServer) -> None:
        self.url = server.env["DATABASE_URL"]
        self.kind = "postgres" if self.url.startswith("postgres") else "sqlite"
        self.size = 0

    def fill(self, size: int) -> None:
        log(f"{self.kind}: generating contacts {self.size:,} to {size:,}")
        if self.kind == "postgres":
            fill_postgres(self.url, self.size, size)
        else:
            fill_sqlite(self.url.removeprefix("sqlite:///"), self.size, size)
        self.size = size


def search(client: Client, bodies: Iterator[bytes]) -> bytes:
    return client.call(next(bodies))


def latencies(server: LiveServer, floor_server: LiveServer, sizes: list[int], calls: int) -> dict:
    """{label: (p50, p99, CPU)} of every target on ``server`` (empty phonebook at the start)."""
    server.manage("shell", "-c", SETUP)
    anonymous, alice = Client(server.port), Client(server.port, "alice", PASSWORD)
    floor = Client(floor_server.port)
    pid, floor_pid = worker_pid(server), worker_pid(floor_server)
    list_methods = xml_body("system.listMethods")
    whoami = xml_body("accounts.whoami")
    me = alice.result(whoami)
    assert isinstance(me, dict) and me["can_dial"], f"alice cannot dial: {me}"
    texts = cycling([xml_body("dialer.normalize", t) for t in ("+44 (0)20 7946 0958", "01 23 45 67 89")])
    dials = (xml_body("dialer.dial", f"+331{20_000_000 + n:08d}") for n in range(10**7))
    assert isinstance(alice.result(next(dials)), dict)

    database = Database(server)
    found: dict[str, tuple[float, ...]] = {}
    for size in sizes:
        database.fill(size)
        names, digits = queries(size)
        searches = cycling([xml_body("phonebook.search", q, 20) for q in names + digits])
        expected = person(17 % size)["name"]
        hits = alice.result(xml_body("phonebook.search", expected, 20))
        assert isinstance(hits, list) and hits and hits[0]["name"] == expected, hits[:1]
        targets: dict[str, Target] = {"listMethods": (lambda: anonymous.call(list_methods), pid)}
        if size == sizes[0]:
            targets |= {
                "floor": (lambda: floor.call(list_methods), floor_pid),
                "whoami": (lambda: alice.call(whoami), pid),
                "normalize": (lambda: alice.call(next(texts)), pid),
                "dial": (lambda: alice.call(next(dials)), pid),
            }
        targets[f"search {size:,}"] = (functools.partial(search, alice, searches), pid)
        log(f"{database.kind}: measuring {', '.join(targets)}")
        measured = interleaved(targets, calls)
        base = measured.pop("listMethods")
        found.setdefault("listMethods", base)
        for name, figures in measured.items():
            # Each ratio against the listMethods of its own rounds.
            found[name] = figures
            found[f"{name}/listMethods"] = (figures[0] / base[0], figures[2] / max(base[2], 1e-6))
    return found


# --- throughput ------------------------------------------------------------------------------


def _client_loop(args: tuple[int, str, bytes, float]) -> int:
    port, authorization, body, until = args
    client = Client(port)
    if authorization:
        client.headers["Authorization"] = authorization
    count = 0
    while time.time() < until:
        client.call(body)
        count += 1
    return count


def throughput(cache_url: str, database_url: str, seconds: float, rounds: int = 3) -> dict[str, Any]:
    """Calls/s of listMethods and whoami on gunicorn as deployed, every worker busy."""
    with ExitStack() as stack:
        env = {**SERVER_ENV, **({"CACHE_URL": cache_url} if cache_url else {})}
        metrics_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="astitray-metrics-"))
        env["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        if database_url:
            recreate_postgres_database(database_url)
        port = free_port()
        env["ASTITRAY_BIND"] = f"127.0.0.1:{port}"
        command = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "deploy/gunicorn.conf.py")]
        # gunicorn.conf.py writes the access log to standard output: to a file here.
        log_path = Path(metrics_dir) / "gunicorn.log"
        server = LiveServer(
            env=env,
            database_url=database_url,
            command=[*command, "astitray.asgi:application"],  # as deployed: uvicorn workers
            port=port,
            log_path=log_path,
        )
        stack.enter_context(server)
        server.manage("shell", "-c", SETUP)
        alice = Client(port, "alice", PASSWORD)
        alice.result(xml_body("accounts.whoami"))
        workers = (os.cpu_count() or 1) * 2 + 1
        bodies = {
            "listMethods": ("", xml_body("system.listMethods")),
            "whoami": (alice.headers["Authorization"], xml_body("accounts.whoami")),
        }
        counts = dict.fromkeys(bodies, 0.0)
        with multiprocessing.Pool(workers) as pool:
            for _ in range(rounds):
                for name, (authorization, body) in bodies.items():
                    until = time.time() + seconds
                    jobs = [(port, authorization, body, until)] * workers
                    counts[name] += sum(pool.map(_client_loop, jobs))
        label = f"{workers} workers, {'postgres' if database_url else 'sqlite'}"
    rates = {name: count / (seconds * rounds) for name, count in counts.items()}
    log(f"throughput ({label}): {rates}")
    return {"label": label, "rates": rates}


# --- main ------------------------------------------------------------------------------------


def verdict(ratio: float, target: float) -> str:
    return f"{ratio:.2f}x (target <= {target:g}x {'met' if ratio <= target else 'MISSED'})"


def summary(kind: str, found: dict) -> str:
    """One database's figures: p50/p99 ms, the worker's CPU ms per call, ratios against listMethods."""
    parts = []
    for name, (p50, p99, cpu) in ((k, v) for k, v in found.items() if "/" not in k):
        parts.append(f"{name} {p50:.2f}/{p99:.2f}/{cpu:.2f}")
    ratios = []
    for name, (p50_ratio, cpu_ratio) in ((k, v) for k, v in found.items() if "/" in k):
        label = name.removesuffix("/listMethods")
        target = TARGETS.get(label)
        shown = verdict(p50_ratio, target) if target else f"{p50_ratio:.2f}x"
        ratios.append(f"{label} {shown} CPU {cpu_ratio:.2f}x")
    return (
        f"{kind}: p50/p99/CPU ms "
        + ", ".join(parts)
        + " | p50 (and CPU) vs listMethods: "
        + ", ".join(ratios)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="measured calls of each procedure per phase")
    parser.add_argument("--million", action="store_true", help="also search 1,000,000 contacts (slow)")
    parser.add_argument("--no-throughput", action="store_true", help="latencies only")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each throughput round")
    parser.add_argument(
        "--cache",
        choices=["redis", "locmem"],
        default="redis",
        help="the servers' cache: a throwaway Redis as deployed (default), or the embedded default",
    )
    args = parser.parse_args()
    sizes = [*SIZES, *([1_000_000] if args.million else [])]
    postgres_url = os.environ.get("DATABASE_URL", "")
    if postgres_url and not postgres_url.startswith("postgres"):
        raise SystemExit("DATABASE_URL: a PostgreSQL database this benchmark may drop and create")

    lines = []
    with ExitStack() as stack:
        cache, cache_url = start_cache(stack, args.cache)
        floor = stack.enter_context(floor_server())
        with app_server(cache_url) as server:
            lines.append(summary(f"sqlite, {cache}", latencies(server, floor, sizes, args.calls)))
        if postgres_url:
            recreate_postgres_database(postgres_url)
            with app_server(cache_url, postgres_url) as server:
                found = latencies(server, floor, sizes, args.calls)
                lines.append(summary(f"postgres, {cache}", found))
        if not args.no_throughput:
            lines.append(throughput_line(throughput(cache_url, postgres_url, args.seconds), cache))
    print("api_cost: " + " || ".join(lines))


def throughput_line(measured: dict[str, Any], cache: str) -> str:
    rates = measured["rates"]
    share = rates["whoami"] / rates["listMethods"]
    met = "met" if share >= THROUGHPUT_TARGET else "MISSED"
    return (
        f"throughput ({measured['label']}, {cache}): listMethods {rates['listMethods']:.0f}/s, "
        f"whoami {rates['whoami']:.0f}/s = {share:.0%} (target >= {THROUGHPUT_TARGET:.0%} {met})"
    )


if __name__ == "__main__":
    main()
