"""A fake FreeSWITCH Event Socket whose every answer is bytes a real FreeSWITCH 1.10.12 sent.

:class:`FakeEsl` keeps the state a real Event Socket keeps per connection
(logged in or not, the events subscribed, the filters) and answers each
command with the recorded message for it (``recorded/``, cut by
:mod:`testkit.fake_freeswitch.recording`): the ``auth/request`` on
connect, ``+OK accepted`` or the wrong-password reply and disconnect,
``-ERR command not found`` before the login, the ACL's rude rejection,
``api version``/``api status``, ``exit``'s goodbye. A ``bgapi originate``
replays a recorded click-to-dial (:data:`SCENARIOS`: answered, busy, no
answer, not registered, unknown user) message by message, byte for byte,
with only the recorded Job-UUID and channel UUID replaced by the client's
(same length: every Content-Length stays right), and only the events the
connection subscribed to and its filters let through, as FreeSWITCH does.

Only the filter replies are written here (``+OK filter added.
[Header]=[value]``, the recorded form with the client's values).
"""

from __future__ import annotations

import contextlib
import functools
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from testkit.fake_asterisk.replay import LoopbackServer
from testkit.fake_freeswitch.recording import Exchange, command_of, messages, recording
from testkit.known_secrets import ESL_PASSWORD

# Dialed number -> scenario, for FakeEsl.outcomes. Each: (recording, index of its bgapi exchange).
SCENARIOS: dict[str, tuple[str, int]] = {
    "answered": ("esl-03-clicktodial-answered", 3),
    "busy": ("esl-03-clicktodial-busy", 3),
    "no_answer": ("esl-03-clicktodial-noanswer", 3),
    "unregistered": ("esl-03-clicktodial-unregistered", 3),
    "unknown_user": ("esl-03-clicktodial-unregistered", 4),
}
_UUID = rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _reply(name: str, index: int) -> bytes:
    return recording(name)[index].reply


def _events(data: bytes) -> list[bytes]:
    return messages(data)


@dataclass
class Connection:
    """What the fake knows of one client connection."""

    sock: socket.socket
    logged_in: bool = False
    events: set[str] = field(default_factory=set)
    format: str = "plain"
    filters: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, data: bytes) -> None:
        with self.lock:
            self.sock.sendall(data)

    def wants(self, recorded: bytes, swaps: dict[bytes, bytes] | None = None) -> bool:
        """Whether FreeSWITCH would send this recorded event (ids replaced by ``swaps``) to this connection.

        Format first (an event goes out in the format it was recorded in: plain events to a
        connection that asked ``event plain``), then the subscription, then the filters.
        """
        if f"Content-Type: text/event-{self.format}".encode() not in recorded.split(b"\n\n", 1)[0]:
            return False
        name = _header(recorded, b"Event-Name")
        subclass = _header(recorded, b"Event-Subclass")
        if not ({"ALL", name} & self.events or (name == "CUSTOM" and subclass in self.events)):
            return False
        if not self.filters:
            return True
        swaps = swaps or {}
        for key, value in self.filters:
            sent = _header(recorded, key.encode()).encode()
            if swaps.get(sent, sent) == value.encode():
                return True
        return False


@functools.lru_cache(maxsize=4096)
def _header(message: bytes, key: bytes) -> str:
    """An event's header as sent (plain: a ``Key: value`` line of its body; json: its key)."""
    match = re.search(rb"(?m)^" + re.escape(key) + rb": ([^\n]*)$", message)
    if match:
        return match.group(1).decode("utf-8", "replace")
    match = re.search(rb'"' + re.escape(key) + rb'":"([^"]*)"', message)
    return match.group(1).decode("utf-8", "replace") if match else ""


