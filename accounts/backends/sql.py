"""Logins from an existing user table in another database (PostgreSQL, MySQL/MariaDB; SQLite for trials).

``ASTITRAY_AUTH_SQL_QUERY`` is run with the login as its one bound parameter
(``%s``): the login is never formatted into the SQL text, so a login such as
``' OR '1'='1`` is only a login nobody has. The query names its columns:

- ``password`` (required): the stored hash, checked with ``ASTITRAY_AUTH_SQL_HASH``;
- ``username``: the login as the table spells it (one Django user whatever the case typed);
- ``extension`` and ``channel``: the phone (the channel defaults to
  ``ASTITRAY_AUTH_SQL_CHANNEL_TEMPLATE``); a query without ``extension``
  leaves extensions alone, an empty value removes the one the table gave;
- ``full_name`` or ``first_name``/``last_name``, and ``email``.

Each thread keeps its own connection (autocommit: every query sees the table
as it is now) and opens it again once if the server dropped it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from contextlib import closing
from typing import Any
from urllib.parse import quote

import dj_database_url
from django.conf import settings
from django.http import HttpRequest

from accounts.backends import hashes
from accounts.backends.base import ExternalBackend, Refused, check_username
from accounts.backends.sql_settings import url_kind
from accounts.provisioning import Identity, Phone, fixed_phone, phone_from_values, split_full_name

logger = logging.getLogger(__name__)


class TableUnavailable(Exception):
    """The database of the user table cannot be reached or the query fails."""


class ExternalTable:
    """Connections to the database of ``ASTITRAY_AUTH_SQL_URL``, one per thread."""

    def __init__(self, url: str, timeout: int) -> None:
        self.kind = url_kind(url)
        self.url = url
        self.timeout = timeout
        self._local = threading.local()

    def _connect(self) -> Any:
        config = dj_database_url.parse(self.url)
        if self.kind == "sqlite":
            # Read-only: the table is only ever read.
            return sqlite3.connect(
                f"file:{quote(str(config['NAME']))}?mode=ro",
                uri=True,
                timeout=self.timeout,
                check_same_thread=False,
            )
        options = dict(config.get("OPTIONS") or {})
        if self.kind == "postgresql":
            import psycopg

            options.setdefault("options", f"-c statement_timeout={self.timeout * 1000}")
            return psycopg.connect(
                host=config.get("HOST") or None,
                port=config.get("PORT") or None,
                dbname=config.get("NAME") or None,
                user=config.get("USER") or None,
                password=config.get("PASSWORD") or None,
                connect_timeout=self.timeout,
                autocommit=True,
                **options,
            )
        import MySQLdb

        options.setdefault("charset", "utf8mb4")
        connect_args = {
            "host": config.get("HOST") or "localhost",
            "user": config.get("USER") or "",
            "password": config.get("PASSWORD") or "",
            "database": config.get("NAME") or "",
            "connect_timeout": self.timeout,
            "read_timeout": self.timeout,
            "autocommit": True,
            **options,
        }
        if config.get("PORT"):
            connect_args["port"] = int(config["PORT"])
        return MySQLdb.connect(**connect_args)

    def _errors(self) -> tuple[type[Exception], tuple[type[Exception], ...]]:
        """(any error of the driver, the errors after which a new connection may help)."""
        if self.kind == "sqlite":
            return sqlite3.Error, (sqlite3.OperationalError,)
        if self.kind == "postgresql":
            import psycopg

            return psycopg.Error, (psycopg.OperationalError, psycopg.InterfaceError)
        import MySQLdb

        return MySQLdb.Error, (MySQLdb.OperationalError, MySQLdb.InterfaceError)

    def _sql(self, query: str) -> str:
        # psycopg and MySQLdb take %s; sqlite3 takes ? (and a literal % is written once).
        return query.replace("%%", "%").replace("%s", "?") if self.kind == "sqlite" else query

    def rows(self, query: str, login: str, limit: int = 2) -> list[dict[str, Any]]:
        """At most ``limit`` rows of ``query`` run with ``login`` as its bound parameter, as dicts."""
        any_error, retry_errors = self._errors()
        for attempt in (1, 2):
            try:
                connection = getattr(self._local, "connection", None)
                if connection is None:
                    connection = self._local.connection = self._connect()
                with closing(connection.cursor()) as cursor:
                    cursor.execute(self._sql(query), (login,))
                    columns = [str(column[0]).lower() for column in cursor.description or ()]
                    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchmany(limit)]
            except any_error as exc:
                self.close()
                if attempt == 1 and isinstance(exc, retry_errors):
                    continue
                raise TableUnavailable(f"{type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # closing a broken connection may fail too; it is gone either way
                logger.debug("closing the user table's connection failed", exc_info=True)


_tables: dict[tuple[str, int], ExternalTable] = {}
_tables_lock = threading.Lock()


def table() -> ExternalTable:
    """The user table of the current settings (one connection pool per URL)."""
    key = (settings.ASTITRAY_AUTH_SQL_URL, settings.ASTITRAY_AUTH_SQL_TIMEOUT)
    with _tables_lock:
        if key not in _tables:
            _tables[key] = ExternalTable(*key)
        return _tables[key]


def close_connections() -> None:
    """Close this thread's connections to user tables (tests, shutdown)."""
    with _tables_lock:
        for external in _tables.values():
            external.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


