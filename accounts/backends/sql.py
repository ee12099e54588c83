"""Logins from an existing user table in another database (any database Django speaks).

``ASTITRAY_AUTH_SQL_QUERY`` is run with the login as its one bound parameter
(``%s``): the login is never formatted into the SQL text, so a login such as
``' OR '1'='1`` is only a login nobody has. The query names its columns:

- ``password`` (required): the stored hash, checked with ``ASTITRAY_AUTH_SQL_HASH``;
- ``username``: the login as the table spells it (one Django user whatever the case typed);
- ``extension`` and ``channel``: the phone (the channel defaults to
  ``ASTITRAY_AUTH_SQL_CHANNEL_TEMPLATE``); a query without ``extension``
  leaves extensions alone, an empty value removes the one the table gave;
- ``full_name`` or ``first_name``/``last_name``, and ``email``.

The database is reached through Django's own backends (:mod:`externaldb`):
PostgreSQL, MySQL/MariaDB, an SQLite file, Oracle or SQL Server. Each thread
keeps its own read-only connection (autocommit: every query sees the table
as it is now), checked before each login and opened again if the server
dropped it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import Error as DatabaseError
from django.http import HttpRequest

import externaldb
from accounts.backends import hashes
from accounts.backends.base import ExternalBackend, check_username
from accounts.errors import Refused
from accounts.provisioning import Identity, Phone, fixed_phone, phone_from_values, split_full_name

logger = logging.getLogger(__name__)


def rows(query: str, login: str, limit: int = 2) -> list[dict[str, Any]]:
    """At most ``limit`` rows of ``query`` run on the user table with ``login`` as its bound parameter.

    Each row is a dict keyed by the lowercase column names.

    :raises django.db.Error: the database cannot be reached or the query fails.
    :raises ValueError, ImproperlyConfigured: ``ASTITRAY_AUTH_SQL_URL`` is not usable.
    """
    alias = externaldb.alias_for(
        settings.ASTITRAY_AUTH_SQL_URL, purpose="auth_sql", timeout=settings.ASTITRAY_AUTH_SQL_TIMEOUT
    )
    with externaldb.checked_connection(alias).cursor() as cursor:
        cursor.execute(query, [login])
        columns = [str(column[0]).lower() for column in cursor.description or ()]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchmany(limit)]


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
            found = rows(settings.ASTITRAY_AUTH_SQL_QUERY, username)
        except (DatabaseError, ValueError, ImproperlyConfigured) as exc:
            logger.error(
                "the user table (ASTITRAY_AUTH_SQL_URL) cannot be queried: %s: %s",
                type(exc).__name__,
                externaldb.describe(exc, settings.ASTITRAY_AUTH_SQL_URL),
            )
            raise Refused("user table unreachable") from None
        if not found:
            hashes.dummy_verify(schemes)
            raise Refused("not in the user table")
        if len(found) > 1:
            logger.warning("ASTITRAY_AUTH_SQL_QUERY returns several rows for %r: refused", username)
            raise Refused("several rows for this login")
        row = found[0]
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


def knows(username: str) -> bool:
    """Whether the user table has one row with a password for ``username`` (API tokens).

    :raises django.db.Error, ValueError, ImproperlyConfigured: as :func:`rows`.
    """
    found = rows(settings.ASTITRAY_AUTH_SQL_QUERY, username)
    return len(found) == 1 and bool(_text(found[0].get("password")))