class FakeEsl(LoopbackServer):
    """``with FakeEsl() as esl:`` a fake Event Socket on 127.0.0.1:<esl.port>.

    Options (plain attributes, may change while it runs): ``password``;
    ``outcomes`` (dialed number -> a :data:`SCENARIOS` name; ``default``
    otherwise); ``acl_refuses``: every connection gets the recorded
    rejection; ``silent``: accepts TCP, never says a word;
    ``drop_on_originate``: ``"before_reply"`` (closes at once, the command perhaps
    run) or ``"before_outcome"`` (replies, then closes before any event);
    ``outcome_delay`` (s) between the reply and the events;
    ``commands_missing``: ``api version`` answers the recorded "Command not
    found" (mod_commands not loaded). ``tls`` (a server context, given when
    built): every connection speaks TLS first, as through the TLS tunnel
    (stunnel) docs/freeswitch.md puts in front of a real Event Socket.

    Records: ``received`` (each command, raw), ``connections`` (count),
    ``originates`` (the bgapi lines). ``play(name)`` sends a recording's
    events to the connections subscribed to them; ``restart()`` ends every
    connection as a restarting FreeSWITCH does.
    """

    def __init__(
        self, *, password: str = ESL_PASSWORD, default: str = "answered", tls: ssl.SSLContext | None = None
    ) -> None:
        super().__init__()
        self.tls = tls
        self.password = password
        self.default = default
        self.outcomes: dict[str, str] = {}
        self.acl_refuses = False
        self.silent = False
        self.drop_on_originate: str | None = None
        self.outcome_delay = 0.003
        self.commands_missing = False
        self.received: list[bytes] = []
        self.originates: list[str] = []
        self.connections = 0
        self._live: list[Connection] = []

    host = "127.0.0.1"

    # --- the server's side --------------------------------------------------------

    def restart(self) -> None:
        """What each connection saw of ``fsctl shutdown restart``: SHUTDOWN if subscribed, the notice, EOF."""
        listener = recording("esl-07-restart-listener")[-1].reply
        shutdown, notice = _events(listener)[-2:]
        with self.lock:
            live, self._live = list(self._live), []
        for conn in live:
            with contextlib.suppress(OSError):
                conn.send((shutdown if conn.wants(shutdown) else b"") + notice)
        self.drop_connections()

    def play(self, name: str) -> int:
        """Send recording ``name``'s events, in order, to every connection that wants each; how many went.

        Each event is sent as recorded, byte for byte (JSON ones too).
        """
        sent = 0
        events = [
            m for e in recording(name) for m in _events(e.reply) if b"text/event-" in m.split(b"\n\n")[0]
        ]
        with self.lock:
            live = list(self._live)
        for event in events:
            for conn in live:
                if conn.wants(event):
                    with contextlib.suppress(OSError):
                        conn.send(event)
                        sent += 1
        return sent

    def drop_connections(self) -> None:
        """Close every connection without a word."""
        self.drop()

    def wait_for(self, prefix: str, count: int = 1, timeout: float = 5.0) -> list[bytes]:
        """The commands received starting with ``prefix``, once there are ``count`` of them."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                found = [c for c in self.received if c.startswith(prefix.encode())]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.01)

    # --- serving ----------------------------------------------------------------------

    def serve(self, client: socket.socket) -> None:
        if self.tls is None:
            self._serve_esl(client)
            return
        try:
            client.settimeout(5)
            wrapped = self.tls.wrap_socket(client, server_side=True)
            wrapped.settimeout(None)
        except OSError:  # the client did not trust us, or hung up: no session
            return
        with self.lock:  # drop() must close the TLS socket: the plain one gave it its descriptor
            self._clients = [wrapped if c is client else c for c in self._clients]
        try:
            self._serve_esl(wrapped)
        finally:
            wrapped.close()

    def _serve_esl(self, client: socket.socket) -> None:
        with self.lock:
            self.connections += 1
        if self.silent:
            while client.recv(65536):
                pass
            return
        if self.acl_refuses:
            client.sendall(_reply("esl-01-acl-rejected", 0))
            return
        conn = Connection(client)
        with self.lock:
            self._live.append(conn)
        conn.send(_reply("esl-01-auth-ok-exit", 0))
        buffer = b""
        while True:
            data = client.recv(65536)
            if not data:
                return
            buffer += data
            while (match := re.search(rb"\n\r*\n", buffer)) is not None:
                command, buffer = buffer[: match.end()], buffer[match.end() :]
                if not command.strip():
                    continue  # empty lines alone get no answer
                with self.lock:
                    self.received.append(command)
                if not self._answer(conn, command):
                    return

    def _answer(self, conn: Connection, command: bytes) -> bool:
        """Answer one command; False to close the connection."""
        lines = command.replace(b"\r", b"").split(b"\n")
        line = lines[0].decode("utf-8", "replace")
        headers = {
            k.strip(): v.strip()
            for k, _, v in (h.decode("utf-8", "replace").partition(":") for h in lines[1:] if h)
        }
        verb = line.split(" ", 1)[0]
        if verb == "exit":
            conn.send(_reply("esl-01-auth-ok-exit", 2))
            return False
        if not conn.logged_in:
            if verb != "auth":
                conn.send(_reply("esl-01-command-before-auth", 1))
                return True
            if line[5:] != self.password:
                conn.send(_reply("esl-01-auth-wrong-password", 1))
                return False
            conn.logged_in = True
            conn.send(_reply("esl-01-auth-ok-exit", 1))
            return True
        if verb == "event" and line.startswith("event plain"):
            conn.events |= set(line.split()[2:])
            conn.send(_reply("esl-02-api-status-sofia", 8))
            return True
        if verb == "filter":
            conn.send(self._filter(conn, line.split()[1:]))
            return True
        if line == "api version" and self.commands_missing:
            conn.send(_reply("esl-02-api-status-sofia", 6))  # -ERR frobnicate Command not found!
            return True
        if line == "api show registrations":
            conn.send(_reply("esl-05-presence-registrations", 3))
            return True
        if line in ("api version", "api status"):
            conn.send(_reply("esl-02-api-status-sofia", 5 if line == "api version" else 2))
            return True
        if line.startswith("bgapi originate "):
            return self._originate(conn, line, headers.get("Job-UUID", ""))
        conn.send(_reply("esl-01-command-before-auth", 4))  # -ERR command not found
        return True

    @staticmethod
    def _filter(conn: Connection, words: list[str]) -> bytes:
        if words[:1] == ["delete"]:
            if words[1:2] == ["all"]:
                conn.filters.clear()
                text = "+OK filter deleted. [all][]"
            else:
                key, value = [*words, "", ""][1:3]
                conn.filters = [f for f in conn.filters if f != (key, value)]
                text = f"+OK filter deleted. [{key}][{value}]"
        else:
            key, value = [*words, "", ""][:2]
            conn.filters.append((key, value))
            text = f"+OK filter added. [{key}]=[{value}]"
        return f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode()

    def _originate(self, conn: Connection, line: str, job: str) -> bool:
        with self.lock:
            self.originates.append(line)
        if self.drop_on_originate == "before_reply":
            return False
        dialed = re.search(r" ([0-9+*#]+) XML ", line)
        number = dialed.group(1) if dialed else ""
        name, index = SCENARIOS[self.outcomes.get(number, self.default)]
        exchanges = recording(name)
        reply, *events = _events(exchanges[index].reply)
        # The events of this call that came after the next command (the answered call's hangup) too.
        for later in exchanges[index + 1 :]:
            if command_of(later.command).startswith("bgapi"):
                break
            events += [m for m in _events(later.reply) if b"event-" in m.split(b"\n\n", 1)[0]]
        replace = _replacements(exchanges[index], reply, line, job)
        conn.send(_swap(reply, replace))
        if self.drop_on_originate == "before_outcome":
            return False
        threading.Thread(target=self._send_events, args=(conn, events, replace), daemon=True).start()
        return True

    def _send_events(self, conn: Connection, events: Iterable[bytes], swaps: dict[bytes, bytes]) -> None:
        time.sleep(self.outcome_delay)
        for event in events:
            if conn.wants(event, swaps):
                try:
                    conn.send(_swap(event, swaps))
                except OSError:
                    return


def _replacements(exchange: Exchange, reply: bytes, line: str, job: str) -> dict[bytes, bytes]:
    """Recorded ids -> the client's: the job (when it chose one) and the channel's origination_uuid."""
    swaps = {}
    recorded_job = re.search(rb"Job-UUID: (" + _UUID + rb")", reply)
    if recorded_job and re.fullmatch(_UUID.decode(), job):
        swaps[recorded_job.group(1)] = job.encode()
    recorded_uuid = re.search(rb"origination_uuid=(" + _UUID + rb")", exchange.command)
    sent_uuid = re.search(r"origination_uuid=([0-9a-f-]{36})\b", line)
    if recorded_uuid and sent_uuid:
        swaps[recorded_uuid.group(1)] = sent_uuid.group(1).encode()
    return swaps


def _swap(message: bytes, swaps: dict[bytes, bytes]) -> bytes:
    for old, new in swaps.items():
        message = message.replace(old, new)
    return message


class ReplayEsl(LoopbackServer):
    """Serves one recording as it was: its first bytes on connect, then one exchange per command received."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.exchanges = recording(name)
        self.received: list[bytes] = []

    host = "127.0.0.1"

    def serve(self, client: socket.socket) -> None:
        first, *rest = self.exchanges
        client.sendall(first.reply)
        if first.closed:
            return
        buffer = b""
        while rest:
            data = client.recv(65536)
            if not data:
                return
            buffer += data
            while rest and (match := re.search(rb"\n\r*\n", buffer)) is not None:
                command, buffer = buffer[: match.end()], buffer[match.end() :]
                with self.lock:
                    self.received.append(command)
                exchange = rest.pop(0)
                client.sendall(exchange.reply)
                if exchange.closed:
                    return
        while client.recv(65536):  # the recording is over: wait for the client to leave
            pass
