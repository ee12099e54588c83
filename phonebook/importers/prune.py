"""``--prune``: removing the contacts of a source that the source no longer has, within a limit.

A base DN, filter, query or file that exists but gives nothing (a mistyped
OU in the nightly job) would otherwise empty the source's contacts: more
than ``prune_limit`` percent of them is refused unless ``force``, and the
import then changes nothing.

Numbers are deleted with plain SQL: the importers keep the contacts' search
fields themselves, and a deletion through the ORM would have each number's
signal recompute them (:mod:`phonebook.signals`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import connection

from phonebook.errors import ImportFailed
from phonebook.importers import seen
from phonebook.models import Contact

if TYPE_CHECKING:
    from phonebook.importers.writer import ImportOptions
    from phonebook.search_index import BulkSync


def delete_numbers(contact_ids: list[int]) -> None:
    """Delete every number of these contacts (plain SQL, no signals)."""
    if contact_ids:
        placeholders = ", ".join(["%s"] * len(contact_ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM phonebook_phonenumber WHERE contact_id IN ({placeholders})",  # noqa: S608
                contact_ids,
            )


def check_limit(options: ImportOptions, removing: int, total: int) -> None:
    """Raises :class:`ImportFailed` when ``removing`` of ``total`` contacts is over the limit (no --force)."""
    if options.force or removing == 0 or removing * 100 <= total * options.prune_limit:
        return
    raise ImportFailed(
        f"--prune would remove {removing} of the {total} contacts of {options.source_name!r} "
        f"({removing * 100 // total}%, more than --prune-limit {options.prune_limit}%): "
        "check that the source (base DN, filter, query, file) still gives everyone; "
        "to remove them all the same, run again with --force"
    )


_OF_SOURCE = "source = %s AND source_name = %s"
_UNSEEN = f"source_hash NOT IN ({seen.SUBQUERY})"
_GONE = f"{_OF_SOURCE} AND {_UNSEEN}"


def _counts(params: list[str]) -> tuple[int, int]:
    """How many contacts the source has, and how many of them the import did not see."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), SUM(CASE WHEN {_UNSEEN} THEN 1 ELSE 0 END) "  # noqa: S608 (constants)
            f"FROM phonebook_contact WHERE {_OF_SOURCE}",
            params,
        )
        total, unseen = cursor.fetchone()
    return int(total or 0), int(unseen or 0)


def prune(options: ImportOptions, sync: BulkSync, report: Callable[[str], None] | None = None) -> int:
    """Remove the contacts of this source that the import did not see (never other sources'); returns
    how many. Raises :class:`ImportFailed` (before removing anything) over the limit."""
    params = [options.source, options.source_name]
    total, unseen = _counts(params)
    check_limit(options, unseen, total)
    if report is not None:
        query = f"SELECT id, name, source_key FROM phonebook_contact WHERE {_GONE}"  # noqa: S608
        gone = Contact.objects.raw(query, params)
        for contact in gone.iterator():
            report(f"- {contact.name} ({contact.source_key})")
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM phonebook_phonenumber "  # noqa: S608 (constants)
            f"WHERE contact_id IN (SELECT id FROM phonebook_contact WHERE {_GONE})",
            params,
        )
        sync.forget(_GONE, params)
        cursor.execute(f"DELETE FROM phonebook_contact WHERE {_GONE}", params)  # noqa: S608
        return cursor.rowcount
