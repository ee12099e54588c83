"""vCard 2.1, 3.0 and 4.0, as exported by Thunderbird, Outlook, Google, Nextcloud (pure, streamed).

FN (else N), ORG (company;department), TITLE, EMAIL, every TEL with its TYPE
(cell, home, fax, work...), UID as the key; folded lines, escapes, and 2.1's
quoted-printable values with their CHARSET.
"""

from __future__ import annotations

import io
import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from phonebook.importers.records import ContactRecord, ImportFailed, NumberRecord

_MAX_LINE = 1 << 20  # a longer vCard line (a huge PHOTO) is not read into memory at once


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
