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
import csv
import io
import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from phonebook.importers.mapping import TEXT_FIELDS, Mapping
from phonebook.importers.records import ContactRecord, ImportFailed, NumberRecord
from phonebook.text import fold

_CHUNK = 1 << 16
_MAX_LINE = 1 << 20  # a longer vCard line (a huge PHOTO) is not read into memory at once


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


# --- vCard -----------------------------------------------------------------------------------


@dataclass
class _Property:
    name: str
    params: dict[str, list[str]]
    value: str
    types: set[str] = field(default_factory=set)


_ESCAPES = re.compile(r"\\(.)", re.DOTALL)


def _unescape(value: str) -> str:
    return _ESCAPES.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _split_escaped(value: str, separator: str) -> list[str]:
    """Split on ``separator`` not preceded by a backslash, then unescape each part."""
    parts, current, escaped = [], [], False
    for ch in value:
        if escaped:
            current.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [_unescape(part) for part in parts]


def _split_params(text: str) -> list[str]:
    """Split ``;``-separated parameters, respecting double quotes."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def parse_property(line: str) -> _Property | None:
    """``group.NAME;PARAM=a,b;TYPE=x:value`` (and 2.1's bare ``TEL;WORK;VOICE:``)."""
    head, sep, value = _split_head(line)
    if not sep:
        return None
    name, *raw_params = _split_params(head)
    name = name.rsplit(".", 1)[-1].upper()  # drop an Apple/Google "item1." group
    params: dict[str, list[str]] = {}
    types: set[str] = set()
    for raw in raw_params:
        key, eq, val = raw.partition("=")
        values = [v.strip('"').strip() for v in val.split(",")] if eq else [key]
        key = key.upper() if eq else "TYPE"
        params.setdefault(key, []).extend(values)
        if key == "TYPE":
            types.update(v.lower() for v in values)
    encoding = [v.upper() for v in params.get("ENCODING", [])]
    if "QUOTED-PRINTABLE" in encoding:
        charset = (params.get("CHARSET") or ["utf-8"])[0]
        try:
            value = quopri.decodestring(value.encode("latin-1", errors="replace")).decode(
                charset, errors="replace"
            )
        except LookupError:
            value = quopri.decodestring(value.encode("latin-1", errors="replace")).decode(
                "utf-8", errors="replace"
            )
    return _Property(name=name, params=params, value=value, types=types)


def _split_head(line: str) -> tuple[str, str, str]:
    """Split at the first colon outside double quotes."""
    quoted = False
    for index, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            return line[:index], ":", line[index + 1 :]
    return line, "", ""


def _unfolded_lines(stream: io.TextIOBase) -> Iterator[tuple[int, str]]:
    """Logical lines with their first line number: folded lines (leading space or tab) joined,
    and quoted-printable soft line breaks (a trailing ``=``) too."""
    pending: list[str] = []
    start = 0
    qp = False
    for number, text in enumerate(stream, start=1):
        line = text.rstrip("\r\n")
        if pending and (line[:1] in (" ", "\t") and not qp):
            pending.append(line[1:])
        elif pending and qp and pending[-1].endswith("="):
            pending[-1] = pending[-1][:-1]
            pending.append(line)
        else:
            if pending:
                yield start, "".join(pending)
            pending, start = [line], number
            qp = "QUOTED-PRINTABLE" in line.split(":", 1)[0].upper()
        if sum(len(part) for part in pending) > _MAX_LINE:
            # A photo or other blob: never a field we keep; stop holding it.
            pending = [pending[0][:200] + ":"]
    if pending:
        yield start, "".join(pending)


_TEL_LABELS = (
    ("fax", "fax"),
    ("cell", "mobile"),
    ("mobile", "mobile"),
    ("iphone", "mobile"),
    ("home", "home"),
)


def tel_label(types: set[str]) -> str:
    for vcard_type, label in _TEL_LABELS:
        if vcard_type in types:
            return label
    if types & {"work", "voice", "main", "pref", "msg", "x-work"} or not types:
        return "work"
    return "other"


def read_vcards(stream: io.TextIOBase, source: str) -> Iterator[ContactRecord]:
    card: list[_Property] | None = None
    start = 0
    for number, line in _unfolded_lines(stream):
        if not line.strip():
            continue
        prop = parse_property(line)
        if prop is None:
            if card is not None:
                continue  # a stray line inside a card: ignored, as every reader does
            raise ImportFailed(f"{source}, line {number}: not a vCard line")
        if prop.name == "BEGIN" and prop.value.strip().upper() == "VCARD":
            if card is not None:
                raise ImportFailed(f"{source}, line {number}: BEGIN:VCARD inside another card")
            card, start = [], number
        elif prop.name == "END" and prop.value.strip().upper() == "VCARD":
            if card is None:
                raise ImportFailed(f"{source}, line {number}: END:VCARD without BEGIN")
            yield vcard_to_record(card, f"{source}, line {start}")
            card = None
        elif card is not None:
            if prop.name not in ("PHOTO", "LOGO", "SOUND", "KEY"):
                card.append(prop)
        else:
            raise ImportFailed(f"{source}, line {number}: text outside BEGIN:VCARD/END:VCARD")
    if card is not None:
        raise ImportFailed(f"{source}: the file ends inside a card (line {start})")


def vcard_to_record(props: list[_Property], where: str) -> ContactRecord:
    """One vCard as a contact record (pure)."""
    record = ContactRecord(name="", where=where)
    given_family = ""
    for prop in props:
        if prop.name == "FN" and not record.name:
            record.name = _unescape(prop.value).strip()
        elif prop.name == "N" and not given_family:
            parts = [*_split_escaped(prop.value, ";"), "", "", "", "", ""]
            family, given, additional, prefix, suffix = (p.strip() for p in parts[:5])
            given_family = " ".join(p for p in (prefix, given, additional, family, suffix) if p)
        elif prop.name == "ORG" and not record.company:
            org = [*_split_escaped(prop.value, ";"), ""]
            record.company, record.department = org[0].strip(), org[1].strip()
        elif prop.name == "TITLE" and not record.title:
            record.title = _unescape(prop.value).strip()
        elif prop.name == "EMAIL" and not record.email:
            record.email = _unescape(prop.value).strip()
        elif prop.name == "UID" and not record.key:
            record.key = prop.value.strip()
        elif prop.name == "TEL":
            value = prop.value.strip()
            if value.lower().startswith("tel:"):
                value = value[4:].split(";", 1)[0]
            record.numbers.append(NumberRecord(tel_label(prop.types), _unescape(value)))
    if not record.name:
        record.name = given_family
    return record


# --- CSV -------------------------------------------------------------------------------------

# Known headers (folded) of common exports -> field. Google's "Phone 1 - Value" with
# "Phone 1 - Type"/"Label" pairs are handled apart.
_KNOWN_HEADERS = {
    "name": "name, full name, display name, fn, nom, nom complet",
    "company": "company, organization, organisation, organization name, organization 1 name, "
    "societe, entreprise",
    "department": "department, organization department, organization 1 department, service, departement",
    "title": "title, job title, organization title, organization 1 title, fonction",
    "email": "email, e mail, e mail address, primary email, e mail 1 value, mail, email address, courriel",
    "work": "work, work phone, business phone, business phone 2, company main phone, telephone, phone, "
    "telephone number, primary phone, telephone professionnel",
    "mobile": "mobile, mobile phone, mobile number, cell, cellular number, portable",
    "home": "home, home phone, home phone 2, telephone personnel",
    "fax": "fax, business fax, fax number, home fax",
    "other": "other, other phone, pager, pager number, assistant s phone",
    "key": "key, uid, id",
}
CSV_HEADERS: dict[str, str] = {
    header.strip(): target for target, headers in _KNOWN_HEADERS.items() for header in headers.split(",")
}
_PREFERRED = ("display name", "full name", "job title", "organization title", "organization 1 title")
_GIVEN = ("first name", "given name", "prenom")
_FAMILY = ("last name", "family name", "surname")
_GOOGLE_PHONE = re.compile(r"^phone (\d+) value$")


def _label_of(text: str) -> str:
    folded = fold(text)
    if "fax" in folded:
        return "fax"
    for word, label in (("mobile", "mobile"), ("cell", "mobile"), ("home", "home"), ("work", "work")):
        if word in folded:
            return label
    return "work" if not folded else "other"


@dataclass
class CsvLayout:
    """Which column gives what: fields (first non-empty wins), numbers, given/family names."""

    fields: dict[str, list[int]] = field(default_factory=dict)
    numbers: list[tuple[str, int]] = field(default_factory=list)
    typed_numbers: list[tuple[int, int]] = field(default_factory=list)  # (value column, type column)
    given: int | None = None
    family: int | None = None


def _apply_overrides(layout: CsvLayout, folded: list[str], overrides: Mapping) -> None:
    index = {f: i for i, f in reversed(list(enumerate(folded)))}
    for name, headers in overrides.items():
        for header in headers:
            if fold(header) not in index:
                raise ImportFailed(f"--columns: the file has no column {header!r}")
        columns = [index[fold(header)] for header in headers]
        if name in TEXT_FIELDS:
            layout.fields[name] = columns
        else:
            layout.numbers.extend((name, column) for column in columns)


def _google_phone(layout: CsvLayout, folded: list[str], column: int, number: str) -> None:
    for type_header in (f"phone {number} type", f"phone {number} label"):
        if type_header in folded:
            layout.typed_numbers.append((column, folded.index(type_header)))
            return
    layout.typed_numbers.append((column, -1))


def csv_layout(header: list[str], overrides: Mapping) -> CsvLayout:
    """Which column gives what, from the header and ``--columns``; ImportFailed for a missing column."""
    layout = CsvLayout()
    folded = [fold(h) for h in header]
    _apply_overrides(layout, folded, overrides)
    mapped = {c for cols in layout.fields.values() for c in cols} | {c for _, c in layout.numbers}
    for i, h in enumerate(folded):
        target = CSV_HEADERS.get(h)
        if i in mapped:
            continue
        if target and target not in overrides:
            if target in TEXT_FIELDS:
                layout.fields.setdefault(target, []).append(i)
            else:
                layout.numbers.append((target, i))
        elif h in _GIVEN and layout.given is None:
            layout.given = i
        elif h in _FAMILY and layout.family is None:
            layout.family = i
        elif match := _GOOGLE_PHONE.match(h):
            _google_phone(layout, folded, i, match.group(1))
    for name, columns in layout.fields.items():
        # "Job Title" before Outlook's "Title" (Mr., Dr.), "Display Name" before "Name"...
        columns.sort(
            key=lambda c: _PREFERRED.index(folded[c]) if folded[c] in _PREFERRED else len(_PREFERRED)
        )
        if name == "title" and folded[columns[0]] in _PREFERRED:
            del columns[1:]  # Outlook's "Title" is Mr. or Dr. when a "Job Title" is there
    if not layout.fields.get("name") and layout.given is None and layout.family is None:
        raise ImportFailed(
            "the CSV header has no name column (Name, Full Name, Display Name, First Name/Last Name...): "
            "say which with --columns name=Header"
        )
    return layout


def row_to_record(row: list[str], layout: CsvLayout, where: str) -> ContactRecord:
    def cell(index: int) -> str:
        return row[index].strip() if 0 <= index < len(row) else ""

    record = ContactRecord(name="", where=where)
    for name, columns in layout.fields.items():
        value = next((cell(c) for c in columns if cell(c)), "")
        setattr(record, name, value)
    if not record.name:
        parts = (cell(c) for c in (layout.given, layout.family) if c is not None)
        record.name = " ".join(p for p in parts if p)
    for label, column in layout.numbers:
        if cell(column):
            record.numbers.append(NumberRecord(label, cell(column)))
    for value_column, type_column in layout.typed_numbers:
        # Google puts several numbers of one type in one cell: "a ::: b".
        for value in cell(value_column).split(":::"):
            if value.strip():
                record.numbers.append(NumberRecord(_label_of(cell(type_column)), value.strip()))
    return record


def read_csv(
    stream: io.TextIOBase, source: str, overrides: Mapping, delimiter: str = ""
) -> Iterator[ContactRecord]:
    header_line = stream.readline()
    if not header_line.strip():
        raise ImportFailed(f"{source}: empty file (a CSV file starts with a header row)")
    header_line = header_line.lstrip("\ufeff")
    if not delimiter:
        counts = {d: header_line.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=lambda d: counts[d])
    header = next(csv.reader([header_line], delimiter=delimiter))
    layout = csv_layout(header, overrides)
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield row_to_record(row, layout, f"{source}, line {reader.line_num + 1}")
    except csv.Error as exc:
        raise ImportFailed(f"{source}, line {reader.line_num + 1}: {exc}") from None


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
