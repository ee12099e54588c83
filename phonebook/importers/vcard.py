"""vCard 2.1, 3.0 and 4.0 as Thunderbird, Outlook, Google, Apple, Android, Nextcloud export them (pure).

FN (else N), ORG (company;department), TITLE, EMAIL (a work or preferred one
first), every TEL (and Outlook's X-MS-TEL) with its TYPE (cell, home, fax,
work...) or Apple's X-ABLabel, UID as the key; folded lines, escapes,
``tel:`` URIs with their ``;ext=``.

The file is read as bytes: folded lines are joined before anything is
decoded (a fold may split a UTF-8 character), then each property's value is
decoded on its own (:mod:`phonebook.importers.decoding`): 2.1's
quoted-printable values and any value with a ``CHARSET`` in that charset,
the others as UTF-8 or, for that value alone, the file's legacy encoding.
"""

from __future__ import annotations

import quopri
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from phonebook.errors import ImportFailed
from phonebook.importers.decoding import Decoder
from phonebook.importers.records import ContactRecord, NumberRecord, label_of

_MAX_LINE = 1 << 20  # a longer vCard line (a huge PHOTO) is not read into memory at once
_SKIPPED = frozenset({"PHOTO", "LOGO", "SOUND", "KEY"})


@dataclass
class _Property:
    name: str
    params: dict[str, list[str]]
    value: str
    types: set[str] = field(default_factory=set)
    group: str = ""


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


def _split_head(line: bytes) -> tuple[bytes, bytes] | None:
    """``(head, value)`` split at the first colon outside double quotes, or None without one."""
    quoted = False
    for index, byte in enumerate(line):
        if byte == 0x22:  # "
            quoted = not quoted
        elif byte == 0x3A and not quoted:  # :
            return line[:index], line[index + 1 :]
    return None


def _parse_head(head: str) -> tuple[str, str, dict[str, list[str]], set[str]]:
    """Group, name, parameters and TYPE values of ``group.NAME;PARAM=a,b;TYPE=x`` (2.1: bare types)."""
    name, *raw_params = _split_params(head)
    group, _, name = name.rpartition(".")  # an Apple/Google "item1." group
    params: dict[str, list[str]] = {}
    types: set[str] = set()
    for raw in raw_params:
        key, eq, val = raw.partition("=")
        values = [v.strip('"').strip() for v in val.split(",")] if eq else [key]
        key = key.upper() if eq else "TYPE"
        params.setdefault(key, []).extend(values)
        if key == "TYPE":
            types.update(v.lower() for v in values)
    return group.lower(), name.upper(), params, types


def _value(raw: bytes, params: dict[str, list[str]], decoder: Decoder, line: int, charsets: bool) -> str:
    """The text of a property's value: quoted-printable undone, then decoded in the right charset."""
    encoding = {value.upper() for value in params.get("ENCODING", [])}
    charset = (params.get("CHARSET") or [""])[0]
    if encoding & {"B", "BASE64"}:
        return raw.decode("latin-1")  # a photo or a key: never a field we keep
    if encoding & {"QUOTED-PRINTABLE", "Q"}:
        raw = quopri.decodestring(raw)
    elif not charsets:
        charset = ""  # a UTF-16 file: its values are text already, whatever they declare
    return decoder.declared(raw, charset, line) if charset else decoder.text(raw, line)


def parse_property(
    line: str | bytes, decoder: Decoder | None = None, number: int = 0, charsets: bool = True
) -> _Property | None:
    """``group.NAME;PARAM=a,b;TYPE=x:value`` (and 2.1's bare ``TEL;WORK;VOICE:``), or None."""
    decoder = decoder or Decoder("a vCard")
    split = _split_head(line.encode("utf-8") if isinstance(line, str) else line)
    if split is None:
        return None
    head, raw = split
    group, name, params, types = _parse_head(decoder.text(head, number))
    value = _value(raw, params, decoder, number, charsets)
    return _Property(name=name, params=params, value=value, types=types, group=group)


def _is_qp(line: bytes) -> bool:
    split = _split_head(line)
    return split is not None and b"QUOTED-PRINTABLE" in split[0].upper()


