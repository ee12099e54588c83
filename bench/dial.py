"""Benchmark: originates through the driver's persistent connection vs a new connection per call.

For each PBX family, against its fake on loopback (``testkit.fake_asterisk``'s
AMI, ``testkit.fake_freeswitch``'s Event Socket; each in a process of its
own, as a PBX would be: it does not share our interpreter lock), in one run:

a) the driver (``asterisk_ami``, ``freeswitch_esl``): one connection,
   logged in once, shared; each call is one Originate and its answer (ESL:
   the job's filter and the ``bgapi originate``, in one write, and their
   two replies).
b) what other click-to-dial tools do: for each call, connect, log in (AMI:
   read the banner, plaintext Login; ESL: ``auth/request``, ``auth``), send
   the originate, read the answer, log off (``exit``), close (a plain
   blocking socket, no threads: the cheapest way to do it).

Prints originates per second and p50/p99 latency of both, and their
ratio, per family, on the last line.

    .venv/bin/python -m bench.dial [--pbx ami|esl|both] [--calls 2000] [--per-call-calls 500]
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import uuid
from multiprocessing.connection import Connection

from drivers.asterisk.ami import AsteriskAmiDriver
from drivers.asterisk.manager.originate import originate_headers
from drivers.asterisk.manager.protocol import Framer, Message, encode_action
from drivers.base import OriginateRequest, PbxConfig
from drivers.freeswitch.esl import FreeSwitchEslDriver
from drivers.freeswitch.originate import originate_command
from drivers.freeswitch.protocol import Framer as EslFramer
from drivers.freeswitch.protocol import encode_command
from testkit.fake_asterisk import FakeAmi
from testkit.fake_freeswitch import FakeEsl
from testkit.known_secrets import AMI_SECRET, ESL_PASSWORD
from testkit.liveserver import fmt, measure

SECRET = AMI_SECRET


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


def esl_request(n: int) -> OriginateRequest:
    return OriginateRequest(
        channel="user/1001",
        number="0044207946095",
        context="outbound",
        caller_id='"Alice" <1001>',
        call_id=str(uuid.UUID(int=n)),
    )


def read_esl_reply(sock: socket.socket, framer: EslFramer, content_type: str) -> None:
    while True:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        for message in framer.feed(data):
            if message.content_type == content_type:
                if content_type == "command/reply" and not message.ok:
                    raise RuntimeError(message.reply_text)
                return


def one_shot_esl_originate(port: int, n: int) -> None:
    """Connect, auth, bgapi originate, exit: one call, one connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        framer = EslFramer()
        read_esl_reply(sock, framer, "auth/request")
        sock.sendall(encode_command(f"auth {ESL_PASSWORD}"))
        read_esl_reply(sock, framer, "command/reply")
        call = esl_request(n)
        line = originate_command(call, "outbound", call.call_id, call.call_id)
        sock.sendall(encode_command(line, [("Job-UUID", str(uuid.uuid4()))]))
        read_esl_reply(sock, framer, "command/reply")
        sock.sendall(encode_command("exit"))
        read_esl_reply(sock, framer, "command/reply")


def serve_fake(pbx: str, pipe: Connection) -> None:
    """In its own process: run the fake PBX, send its port, wait for "stop", send the originate count."""
    with FakeAmi() if pbx == "ami" else FakeEsl() as fake:
        pipe.send(fake.port)
        pipe.recv()
        pipe.send(len(fake.originates))


def run(pbx: str, calls: int, per_call_calls: int) -> str:
    """Both ways against the fake of ``pbx`` (``ami``, ``esl``): the figures, in words."""
    ours, theirs = multiprocessing.Pipe()
    fake = multiprocessing.get_context("spawn").Process(target=serve_fake, args=(pbx, theirs), daemon=True)
    fake.start()
    try:
        port = ours.recv()
        counter = iter(range(1, 10**9))
        if pbx == "ami":
            config = PbxConfig(
                name="bench", port=port, username="astitray", secret=SECRET, context="outbound"
            )
            driver: AsteriskAmiDriver | FreeSwitchEslDriver = AsteriskAmiDriver(config)
            make, one_shot = request, one_shot_originate
        else:
            driver = FreeSwitchEslDriver(PbxConfig(name="bench", port=port, secret=ESL_PASSWORD))
            make, one_shot = esl_request, one_shot_esl_originate
        driver.originate(make(next(counter)))  # connect and log in once
        persistent = measure(lambda: driver.originate(make(next(counter))), calls)
        driver.close()
        per_call = measure(lambda: one_shot(port, next(counter)), per_call_calls)
        ours.send("stop")
        assert ours.recv() == 1 + calls + per_call_calls  # every originate reached the PBX
    finally:
        fake.join(timeout=10)
    ratio = persistent["calls_per_s"] / per_call["calls_per_s"]
    return (
        f"{pbx.upper()} originate, persistent connection: {fmt(persistent)} | new connection+login+"
        f"logoff per call: {fmt(per_call)} | persistent {ratio:.1f}x the calls/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pbx", choices=("ami", "esl", "both"), default="both", help="which PBX family")
    parser.add_argument("--calls", type=int, default=2000, help="calls through the persistent connection")
    parser.add_argument("--per-call-calls", type=int, default=500, help="calls with a connection each")
    args = parser.parse_args()
    families = ("ami", "esl") if args.pbx == "both" else (args.pbx,)
    print(" || ".join(run(pbx, args.calls, args.per_call_calls) for pbx in families))


if __name__ == "__main__":
    main()
