"""The keys an import has seen so far, in a temporary table of the database (not in memory).

They find a key that a source gives twice, and, for --prune, the contacts a
source no longer has. On SQLite and PostgreSQL the table lives and dies
inside the import's transaction; MySQL's temporary tables are not
transactional, so ``close()`` drops it whatever happened.
"""

from __future__ import annotations

import contextlib

from django.db import DatabaseError, connection

TABLE = "phonebook_import_seen"
# For WHERE clauses on phonebook_contact: "AND source_hash NOT IN (...)".
SUBQUERY = "SELECT source_hash FROM phonebook_import_seen"


def _temp_schema() -> str:
    return {"sqlite": "temp.", "postgresql": "pg_temp."}.get(connection.vendor, "")


def create() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute(f"DROP TEMPORARY TABLE IF EXISTS {TABLE}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {TABLE} "
                "(source_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin PRIMARY KEY)"
            )
        else:
            cursor.execute(f"DROP TABLE IF EXISTS {_temp_schema()}{TABLE}")
            cursor.execute(f"CREATE TEMPORARY TABLE {TABLE} (source_hash varchar(64) PRIMARY KEY)")


def drop() -> None:
    """At the end of the transaction (SQLite, PostgreSQL); a rollback drops it too."""
    if connection.vendor != "mysql":
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_temp_schema()}{TABLE}")


def close() -> None:
    """After the transaction, whatever happened (MySQL)."""
    if connection.vendor == "mysql":
        # A failed connection took its session, and the table, with it.
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute(f"DROP TEMPORARY TABLE IF EXISTS {TABLE}")


def already(hashes: list[str]) -> list[str]:
    """Those of ``hashes`` seen earlier in this import."""
    placeholders = ", ".join(["%s"] * len(hashes))
    with connection.cursor() as cursor:
        cursor.execute(f"{SUBQUERY} WHERE source_hash IN ({placeholders})", hashes)
        return [row[0] for row in cursor.fetchall()]


def add(hashes: list[str]) -> None:
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {TABLE} (source_hash) VALUES (%s)", [(h,) for h in hashes])  # noqa: S608
