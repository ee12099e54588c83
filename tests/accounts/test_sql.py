"""Logins from an existing user table in real PostgreSQL and MariaDB databases, and an SQLite file."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from accounts.backends import sql as sql_backend
from accounts.models import Extension
from tests.accounts.conftest import AUTH_CODE, SQL_PASSWORDS, bcrypt_hash, whoami, whoami_fault
from tests.conftest import ALICE_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.service]

User = get_user_model()


def test_a_user_only_in_the_table_gets_the_extension_of_the_table(client, user_table, console_pbx):
    answer = whoami(client, "ivan", SQL_PASSWORDS["ivan"])  # bcrypt
    assert answer["username"] == "ivan"
    assert answer["full_name"] == "Ivan Petrov"
    assert (answer["extension"], answer["extension_source"], answer["can_dial"]) == ("3001", "sql", True)
    ivan = User.objects.get(username="ivan")
    assert (ivan.email, ivan.has_usable_password()) == ("ivan@example.org", False)
    assert ivan.extension.channel == "PJSIP/3001"


@pytest.mark.parametrize(("login", "extension"), [("judy", ""), ("kim", "3003")])
def test_sha_crypt_hashes(client, user_table, console_pbx, login, extension):
    assert whoami(client, login, SQL_PASSWORDS[login])["extension"] == extension


@pytest.mark.parametrize(
    ("login", "password"),
    [
        pytest.param("ivan", "wrong-Password", id="wrong-password"),
        pytest.param("zack", "any-Password-1", id="unknown-user"),
        pytest.param("leo", "leo-Sql-4", id="inactive-row"),
    ],
)
def test_wrong_logins_are_the_usual_fault(client, user_table, login, password):
    assert whoami_fault(client, login, password).faultCode == AUTH_CODE
    assert not User.objects.filter(username=login).exists()


def test_the_table_decides_the_case_of_a_login(client, user_table):
    if user_table.kind == "mariadb":
        # Its collation matches IVAN to ivan: one Django user, spelt as the table spells it.
        assert whoami(client, "IVAN", SQL_PASSWORDS["ivan"])["username"] == "ivan"
        assert list(User.objects.values_list("username", flat=True)) == ["ivan"]
    else:
        assert whoami_fault(client, "IVAN", SQL_PASSWORDS["ivan"]).faultCode == AUTH_CODE
        assert not User.objects.exists()


INJECTIONS = ["' OR '1'='1", "ivan'-- ", "ivan' OR '1'='1", "ivan'; DROP TABLE people; --"]


@pytest.mark.parametrize("login", INJECTIONS)
def test_sql_injection_attempts_are_just_wrong_logins(client, user_table, login):
    if login == "ivan'-- ":
        # Had the login been pasted into the SQL, this one would have logged in as ivan.
        pasted = user_table.query.replace("%s", f"'{login}'")
        assert [row[1] for row in user_table.execute(pasted)] == ["ivan"]
    assert whoami_fault(client, login, SQL_PASSWORDS["ivan"]).faultCode == AUTH_CODE
    assert not User.objects.exists()
    assert len(user_table.execute(f"SELECT login FROM {user_table.name}")) == 4


@pytest.mark.parametrize("login", INJECTIONS)
def test_the_login_reaches_the_database_only_as_a_bound_parameter(user_table, login):
    assert sql_backend.rows(user_table.query, login) == []  # a value compared with the login column
    assert [row["username"] for row in sql_backend.rows(user_table.query, "ivan")] == ["ivan"]


def test_a_password_changed_in_the_table_counts_at_once(client, user_table, settings):
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 0
    assert whoami(client, "ivan", SQL_PASSWORDS["ivan"])["username"] == "ivan"
    user_table.execute(
        f"UPDATE {user_table.name} SET pw_hash = %s WHERE login = %s",
        (bcrypt_hash("ivan-New-1", "2b"), "ivan"),
    )
    # The backend's connection is reused: it must not read an old snapshot.
    assert whoami_fault(client, "ivan", SQL_PASSWORDS["ivan"]).faultCode == AUTH_CODE
    assert whoami(client, "ivan", "ivan-New-1")["username"] == "ivan"


def test_the_extension_follows_the_table_but_never_a_manual_one(client, user_table, settings, console_pbx):
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 0
    assert whoami(client, "ivan", SQL_PASSWORDS["ivan"])["extension"] == "3001"
    user_table.execute(f"UPDATE {user_table.name} SET phone = %s WHERE login = %s", ("3011", "ivan"))
    assert whoami(client, "ivan", SQL_PASSWORDS["ivan"])["extension"] == "3011"
    user_table.execute(f"UPDATE {user_table.name} SET phone = NULL WHERE login = %s", ("ivan",))
    assert whoami(client, "ivan", SQL_PASSWORDS["ivan"])["extension"] == ""
    ivan = User.objects.get(username="ivan")
    Extension.objects.create(user=ivan, number="7777", channel="SIP/ivan")  # an admin's
    user_table.execute(f"UPDATE {user_table.name} SET phone = %s WHERE login = %s", ("3021", "ivan"))
    assert whoami(client, "ivan", SQL_PASSWORDS["ivan"])["extension"] == "7777"


def test_a_connection_the_server_dropped_is_opened_again(client, user_table, settings):
    if user_table.kind == "sqlite":
        pytest.skip("an SQLite file has no server that could drop the connection")
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 0
    assert whoami(client, "ivan", SQL_PASSWORDS["ivan"])["username"] == "ivan"
    # The server ends exactly the backend's connection (not other test runs' on the same database).
    own_id = "pg_backend_pid()" if user_table.kind == "postgresql" else "CONNECTION_ID()"
    [row] = sql_backend.rows(f"SELECT {own_id} AS id WHERE %s IS NOT NULL", "ivan")
    if user_table.kind == "postgresql":
        user_table.execute("SELECT pg_terminate_backend(%s)", (row["id"],))
    else:
        user_table.execute(f"KILL {int(row['id'])}")
    assert whoami(client, "ivan", SQL_PASSWORDS["ivan"])["username"] == "ivan"


def test_an_unreachable_table_refuses_without_crashing(client, user_table, settings, alice):
    settings.ASTITRAY_AUTH_SQL_URL = user_table.unreachable_url()
    assert whoami_fault(client, "ivan", SQL_PASSWORDS["ivan"]).faultCode == AUTH_CODE
    assert whoami(client, "alice", ALICE_PASSWORD)["username"] == "alice"


def test_a_query_that_fails_refuses_without_crashing(client, user_table, settings):
    settings.ASTITRAY_AUTH_SQL_QUERY = "SELECT pw_hash AS password FROM no_such_table WHERE login = %s"
    assert whoami_fault(client, "ivan", SQL_PASSWORDS["ivan"]).faultCode == AUTH_CODE


def test_a_local_django_account_is_not_taken_over(client, user_table, alice):
    user_table.add("alice", bcrypt_hash("table-Alice-1", "2b"), "3999", "Other Alice")
    assert whoami_fault(client, "alice", "table-Alice-1").faultCode == AUTH_CODE
    assert whoami(client, "alice", ALICE_PASSWORD)["extension"] == "1001"


def test_the_user_table_is_only_ever_read(user_table):
    from django.db import Error

    with pytest.raises(Error):
        sql_backend.rows(f"UPDATE {user_table.name} SET phone = '9999' WHERE login = %s", "ivan")
    assert user_table.execute(f"SELECT phone FROM {user_table.name} WHERE login = %s", ("ivan",)) == [
        ("3001",)
    ]
