"""Writing imported contacts: batches, idempotence, --prune, all or nothing.

The whole import is one database transaction: a failure anywhere (the
source goes away, bad data, Ctrl-C) rolls everything back, and a dry run is
the same import rolled back at the end, so that its counts are exact.
Memory stays bounded: records are consumed as the source streams them, in
batches; the keys seen so far live in a temporary table of the database
(``phonebook.importers.seen``), not in Python.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from operator import itemgetter

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from monitoring import metrics
from phonebook.errors import ImportFailed
from phonebook.importers import seen
from phonebook.importers.prepare import LIBRARY, TEXT_FIELDS, Prepared, key_hash, prepare
from phonebook.importers.prune import delete_numbers, prune
from phonebook.importers.records import ContactRecord
from phonebook.models import SORT_NAME_LENGTH, Contact, join_search_digits
from phonebook.numbers import e164_of
from phonebook.search_index import BulkSync
from phonebook.text import clean, fold

logger = logging.getLogger(__name__)

_CONTACT_COLUMNS = (
    *TEXT_FIELDS,
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
    prune_limit: int = 50  # percent of the source's contacts --prune may remove without --force
    force: bool = False
    dry_run: bool = False
    keep_without_number: bool = False
    batch_size: int = 500
    # The source guarantees that no key comes twice (LDAP's DNs and entryUUIDs): without
    # --prune, the import then need not remember the keys it saw.
    unique_keys: bool = False

    @property
    def track_keys(self) -> bool:
        return self.prune or not self.unique_keys


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
        """The counts in one line, in the current language."""
        if dry_run:
            template = _(
                "%(read)d read: %(created)d would be created, %(updated)d would be updated, "
                "%(unchanged)d unchanged, %(removed)d would be removed, "
                "%(skipped)d skipped (no name or no number), %(duplicates)d duplicates skipped"
            )
        else:
            template = _(
                "%(read)d read: %(created)d created, %(updated)d updated, "
                "%(unchanged)d unchanged, %(removed)d removed, "
                "%(skipped)d skipped (no name or no number), %(duplicates)d duplicates skipped"
            )
        return template % {
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped": self.skipped,
            "duplicates": self.duplicates,
        }


def _where(entry: Prepared | ContactRecord) -> str:
    record = entry if isinstance(entry, ContactRecord) else entry.record
    return record.where or "a record"


def _ids_in(ids: list[int]) -> tuple[str, list]:
    """A WHERE clause on phonebook_contact for these ids, and its parameters."""
    return f"id IN ({', '.join(['%s'] * len(ids))})", list(ids)


_text_fields = itemgetter(*TEXT_FIELDS)


@lru_cache(maxsize=4096)
def _fold_org(company: str, department: str) -> str:
    """``Contact.search_org`` (a directory has few companies and departments: cached)."""
    return fold(f"{company} {department}")


def _search_digits(numbers: list[tuple[str, str, str, str]]) -> str:
    """``join_search_digits`` of (label, raw, e164, digits) numbers, whose digits are known."""
    found: dict[str, None] = {}
    for _label, _raw, e164, digits in numbers:
        if digits:
            found[digits] = None
        if e164 and e164[1:] != digits:
            found[e164[1:]] = None
    return " ".join(found)


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
        self.sync = BulkSync(connection)

    # --- the run ----------------------------------------------------------------

    def run(self, records: Iterable[ContactRecord]) -> ImportCounts:
        """Import every record; returns the counts. Raises ImportFailed (nothing changed).

        Counted for Prometheus (``astitray_phonebook_import*``): the result, the time taken,
        and the contacts changed.
        """
        started = time.perf_counter()
        try:
            counts = self._run(records)
        except BaseException:
            metrics.count_import(self.options.source, "failed", time.perf_counter() - started, {})
            raise
        changes = {
            "created": counts.created,
            "updated": counts.updated,
            "removed": counts.removed,
            "unchanged": counts.unchanged,
            "skipped": counts.skipped + counts.duplicates,
        }
        result = "dry_run" if self.options.dry_run else "ok"
        seconds = time.perf_counter() - started
        metrics.count_import(self.options.source, result, seconds, {} if self.options.dry_run else changes)
        return counts

    def _run(self, records: Iterable[ContactRecord]) -> ImportCounts:
        # Garbage collections were a tenth of an import's time: the objects alive before
        # (Django, phonenumbers' metadata) are left out of them, and they come every 50,000
        # new objects instead of 700 (the import's objects die with their batch: memory
        # stays bounded either way).
        gc.freeze()
        thresholds = gc.get_threshold()
        gc.set_threshold(50_000, 20, 100)
        try:
            with transaction.atomic():
                if connection.vendor == "sqlite":
                    with connection.cursor() as cursor:
                        # Room for the indexes being written (pages, not rows: memory stays bounded).
                        cursor.execute("PRAGMA cache_size = -65536")
                self.sync.pause()
                if self.options.track_keys:
                    seen.create()
                for batch in _batches(records, self.options.batch_size):
                    self._write(batch)
                    if self.progress is not None:
                        self.progress(self.counts.read)
                if self.options.prune:
                    self.counts.removed = prune(self.options, self.sync, self.report)
                if self.options.track_keys:
                    seen.drop()
                self.sync.resume()
                if self.options.dry_run:
                    transaction.set_rollback(True)
        finally:
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            if self.options.track_keys:
                seen.close()
        return self.counts

    def _prepare(
        self, record: ContactRecord, fingerprint: str = "", source_hash: str = ""
    ) -> Prepared | None:
        return prepare(
            record, self.options.country, self.options.keep_without_number, fingerprint, source_hash
        )

    def _write(self, batch: list[ContactRecord]) -> None:
        self.counts.read += len(batch)
        entries = self._collect(batch)
        if entries:
            self._classify(entries)

    def _collect(self, batch: list[ContactRecord]) -> dict[str, Prepared | ContactRecord]:
        """By source hash, this batch's prepared records, or records whose source gave a fingerprint
        (prepared only when that fingerprint changed since the last import); duplicates found."""
        entries: dict[str, Prepared | ContactRecord] = {}
        for record in batch:
            entry: Prepared | ContactRecord | None
            if record.fingerprint and (key := clean(record.key)):
                entry, source_hash = record, key_hash(key)
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
        if self.options.track_keys:
            for source_hash in seen.already(list(entries)):
                self._duplicate(entries.pop(source_hash), "earlier")
        return entries

    def _classify(self, entries: dict[str, Prepared | ContactRecord]) -> None:
        """Unchanged, created or updated; then written."""
        existing = {
            source_hash: (contact_id, fingerprint)
            for source_hash, contact_id, fingerprint in self._known(list(entries), "id, fingerprint")
        }
        seen_now: list[str] = []
        to_create: list[Prepared] = []
        to_update: list[tuple[int, Prepared]] = []
        for source_hash, entry in entries.items():
            contact_id, fingerprint = existing.get(source_hash, (None, ""))
            if isinstance(entry, ContactRecord):
                source_fingerprint = self._source_fingerprint(entry)
                if contact_id is not None and fingerprint == source_fingerprint:
                    self.counts.unchanged += 1
                    seen_now.append(source_hash)
                    continue
                entry.load()
                item = self._prepare(entry, source_fingerprint, source_hash)
                if item is None:
                    self.counts.skipped += 1
                    continue
            else:
                item = entry
            seen_now.append(source_hash)
            if contact_id is None:
                to_create.append(item)
            elif fingerprint == item.fingerprint:
                self.counts.unchanged += 1
            else:
                to_update.append((contact_id, item))
        if seen_now and self.options.track_keys:
            seen.add(seen_now)
        self._create(to_create)
        self._update(to_update)

    def _source_fingerprint(self, record: ContactRecord) -> str:
        settings = f"{record.fingerprint}\x1e{self.options.country}\x1e{LIBRARY}"
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

    def _duplicate(self, entry: Prepared | ContactRecord, first_where: str) -> None:
        if isinstance(entry, ContactRecord) or entry.explicit_key:
            key = clean(entry.key)
            raise ImportFailed(
                f"{_where(entry)}: key {key!r} appears twice (first {first_where}); "
                "each contact needs its own key"
            )
        self.counts.duplicates += 1

    def _with_e164(self, item: Prepared) -> list[tuple[str, str, str, str]]:
        return [
            (label, raw, e164_of(raw, self.options.country), digits) for label, raw, digits in item.numbers
        ]

    def _contact(
        self, item: Prepared, numbers: list[tuple[str, str, str, str]], contact_id: int | None = None
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

    def _create(self, items: list[Prepared]) -> None:
        if not items:
            return
        parsed = [self._with_e164(item) for item in items]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        rows = []
        for item, item_numbers in zip(items, parsed, strict=True):
            fields = item.fields
            rows.append(
                (
                    *_text_fields(fields),
                    self.options.source,
                    self.options.source_name,
                    item.key,
                    item.source_hash,
                    item.fingerprint,
                    fold(fields["name"])[:SORT_NAME_LENGTH],
                    _fold_org(fields["company"], fields["department"]),
                    _search_digits(item_numbers),
                    now,
                    now,
                )
            )
        with connection.cursor() as cursor:
            cursor.executemany(_INSERT_CONTACT, rows)
        ids = dict(self._known([item.source_hash for item in items], "id"))
        numbers: list[tuple] = []
        for item, item_numbers in zip(items, parsed, strict=True):
            numbers.extend(self._number_rows(ids[item.source_hash], item_numbers))
            self._report("+", item)
        self._insert_numbers(numbers)
        self.counts.created += len(items)

    def _update(self, items: list[tuple[int, Prepared]]) -> None:
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
                *TEXT_FIELDS,
                "source_key",
                "fingerprint",
                "sort_name",
                "search_org",
                "search_digits",
                "updated",
            ],
        )
        self.sync.index(*changed)
        delete_numbers([contact_id for contact_id, _item in items])
        numbers: list[tuple] = []
        for (contact_id, item), item_numbers in zip(items, parsed, strict=True):
            numbers.extend(self._number_rows(contact_id, item_numbers))
            self._report("~", item)
        self._insert_numbers(numbers)
        self.counts.updated += len(items)

    def _report(self, sign: str, item: Prepared) -> None:
        if self.report is not None:
            self.report(f"{sign} {item.fields['name']} ({item.key})")
