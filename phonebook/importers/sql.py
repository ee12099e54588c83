"""Contacts from a query on an outside PostgreSQL or MySQL/MariaDB database.

The query's columns name the contact fields (``SELECT emp_no AS key,
full_name AS name, phone AS work ...``): key, name, company, department,
title, email, and the number labels work, mobile, home, fax, other, each
optionally followed by ``_anything`` to give several numbers of one label
(``work_2``). Rows are streamed by a server-side cursor in a read-only
transaction: the source is never changed, and memory stays bounded.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import dj_database_url

from phonebook.importers.mapping import TEXT_FIELDS
from phonebook.importers.records import LABELS, ContactRecord, ImportFailed, NumberRecord

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


def _connect(url: str, timeout: int) -> tuple[Any, str]:
    try:
        params = dj_database_url.parse(url)
    except ValueError as exc:
        raise ImportFailed(f"the SQL source URL is not valid ({exc})") from None
    engine = params.get("ENGINE", "")
    if engine.endswith("postgresql"):
        import psycopg

        try:
            conn = psycopg.connect(
                host=params.get("HOST") or None,
                port=params.get("PORT") or None,
                dbname=params.get("NAME") or None,
                user=params.get("USER") or None,
                password=params.get("PASSWORD") or None,
                connect_timeout=timeout,
            )
        except psycopg.Error as exc:
            raise _failure(exc, params) from None
        conn.read_only = True
        return conn, "postgresql"
    if engine.endswith("mysql"):
        import MySQLdb
        import MySQLdb.cursors

        try:
            conn = MySQLdb.connect(
                host=params.get("HOST") or "localhost",
                port=int(params.get("PORT") or 3306),
                user=params.get("USER") or "",
                password=params.get("PASSWORD") or "",
                database=params.get("NAME") or "",
                charset="utf8mb4",
                connect_timeout=timeout,
                cursorclass=MySQLdb.cursors.SSCursor,
            )
        except MySQLdb.Error as exc:
            raise _failure(exc, params) from None
        return conn, "mysql"
    raise ImportFailed("the SQL source must be a postgres:// or mysql:// URL")


def _failure(exc: Exception, params: Any) -> ImportFailed:
    """The driver's message, for the admin, with the password taken out if it was echoed."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    if params.get("PASSWORD"):
        message = message.replace(str(params["PASSWORD"]), "***")
    return ImportFailed(f"SQL source error: {message[:300]}")


def read_records(config: SqlConfig) -> Iterator[ContactRecord]:
    """Every row of the query as a contact record, streamed. Raises ImportFailed."""
    params = dj_database_url.parse(config.url) if "://" in config.url else {}
    conn, vendor = _connect(config.url, config.timeout)
    driver_error: type[Exception]
    if vendor == "postgresql":
        import psycopg

        driver_error = psycopg.Error
    else:
        import MySQLdb

        driver_error = MySQLdb.Error
    try:
        if vendor == "postgresql":
            cursor = conn.cursor(name="astitray_phonebook_import")
            cursor.itersize = FETCH_SIZE
        else:
            cursor = conn.cursor()
            cursor.execute("START TRANSACTION READ ONLY")
        cursor.execute(config.query)
        if cursor.description is None:
            raise ImportFailed("the query returns no rows (use a SELECT)")
        columns = column_fields([d[0] for d in cursor.description])
        count = 0
        while rows := cursor.fetchmany(FETCH_SIZE):
            for row in rows:
                count += 1
                yield row_to_record(row, columns, f"row {count}")
    except driver_error as exc:
        raise _failure(exc, params) from None
    finally:
        try:
            conn.rollback()
            conn.close()
        except driver_error:
            pass
