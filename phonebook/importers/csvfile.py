"""CSV files with a header row: Outlook, Google, Apple and Thunderbird exports, or any with a mapping (pure).

The known headers are in :mod:`phonebook.importers.csv_headers`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from phonebook.errors import ImportFailed
from phonebook.importers import csv_headers as known
from phonebook.importers.mapping import TEXT_FIELDS, Mapping
from phonebook.importers.records import ContactRecord, NumberRecord, label_of
from phonebook.text import fold

_GOOGLE_PHONE = re.compile(r"^phone (\d+) value$")


@dataclass
class CsvLayout:
    """Which column gives what: fields (first non-empty wins), numbers, parts of the name."""

    fields: dict[str, list[int]] = field(default_factory=dict)
    numbers: list[tuple[str, int]] = field(default_factory=list)
    typed_numbers: list[tuple[int, int]] = field(default_factory=list)  # (value column, type column)
    given: int | None = None
    middle: int | None = None
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


def _name_part(layout: CsvLayout, folded: list[str], column: int) -> bool:
    """Takes ``column`` as a part of the name (given, middle, family) if it is one; says if it was."""
    header = folded[column]
    if header in known.FAMILY_WITH_GIVEN and not known.GIVEN & set(folded):
        return False  # a French "Nom" alone: the whole name
    for part, headers in (
        ("given", known.GIVEN),
        ("middle", known.MIDDLE),
        ("family", known.FAMILY | known.FAMILY_WITH_GIVEN),
    ):
        if header in headers:
            if getattr(layout, part) is None:
                setattr(layout, part, column)
            return True
    return False


def _order(layout: CsvLayout, folded: list[str]) -> None:
    """The columns of each text field in order of preference (see csv_headers)."""
    for name, columns in layout.fields.items():
        columns.sort(key=lambda c: known.RANK.get(folded[c], len(known.RANK)))
        if name == "title" and len(columns) > 1:
            columns[:] = [c for c in columns if folded[c] != known.COURTESY_TITLE]


def csv_layout(header: list[str], overrides: Mapping) -> CsvLayout:
    """Which column gives what, from the header and ``--columns``; ImportFailed for a missing column."""
    layout = CsvLayout()
    folded = [fold(h) for h in header]
    _apply_overrides(layout, folded, overrides)
    mapped = {c for cols in layout.fields.values() for c in cols} | {c for _, c in layout.numbers}
    for i, h in enumerate(folded):
        if i in mapped or _name_part(layout, folded, i):
            continue
        target = known.CSV_HEADERS.get(h) or ("name" if h in known.FAMILY_WITH_GIVEN else "")
        if target and target not in overrides:
            if target in TEXT_FIELDS:
                layout.fields.setdefault(target, []).append(i)
            else:
                layout.numbers.append((target, i))
        elif match := _GOOGLE_PHONE.match(h):
            _google_phone(layout, folded, i, match.group(1))
    _order(layout, folded)
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
        parts = (cell(c) for c in (layout.given, layout.middle, layout.family) if c is not None)
        record.name = " ".join(p for p in parts if p)
    for label, column in layout.numbers:
        if cell(column):
            record.numbers.append(NumberRecord(label, cell(column)))
    for value_column, type_column in layout.typed_numbers:
        # Google puts several numbers of one type in one cell: "a ::: b".
        for value in cell(value_column).split(":::"):
            if value.strip():
                record.numbers.append(NumberRecord(label_of(cell(type_column)), value.strip()))
    return record


def read_csv(
    lines: Iterable[str], source: str, overrides: Mapping, delimiter: str = ""
) -> Iterator[ContactRecord]:
    """The contacts of a CSV file given as text lines (line ends kept). Raises :class:`ImportFailed`."""
    stream = iter(lines)
    header_line = next(stream, "")
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