def _unfolded_lines(lines: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """Logical lines (bytes) with their first line number: folded lines (leading space or tab)
    joined, and quoted-printable soft line breaks (a trailing ``=``) too."""
    pending: list[bytes] = []
    start = 0
    qp = False
    for number, text in enumerate(lines, start=1):
        line = text.rstrip(b"\r\n")
        if pending and (line[:1] in (b" ", b"\t") and not qp):
            pending.append(line[1:])
        elif pending and qp and pending[-1].endswith(b"="):
            pending[-1] = pending[-1][:-1]
            pending.append(line)
        else:
            if pending:
                yield start, b"".join(pending)
            pending, start = [line], number
            qp = _is_qp(line)
        if sum(len(part) for part in pending) > _MAX_LINE:
            # A photo or other blob: never a field we keep; stop holding it.
            pending = [pending[0][:200] + b":"]
    if pending:
        yield start, b"".join(pending)


_TEL_LABELS = (
    ("fax", "fax"),
    ("callback", "other"),
    ("pager", "other"),
    ("cell", "mobile"),
    ("mobile", "mobile"),
    ("iphone", "mobile"),
    ("car", "mobile"),
    ("home", "home"),
)
_AB_LABELS = {"homefax": "fax", "workfax": "fax", "otherfax": "fax"}
"""Apple's standard X-ABLabel values ("_$!<HomeFAX>!$_") that :func:`label_of` cannot split."""


def tel_label(types: set[str]) -> str:
    for vcard_type, label in _TEL_LABELS:
        if vcard_type in types:
            return label
    if types & {"work", "voice", "main", "pref", "msg", "x-work"} or not types:
        return "work"
    return "other"


def tel_value(value: str) -> str:
    """A TEL value as written: a ``tel:`` URI's number, with its ``;ext=`` as " ext. 12"."""
    value = _unescape(value).strip()
    if not value.lower().startswith("tel:"):
        return value
    number, *params = value[4:].split(";")
    extension = next((p.split("=", 1)[1] for p in params if p.lower().startswith("ext=")), "")
    return f"{number} ext. {extension}" if extension else number


def read_vcards(
    lines: Iterable[bytes], source: str, decoder: Decoder, charsets: bool = True
) -> Iterator[ContactRecord]:
    """The contacts of a vCard file given as byte lines. Raises :class:`ImportFailed` for a broken file."""
    card: list[_Property] | None = None
    start = 0
    for number, line in _unfolded_lines(lines):
        if not line.strip():
            continue
        prop = parse_property(line, decoder, number, charsets)
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
            if prop.name not in _SKIPPED:
                card.append(prop)
        else:
            raise ImportFailed(f"{source}, line {number}: text outside BEGIN:VCARD/END:VCARD")
    if card is not None:
        raise ImportFailed(f"{source}: the file ends inside a card (line {start})")


def _email(props: list[_Property]) -> str:
    """The preferred or work e-mail address, else the first."""
    emails = [prop for prop in props if prop.name == "EMAIL" and prop.value.strip()]
    emails.sort(key=lambda prop: not (prop.types & {"pref", "work"} or "PREF" in prop.params))
    return _unescape(emails[0].value).strip() if emails else ""


def _numbers(props: list[_Property]) -> list[NumberRecord]:
    labels = {prop.group: prop.value.strip().lower() for prop in props if prop.name == "X-ABLABEL"}
    numbers = []
    for prop in props:
        if prop.name in ("TEL", "X-MS-TEL"):
            label = tel_label(prop.types)
            if not prop.types and prop.group in labels:
                written = labels[prop.group].removeprefix("_$!<").removesuffix(">!$_")
                label = _AB_LABELS.get(written) or label_of(written)
            numbers.append(NumberRecord(label, tel_value(prop.value)))
    return numbers


def vcard_to_record(props: list[_Property], where: str) -> ContactRecord:
    """One vCard as a contact record (pure)."""
    record = ContactRecord(name="", where=where, email=_email(props), numbers=_numbers(props))
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
        elif prop.name == "UID" and not record.key:
            record.key = prop.value.strip()
    if not record.name:
        record.name = given_family
    return record
