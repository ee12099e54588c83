"""The recordings of a real FreeSWITCH 1.10.12 Event Socket (``recorded/``), cut into exchanges.

``recorded/transcripts/<name>.raw.bin`` holds every byte the server sent on
one connection; ``<name>.txt`` shows the same exchange readably (each
``\\n`` written literally and ending a line, ``\\r`` written literally,
``=== C`` what the client sent, ``=== S`` what the server sent, ``#``
lines notes). :func:`recording` reads the ``.txt`` for its structure (the
client's commands, where the server's bytes fall between them) and takes
the server's bytes themselves from the ``.raw.bin``: each exchange's
``reply`` is a slice of the raw file, and the slices put end to end are
the whole file (:func:`recording` checks it).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

RECORDED = Path(__file__).resolve().parent / "recorded"
TRANSCRIPTS = RECORDED / "transcripts"
EOF_NOTE = "<<EOF: server closed the connection>>"


@dataclass(frozen=True)
class Exchange:
    """A client command (``b""``: none, the server spoke on connect) and every byte the server sent next."""

    command: bytes
    reply: bytes
    closed: bool = False  # the server closed the connection after this reply


def raw(name: str) -> bytes:
    """The exact server bytes of ``recorded/transcripts/<name>.raw.bin``."""
    return (TRANSCRIPTS / f"{name}.raw.bin").read_bytes()


def names() -> list[str]:
    """Every recording's name (``esl-01-auth-ok-exit``, ...)."""
    return sorted(p.name.removesuffix(".raw.bin") for p in TRANSCRIPTS.glob("*.raw.bin"))


def _match_line(line: str, data: bytes, offset: int) -> int:
    """Where the wire bytes of transcript ``line`` end in ``data``, from ``offset``.

    The transcripts write a CR as ``\\r`` and end each line feed with
    ``\\n`` without escaping a backslash of the data itself (a JSON
    event's ``"v=0\\r\\n..."``): each ``\\r`` (and a ``\\n`` inside a
    line) is read as the raw bytes say, a control character or the two
    characters.

    :raises ValueError: the line is not what the raw bytes hold there.
    """
    newline = line.endswith("\\n")
    text = line[:-2] if newline else line
    index = 0
    while index < len(text):
        if text.startswith("\\r", index) or text.startswith("\\n", index):
            control = b"\r" if text[index + 1] == "r" else b"\n"
            step = 1 if data[offset : offset + 1] == control else 2
            expected = control if step == 1 else text[index : index + 2].encode()
            index += 2
        else:
            expected = text[index].encode("utf-8")
            step = len(expected)
            index += 1
        if data[offset : offset + step] != expected:
            raise ValueError(f"the transcript and the raw bytes differ at byte {offset}")
        offset += step
    if newline:
        if data[offset : offset + 1] != b"\n":
            raise ValueError(f"the transcript and the raw bytes differ at byte {offset}")
        offset += 1
    return offset


def _sections(text: str) -> list[tuple[str, list[str]]]:
    """The transcript's ``=== C`` / ``=== S`` sections: (kind, their wire lines), notes left out."""
    sections: list[tuple[str, list[str]]] = []
    for line in text.split("\n"):
        if line.startswith("=== "):
            sections.append((line[4], []))
        elif sections and line and (not line.startswith("#") or line == EOF_NOTE):
            sections[-1][1].append(line)
    return sections


def _command(lines: list[str]) -> bytes:
    """A client section's bytes (commands hold no backslash: the transcript reads plainly)."""
    return b"".join(_match_text(line) for line in lines)


def _match_text(line: str) -> bytes:
    newline = line.endswith("\\n")
    text = line[:-2] if newline else line
    return text.replace("\\r", "\r").encode() + (b"\n" if newline else b"")


@functools.cache
def recording(name: str) -> tuple[Exchange, ...]:
    """The exchanges of recording ``name``, server bytes sliced from its ``.raw.bin``.

    :raises ValueError: the ``.txt`` and the ``.raw.bin`` disagree.
    """
    data = raw(name)
    exchanges: list[Exchange] = []
    closed = False
    offset = 0
    for kind, lines in _sections((TRANSCRIPTS / f"{name}.txt").read_text(encoding="utf-8")):
        if kind == "C":
            exchanges.append(Exchange(_command(lines), b""))
            continue
        start = offset
        for line in lines:
            if line == EOF_NOTE:
                closed = True
                continue
            try:
                offset = _match_line(line, data, offset)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        _add_reply(exchanges, data[start:offset])
    if offset != len(data):
        raise ValueError(f"{name}: {len(data) - offset} raw bytes are not in the transcript")
    if closed:
        last = exchanges[-1]
        exchanges[-1] = Exchange(last.command, last.reply, closed=True)
    return tuple(exchanges)


def _add_reply(exchanges: list[Exchange], chunk: bytes) -> None:
    if not exchanges:
        exchanges.append(Exchange(b"", b""))
    last = exchanges[-1]
    exchanges[-1] = Exchange(last.command, last.reply + chunk)


def messages(data: bytes) -> list[bytes]:
    """``data`` cut into whole messages, each its exact bytes (headers, empty line, Content-Length body)."""
    found = []
    while data.strip(b"\r\n"):
        match = re.search(rb"\n\r?\n", data)
        if match is None:
            raise ValueError("a message without its empty line")
        length = re.search(rb"(?im)^Content-Length: *(\d+)\r?$", data[: match.start()])
        end = match.end() + (int(length.group(1)) if length else 0)
        found.append(data[:end])
        data = data[end:]
    return found


def command_of(exchange_command: bytes) -> str:
    """The command line of a recorded client command (its first line, without line ends)."""
    return exchange_command.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", "replace")
