"""FreeSWITCH Event Socket (ESL) framing, parsing and encoding: bytes in, messages out, commands out.

What the wire looks like (``testkit/fake_freeswitch/recorded/FINDINGS-esl.txt``,
FreeSWITCH 1.10.12): every line the server sends ends with a bare ``\\n``;
a message is ``Name: value`` header lines and one empty line, then, when a
``Content-Length: N`` header is present, exactly N body bytes with no
terminator of their own (a JSON event's ``}`` is followed at once by the
next message). The ``Content-Type`` says what it is: ``auth/request``,
``command/reply`` (``Reply-Text: +OK ...`` / ``-ERR ...``), ``api/response``
(the result in the body), ``text/event-plain`` / ``text/event-json``,
``text/disconnect-notice``, ``text/rude-rejection``.

An event in ``text/event-plain`` carries, as its body, its own header block
(values url-encoded) and, when it has a body (``BACKGROUND_JOB``), a
``Content-Length: M`` header, an empty line and M bytes.

Commands go the other way: a command line, optional header lines
(``Job-UUID: ...``), an empty line. FreeSWITCH ends a command at the first
empty line (``\\n\\n``, ``\\n\\r\\n``) and reads a lone line break as the
start of a header line, so the encoder refuses every control character in
every part before a byte is produced: a ``\\n\\n`` inside a number made the
recorded FreeSWITCH run a shell command.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote

from drivers.base import UnsafeValue, ensure_safe

Header = tuple[str, str]

# Header names we send: letters, digits and '-' (ESL's own names are all of this form).
_NAME_RE = re.compile(r"[A-Za-z0-9-]+\Z")
# The password after "auth " is never logged.
MASK = "********"


@dataclass(frozen=True)
class EslMessage:
    """One message from the server: its outer headers in order, and its body (bytes, maybe empty)."""

    headers: tuple[Header, ...]
    body: bytes = b""

    def get(self, name: str, default: str = "") -> str:
        """The first value of header ``name`` (case-insensitive), or ``default``."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return default

    @property
    def content_type(self) -> str:
        return self.get("Content-Type")

    @property
    def is_reply(self) -> bool:
        """An answer to a command (``command/reply`` or ``api/response``), in the order sent."""
        return self.content_type in ("command/reply", "api/response")

    @property
    def is_event(self) -> bool:
        return self.content_type.startswith("text/event-")

    @property
    def reply_text(self) -> str:
        """``Reply-Text`` of a command/reply, or the body's text of an api/response."""
        if self.content_type == "api/response":
            return self.body.decode("utf-8", "replace")
        return self.get("Reply-Text")

    @property
    def ok(self) -> bool:
        return self.reply_text.startswith("+OK")

    def describe(self) -> str:
        """A short summary for debug logs."""
        return f"{self.content_type} {self.reply_text[:80]!r}" if self.is_reply else self.content_type


