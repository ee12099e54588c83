"""``manage.py import_sql_contacts`` from real PostgreSQL and MariaDB sources, and an SQLite file."""

from __future__ import annotations

import secrets
from io import StringIO
from typing import Any

import dj_database_url
import pytest
from django.core.management import CommandError, call_command

from phonebook.models import Contact
from testkit.services import require_mariadb, require_postgres
from tests.phonebook.conftest import snapshot

pytestmark = pytest.mark.django_db

ROWS = 300


def rows(count: int) -> list[tuple]:
    return [
        (
            f"E{i:04d}",
            f"Employé {i} Ñandú",
            "Example Corp",
            ["Sales", "R&D"][i % 2],
            f"+33 1 42 68 {i // 100:02d} {i % 100:02d}",
            f"06 12 34 {i // 100:02d} {i % 100:02d}" if i % 3 == 0 else None,
        )
        for i in range(count)
    ]


class Source:
    """A throwaway table in a real database server or an SQLite file, and the URL to reach it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.table = f"astitray_people_{secrets.token_hex(4)}"
        params = dj_database_url.parse(url)
        self.conn: Any
        self.vendor = params["ENGINE"].rsplit(".", 1)[-1].replace("sqlite3", "sqlite")
        if self.vendor == "sqlite":
            import sqlite3

            self.conn = sqlite3.connect(params["NAME"], isolation_level=None)
        elif self.vendor == "postgresql":
            import psycopg

            self.conn = psycopg.connect(
                host=params["HOST"],
                port=params["PORT"],
                user=params["USER"],
                dbname=params["NAME"],
                autocommit=True,
            )
        else:
            import MySQLdb

            self.conn = MySQLdb.connect(
                host=params["HOST"], port=int(params["PORT"]), user=params["USER"], database=params["NAME"],
                charset="utf8mb4", autocommit=True,
            )  # fmt: skip
        self.execute(
            f"CREATE TABLE {self.table} (emp_no varchar(10) PRIMARY KEY, full_name varchar(100), "
            "company varchar(100), dept varchar(100), phone varchar(40), cell varchar(40))"
        )
        # "key" is a reserved word in MySQL: quoted there.
        self.key = "`key`" if self.vendor == "mysql" else "key"

    def _sql(self, sql: str) -> str:
        return sql.replace("%s", "?") if self.vendor == "sqlite" else sql  # sqlite3 takes ?

    def execute(self, sql: str, params: list | tuple | None = None) -> None:
        cursor = self.conn.cursor()
        cursor.execute(self._sql(sql), params or ())
        cursor.close()

    def insert(self, values: list[tuple]) -> None:
        cursor = self.conn.cursor()
        cursor.executemany(self._sql(f"INSERT INTO {self.table} VALUES (%s, %s, %s, %s, %s, %s)"), values)
        cursor.close()

    def count(self) -> int:
        cursor = self.conn.cursor()
        cursor.execute(f"SELECT COUNT(*) FROM {self.table}")
        row = cursor.fetchone()
        assert row is not None
        (value,) = row
        cursor.close()
        return value

    def query(self) -> str:
        return (
            f"SELECT emp_no AS {self.key}, full_name AS name, company, dept AS department, "
            f"phone AS work, cell AS mobile FROM {self.table} ORDER BY emp_no"
        )

    def close(self) -> None:
        self.execute(f"DROP TABLE IF EXISTS {self.table}")
        self.conn.close()


@pytest.fixture(params=["postgresql", "mariadb", "sqlite"])
def source(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'people.sqlite3'}"
    else:
        url = require_postgres() if request.param == "postgresql" else require_mariadb()
    src = Source(url)
    src.insert(rows(ROWS))
    yield src
    src.close()


def run(source: Source, *args: str, query: str | None = None) -> str:
    out = StringIO()
    call_command(
        "import_sql_contacts", "--url", source.url, "--query", query or source.query(), "--batch-size", "64",
        *args, stdout=out,
    )  # fmt: skip
    return out.getvalue()


def test_it_imports_streams_and_changes_nothing_the_second_time(source):
    assert f"{ROWS} read: {ROWS} created" in run(source)
    employee = Contact.objects.get(source="sql", source_key="E0003")
    assert employee.name == "Employé 3 Ñandú"
    assert employee.department == "R&D"
    assert [(n.label, n.e164) for n in employee.numbers.all()] == [
        ("work", "+33142680003"),
        ("mobile", "+33612340003"),
    ]
    before = snapshot()
    assert f"0 created, 0 updated, {ROWS} unchanged, 0 removed" in run(source)
    assert snapshot() == before


def test_it_updates_and_prunes_its_own_rows(source):
    run(source)
    Contact.objects.create(name="By Hand")
    source.execute(f"UPDATE {source.table} SET full_name = 'Renamed' WHERE emp_no = 'E0010'")
    source.execute(f"DELETE FROM {source.table} WHERE emp_no IN ('E0011', 'E0012')")
    output = run(source, "--prune")
    assert "0 created, 1 updated" in output and "2 removed" in output
    assert Contact.objects.get(source_key="E0010").name == "Renamed"
    assert Contact.objects.filter(source="sql").count() == ROWS - 2
    assert Contact.objects.filter(name="By Hand").exists()


def test_a_failing_query_changes_nothing_and_never_writes_to_the_source(source):
    run(source)
    before = snapshot()
    with pytest.raises(CommandError, match=r"SQL source error: .*nothing was changed"):
        run(source, query=f"SELECT emp_no AS {source.key}, full_name AS name FROM {source.table}_missing")
    with pytest.raises(CommandError, match="SQL source error"):
        run(source, query=f"DELETE FROM {source.table} WHERE emp_no = 'E0001'")
    assert source.count() == ROWS  # read-only transaction
    with pytest.raises(CommandError, match="column 'phone' is not a contact field"):
        run(source, query=f"SELECT emp_no AS {source.key}, full_name AS name, phone FROM {source.table}")
    with pytest.raises(CommandError, match="row 2: key 'E0000' appears twice"):
        run(
            source,
            query=f"SELECT 'E0000' AS {source.key}, full_name AS name, phone AS work FROM {source.table}",
        )
    assert snapshot() == before


def test_an_unreachable_database_is_a_clear_error_without_the_password(db):
    with pytest.raises(CommandError, match="SQL source error") as failure:
        call_command(
            "import_sql_contacts", "--url", "postgres://someone:Secret-Pw-42@127.0.0.1:1/nowhere",
            "--query", "SELECT 1 AS name", "--timeout", "5",
        )  # fmt: skip
    assert "Secret-Pw-42" not in str(failure.value)
    with pytest.raises(CommandError, match=r"SQL source error: .*unable to open database file"):
        call_command(
            "import_sql_contacts", "--url", "sqlite:///nonexistent/x.db", "--query", "SELECT 1 AS name"
        )
    with pytest.raises(CommandError, match=r"not usable \(ftp:// names no database Django knows\)") as bad:
        call_command("import_sql_contacts", "--url", "ftp://someone:Secret-Pw-42@h/x", "--query", "SELECT 1")
    assert "Secret-Pw-42" not in str(bad.value)
    assert Contact.objects.count() == 0
