"""Bytes of a contacts file to text, a line (or a vCard property) at a time (pure).

Files are decoded piece by piece, never as a whole: one bad byte (a line
folded inside a UTF-8 character, a value pasted from another program) must
not make every accent of the file wrong. With ``--encoding auto`` each piece
is read as UTF-8, else in the file's legacy encoding (Windows-1252, else
Latin-1) for that piece alone, and the lines read so are reported. A vCard
value that declares its ``CHARSET`` is read in that charset. UTF-16 files
(with a byte-order mark, or recognised by their zero bytes) are read as
UTF-16 whole.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from phonebook.errors import ImportFailed

_SNIFF = 4096
_SHOWN = 5
"""Line numbers quoted in a warning; more are counted."""


def sniff_utf16(head: bytes) -> str:
    """ "utf-16" (BOM), "utf-16-le" or "utf-16-be" (zero bytes every other byte), or "" for neither.

    Raises :class:`ImportFailed` for a start with zero bytes that is not
    UTF-16 text: a binary file, or a file in an encoding we cannot read.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" not in head:
        return ""
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > len(odd) * 0.6 and even.count(0) < len(even) * 0.1:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.6 and odd.count(0) < len(odd) * 0.1:
        return "utf-16-be"
    raise ImportFailed(
        "the file holds zero bytes: it looks like UTF-16 or UTF-32 text, or is not text at all; "
        "save it as UTF-8 (or give --encoding)"
    )


@dataclass
class Decoder:
    """Decodes pieces of a file; remembers the lines that needed the legacy encoding.

    ``encoding`` "auto": UTF-8, else ``legacy`` for that piece alone (noted).
    Any other encoding is the user's word: a piece that is not valid in it
    raises :class:`ImportFailed` (the import changes nothing).
    """

    source: str
    encoding: str = "auto"
    legacy: str = "cp1252"  # with Latin-1 for the five bytes it leaves undefined
    fallback_lines: list[int] = field(default_factory=list)
    charset_lines: list[int] = field(default_factory=list)

    def text(self, raw: bytes, line: int) -> str:
        """One piece (a CSV line, a vCard name or value without a charset) as text."""
        if self.encoding != "auto":
            return self._strict(raw, self.encoding, line)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self._note(self.fallback_lines, line)
            return self._legacy(raw)

    def declared(self, raw: bytes, charset: str, line: int) -> str:
        """A vCard value in its declared ``CHARSET``; if it is not valid there, as :meth:`text` reads it."""
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            self._note(self.charset_lines, line)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return self._legacy(raw)

    def _legacy(self, raw: bytes) -> str:
        try:
            return raw.decode(self.legacy)
        except UnicodeDecodeError:
            return raw.decode("latin-1")  # cp1252 leaves five bytes undefined; Latin-1 none

    def _strict(self, raw: bytes, encoding: str, line: int) -> str:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as exc:
            where = f"{self.source}, line {line}"
            raise ImportFailed(f"{where}: not valid {encoding} text ({exc.reason})") from None

    @staticmethod
    def _note(lines: list[int], line: int) -> None:
        if not lines or lines[-1] != line:
            lines.append(line)

    def warnings(self) -> list[str]:
        """One sentence per kind of piece that was not read as the file said (for the admin)."""
        found = []
        if self.fallback_lines:
            found.append(
                f"{self.source}: {_lines(self.fallback_lines)} not UTF-8: read as {_name(self.legacy)} "
                "(check the accents of those contacts)"
            )
        if self.charset_lines:
            found.append(
                f"{self.source}: {_lines(self.charset_lines)} not valid in the CHARSET they declare: "
                "read as UTF-8 or " + _name(self.legacy)
            )
        return found


def _lines(numbers: list[int]) -> str:
    shown = ", ".join(str(number) for number in numbers[:_SHOWN])
    more = f" and {len(numbers) - _SHOWN} more" if len(numbers) > _SHOWN else ""
    return f"line {shown} was" if len(numbers) == 1 else f"lines {shown}{more} were"


def _name(encoding: str) -> str:
    return {"cp1252": "Windows-1252", "latin-1": "Latin-1"}.get(encoding, encoding)


def byte_lines(stream: BinaryIO, wide: str) -> Iterator[bytes]:
    """The physical lines of a file as bytes, line ends kept, without a UTF-8 byte-order mark;
    a ``wide`` (UTF-16 or UTF-32) file comes out as UTF-8."""
    if wide:
        for text in codecs.getreader(wide)(stream):
            yield text.lstrip("\ufeff").encode("utf-8")
        return
    first = True
    for line in stream:
        yield line.removeprefix(codecs.BOM_UTF8) if first else line
        first = False