class Framer:
    """Cuts a byte stream into :class:`EslMessage` (partial reads, any chunk size)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._head: tuple[Header, ...] | None = None
        self._length = 0

    @property
    def pending_bytes(self) -> int:
        """Bytes read but not yet part of a whole message."""
        return len(self._buffer) + (1 if self._head is not None else 0)

    def feed(self, data: bytes) -> list[EslMessage]:
        """Add ``data``; every message now whole, in order."""
        self._buffer += data
        messages: list[EslMessage] = []
        while True:
            message = self._next()
            if message is None:
                return messages
            messages.append(message)

    def _next(self) -> EslMessage | None:
        if self._head is None:
            self._buffer = self._buffer.lstrip(b"\r\n")  # stray empty lines between messages
            end = _head_end(self._buffer)
            if end is None:
                return None
            head, self._buffer = self._buffer[: end[0]], self._buffer[end[1] :]
            self._head = parse_header_block(head.decode("utf-8", "replace"), decode=False)
            self._length = _content_length(self._head)
        if len(self._buffer) < self._length:
            return None
        body, self._buffer = self._buffer[: self._length], self._buffer[self._length :]
        message = EslMessage(self._head, body)
        self._head = None
        return message


def _head_end(buffer: bytes) -> tuple[int, int] | None:
    """Where the header block ends (an empty line, ``\\n\\n`` or ``\\n\\r\\n``) and the next part starts."""
    match = re.search(rb"\n\r?\n", buffer)
    return (match.start(), match.end()) if match else None


def _content_length(headers: Iterable[Header]) -> int:
    for key, value in headers:
        if key.lower() == "content-length":
            try:
                return max(int(value.strip()), 0)
            except ValueError:
                return 0
    return 0


def parse_header_block(text: str, *, decode: bool) -> tuple[Header, ...]:
    """``Name: value`` lines into headers (``decode``: url-decode the values, as event-plain sends them)."""
    headers = []
    for raw_line in text.split("\n"):
        line = raw_line.rstrip("\r")
        if not line:
            continue
        name, _, value = line.partition(":")
        value = value.lstrip(" ")
        headers.append((name.strip(), unquote(value) if decode else value))
    return tuple(headers)


@dataclass(frozen=True)
class EslEvent:
    """One event: its headers (decoded, in order) and its body (``BACKGROUND_JOB``: the api's output)."""

    headers: tuple[Header, ...]
    body: str = ""
    _index: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for key, value in self.headers:
            self._index.setdefault(key.lower(), value)

    def get(self, name: str, default: str = "") -> str:
        """The first value of ``name`` (case-insensitive), or ``default``."""
        return self._index.get(name.lower(), default)

    @property
    def name(self) -> str:
        """``Event-Name``; for ``CUSTOM`` events their ``Event-Subclass`` (``sofia::register``)."""
        name = self.get("Event-Name")
        return self.get("Event-Subclass") or name if name == "CUSTOM" else name


def parse_event(message: EslMessage) -> EslEvent | None:
    """The event a ``text/event-plain`` or ``text/event-json`` message carries; None for anything else."""
    text = message.body.decode("utf-8", "replace")
    if message.content_type == "text/event-plain":
        end = re.search(r"\n\r?\n", text)
        head, rest = (text[: end.start()], text[end.end() :]) if end else (text, "")
        headers = parse_header_block(head, decode=True)
        length = _content_length(headers)
        body = rest.encode()[:length].decode("utf-8", "replace") if length else ""
        return EslEvent(headers, body)
    if message.content_type == "text/event-json":
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        body = str(data.pop("_body", ""))
        return EslEvent(tuple((str(k), str(v)) for k, v in data.items()), body)
    return None


def parse_messages(data: bytes) -> list[EslMessage]:
    """Every whole message in ``data`` (tests, tools)."""
    return Framer().feed(data)


# --- Encoding -------------------------------------------------------------------------


def encode_command(line: str, headers: Iterable[Header] = ()) -> bytes:
    """One command: ``line``, its header lines, an empty line.

    :raises UnsafeValue: a control character in the line, a header name or
        value, or a header name that is not letters, digits and '-': nothing
        is produced. The error names the part, never the value.
    """
    ensure_safe("command", line)
    if not line.strip():
        raise UnsafeValue("the command is empty")
    parts = [line]
    for name, value in headers:
        ensure_safe("header name", name)
        if not _NAME_RE.match(name):
            raise UnsafeValue("a header name must be letters, digits and '-'")
        ensure_safe(f"header {name}", value)
        parts.append(f"{name}: {value}")
    return ("\n".join(parts) + "\n\n").encode("utf-8")


def describe_command(line: str) -> str:
    """``line`` for a log: an ``auth`` password masked."""
    return f"auth {MASK}" if line.startswith("auth ") else line


def split_commands(data: bytes) -> Iterator[bytes]:
    """The commands in ``data`` as FreeSWITCH cuts them: at each empty line (fakes and tests)."""
    start = 0
    for match in re.finditer(rb"\n\r*\n", data):
        yield data[start : match.end()]
        start = match.end()
