"""API tokens of people from outside sources: refused once the source no longer has them (<= 5 minutes).

Real sources: a password file, user tables in PostgreSQL, MariaDB and SQLite, a real slapd. The
window (ASTITRAY_TOKEN_SOURCE_CHECK_SECONDS) is crossed by moving the cache's clock, not by waiting.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
import xmlrpc.client

import ldap
import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django_auth_ldap.config import LDAPSearch

from accounts.models import ApiToken
from testkit.known_secrets import HTPASSWD_PASSWORDS, LDAP_PASSWORDS, SQL_PASSWORDS
from testkit.rpc import basic, xmlrpc_post, xmlrpc_result
from tests.accounts.conftest import AUTH_CODE, PEOPLE, bcrypt_hash, person, search_then_bind
from tests.conftest import ALICE_PASSWORD

INTERNAL_ERROR = -32603

pytestmark = pytest.mark.django_db

User = get_user_model()


def call(client, method: str, *params, headers: dict[str, str]):
    response = xmlrpc_post(client, xmlrpc.client.dumps(params, method), headers)
    assert response.status_code == 200
    try:
        return xmlrpc_result(response.content)
    except xmlrpc.client.Fault as fault:
        return fault


def made_token(client, username: str, password: str) -> dict[str, str]:
    """A token made over XML-RPC with the person's password: the Bearer header that sends it."""
    made = call(client, "accounts.create_token", "tray", headers=basic(username, password))
    assert isinstance(made, dict), made
    return {"HTTP_AUTHORIZATION": f"Bearer {made['token']}"}


def whoami(client, headers) -> str | int:
    """The username, or the fault's code."""
    answer = call(client, "accounts.whoami", headers=headers)
    return answer.faultCode if isinstance(answer, xmlrpc.client.Fault) else answer["username"]


@pytest.fixture
def later(monkeypatch):
    """``later(seconds)``: the cache's clock (Django's local-memory cache reads time.time) moved on."""
    offset = [0.0]
    real = time.time
    monkeypatch.setattr("django.core.cache.backends.locmem.time.time", lambda: real() + offset[0])

    def move(seconds: float) -> None:
        offset[0] += seconds

    return move


def test_a_password_file_user_removed_from_the_file_is_refused_within_five_minutes(
    client, password_files, later
):
    password_files.write({"omar": bcrypt_hash(HTPASSWD_PASSWORDS["omar"])})
    headers = made_token(client, "omar", HTPASSWD_PASSWORDS["omar"])
    assert whoami(client, headers) == "omar"
    password_files.write({"omar": bcrypt_hash("omar-Changed-9")})  # a new password: the token still works
    assert whoami(client, headers) == "omar"
    password_files.write({})
    assert whoami(client, headers) == "omar"  # within the window: trusted
    later(299)
    assert whoami(client, headers) == "omar"
    later(2)
    assert whoami(client, headers) == AUTH_CODE
    password_files.write({"omar": bcrypt_hash(HTPASSWD_PASSWORDS["omar"])})
    assert whoami(client, headers) == "omar"  # a refusal is not remembered


def test_without_a_window_the_source_is_asked_at_every_call(client, password_files, settings):
    settings.ASTITRAY_TOKEN_SOURCE_CHECK_SECONDS = 0
    password_files.write({"omar": bcrypt_hash(HTPASSWD_PASSWORDS["omar"])})
    headers = made_token(client, "omar", HTPASSWD_PASSWORDS["omar"])
    password_files.write({})
    assert whoami(client, headers) == AUTH_CODE


def test_an_unreadable_password_file_refuses_the_token_as_the_server_s_failure(
    client, password_files, settings
):
    settings.ASTITRAY_TOKEN_SOURCE_CHECK_SECONDS = 0
    password_files.write({"omar": bcrypt_hash(HTPASSWD_PASSWORDS["omar"])})
    headers = made_token(client, "omar", HTPASSWD_PASSWORDS["omar"])
    password_files.passwords.unlink()
    assert whoami(client, headers) == INTERNAL_ERROR  # the file cannot be read: no verdict on omar
    assert AccessAttempt.objects.count() == 0
    password_files.write({"omar": bcrypt_hash(HTPASSWD_PASSWORDS["omar"])})
    assert whoami(client, headers) == "omar"


