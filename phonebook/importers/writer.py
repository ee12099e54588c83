"""Writing imported contacts: batches, idempotence, --prune, all or nothing.

The whole import is one database transaction: a failure anywhere (the
source goes away, bad data, Ctrl-C) rolls everything back, and a dry run is
the same import rolled back at the end, so that its counts are exact.
Memory stays bounded: records are consumed as the source streams them, in
batches; the keys seen so far live in a temporary table of the database,
not in Python.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

import phonenumbers
from django.db import DatabaseError, connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from phonebook.importers.records import LABELS, ContactRecord, ImportFailed
from phonebook.models import SORT_NAME_LENGTH, Contact, PhoneNumber, join_search_digits
from phonebook.numbers import to_e164
from phonebook.search_index import BulkSync
from phonebook.text import clean, digits_of, fold

logger = logging.getLogger(__name__)

SEEN_TABLE = "phonebook_import_seen"
_TEXT_FIELDS = ("name", "company", "department", "title", "email")
_MAX_LENGTHS = {name: Contact._meta.get_field(name).max_length for name in _TEXT_FIELDS}
_MAX_RAW = PhoneNumber._meta.get_field("raw").max_length
_CONTACT_COLUMNS = (
    *_TEXT_FIELDS,
    "source",
    "source_name",
    "source_key",
    "source_hash",
    "fingerprint",
    "sort_name",
    "search_org",
    "search_digits",
    "created",
    "updated",
)
_INSERT_CONTACT = (
    f"INSERT INTO phonebook_contact ({', '.join(_CONTACT_COLUMNS)}) "  # noqa: S608 (constants)
    f"VALUES ({', '.join(['%s'] * len(_CONTACT_COLUMNS))})"
)


@dataclass
class ImportOptions:
    source: str  # Contact.Source, never "manual"
    source_name: str
    country: str
    prune: bool = False
    dry_run: bool = False
    keep_without_number: bool = False
    batch_size: int = 500


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: int = 0
    duplicates: int = 0
    read: int = 0

    def summary(self, dry_run: bool) -> str:
        verb = "would be " if dry_run else ""
        return (
            f"{self.read} read: {self.created} {verb}created, {self.updated} {verb}updated, "
            f"{self.unchanged} unchanged, {self.removed} {verb}removed, "
            f"{self.skipped} skipped (no name or no number), {self.duplicates} duplicates skipped"
        )


@dataclass
class _Prepared:
    record: ContactRecord
    key: str
    explicit_key: bool
    source_hash: str
    fingerprint: str
    fields: dict[str, str]
    numbers: list[tuple[str, str, str]] = field(default_factory=list)  # label, raw, digits


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _where(entry: _Prepared | ContactRecord) -> str:
    record = entry if isinstance(entry, ContactRecord) else entry.record
    return record.where or "a record"


def _ids_in(ids: list[int]) -> tuple[str, list]:
    """A WHERE clause on phonebook_contact for these ids, and its parameters."""
    return f"id IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _batches(records: Iterable[ContactRecord], size: int) -> Iterator[list[ContactRecord]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


class ContactImport:
    """Runs one import. ``progress(records_read)`` is called after each batch;
    ``report(line)`` receives one line per created, updated or removed contact."""

    def __init__(
        self,
        options: ImportOptions,
        progress: Callable[[int], None] | None = None,
        report: Callable[[str], None] | None = None,
    ) -> None:
        if options.source == Contact.Source.MANUAL or options.source not in Contact.Source.values:
            raise ValueError(f"not an import source: {options.source!r}")
        if not options.source_name or len(options.source_name) > 100:
            raise ImportFailed("the source name must be 1 to 100 characters long")
        self.options = options
        self.progress = progress
        self.report = report
        self.counts = ImportCounts()
        self.library = phonenumbers.__version__
        self.sync = BulkSync(connection)

    # --- the run ----------------------------------------------------------------

    def run(self, records: Iterable[ContactRecord]) -> ImportCounts:
        """Import every record; returns the counts. Raises ImportFailed (nothing changed)."""
        try:
            with transaction.atomic():
                if connection.vendor == "sqlite":
                    with connection.cursor() as cursor:
                        # Room for the indexes being written (pages, not rows: memory stays bounded).
                        cursor.execute("PRAGMA cache_size = -65536")
                self.sync.pause()
                self._create_seen_table()
                for batch in _batches(records, self.options.batch_size):
                    self._write(batch)
                    if self.progress is not None:
                        self.progress(self.counts.read)
                if self.options.prune:
                    self._prune()
                self._drop_seen_table()
                self.sync.resume()
                if self.options.dry_run:
                    transaction.set_rollback(True)
        finally:
            if connection.vendor == "mysql":
                # MySQL's temporary tables are not transactional: gone on rollback too.
                try:
                    with connection.cursor() as cursor:
                        cursor.execute(f"DROP TEMPORARY TABLE IF EXISTS {SEEN_TABLE}")
                except DatabaseError:  # the connection itself failed: its session (and table) is gone
                    pass
        return self.counts

    def _create_seen_table(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "mysql":
                cursor.execute(f"DROP TEMPORARY TABLE IF EXISTS {SEEN_TABLE}")
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {SEEN_TABLE} "
                    "(source_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin PRIMARY KEY)"
                )
            else:
                # Created and dropped inside the transaction: a rollback takes it away too.
                cursor.execute(f"DROP TABLE IF EXISTS {self._temp_schema()}{SEEN_TABLE}")
                cursor.execute(f"CREATE TEMPORARY TABLE {SEEN_TABLE} (source_hash varchar(64) PRIMARY KEY)")

    def _drop_seen_table(self) -> None:
        if connection.vendor != "mysql":
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self._temp_schema()}{SEEN_TABLE}")

    @staticmethod
    def _temp_schema() -> str:
        return {"sqlite": "temp.", "postgresql": "pg_temp."}.get(connection.vendor, "")

    # --- one batch --------------------------------------------------------------

    def _prepare(self, record: ContactRecord, fingerprint: str = "") -> _Prepared | None:
        """Clean and check one record; None when it is skipped. Raises ImportFailed on bad data.

        ``fingerprint``: the source's own (else one is computed from the cleaned fields)."""
        where = record.where or "a record"
        values = {name: clean(getattr(record, name) or "") for name in _TEXT_FIELDS}
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
        if not values["name"] or (not numbers and not self.options.keep_without_number):
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
                        self.options.country,
                        self.library,
                        key,
                    ]
                ).encode()
            ).hexdigest()
        )
        return _Prepared(
            record=record,
            key=key,
            explicit_key=explicit,
            source_hash=_hash(key),
            fingerprint=fingerprint,
            fields=values,
            numbers=numbers,
        )

    def _write(self, batch: list[ContactRecord]) -> None:
        self.counts.read += len(batch)
        entries = self._collect(batch)
        if entries:
            self._classify(entries)

    def _collect(self, batch: list[ContactRecord]) -> dict[str, _Prepared | ContactRecord]:
        """By source hash, this batch's prepared records, or records whose source gave a fingerprint
        (prepared only when that fingerprint changed since the last import); duplicates found."""
        entries: dict[str, _Prepared | ContactRecord] = {}
        for record in batch:
            entry: _Prepared | ContactRecord | None
            if record.fingerprint and clean(record.key):
                entry, source_hash = record, _hash(clean(record.key))
            else:
                entry = self._prepare(record)
                if entry is None:
                    self.counts.skipped += 1
                    continue
                source_hash = entry.source_hash
            if source_hash in entries:
                self._duplicate(entry, _where(entries[source_hash]))
                continue
            entries[source_hash] = entry
        if not entries:
            return entries
        with connection.cursor() as cursor:
            placeholders = ", ".join(["%s"] * len(entries))
            cursor.execute(
                "SELECT source_hash FROM phonebook_import_seen WHERE source_hash IN (" + placeholders + ")",  # noqa: S608 (placeholders only)
                list(entries),
            )
            for (source_hash,) in cursor.fetchall():
                self._duplicate(entries.pop(source_hash), "earlier")
        return entries

    def _classify(self, entries: dict[str, _Prepared | ContactRecord]) -> None:
        """Unchanged, created or updated; then written."""
        existing = {
            source_hash: (contact_id, fingerprint)
            for source_hash, contact_id, fingerprint in self._known(list(entries), "id, fingerprint")
        }
        seen: list[str] = []
        to_create: list[_Prepared] = []
        to_update: list[tuple[int, _Prepared]] = []
        for source_hash, entry in entries.items():
            contact_id, fingerprint = existing.get(source_hash, (None, ""))
            if isinstance(entry, ContactRecord):
                source_fingerprint = self._source_fingerprint(entry)
                if contact_id is not None and fingerprint == source_fingerprint:
                    self.counts.unchanged += 1
                    seen.append(source_hash)
                    continue
                entry.load()
                item = self._prepare(entry, source_fingerprint)
                if item is None:
                    self.counts.skipped += 1
                    continue
            else:
                item = entry
            seen.append(source_hash)
            if contact_id is None:
                to_create.append(item)
            elif fingerprint == item.fingerprint:
                self.counts.unchanged += 1
            else:
                to_update.append((contact_id, item))
        if seen:
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO phonebook_import_seen (source_hash) VALUES (%s)", [(h,) for h in seen]
                )
        self._create(to_create)
        self._update(to_update)

    def _source_fingerprint(self, record: ContactRecord) -> str:
        settings = f"{record.fingerprint}\x1e{self.options.country}\x1e{self.library}"
        return hashlib.sha256(settings.encode()).hexdigest()

    def _known(self, hashes: list[str], columns: str) -> list[tuple]:
        """``(source_hash, *columns)`` of this source's contacts with these hashes (plain SQL: the
        ORM's handling of 500 parameters costs more than the query)."""
        placeholders = ", ".join(["%s"] * len(hashes))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT source_hash, {columns} FROM phonebook_contact "  # noqa: S608 (constants)
                f"WHERE source = %s AND source_name = %s AND source_hash IN ({placeholders})",
                [self.options.source, self.options.source_name, *hashes],
            )
            return list(cursor.fetchall())

    def _duplicate(self, entry: _Prepared | ContactRecord, first_where: str) -> None:
        if isinstance(entry, ContactRecord) or entry.explicit_key:
            key = clean(entry.key)
            raise ImportFailed(
                f"{_where(entry)}: key {key!r} appears twice (first {first_where}); "
                "each contact needs its own key"
            )
        self.counts.duplicates += 1

    def _with_e164(self, item: _Prepared) -> list[tuple[str, str, str, str]]:
        return [
            (label, raw, to_e164(raw, self.options.country), digits) for label, raw, digits in item.numbers
        ]

    def _contact(
        self, item: _Prepared, numbers: list[tuple[str, str, str, str]], contact_id: int | None = None
    ) -> Contact:
        contact = Contact(
            id=contact_id,
            source=self.options.source,
            source_name=self.options.source_name,
            source_key=item.key,
            source_hash=item.source_hash,
            fingerprint=item.fingerprint,
            search_digits=join_search_digits((raw, e164) for _label, raw, e164, _digits in numbers),
            updated=timezone.now(),
            **item.fields,
        )
        contact.refresh_search_fields()
        return contact

    def _insert_numbers(self, rows: list[tuple[int, str, str, str, str]]) -> None:
        """Plain INSERTs: the ORM's per-field preparation costs more than the database here."""
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO phonebook_phonenumber (contact_id, label, raw, e164, digits) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    rows,
                )

    @staticmethod
    def _number_rows(contact_id: int, numbers: list[tuple[str, str, str, str]]) -> list[tuple]:
        return [(contact_id, label, raw, e164, digits[:64]) for label, raw, e164, digits in numbers]

    def _create(self, items: list[_Prepared]) -> None:
        if not items:
            return
        parsed = [self._with_e164(item) for item in items]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        rows = []
        for item, item_numbers in zip(items, parsed, strict=True):
            fields = item.fields
            rows.append(
                (
                    *(fields[name] for name in _TEXT_FIELDS),
                    self.options.source,
                    self.options.source_name,
                    item.key,
                    item.source_hash,
                    item.fingerprint,
                    fold(fields["name"])[:SORT_NAME_LENGTH],
                    fold(f"{fields['company']} {fields['department']}"),
                    join_search_digits((raw, e164) for _label, raw, e164, _digits in item_numbers),
                    now,
                    now,
                )
            )
        with connection.cursor() as cursor:
            cursor.executemany(_INSERT_CONTACT, rows)
        ids = dict(self._known([item.source_hash for item in items], "id"))
        self.sync.index(*_ids_in(list(ids.values())))
        numbers: list[tuple] = []
        for item, item_numbers in zip(items, parsed, strict=True):
            numbers.extend(self._number_rows(ids[item.source_hash], item_numbers))
            self._report("+", item)
        self._insert_numbers(numbers)
        self.counts.created += len(items)

    def _update(self, items: list[tuple[int, _Prepared]]) -> None:
        if not items:
            return
        parsed = [self._with_e164(item) for _contact_id, item in items]
        contacts = [
            self._contact(item, item_numbers, contact_id)
            for (contact_id, item), item_numbers in zip(items, parsed, strict=True)
        ]
        changed = _ids_in([contact_id for contact_id, _item in items])
        self.sync.forget(*changed)
        Contact.objects.bulk_update(
            contacts,
            [
                *_TEXT_FIELDS,
                "source_key",
                "fingerprint",
                "sort_name",
                "search_org",
                "search_digits",
                "updated",
            ],
        )
        self.sync.index(*changed)
        PhoneNumber.objects.filter(contact_id__in=[contact_id for contact_id, _ in items]).delete()
        numbers: list[tuple] = []
        for (contact_id, item), item_numbers in zip(items, parsed, strict=True):
            numbers.extend(self._number_rows(contact_id, item_numbers))
            self._report("~", item)
        self._insert_numbers(numbers)
        self.counts.updated += len(items)

    def _report(self, sign: str, item: _Prepared) -> None:
        if self.report is not None:
            self.report(f"{sign} {item.fields['name']} ({item.key})")

    # --- prune ------------------------------------------------------------------

    def _prune(self) -> None:
        """Remove the contacts of this source that the import did not see (never other sources)."""
        gone = Contact.objects.filter(
            source=self.options.source, source_name=self.options.source_name
        ).exclude(source_hash__in=RawSQL("SELECT source_hash FROM phonebook_import_seen", []))
        if self.report is not None:
            for name, key in gone.values_list("name", "source_key").iterator(chunk_size=1000):
                self.report(f"- {name} ({key})")
        PhoneNumber.objects.filter(contact_id__in=gone.values("id")).delete()
        where = (
            "source = %s AND source_name = %s "
            "AND source_hash NOT IN (SELECT source_hash FROM phonebook_import_seen)"
        )
        params = [self.options.source, self.options.source_name]
        self.sync.forget(where, params)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM phonebook_contact WHERE {where}", params)  # noqa: S608
            self.counts.removed = cursor.rowcount
