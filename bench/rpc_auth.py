"""Benchmark: authenticated ``accounts.whoami`` calls, with and without the authentication cache.

Runs against a live gunicorn server (SQLite, Django's default password hash,
the one production uses). Prints its figures on the last line.

    .venv/bin/python -m bench.rpc_auth [--calls 300] [--uncached-calls 20]
"""

from __future__ import annotations

import argparse

from testkit.liveserver import LiveServer, fmt, measure

SETUP = """
from django.contrib.auth import get_user_model
from accounts.models import Extension
user = get_user_model().objects.create_user("alice", password="bench-Password-1")
Extension.objects.create(user=user, number="1001", channel="PJSIP/1001")
"""


def run(cache_seconds: int, calls: int) -> dict[str, float]:
    with LiveServer(env={"ASTITRAY_AUTH_CACHE_SECONDS": str(cache_seconds)}) as server:
        server.manage("shell", "-c", SETUP)
        proxy = server.proxy("alice", "bench-Password-1")
        assert proxy.accounts.whoami()["extension"] == "1001"  # warm-up, fills the cache
        return measure(proxy.accounts.whoami, calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls with the cache on")
    parser.add_argument("--uncached-calls", type=int, default=20, help="calls with the cache off (slow)")
    args = parser.parse_args()

    cached = run(60, args.calls)
    uncached = run(0, args.uncached_calls)
    ratio = cached["calls_per_s"] / uncached["calls_per_s"]
    print(f"whoami cache on: {fmt(cached)} | cache off: {fmt(uncached)} | cache speed-up {ratio:.1f}x")


if __name__ == "__main__":
    main()
