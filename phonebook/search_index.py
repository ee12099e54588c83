"""The engine-specific search indexes of the phonebook (created by migration 0002).

- SQLite: two FTS5 tables kept by triggers on ``phonebook_contact``: words
  (``unicode61``, prefix indexes for 1 to 3 letters) and digits (``trigram``,
  any substring of 3 digits or more).
- PostgreSQL: a generated ``tsvector`` column (name words weighted A,
  company and department B) with a GIN index, a GIN index on the name's
  words alone, and a ``pg_trgm`` GIN index on the digits. ``pg_trgm`` must
  be installed in the database (see docs/phonebook.md, "On PostgreSQL").
- MariaDB/MySQL: InnoDB FULLTEXT indexes on the name, and on the name with
  company and department.

A later migration that makes Django rebuild ``phonebook_contact`` on SQLite
(most column changes do) drops the triggers: it must call :func:`install`
again after its own operations.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper
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
    "CREATE INDEX phonebook_contact_name_words ON phonebook_contact "
    "USING gin (to_tsvector('simple'::regconfig, sort_name))",
    "CREATE INDEX phonebook_contact_digits_trgm ON phonebook_contact USING gin (search_digits gin_trgm_ops)",
]
POSTGRES_UNINSTALL = [
    "DROP INDEX IF EXISTS phonebook_contact_digits_trgm",
    "DROP INDEX IF EXISTS phonebook_contact_search_vector",
    "DROP INDEX IF EXISTS phonebook_contact_name_words",
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
    """Create ``pg_trgm`` if it is missing; a clear error when this role may not.

    A refused CREATE EXTENSION ends the migration (its transaction is rolled
    back), with a message saying what an administrator must run."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone():
            return
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError as exc:
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


SQLITE_TRIGGERS = [statement for statement in SQLITE_INSTALL if "CREATE TRIGGER" in statement]
SQLITE_TRIGGER_NAMES = [
    "phonebook_contact_search_insert",
    "phonebook_contact_search_delete",
    "phonebook_contact_search_words",
    "phonebook_contact_search_digits",
]
_FORGET = [
    "INSERT INTO phonebook_contact_words(phonebook_contact_words, rowid, sort_name, search_org) "
    "SELECT 'delete', id, sort_name, search_org FROM phonebook_contact WHERE {where}",
    "INSERT INTO phonebook_contact_digits(phonebook_contact_digits, rowid, search_digits) "
    "SELECT 'delete', id, search_digits FROM phonebook_contact WHERE {where}",
]
_INDEX = [
    "INSERT INTO phonebook_contact_words(rowid, sort_name, search_org) "
    "SELECT id, sort_name, search_org FROM phonebook_contact WHERE {where}",
    "INSERT INTO phonebook_contact_digits(rowid, search_digits) "
    "SELECT id, search_digits FROM phonebook_contact WHERE {where}",
]


class BulkSync:
    """Keeps SQLite's FTS5 tables right during an import, set by set instead of row by row.

    Row triggers cost five times more than indexing a batch in one statement,
    and indexing all the new rows at the end in one statement costs a third
    less again (FTS5 then writes larger segments). ``pause()`` drops the
    triggers (inside the import's transaction: a rollback brings them back)
    and notes the last id; the importer then calls ``forget()`` before it
    changes or deletes existing rows and ``index()`` after it changed them;
    ``resume()`` indexes the rows inserted since ``pause()`` (ids above the
    last one: SQLite's AUTOINCREMENT only goes up) and recreates the
    triggers. Nothing to do on other engines, whose indexes follow the table
    by themselves.
    """

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection
        self.active = connection.vendor == "sqlite"
        self.last_id = 0

    def _execute(self, statements: list[str], params: list | None = None) -> None:
        if self.active:
            with self.connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement, params)

    def pause(self) -> None:
        self._execute([f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGER_NAMES])
        if self.active:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT COALESCE(MAX(id), 0) FROM phonebook_contact")
                self.last_id = cursor.fetchone()[0]

    def resume(self) -> None:
        self.index("id > %s", [self.last_id])
        self._execute(SQLITE_TRIGGERS)

    def forget(self, where: str, params: list) -> None:
        """Take existing rows matching ``where`` (on phonebook_contact) out of the indexes, before they
        change (never rows inserted since ``pause()``: they are not indexed yet)."""
        self._execute([statement.format(where=where) for statement in _FORGET], params)

    def index(self, where: str, params: list) -> None:
        """Put the rows matching ``where`` into the indexes, after they were changed."""
        self._execute([statement.format(where=where) for statement in _INDEX], params)