@pytest.mark.service
def test_a_row_removed_from_the_user_table_is_refused(client, user_table, settings):
    settings.ASTITRAY_TOKEN_SOURCE_CHECK_SECONDS = 0
    headers = made_token(client, "ivan", SQL_PASSWORDS["ivan"])
    assert whoami(client, headers) == "ivan"
    user_table.execute(f"UPDATE {user_table.name} SET pw_hash = %s WHERE login = %s", ("x-changed", "ivan"))
    assert whoami(client, headers) == "ivan"  # a changed password does not break the token
    user_table.execute(f"UPDATE {user_table.name} SET active = 0 WHERE login = %s", ("ivan",))
    assert whoami(client, headers) == AUTH_CODE  # disabled in the table
    user_table.execute(f"UPDATE {user_table.name} SET active = 1 WHERE login = %s", ("ivan",))
    assert whoami(client, headers) == "ivan"
    user_table.execute(f"DELETE FROM {user_table.name} WHERE login = %s", ("ivan",))
    assert whoami(client, headers) == AUTH_CODE  # the row gone


@pytest.mark.service
def test_an_unreachable_user_table_refuses_the_token_without_counting_it(client, user_table, settings):
    settings.ASTITRAY_TOKEN_SOURCE_CHECK_SECONDS = 0
    headers = made_token(client, "ivan", SQL_PASSWORDS["ivan"])
    reachable, settings.ASTITRAY_AUTH_SQL_URL = settings.ASTITRAY_AUTH_SQL_URL, user_table.unreachable_url()
    # Refused as the server's failure, not as a revoked token (the device keeps it), and an outage
    # longer than the lockout's count locks nobody out.
    for _ in range(settings.ASTITRAY_LOCKOUT_FAILURES + 1):
        assert whoami(client, headers) == INTERNAL_ERROR
    assert AccessAttempt.objects.count() == 0
    settings.ASTITRAY_AUTH_SQL_URL = reachable
    assert whoami(client, headers) == "ivan"


@pytest.mark.service
def test_ldap_tokens_follow_the_directory(client, ldap_settings, directory, settings):
    search_then_bind(settings, directory)
    settings.ASTITRAY_TOKEN_SOURCE_CHECK_SECONDS = 0
    settings.AUTH_LDAP_GROUP_SEARCH = LDAPSearch("ou=groups,dc=example,dc=org", ldap.SCOPE_SUBTREE)
    headers = made_token(client, "dave", LDAP_PASSWORDS["dave"])
    assert whoami(client, headers) == "dave"
    directory.modify(
        f"dn: uid=dave,{PEOPLE}\nchangetype: modify\nreplace: userPassword\nuserPassword: new-9\n"
    )
    try:
        assert whoami(client, headers) == "dave"  # the password changed in the directory: still works
        settings.AUTH_LDAP_DENY_GROUP = "cn=astitray-staff,ou=groups,dc=example,dc=org"
        directory.modify(
            "dn: cn=astitray-staff,ou=groups,dc=example,dc=org\nchangetype: modify\n"
            f"add: member\nmember: uid=dave,{PEOPLE}\n"
        )
        assert whoami(client, headers) == AUTH_CODE  # in the deny group
        directory.modify(
            "dn: cn=astitray-staff,ou=groups,dc=example,dc=org\nchangetype: modify\n"
            f"delete: member\nmember: uid=dave,{PEOPLE}\n"
        )
        assert whoami(client, headers) == "dave"
        directory.modify(f"dn: uid=dave,{PEOPLE}\nchangetype: delete\n")
        assert whoami(client, headers) == AUTH_CODE  # gone from the directory
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already deleted
            directory.modify(f"dn: uid=dave,{PEOPLE}\nchangetype: delete\n")
        directory.add(person("dave", "Dave", "Noto"))  # as the module's other tests expect him
    assert ApiToken.objects.filter(user__username="dave").exists()  # refused, not deleted


@pytest.mark.service
def test_without_a_service_account_ldap_tokens_are_refused(client, ldap_settings, settings):
    settings.ASTITRAY_TOKEN_SOURCE_CHECK_SECONDS = 0
    headers = made_token(client, "carol", LDAP_PASSWORDS["carol"])
    assert whoami(client, headers) == AUTH_CODE


def test_a_local_django_account_is_never_asked_of_a_source(client, alice, password_files, settings):
    settings.ASTITRAY_TOKEN_SOURCE_CHECK_SECONDS = 0
    headers = made_token(client, "alice", ALICE_PASSWORD)
    password_files.passwords.unlink()  # a source that would refuse
    assert whoami(client, headers) == "alice"


def test_an_admin_can_revoke_every_token_of_a_user(client, alice):
    from accounts import tokens

    first = made_token(client, "alice", ALICE_PASSWORD)
    second = made_token(client, "alice", ALICE_PASSWORD)
    assert tokens.revoke_all(alice) == 2
    assert whoami(client, first) == AUTH_CODE
    assert whoami(client, second) == AUTH_CODE
