"""CSV files with a header row: Google, Outlook and Thunderbird exports, or any with a mapping (pure)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from phonebook.importers.mapping import TEXT_FIELDS, Mapping
from phonebook.importers.records import ContactRecord, ImportFailed, NumberRecord
from phonebook.text import fold

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
