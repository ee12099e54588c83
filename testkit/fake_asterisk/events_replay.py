"""Replay recorded live events (transcripts 20-48) byte for byte: the fake PBX of the event listener.

``recorded/transcripts/ami-2x..4x-*.raw.bin`` hold what a real Asterisk sent
during calls (FINDINGS-events.txt). :func:`ami_timeline` cuts one into the
login answer (with its ``FullyBooted``), the answers to actions (a list
action's answer with its items and its ``...Complete``), and the events
between them. :class:`EventsAmi` serves it to any number of AMI clients:

- ``Login``: the recorded answer (and ``FullyBooted``), the client's ActionID put in;
- a list action (``CoreShowChannels``, ``DeviceStateList``, ``ExtensionStateList``):
  the answer given in ``lists`` (recorded answers: :func:`recorded_answer`),
  else the recorded idle one (ami-32, ami-35);
- ``Originate``: the recording's next Originate answer, then the events
  that followed it, to every logged-in client, with the client's ActionID
  and ``ChannelId`` in place of the recorded ones (what Asterisk does with
  ``ChannelId``, ami-45: the phone channel's Uniqueid and Linkedid are that id);
  (``hold = True`` keeps them until :meth:`EventsAmi.release`);
- :meth:`EventsAmi.play`: the recording's events that followed no
  Originate (an incoming call, phones registering), to every logged-in client;
- ``Ping``/``Logoff`` as Asterisk answers them; anything else: "Invalid/unknown command".

Writes are cut in ``chunk``-byte pieces (TCP_NODELAY), so clients read
them in pieces of every size. ``drop()`` closes every connection without a
word, as a restarting PBX does.
"""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass, field

from testkit.fake_asterisk.replay import EOF_NOTE, LoopbackServer, transcript

_ACTION_ID = re.compile(rb"^ActionID: (.*)\r$", re.MULTILINE)
_DIAL_UID = re.compile(rb"^DestUniqueid: (.*)\r$", re.MULTILINE)
LIST_ACTIONS = ("coreshowchannels", "devicestatelist", "extensionstatelist")
# The recorded idle answers (nothing ringing, every phone registered).
IDLE_LISTS = {
    "coreshowchannels": ("ami-35-core-restart-new-login", "csc-after"),
    "devicestatelist": ("ami-32-presence-actions", "dsl-idle"),
    "extensionstatelist": ("ami-32-presence-actions", "esl-idle"),
}


def messages_of(raw: bytes) -> list[bytes]:
    """Each whole message of a recording (banner and EOF note removed), with its empty line."""
    raw = raw.removesuffix(EOF_NOTE)
    if raw.startswith(b"Asterisk Call Manager"):
        raw = raw.partition(b"\r\n")[2]
    return [part + b"\r\n\r\n" for part in raw.split(b"\r\n\r\n") if part]


def _is_item(message: bytes) -> bool:
    """A list action's item or end: an event carrying an ActionID and no Privilege."""
    return (
        message.startswith(b"Event:") and b"\r\nActionID: " in message and b"\r\nPrivilege: " not in message
    )


@dataclass
class Segment:
    """An answer (with its list items), and the events that followed it."""

    answer: bytes = b""
    action_id: bytes = b""
    events: list[bytes] = field(default_factory=list)

    @property
    def is_originate(self) -> bool:
        return b"Originate" in self.answer


def ami_timeline(raw: bytes) -> list[Segment]:
    """The recording as answers and the events after each (the first segment: the login's)."""
    segments: list[Segment] = []
    for message in messages_of(raw):
        if message.startswith(b"Response:"):
            found = _ACTION_ID.search(message)
            segments.append(Segment(message, found.group(1) if found else b""))
        elif not segments:
            segments.append(Segment())
            segments[-1].events.append(message)
        elif _is_item(message) and not segments[-1].events:
            segments[-1].answer += message
        else:
            segments[-1].events.append(message)
    return segments


def recorded_answer(name: str, action_id: str) -> bytes:
    """The answer (with its items) to the action ``action_id`` in recording ``name``."""
    for segment in ami_timeline(transcript(name)):
        if segment.action_id == action_id.encode():
            return segment.answer
    raise KeyError(f"{name} has no answer to {action_id}")


