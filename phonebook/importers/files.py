"""Contacts from a file: vCard 2.1/3.0/4.0 and CSV with a header row, streamed line by line.

vCard: as exported by Thunderbird, Outlook (2.1, quoted-printable), Google,
Apple, Android and Nextcloud: FN (else N), ORG (company;department), TITLE,
EMAIL, TEL with its TYPE (cell, home, fax, work...), UID as the key.

CSV: the header names the columns; the headers of Outlook (English and
French), Google, Apple and Thunderbird exports are known, and
``--columns field=Header|Header`` maps any other. Delimiter , ; or tab
(guessed from the header line).

Encodings (:mod:`phonebook.importers.decoding`): by default each line (each
vCard value) is read as UTF-8, else in Windows-1252 (Latin-1) for that line
alone, and the lines read so are reported; UTF-16 with or without a
byte-order mark is recognised. ``--encoding`` forces one encoding for the
whole file (a line that is not valid in it stops the import).
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from phonebook.errors import ImportFailed
from phonebook.importers.csvfile import read_csv
from phonebook.importers.decoding import Decoder, byte_lines, sniff_utf16
from phonebook.importers.mapping import Mapping
from phonebook.importers.records import ContactRecord
from phonebook.importers.vcard import read_vcards

_CHUNK = 1 << 16
_HEAD = 4096


class _CountingReader(io.RawIOBase):
    """Counts the bytes read, for the progress bar."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


def _wide(encoding: str) -> str:
    """``encoding`` if it is UTF-16 or UTF-32 (read as a whole, not line by line), else ""."""
    name = codecs.lookup(encoding).name
    return encoding if name.startswith(("utf-16", "utf-32")) else ""


class FileSource:
    """A contacts file, opened for streaming; ``fraction`` says how far it is read.

    ``decoder`` decodes its lines and remembers those that needed the legacy
    encoding (:meth:`warnings`). Raises :class:`ImportFailed` for a missing
    file, an unknown encoding, or a file that is not text.
    """

    def __init__(self, path: Path, encoding: str = "auto") -> None:
        if not path.is_file():
            raise ImportFailed(f"{path}: no such file")
        self.path = path
        self.size = max(path.stat().st_size, 1)
        if encoding != "auto":
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise ImportFailed(f"unknown encoding {encoding!r}") from None
        with path.open("rb") as stream:
            head = stream.read(_HEAD)
        try:
            self.wide = sniff_utf16(head) if encoding == "auto" else _wide(encoding)
        except ImportFailed as exc:
            raise ImportFailed(f"{path.name}: {exc}") from None
        self.decoder = Decoder(path.name, "auto" if self.wide else encoding)
        self._counter: _CountingReader | None = None

    def lines(self) -> Iterator[bytes]:
        """The file's lines as bytes (UTF-16 files come out as UTF-8), counted for :attr:`fraction`."""
        self._counter = _CountingReader(self.path.open("rb"))
        with io.BufferedReader(self._counter, _CHUNK) as stream:
            yield from byte_lines(stream, self.wide)

    @property
    def fraction(self) -> float:
        return self._counter.position / self.size if self._counter else 0.0

    def looks_like_vcard(self) -> bool:
        with self.path.open("rb") as stream:
            head = stream.read(_HEAD).decode(self.wide or "utf-8", errors="ignore")
        return head.lstrip("\ufeff \r\n\t").upper().startswith("BEGIN:VCARD")

    def warnings(self) -> list[str]:
        """What the admin should check after the import (lines not read as the file said)."""
        return self.decoder.warnings()


def _text_lines(source: FileSource) -> Iterator[str]:
    """The file's lines decoded one by one (:class:`~phonebook.importers.decoding.Decoder`)."""
    for number, line in enumerate(source.lines(), start=1):
        yield source.decoder.text(line, number)


def read_file(
    source: FileSource, file_format: str, overrides: Mapping, delimiter: str = ""
) -> Iterator[ContactRecord]:
    """Records of a vCard or CSV file ("auto": vCard when it starts with BEGIN:VCARD)."""
    if file_format == "auto":
        file_format = "vcard" if source.looks_like_vcard() else "csv"
    name = source.path.name
    if file_format == "vcard":
        yield from read_vcards(source.lines(), name, source.decoder, charsets=not source.wide)
    else:
        yield from read_csv(_text_lines(source), name, overrides, delimiter)
