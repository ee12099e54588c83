"""Contacts from a file: vCard 2.1/3.0/4.0 and CSV with a header row, streamed line by line.

vCard: as exported by Thunderbird, Outlook (2.1, quoted-printable), Google
and Nextcloud: FN (else N), ORG (company;department), TITLE, EMAIL, TEL with
its TYPE (cell, home, fax, work...), UID as the key.

CSV: the header names the columns; the usual headers of Google, Outlook and
Thunderbird exports are known, and ``--columns field=Header|Header`` maps
any other. Delimiter , ; or tab (guessed from the header line).

Encodings: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252 /
Latin-1: the file is checked once before the import starts.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from phonebook.importers.csvfile import read_csv
from phonebook.importers.mapping import Mapping
from phonebook.importers.records import ContactRecord, ImportFailed
from phonebook.importers.vcard import read_vcards

_CHUNK = 1 << 16


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


def detect_encoding(path: Path) -> str:
    """utf-8-sig, utf-16, or cp1252/latin-1 when the bytes are not UTF-8 (one pass, bounded memory)."""
    with path.open("rb") as stream:
        head = stream.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        stream.seek(0)
        utf8 = codecs.getincrementaldecoder("utf-8")()
        cp1252 = codecs.getincrementaldecoder("cp1252")()
        is_utf8 = is_cp1252 = True
        while chunk := stream.read(_CHUNK):
            if is_utf8:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
            if is_cp1252:
                try:
                    cp1252.decode(chunk)
                except UnicodeDecodeError:
                    is_cp1252 = False
            if not is_utf8 and not is_cp1252:
                break
        if is_utf8:
            try:
                utf8.decode(b"", final=True)
                return "utf-8-sig"
            except UnicodeDecodeError:
                pass
        return "cp1252" if is_cp1252 else "latin-1"


class FileSource:
    """A contacts file, opened for streaming; ``fraction`` says how far it is read."""

    def __init__(self, path: Path, encoding: str = "auto") -> None:
        if not path.is_file():
            raise ImportFailed(f"{path}: no such file")
        self.path = path
        self.size = max(path.stat().st_size, 1)
        self.encoding = detect_encoding(path) if encoding == "auto" else encoding
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise ImportFailed(f"unknown encoding {encoding!r}") from None
        self._counter: _CountingReader | None = None

    def open(self) -> io.TextIOWrapper:
        self._counter = _CountingReader(self.path.open("rb"))
        return io.TextIOWrapper(
            io.BufferedReader(self._counter, _CHUNK), encoding=self.encoding, errors="strict", newline=""
        )

    @property
    def fraction(self) -> float:
        return self._counter.position / self.size if self._counter else 0.0

    def looks_like_vcard(self) -> bool:
        with self.path.open("rb") as stream:
            head = stream.read(4096).decode(self.encoding, errors="ignore").lstrip("\ufeff \r\n\t")
        return head.upper().startswith("BEGIN:VCARD")


def read_file(
    source: FileSource, file_format: str, overrides: Mapping, delimiter: str = ""
) -> Iterator[ContactRecord]:
    """Records of a vCard or CSV file ("auto": vCard when it starts with BEGIN:VCARD)."""
    if file_format == "auto":
        file_format = "vcard" if source.looks_like_vcard() else "csv"
    name = source.path.name
    with source.open() as stream:
        try:
            if file_format == "vcard":
                yield from read_vcards(stream, name)
            else:
                yield from read_csv(stream, name, overrides, delimiter)
        except UnicodeDecodeError as exc:
            raise ImportFailed(f"{name}: not valid {source.encoding} text ({exc.reason})") from None
