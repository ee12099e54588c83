"""AMI framing, parsing and encoding: bytes in, messages out; actions in, bytes out.

What the wire looks like (``testkit/fake_asterisk/recorded/FINDINGS.txt``): on connect
the server sends one banner line (``Asterisk Call Manager/11.0.0``; other
PBXes send other names: it is kept, never matched). Then messages: lines
``Key: value`` ending ``\\r\\n``, a message ending with an empty line. A
message is an answer (``Response: ...``, with our ``ActionID``) or an event
(``Event: ...``). Keys may repeat (``Variable:``).

The framer copes with partial reads, lone ``\\n`` line ends and stray empty
lines between messages. The encoder refuses any control character in any
key or value before a byte is produced: Asterisk reads CR or LF inside a
value as a new header, which lets a "number" smuggle ``Application: System``
into an Originate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from drivers.base import UnsafeValue, ensure_safe

# Header names we send: letters, digits, '-' and '_' (Asterisk's own names are all of this form).
_KEY_RE = re.compile(r"[A-Za-z0-9_-]+\Z")
# Headers whose value is never logged: our login's, and a phone's credentials should any answer carry
# them (PJSIPShowEndpoint's AuthDetail lists the phone's password in clear; Astitray never asks for it).
SECRET_KEYS = frozenset(
    {"secret", "key", "password", "passworddigest", "md5cred", "oauthsecret", "refreshtoken"}
)
MASK = "********"

Header = tuple[str, str]


@dataclass(frozen=True)
class Message:
    """One AMI message: its headers in order, repeated keys kept.

    Lookups are case-insensitive and return the FIRST value, as Asterisk does
    (``astman_get_header``).
    """

    headers: tuple[Header, ...]

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value of ``key``, or ``default`` when the message has none."""
        wanted = key.lower()
        for name, value in self.headers:
            if name.lower() == wanted:
                return value
        return default

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def get_all(self, key: str) -> list[str]:
        """Every value of ``key``, in order (``Variable:`` may repeat)."""
        wanted = key.lower()
        return [value for name, value in self.headers if name.lower() == wanted]

    @property
    def is_event(self) -> bool:
        """An event: its first header is ``Event`` (OriginateResponse also has a ``Response:``)."""
        return bool(self.headers) and self.headers[0][0].lower() == "event"

    @property
    def is_response(self) -> bool:
        """An answer to an action: ``Response: ...`` and not an event."""
        return not self.is_event and "Response" in self

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    @property
    def response(self) -> str | None:
        """``Success``, ``Error``, ``Goodbye``, ... (``Success``/``Failure`` in OriginateResponse)."""
        return self.get("Response")

    @property
    def event(self) -> str | None:
        return self.get("Event")

    @property
    def text(self) -> str:
        """The ``Message:`` header (empty when absent): what the PBX says about an answer."""
        return self.get("Message") or ""

    @property
    def ok(self) -> bool:
        return (self.response or "").lower() == "success"

    def describe(self) -> str:
        """The message as wire text, secrets masked: for the DEBUG log."""
        return describe(self.headers)


def parse_line(line: str) -> Header:
    """``"Key: value"`` -> ``("Key", "value")``; a line without a colon is kept whole under key ``""``."""
    key, colon, value = line.partition(":")
    if not colon:
        return ("", line)
    # Asterisk skips the blanks after the colon (``AccountCode: `` is an empty value).
    return (key.strip(), value.lstrip(" \t"))


class Framer:
    """Turns a byte stream into messages, whatever the size of each read.

    ``banner=True`` (a TCP connection): the first line is the server's
    banner, kept in :attr:`banner`. A line ends at ``\\n`` (a ``\\r`` before
    it is dropped; a lone ``\\r`` stays in the value, as in Asterisk); a
    message ends at an empty line; empty lines between messages are ignored.
    """

    def __init__(self, *, banner: bool = True) -> None:
        self.banner: str | None = None if banner else ""
        self._buffer = b""
        self._headers: list[Header] = []

    @property
    def expects_banner(self) -> bool:
        return self.banner is None

    @property
    def pending_bytes(self) -> int:
        """Bytes read but not yet part of a finished message (partial line or message)."""
        return len(self._buffer) + sum(len(k) + len(v) for k, v in self._headers)

    def feed(self, data: bytes) -> list[Message]:
        """Add what was read; return the messages it completed, in order."""
        buffer = self._buffer + data
        messages: list[Message] = []
        start = 0
        while True:
            end = buffer.find(b"\n", start)
            if end < 0:
                # Cut once per read, not once per line: a large read costs linear time.
                self._buffer = buffer[start:]
                return messages
            raw, start = buffer[start:end], end + 1
            line = raw.removesuffix(b"\r").decode("utf-8", errors="replace")
            if self.banner is None:
                self.banner = line.strip()
            elif line:
                self._headers.append(parse_line(line))
            elif self._headers:
                messages.append(Message(tuple(self._headers)))
                self._headers = []


def parse_messages(text: str | bytes) -> list[Message]:
    """Every complete message of a text holding whole messages (an AJAM ``rawman`` body)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    framer = Framer(banner=False)
    messages = framer.feed(data)
    if framer.pending_bytes:
        # A body whose last message lacks its empty line still counts (some proxies trim it).
        messages += framer.feed(b"\n\n")
    return messages


def check_headers(headers: Iterable[Header]) -> list[Header]:
    """The headers as a list, once every key and value is known to be safe on the wire.

    :raises UnsafeValue: a key that is not a plain name, or a control
        character in a value. The message names the header, never the value.
    """
    checked = []
    for key, value in headers:
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise UnsafeValue("a header name holds characters other than letters, digits, '-' and '_'")
        ensure_safe(key, value)
        checked.append((key, value))
    return checked


def encode_action(action: str, headers: Iterable[Header], action_id: str) -> bytes:
    """The bytes of one action: ``Action``, the headers, ``ActionID``, then the empty line.

    :raises UnsafeValue: before anything is produced (see :func:`check_headers`).
    """
    lines = check_headers([("Action", action), *headers, ("ActionID", action_id)])
    return "".join(f"{key}: {value}\r\n" for key, value in lines).encode("utf-8") + b"\r\n"


def masked(headers: Iterable[Header]) -> Iterator[Header]:
    for key, value in headers:
        yield (key, MASK if key.lower() in SECRET_KEYS else value)


def describe(headers: Sequence[Header] | Iterable[Header]) -> str:
    """``Key: value`` lines joined by `` | ``, secrets masked: one log line per message."""
    return " | ".join(f"{key}: {value}" if key else value for key, value in masked(headers))
