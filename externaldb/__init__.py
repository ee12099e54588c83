"""Databases other than Astitray's own, reached the one way Django reaches any database.

The external user table (``ASTITRAY_AUTH_SQL_URL``) and the phonebook's SQL
source (``ASTITRAY_PHONEBOOK_SQL_URL`` or ``--url``) live in databases an
admin names by URL. :func:`alias_for` turns such a URL (with dj-database-url)
into a Django database alias and its ``DATABASES`` entry, and
:func:`checked_connection` gives each thread its connection to it, a
connection of Django's own backend for the URL's scheme, built as
``django.db.connections`` builds its own. Everything else is Django's: the
backends (PostgreSQL, MySQL/MariaDB, SQLite; Oracle and SQL Server through
their Django backends), ``%s`` placeholders on every database, health checks
that open a dropped connection again, ``chunked_cursor()`` for streaming, and
one family of errors (``django.db.Error``).

The aliases are not added to ``django.db.connections``: they are no database
of the project (no model, no migration, no test database), and are used
outside requests too (commands, threads), so each use checks its connection
as Django checks its own at the start of a request.

Sessions are read-only where the database allows it (PostgreSQL's
``default_transaction_read_only``, MySQL/MariaDB's ``SESSION TRANSACTION READ
ONLY``, an SQLite file opened ``mode=ro``): Astitray only ever reads these
databases. No model lives there and ``migrate`` never touches them.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from typing import Any
from urllib.parse import quote

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import load_backend

__all__ = ["alias_for", "checked_connection", "close", "describe", "engine_of", "forget_all"]

_lock = threading.Lock()
# (purpose, url, timeout, stream) -> alias; the URL (it holds a password) never names the alias.
_aliases: dict[tuple[str, str, int, bool], str] = {}
_settings_of: dict[str, dict[str, Any]] = {}  # alias -> its DATABASES entry
_numbers = itertools.count(1)
_local = threading.local()  # .connections: alias -> this thread's DatabaseWrapper


def engine_of(url: str) -> str:
    """The Django backend (``ENGINE``) for ``url``.

    :raises ValueError: the URL does not parse or names no known database (the message never quotes it).
    :raises ImproperlyConfigured: the backend of that database is not installed.
    """
    try:
        engine = str(dj_database_url.parse(url)["ENGINE"])
    except dj_database_url.UnknownSchemeError as exc:
        raise ValueError(f"{exc.scheme}:// names no database Django knows") from None
    except ValueError:
        raise ValueError("not a database URL") from None
    try:
        load_backend(engine)
    except ImportError as exc:  # a backend of Django's own whose driver is not installed
        raise ImproperlyConfigured(f"the database backend {engine} cannot be loaded ({exc})") from None
    return engine


def _settings(url: str, purpose: str, timeout: int, stream: bool) -> dict[str, Any]:
    """The ``DATABASES`` entry for ``url``: read-only sessions, timeouts, persistent and health-checked."""
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=None, conn_health_checks=True))
    options: dict[str, Any] = dict(config.get("OPTIONS") or {})
    engine = config["ENGINE"]
    if engine == "django.db.backends.postgresql":
        options.setdefault("connect_timeout", timeout)
        read_only = "-c default_transaction_read_only=on"
        # Logins wait for at most the timeout; an import's query may take longer.
        limit = "" if stream else f" -c statement_timeout={timeout * 1000}"
        options["options"] = f"{options.get('options', '')} {read_only}{limit}".strip()
    elif engine == "django.db.backends.mysql":
        options.setdefault("charset", "utf8mb4")
        options.setdefault("connect_timeout", timeout)
        options["init_command"] = "SET SESSION TRANSACTION READ ONLY"
        if stream:
            import MySQLdb.cursors

            options["cursorclass"] = MySQLdb.cursors.SSCursor  # rows as they come, not all at once
        else:
            options.setdefault("read_timeout", timeout)
    elif engine == "django.db.backends.sqlite3":
        config["NAME"] = f"file:{quote(str(config['NAME']))}?mode=ro"
        options.setdefault("timeout", timeout)
    config["OPTIONS"] = options
    return connections.configure_settings({DEFAULT_DB_ALIAS: {}, purpose: config})[purpose]


def alias_for(url: str, *, purpose: str, timeout: int, stream: bool = False) -> str:
    """The Django database alias of ``url`` for ``purpose`` (``auth_sql``, ``phonebook_sql``).

    Made on first use, then reused: each thread has its own connection to
    it, kept open and checked before use (:func:`checked_connection`). ``timeout`` (seconds) bounds connecting
    and, unless ``stream``, each query; ``stream`` readies the connection
    for long reads through ``chunked_cursor()``.

    :raises ValueError, ImproperlyConfigured: see :func:`engine_of`.
    """
    key = (purpose, url, timeout, stream)
    with _lock:
        alias = _aliases.get(key)
        if alias is None:
            engine_of(url)
            alias = f"astitray_{purpose}_{next(_numbers)}"
            _settings_of[alias] = _settings(url, purpose, timeout, stream)
            _aliases[key] = alias
    return alias


def checked_connection(alias: str) -> BaseDatabaseWrapper:
    """This thread's connection of ``alias`` (from :func:`alias_for`), checked as at a request's start.

    Django checks a kept connection once per request; these databases are
    also used outside requests (commands, threads), so the check (and the
    reconnection after a server dropped the connection) runs at each use.
    """
    mine: dict[str, BaseDatabaseWrapper] = _local.__dict__.setdefault("connections", {})
    connection = mine.get(alias)
    if connection is None:
        settings_dict = _settings_of[alias]
        # As django.db.connections makes each of its own connections.
        connection = mine[alias] = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias)
    connection.close_if_unusable_or_obsolete()
    return connection


def describe(exc: BaseException, url: str) -> str:
    """``exc`` in one short line for an admin, with the URL's password masked if the driver echoed it."""
    text = str(exc).strip()
    message = text.splitlines()[0] if text else type(exc).__name__
    try:
        password = str(dj_database_url.parse(url).get("PASSWORD") or "")
    except ValueError:
        password = ""
    if password:
        message = message.replace(password, "***")
    return message[:300]


def close(alias: str) -> None:
    """Close this thread's connection of ``alias``, if it has one (a command's import is over)."""
    connection = _local.__dict__.get("connections", {}).pop(alias, None)
    if connection is not None:
        with contextlib.suppress(Exception):  # closing a broken connection may fail: it is gone either way
            connection.close()


def forget_all() -> None:
    """Close this thread's connections and forget every alias (tests, shutdown)."""
    with _lock:
        _aliases.clear()
        _settings_of.clear()
    for alias in list(_local.__dict__.get("connections", {})):
        close(alias)
