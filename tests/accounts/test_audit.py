"""Failed logins and lockouts are logged with user, address and backend, never with a password."""

from __future__ import annotations

import logging

import pytest

from testkit.known_secrets import AUDIT_PASSWORD
from tests.accounts.conftest import LDAP_PASSWORDS, bcrypt_hash, use_backends, whoami, whoami_fault
from tests.conftest import ALICE_PASSWORD

pytestmark = pytest.mark.django_db

SECRET = AUDIT_PASSWORD


@pytest.fixture
def every_log(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def audit_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "accounts.audit"]


def assert_no_secret(caplog, *secrets: str) -> None:
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + (record.exc_text or "")
        for secret in secrets:
            assert secret not in text, f"{record.name} logged a password: {text[:200]}"


def test_a_failure_names_user_address_and_what_each_backend_said(client, password_files, every_log, alice):
    password_files.write({"omar": bcrypt_hash("omar-File-1")})
    whoami_fault(client, "omar", SECRET, address="10.1.2.3")
    whoami_fault(client, "nobody", SECRET, address="10.1.2.3")
    assert audit_lines(every_log) == [
        "login failed: user='omar' address=10.1.2.3 backends=htpasswd: wrong password; django: refused",
        "login failed: user='nobody' address=10.1.2.3 backends=htpasswd: not in the password file; "
        "django: refused",
    ]
    assert_no_secret(every_log, SECRET)


def test_a_success_names_the_backend_that_accepted(client, password_files, every_log, alice):
    password_files.write({"omar": bcrypt_hash("omar-File-1")})
    whoami(client, "omar", "omar-File-1", address="10.1.2.3")
    whoami(client, "alice", ALICE_PASSWORD, address="10.1.2.4")
    whoami(client, "alice", ALICE_PASSWORD, address="10.1.2.4")  # cached: not logged again
    assert audit_lines(every_log) == [
        "login: user='omar' address=10.1.2.3 backend=htpasswd",
        "login: user='alice' address=10.1.2.4 backend=django",
    ]
    assert_no_secret(every_log, "omar-File-1", ALICE_PASSWORD)


def test_a_lockout_is_logged(client, alice, every_log):
    for _ in range(5):
        whoami_fault(client, "alice", SECRET, address="10.1.2.5")
    whoami_fault(client, "alice", ALICE_PASSWORD, address="10.1.2.5")
    lines = audit_lines(every_log)
    assert "lockout: user='alice' address=10.1.2.5 after 5 failed logins (for 15 minutes)" in lines
    assert lines[-1] == "login refused: user='alice' address=10.1.2.5 locked out (no backend asked)"
    assert_no_secret(every_log, SECRET, ALICE_PASSWORD)


def test_a_typed_username_cannot_forge_a_log_line(client, every_log, alice):
    # A line feed is a control character: refused before any backend (tests/hostile/test_rpc.py).
    # A Unicode line separator is not, and some log viewers break lines on it.
    whoami_fault(client, "eve\u2028login user='admin' address=10.0.0.1 backend=django", SECRET)
    (line,) = audit_lines(every_log)
    assert "\u2028" not in line
    assert line.startswith(
        "login failed: user=\"eve\\u2028login user='admin' address=10.0.0.1 backend=django\" "
    )


@pytest.mark.service
def test_ldap_and_sql_failures_never_log_the_password(client, ldap_settings, user_table, settings, every_log):
    use_backends(settings, "ldap", "sql", "django")
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 0
    whoami_fault(client, "carol", SECRET)
    whoami_fault(client, "ivan", SECRET)
    whoami(client, "carol", LDAP_PASSWORDS["carol"])
    lines = audit_lines(every_log)
    assert lines[0] == (
        "login failed: user='carol' address=127.0.0.1 backends=ldap: wrong password, unknown user or not "
        "allowed; sql: not in the user table; django: refused"
    )
    assert lines[1].endswith("sql: wrong password; django: refused")
    assert lines[2] == "login: user='carol' address=127.0.0.1 backend=ldap"
    assert_no_secret(every_log, SECRET, LDAP_PASSWORDS["carol"])


@pytest.mark.service
def test_an_unreachable_directory_is_named(client, ldap_settings, directory, every_log):
    directory.stop()
    try:
        whoami_fault(client, "carol", LDAP_PASSWORDS["carol"])
    finally:
        directory.start()
    assert audit_lines(every_log) == [
        "login failed: user='carol' address=127.0.0.1 backends=ldap: directory unreachable (SERVER_DOWN); "
        "django: refused"
    ]
    assert_no_secret(every_log, LDAP_PASSWORDS["carol"])