def with_ids(data: bytes, ids: dict[bytes, bytes]) -> bytes:
    """``data`` with each recorded ActionID / Uniqueid value replaced (whole header values only)."""
    for old, new in ids.items():
        replacement = rb"\g<1>" + new.replace(b"\\", b"\\\\") + rb"\2"
        data = re.sub(rb"(: )" + re.escape(old) + rb"(\r\n)", replacement,
                      data)  # fmt: skip
    return data


_UNIQUEID = re.compile(rb"^(?:Uniqueid|Linkedid|DestUniqueid|DestLinkedid): (\d+\.\d+)\r$", re.MULTILINE)
_CHANNEL_SUFFIX = re.compile(rb"(?<=/)([A-Za-z0-9_.]+)-([0-9a-f]{8})(?![0-9a-f])")
_RINGING = re.compile(rb"^(?:ChannelStateDesc: Ringing|DialStatus: RINGING)\r$", re.MULTILINE)


def retarget(events: list[bytes], phone: str, to: str, serial: int) -> list[bytes]:
    """A recorded call's events as if phone ``to`` had rung instead of ``phone``, as call number ``serial``.

    ``phone`` is the recording's number (``1003``): as a value, an endpoint
    (``PJSIP/1003``), a channel (``PJSIP/1003-00000018``) or a dial string
    (``PJSIP/1003,20``) it becomes ``to``. The call's Uniqueids and Linkedids
    (``1796605625.23``) and its channels' suffixes become ones of its own,
    derived from ``serial``, so that replaying it again and again (a load
    test's thousands of calls) gives as many distinct calls, never repeats.
    """
    data = b"".join(events)
    ids: dict[bytes, bytes] = {}
    for found in _UNIQUEID.finditer(data):
        ids.setdefault(found.group(1), b"1900000000.%d" % (serial * 16 + len(ids)))
    suffixes: dict[bytes, bytes] = {}
    for found in _CHANNEL_SUFFIX.finditer(data):
        suffixes.setdefault(found.group(2), b"%08x" % (serial * 16 + len(suffixes)))
    number = re.compile(rb"(?<=[ /])" + re.escape(phone.encode()) + rb"(?=[\r,-])")
    out = []
    for event in events:
        renamed = re.sub(rb"(?<![\d.])(\d+\.\d+)(?![\d.])", lambda m: ids.get(m.group(1), m.group(1)), event)
        renamed = _CHANNEL_SUFFIX.sub(lambda m: m.group(1) + b"-" + suffixes[m.group(2)], renamed)
        out.append(number.sub(to.encode(), renamed))
    return out


def ring_and_rest(events: list[bytes]) -> tuple[bytes, bytes]:
    """An incoming call cut where a phone starts ringing: (its events up to that one included, the rest).

    The cut is the first ``Newstate`` Ringing or ``DialState`` RINGING: where
    the listener tells a user "incoming" (drivers/asterisk/events/manager.py).
    """
    for index, event in enumerate(events):
        if _RINGING.search(event):
            return b"".join(events[: index + 1]), b"".join(events[index + 1 :])
    raise ValueError("no phone rings in these events")


class _Client:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.logged_in = False
        self.lock = threading.Lock()
        self.username = ""


