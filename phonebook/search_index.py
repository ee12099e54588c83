"""The engine-specific search indexes of the phonebook (created by migration 0002).

- SQLite: two FTS5 tables kept by triggers on ``phonebook_contact``: words
  (``unicode61``, prefix indexes for 1 to 3 letters) and digits (``trigram``,
  any substring of 3 digits or more).
- PostgreSQL: a generated ``tsvector`` column (name words weighted A,
  company and department B) with a GIN index, and a ``pg_trgm`` GIN index on
  the digits. ``pg_trgm`` must be installed in the database (see README).
- MariaDB/MySQL: InnoDB FULLTEXT indexes on the name, and on the name with
  company and department.

A later migration that makes Django rebuild ``phonebook_contact`` on SQLite
(most column changes do) drops the triggers: it must call :func:`install`
again after its own operations.
"""

from __future__ import annotations

from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.utils import DatabaseError

SQLITE_INSTALL = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS phonebook_contact_words USING fts5(
        sort_name, search_org, content='phonebook_contact', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS phonebook_contact_digits USING fts5(
        search_digits, content='phonebook_contact', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER IF NOT EXISTS phonebook_contact_search_insert AFTER INSERT ON phonebook_contact BEGIN
        INSERT INTO phonebook_contact_words(rowid, sort_name, search_org)
            VALUES (new.id, new.sort_name, new.search_org);
        INSERT INTO phonebook_contact_digits(rowid, search_digits) VALUES (new.id, new.search_digits);
    END""",
    """CREATE TRIGGER IF NOT EXISTS phonebook_contact_search_delete AFTER DELETE ON phonebook_contact BEGIN
        INSERT INTO phonebook_contact_words(phonebook_contact_words, rowid, sort_name, search_org)
            VALUES ('delete', old.id, old.sort_name, old.search_org);
        INSERT INTO phonebook_contact_digits(phonebook_contact_digits, rowid, search_digits)
            VALUES ('delete', old.id, old.search_digits);
    END""",
    """CREATE TRIGGER IF NOT EXISTS phonebook_contact_search_words
        AFTER UPDATE OF sort_name, search_org ON phonebook_contact BEGIN
        INSERT INTO phonebook_contact_words(phonebook_contact_words, rowid, sort_name, search_org)
            VALUES ('delete', old.id, old.sort_name, old.search_org);
        INSERT INTO phonebook_contact_words(rowid, sort_name, search_org)
            VALUES (new.id, new.sort_name, new.search_org);
    END""",
    """CREATE TRIGGER IF NOT EXISTS phonebook_contact_search_digits
        AFTER UPDATE OF search_digits ON phonebook_contact BEGIN
        INSERT INTO phonebook_contact_digits(phonebook_contact_digits, rowid, search_digits)
            VALUES ('delete', old.id, old.search_digits);
        INSERT INTO phonebook_contact_digits(rowid, search_digits) VALUES (new.id, new.search_digits);
    END""",
    # Contacts that existed before the indexes (none on a fresh install).
    "INSERT INTO phonebook_contact_words(phonebook_contact_words) VALUES ('rebuild')",
    "INSERT INTO phonebook_contact_digits(phonebook_contact_digits) VALUES ('rebuild')",
]
SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS phonebook_contact_search_insert",
    "DROP TRIGGER IF EXISTS phonebook_contact_search_delete",
    "DROP TRIGGER IF EXISTS phonebook_contact_search_words",
    "DROP TRIGGER IF EXISTS phonebook_contact_search_digits",
    "DROP TABLE IF EXISTS phonebook_contact_words",
    "DROP TABLE IF EXISTS phonebook_contact_digits",
]

# The tsvector of a contact: name words (weight A) then company and department (B).
POSTGRES_TSVECTOR = (
    "setweight(to_tsvector('simple'::regconfig, sort_name), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, search_org), 'B')"
)
POSTGRES_INSTALL = [
    "ALTER TABLE phonebook_contact ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS ({POSTGRES_TSVECTOR}) STORED",
    "CREATE INDEX phonebook_contact_search_vector ON phonebook_contact USING gin (search_vector)",
    "CREATE INDEX phonebook_contact_digits_trgm ON phonebook_contact USING gin (search_digits gin_trgm_ops)",
]
POSTGRES_UNINSTALL = [
    "DROP INDEX IF EXISTS phonebook_contact_digits_trgm",
    "DROP INDEX IF EXISTS phonebook_contact_search_vector",
    "ALTER TABLE phonebook_contact DROP COLUMN IF EXISTS search_vector",
]
PG_TRGM_MISSING = (
    "The phonebook needs PostgreSQL's pg_trgm extension, and this database role may not create it. "
    "Ask a superuser to run, once: CREATE EXTENSION pg_trgm; in database {name}; then migrate again."
)

MYSQL_INSTALL = [
    # Stop words ("de", "la", "van", ...) are parts of names: this index keeps them.
    "SET SESSION innodb_ft_enable_stopword = OFF",
    "CREATE FULLTEXT INDEX phonebook_contact_name_ft ON phonebook_contact (sort_name)",
    "CREATE FULLTEXT INDEX phonebook_contact_words_ft ON phonebook_contact (sort_name, search_org)",
    "SET SESSION innodb_ft_enable_stopword = ON",
]
MYSQL_UNINSTALL = [
    "DROP INDEX phonebook_contact_name_ft ON phonebook_contact",
    "DROP INDEX phonebook_contact_words_ft ON phonebook_contact",
]


def _run(schema_editor: BaseDatabaseSchemaEditor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)


def ensure_pg_trgm(schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Create ``pg_trgm`` if it is missing; a clear error when this role may not."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone():
            return
        try:
            # Savepoint: a refused CREATE EXTENSION must not poison the migration's transaction.
            cursor.execute("SAVEPOINT phonebook_pg_trgm")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute("RELEASE SAVEPOINT phonebook_pg_trgm")
        except DatabaseError as exc:
            cursor.execute("ROLLBACK TO SAVEPOINT phonebook_pg_trgm")
            raise DatabaseError(PG_TRGM_MISSING.format(name=connection.settings_dict["NAME"])) from exc


def install(schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Create the search indexes of the current engine (nothing on other engines)."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_INSTALL)
    elif vendor == "postgresql":
        ensure_pg_trgm(schema_editor)
        _run(schema_editor, POSTGRES_INSTALL)
    elif vendor == "mysql":
        _run(schema_editor, MYSQL_INSTALL)


def uninstall(schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_UNINSTALL)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_UNINSTALL)
    elif vendor == "mysql":
        _run(schema_editor, MYSQL_UNINSTALL)
