"""Cleaning and checking one imported record (pure but for the model's field lengths)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import phonenumbers

from phonebook.errors import ImportFailed
from phonebook.importers.records import LABELS, ContactRecord
from phonebook.models import Contact, PhoneNumber
from phonebook.text import clean, digits_of

TEXT_FIELDS = ("name", "company", "department", "title", "email")
_MAX_LENGTHS = {name: Contact._meta.get_field(name).max_length for name in TEXT_FIELDS}
_MAX_RAW = PhoneNumber._meta.get_field("raw").max_length
# Part of every fingerprint: a new version of the library may read numbers differently.
LIBRARY = phonenumbers.__version__


@dataclass
class Prepared:
    record: ContactRecord
    key: str
    explicit_key: bool
    source_hash: str
    fingerprint: str
    fields: dict[str, str]
    numbers: list[tuple[str, str, str]] = field(default_factory=list)  # label, raw, digits


def key_hash(key: str) -> str:
    """The stored, indexed form of a source key."""
    return hashlib.sha256(key.encode()).hexdigest()


def prepare(
    record: ContactRecord,
    country: str,
    keep_without_number: bool,
    fingerprint: str = "",
    source_hash: str = "",
) -> Prepared | None:
    """Clean and check one record; None when it is skipped. Raises ImportFailed on bad data.

    ``fingerprint``: the source's own (else one is computed from the cleaned fields);
    ``source_hash``: ``key_hash`` of the record's key, when the caller has it already."""
    where = record.where or "a record"
    values = {name: clean(getattr(record, name) or "") for name in TEXT_FIELDS}
    if not values["name"]:
        values["name"] = values["company"] or values["email"]
    for name, value in values.items():
        if len(value) > _MAX_LENGTHS[name]:
            raise ImportFailed(f"{where}: the {name} is longer than {_MAX_LENGTHS[name]} characters")
    numbers: list[tuple[str, str, str]] = []
    seen_digits: set[str] = set()
    for number in record.numbers:
        raw = clean(number.raw)
        digits = digits_of(raw)
        if not digits or digits in seen_digits:
            continue  # "n/a", "-", or the same number under another attribute
        if len(raw) > _MAX_RAW:
            raise ImportFailed(f"{where}: the number {raw[:20]!r}… is longer than {_MAX_RAW} characters")
        if number.label not in LABELS:
            raise ImportFailed(f"{where}: unknown number label {number.label!r}")
        seen_digits.add(digits)
        numbers.append((number.label, raw, digits))  # E.164 only when written: parsing is slow
    if not values["name"] or (not numbers and not keep_without_number):
        return None
    key = clean(record.key)
    explicit = bool(key)
    if not explicit:
        key = "auto:" + "|".join(values[name].casefold() for name in ("name", "company", "email"))
    # Cleaned values hold no control characters: \x1f and \x1e separate them unambiguously.
    fingerprint = (
        fingerprint
        or hashlib.sha256(
            "\x1e".join(
                [
                    *values.values(),
                    *(f"{label}\x1f{raw}" for label, raw, _digits in numbers),
                    country,
                    LIBRARY,
                    key,
                ]
            ).encode()
        ).hexdigest()
    )
    return Prepared(
        record=record,
        key=key,
        explicit_key=explicit,
        source_hash=source_hash if source_hash and explicit else key_hash(key),
        fingerprint=fingerprint,
        fields=values,
        numbers=numbers,
    )
