"""Benchmark: AMI originates through the persistent connection vs a new connection per call.

Both against the fake AMI server on loopback (``tests.fake_asterisk``, in a
process of its own, as a PBX would be: it does not share our interpreter
lock), in one run:

a) the ``asterisk_ami`` driver: one connection, logged in once, shared;
   each call is one Originate and its answer.
b) what other click-to-dial tools do: for each call, connect, read the
   banner, log in (plaintext), Originate, read the answer, log off, close
   (a plain blocking socket, no threads: the cheapest way to do it).

Prints originates per second and p50/p99 latency of both, and their
ratio, on the last line.

    .venv/bin/python -m bench.dial [--calls 2000] [--per-call-calls 500]
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
from multiprocessing.connection import Connection

from bench.liveserver import fmt, measure
from drivers.ami.originate import originate_headers
from drivers.ami.protocol import Framer, Message, encode_action
from drivers.asterisk_ami import AsteriskAmiDriver
from drivers.base import OriginateRequest, PbxConfig
from tests.fake_asterisk import FakeAmi

SECRET = "astitray-secret"


def request(n: int) -> OriginateRequest:
    return OriginateRequest(
        channel="PJSIP/1001",
        number="0044207946095",
        context="outbound",
        caller_id='"Alice" <1001>',
        call_id=f"bench-{n}",
    )


def read_answer(sock: socket.socket, framer: Framer, action_id: str) -> Message:
    while True:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        for message in framer.feed(data):
            if message.is_response and message.action_id == action_id:
                return message


def one_shot_originate(port: int, n: int) -> None:
    """Connect, log in, Originate, log off: one call, one connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        framer = Framer()
        sock.sendall(encode_action("Login", [("Username", "astitray"), ("Secret", SECRET)], f"l{n}"))
        if not read_answer(sock, framer, f"l{n}").ok:
            raise RuntimeError("login refused")
        headers = originate_headers(request(n), "outbound")
        sock.sendall(encode_action("Originate", headers, f"o{n}"))
        if not read_answer(sock, framer, f"o{n}").ok:
            raise RuntimeError("originate refused")
        sock.sendall(encode_action("Logoff", [], f"b{n}"))
        read_answer(sock, framer, f"b{n}")


def serve_fake_ami(pipe: Connection) -> None:
    """In its own process: run the fake AMI, send its port, wait for "stop", send the originate count."""
    with FakeAmi() as ami:
        pipe.send(ami.port)
        pipe.recv()
        pipe.send(len(ami.originates))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls through the persistent connection")
    parser.add_argument("--per-call-calls", type=int, default=500, help="calls with a connection each")
    args = parser.parse_args()

    ours, theirs = multiprocessing.Pipe()
    fake = multiprocessing.get_context("spawn").Process(target=serve_fake_ami, args=(theirs,), daemon=True)
    fake.start()
    try:
        port = ours.recv()
        config = PbxConfig(
            name="bench", host="127.0.0.1", port=port, username="astitray", secret=SECRET, context="outbound"
        )
        driver = AsteriskAmiDriver(config)
        counter = iter(range(10**9))
        driver.originate(request(next(counter)))  # connect and log in once
        persistent = measure(lambda: driver.originate(request(next(counter))), args.calls)
        driver.close()
        per_call = measure(lambda: one_shot_originate(port, next(counter)), args.per_call_calls)
        ours.send("stop")
        assert ours.recv() == 1 + args.calls + args.per_call_calls  # every originate reached the PBX
    finally:
        fake.join(timeout=10)
    ratio = persistent["calls_per_s"] / per_call["calls_per_s"]
    print(
        f"AMI originate, persistent connection: {fmt(persistent)} | new connection+login+logoff per call: "
        f"{fmt(per_call)} | persistent {ratio:.1f}x the calls/s"
    )


if __name__ == "__main__":
    main()
