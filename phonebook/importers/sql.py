"""Contacts from a query on another database: PostgreSQL, MySQL/MariaDB, an SQLite file, any Django speaks.

The query's columns name the contact fields (``SELECT emp_no AS key,
full_name AS name, phone AS work ...``): key, name, company, department,
title, email, and the number labels work, mobile, home, fax, other, each
optionally followed by ``_anything`` to give several numbers of one label
(``work_2``). The database is reached through Django's own backends
(:mod:`externaldb`); rows are streamed (a server-side cursor where the
database has one) in a read-only session, in a transaction rolled back at
the end: the source is never changed, and memory stays bounded.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import Error as DatabaseError

import externaldb
from phonebook.errors import ImportFailed
from phonebook.importers.mapping import TEXT_FIELDS
from phonebook.importers.records import LABELS, ContactRecord, NumberRecord

logger = logging.getLogger(__name__)

_LABEL_COLUMN = re.compile(rf"^({'|'.join(LABELS)})(_\w+)?$")
FETCH_SIZE = 1000


@dataclass
class SqlConfig:
    url: str = field(repr=False)  # holds the password
    query: str
    timeout: int = 30


def column_fields(names: list[str]) -> list[tuple[str, str]]:
    """For each column, ``("field", name)`` or ``("number", label)``; ImportFailed for an unknown column."""
    mapped: list[tuple[str, str]] = []
    for raw_name in names:
        name = raw_name.lower()
        if name in TEXT_FIELDS:
            mapped.append(("field", name))
        elif match := _LABEL_COLUMN.match(name):
            mapped.append(("number", match.group(1)))
        else:
            raise ImportFailed(
                f"the query's column {raw_name!r} is not a contact field: name it with AS one of "
                f"{', '.join(TEXT_FIELDS)}, or a number label ({', '.join(LABELS)}, also work_2, ...)"
            )
    if ("field", "name") not in mapped:
        raise ImportFailed("the query has no column named name")
    return mapped


def row_to_record(row: tuple[Any, ...], columns: list[tuple[str, str]], where: str) -> ContactRecord:
    record = ContactRecord(name="", where=where)
    for (kind, target), value in zip(columns, row, strict=True):
        text = "" if value is None else str(value)
        if kind == "field":
            setattr(record, target, text)
        elif text.strip():
            record.numbers.append(NumberRecord(target, text))
    return record


def read_records(config: SqlConfig) -> Iterator[ContactRecord]:
    """Every row of the query as a contact record, streamed. Raises ImportFailed.

    The rows come through a server-side cursor where the database has one
    (``chunked_cursor()``; on MySQL/MariaDB an unbuffered cursor), in one
    transaction that is rolled back at the end, on a read-only session.
    """
    try:
        alias = externaldb.alias_for(config.url, purpose="phonebook_sql", timeout=config.timeout, stream=True)
    except (ValueError, ImproperlyConfigured) as exc:
        raise ImportFailed(f"the SQL source URL is not usable ({exc})") from None
    try:
        connection = externaldb.checked_connection(alias)
        connection.set_autocommit(False)  # one transaction, never committed (closing rolls it back)
        with connection.chunked_cursor() as cursor:
            yield from _rows(cursor, config.query)
    except DatabaseError as exc:
        raise ImportFailed(f"SQL source error: {externaldb.describe(exc, config.url)}") from None
    finally:
        externaldb.close(alias)


def _rows(cursor: Any, query: str) -> Iterator[ContactRecord]:
    cursor.execute(query)  # no parameters: the query is the admin's, run as written
    if cursor.description is None:
        raise ImportFailed("the query returns no rows (use a SELECT)")
    columns = column_fields([d[0] for d in cursor.description])
    count = 0
    while rows := cursor.fetchmany(FETCH_SIZE):
        for row in rows:
            count += 1
            yield row_to_record(row, columns, f"row {count}")