class EventsAmi(LoopbackServer):
    """The AMI of a recorded scenario (see the module docstring): ``with EventsAmi(raw) as pbx: ...``."""

    def __init__(self, raw: bytes, *, lists: dict[str, bytes] | None = None, chunk: int = 65536) -> None:
        super().__init__()
        self.timeline = ami_timeline(raw)
        self.lists = {name.lower(): value for name, value in (lists or {}).items()}
        self.chunk = chunk
        self.received: list[bytes] = []  # every action, raw
        self.logins = 0
        self._originates = [s for s in self.timeline[1:] if s.is_originate]
        # hold=True: an Originate is answered "queued" and its events wait for release() (a worker
        # killed between its dial and the outcome).
        self.hold = False
        self._held: list[bytes] = []
        self._ami: dict[socket.socket, _Client] = {}

    @property
    def host(self) -> str:
        return "127.0.0.1"

    # --- what the test does

    def load(self, raw: bytes) -> None:
        """Replay another recording from now on (the clients stay connected)."""
        self.timeline = ami_timeline(raw)
        self._originates = [s for s in self.timeline[1:] if s.is_originate]

    def unsolicited(self) -> list[bytes]:
        """The recorded events that followed no Originate (FullyBooted of the login excluded)."""
        events: list[bytes] = []
        for segment in self.timeline:
            if not segment.is_originate:
                events += [e for e in segment.events if not e.startswith(b"Event: FullyBooted\r\n")]
        return events

    def play(self) -> None:
        """Send the unsolicited events to every logged-in client."""
        self.broadcast(b"".join(self.unsolicited()))

    def broadcast(self, data: bytes) -> None:
        with self.lock:
            clients = [c for sock, c in self._ami.items() if c.logged_in and sock in self._clients]
        for client in clients:
            self._send(client, data)

    @property
    def connected(self) -> int:
        with self.lock:
            return sum(1 for sock, c in self._ami.items() if c.logged_in and sock in self._clients)

    # --- serving

    def _send(self, client: _Client, data: bytes) -> None:
        with client.lock:
            try:
                for start in range(0, len(data), self.chunk):
                    client.sock.sendall(data[start : start + self.chunk])
            except OSError:
                pass

    def serve(self, sock: socket.socket) -> None:
        client = _Client(sock)
        with self.lock:
            self._ami[sock] = client
        self._send(client, b"Asterisk Call Manager/11.0.0\r\n")
        buffer = b""
        while True:
            data = sock.recv(65536)
            if not data:
                return
            buffer += data
            while b"\r\n\r\n" in buffer:
                action, buffer = buffer.split(b"\r\n\r\n", 1)
                with self.lock:
                    self.received.append(action + b"\r\n\r\n")
                if not self._answer(client, action + b"\r\n"):
                    return

    def _answer(self, client: _Client, action: bytes) -> bool:
        """Answer one action; False to close the connection."""
        name = _header(action, b"Action").lower()
        action_id = _header(action, b"ActionID")
        if name == b"login":
            login = self.timeline[0]
            booted = [e for e in login.events if e.startswith(b"Event: FullyBooted\r\n")][:1]
            client.logged_in, client.username = True, _header(action, b"Username").decode()
            self.logins += 1
            self._send(client, with_ids(login.answer, {login.action_id: action_id}) + b"".join(booted))
        elif name == b"logoff":
            answer = (
                b"Response: Goodbye\r\nActionID: %s\r\nMessage: Thanks for all the fish.\r\n\r\n" % action_id
            )
            self._send(client, answer)
            return False
        elif name == b"ping":
            self._send(
                client, b"Response: Success\r\nActionID: %s\r\nPing: Pong\r\nTimestamp: 0\r\n\r\n" % action_id
            )
        elif name.decode() in LIST_ACTIONS:
            self._send(client, self._list(name.decode(), action_id))
        elif name == b"originate" and self._originates:
            self._originate(client, action, action_id)
        else:
            unknown = (
                b"Invalid/unknown command: %s. Use Action: ListCommands to show available commands." % name
            )
            self._send(
                client, b"Response: Error\r\nActionID: %s\r\nMessage: %s\r\n\r\n" % (action_id, unknown)
            )
        return True

    def _list(self, name: str, action_id: bytes) -> bytes:
        answer = self.lists.get(name)
        if answer is None:
            answer = recorded_answer(*IDLE_LISTS[name])
        recorded = _ACTION_ID.search(answer)
        return with_ids(answer, {recorded.group(1): action_id}) if recorded else answer

    def _originate(self, client: _Client, action: bytes, action_id: bytes) -> None:
        segment = self._originates.pop(0)
        ids = {segment.action_id: action_id}
        channel_id = _header(action, b"ChannelId")
        recorded_uid = next((m.group(1) for e in segment.events if e.startswith(b"Event: DialBegin\r\n")
                             for m in [_DIAL_UID.search(e)] if m), b"")  # fmt: skip
        if channel_id and recorded_uid:
            ids[recorded_uid] = channel_id
        self._send(client, with_ids(segment.answer, ids))
        events = with_ids(b"".join(segment.events), ids)
        if self.hold:
            self._held.append(events)
        else:
            self.broadcast(events)

    def release(self) -> None:
        """Send the events of the Originates held so far (``hold``) to every logged-in client."""
        held, self._held = self._held, []
        for events in held:
            self.broadcast(events)


def _header(message: bytes, key: bytes) -> bytes:
    found = re.search(rb"^" + key + rb": ?(.*)\r$", message, re.MULTILINE | re.IGNORECASE)
    return found.group(1) if found else b""