class SqlBackend(ExternalBackend):
    """Logins of the table queried by ``ASTITRAY_AUTH_SQL_QUERY``."""

    name = "sql"

    def identify(self, request: HttpRequest | None, username: str, password: str) -> Identity:
        # The login goes to the database as typed (a bound parameter); only the username of a
        # login the table accepted must suit Django.
        schemes = tuple(settings.ASTITRAY_AUTH_SQL_HASH)
        try:
            rows = table().rows(settings.ASTITRAY_AUTH_SQL_QUERY, username)
        except TableUnavailable as exc:
            logger.error("the user table (ASTITRAY_AUTH_SQL_URL) cannot be queried: %s", exc)
            raise Refused("user table unreachable") from None
        if not rows:
            hashes.dummy_verify(schemes)
            raise Refused("not in the user table")
        if len(rows) > 1:
            logger.warning("ASTITRAY_AUTH_SQL_QUERY returns several rows for %r: refused", username)
            raise Refused("several rows for this login")
        row = rows[0]
        if "password" not in row:
            logger.error("ASTITRAY_AUTH_SQL_QUERY must return a column named password")
            raise Refused("no password column")
        stored = _text(row["password"])
        if not stored:
            raise Refused("no password in the user table")
        try:
            accepted = hashes.verify(password, stored, schemes)
        except hashes.UnsupportedHash:
            logger.warning("the user table has a hash of %r in no scheme of ASTITRAY_AUTH_SQL_HASH", username)
            raise Refused("unsupported hash in the user table") from None
        if not accepted:
            raise Refused("wrong password")
        return self._identity(username, row)

    @staticmethod
    def _identity(username: str, row: dict[str, Any]) -> Identity:
        canonical = _text(row.get("username")).strip() or username
        check_username(canonical)
        first_name = last_name = None
        if "full_name" in row:
            first_name, last_name = split_full_name(_text(row["full_name"]))
        if "first_name" in row:
            first_name = _text(row["first_name"])
        if "last_name" in row:
            last_name = _text(row["last_name"])
        email = _text(row["email"]) if "email" in row else None
        phone: Phone | None = None
        if _text(row.get("extension")).strip():
            number = _text(row["extension"]).strip()
            channel = _text(row.get("channel")).strip()
            phone = (
                fixed_phone(number, channel, canonical, "user table")
                if channel
                else phone_from_values(
                    [number], "", settings.ASTITRAY_AUTH_SQL_CHANNEL_TEMPLATE, canonical, "user table"
                )
            )
        return Identity(
            username=canonical,
            first_name=first_name,
            last_name=last_name,
            email=email,
            manages_phone="extension" in row,
            phone=phone,
        )
