"""The authentication sources' settings: read flat from the environment, checked by system checks.

A value of the wrong kind stops the settings naming the variable; settings
that do not fit together are system checks with ids (accounts/checks.py),
which ``manage.py`` commands and a starting server run.
"""

from __future__ import annotations

import os
import runpy
from collections.abc import Callable
from pathlib import Path

import ldap
import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django_auth_ldap.config import LDAPSearch

from accounts.backends import ldap_config
from accounts.backends.ldap import LdapBackend

SETTINGS = Path(__file__).resolve().parents[2] / "astitray" / "settings.py"


@pytest.fixture
def load(monkeypatch) -> Callable[..., dict]:
    """Run astitray/settings.py afresh with the given environment (Django's own settings stay as they are)."""

    def run(**env: str) -> dict:
        for name in list(os.environ):
            if name.startswith(("ASTITRAY_", "AUTH_LDAP_")):
                monkeypatch.delenv(name)
        monkeypatch.setenv("SECRET_KEY", "x" * 60)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS))

    return run


def auth_settings(values: dict) -> dict:
    """The authentication settings among ``values`` (to run code with them as Django's settings)."""
    return {name: value for name, value in values.items() if name.startswith(("ASTITRAY_", "AUTH_LDAP_"))}


@pytest.fixture
def check_ids(load) -> Callable[..., list[str]]:
    """The ids of the configuration checks' errors and warnings for an environment."""

    def run(**env: str) -> list[str]:
        with override_settings(**auth_settings(load(**env))):
            return [message.id or "" for message in run_checks(tags=["config"])]

    return run


def test_a_complete_ldap_configuration(load, check_ids):
    env = {
        "ASTITRAY_AUTH_BACKENDS": "ldap,django",
        "AUTH_LDAP_SERVER_URI": "ldaps://ldap.example.org",
        "AUTH_LDAP_BIND_DN": "cn=astitray,ou=services,dc=example,dc=org",
        "AUTH_LDAP_BIND_PASSWORD": "service-Secret",
        "AUTH_LDAP_USER_SEARCH_BASE": "ou=people,dc=example,dc=org",
        "AUTH_LDAP_USER_SEARCH_FILTER": "(sAMAccountName=%(user)s)",
        "AUTH_LDAP_GROUP_SEARCH_BASE": "ou=groups,dc=example,dc=org",
        "AUTH_LDAP_GROUP_TYPE": "activeDirectory",
        "AUTH_LDAP_USER_FLAGS_BY_GROUP": "is_staff=cn=it,ou=groups,dc=example,dc=org;"
        "is_superuser=cn=admins,ou=groups,dc=example,dc=org",
        "ASTITRAY_LDAP_EXTENSION_ATTR": "ipPhone",
        "ASTITRAY_LDAP_EXTENSION_REGEX": r"(\d{3})$",
        "ASTITRAY_LDAP_TIMEOUT": "2.5",
    }
    values = load(**env)
    assert values["AUTHENTICATION_BACKENDS"] == [
        "accounts.lockout.LockoutBackend",
        "accounts.backends.ldap.LdapBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    assert values["AUTH_LDAP_BIND_AS_AUTHENTICATING_USER"] is False  # a service account reads entries
    assert check_ids(**env) == []
    with override_settings(**auth_settings(values)):
        built = LdapBackend().settings  # django-auth-ldap's own view of its settings
    assert built.USER_SEARCH.filterstr == "(sAMAccountName=%(user)s)"
    assert built.USER_SEARCH.base_dn == "ou=people,dc=example,dc=org"
    assert built.GROUP_SEARCH.filterstr == "(objectClass=group)"
    assert type(built.GROUP_TYPE).__name__ == "NestedActiveDirectoryGroupType"
    assert built.USER_FLAGS_BY_GROUP == {
        "is_staff": "cn=it,ou=groups,dc=example,dc=org",
        "is_superuser": "cn=admins,ou=groups,dc=example,dc=org",
    }
    assert built.CONNECTION_OPTIONS[ldap.OPT_NETWORK_TIMEOUT] == 2.5
    assert built.CONNECTION_OPTIONS[ldap.OPT_TIMEOUT] == 2.5
    assert built.BIND_PASSWORD == "service-Secret"


def test_a_django_setting_of_django_auth_ldaps_own_name_still_wins(load):
    values = load(AUTH_LDAP_USER_SEARCH_BASE="ou=people,dc=example,dc=org")
    search = LDAPSearch("ou=elsewhere", ldap.SCOPE_ONELEVEL, "(cn=%(user)s)")
    with override_settings(**auth_settings(values), AUTH_LDAP_USER_SEARCH=search):
        assert LdapBackend().settings.USER_SEARCH is search


def test_the_defaults(load, check_ids):
    values = load()
    assert values["AUTHENTICATION_BACKENDS"] == [
        "accounts.lockout.LockoutBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    assert values["ASTITRAY_LDAP_EXTENSION_ATTR"] == "telephoneNumber"
    assert values["ASTITRAY_LDAP_CHANNEL_TEMPLATE"] == "PJSIP/{extension}"
    assert values["ASTITRAY_AUTH_SQL_HASH"] == ["bcrypt"]
    assert (values["AXES_FAILURE_LIMIT"], values["AXES_COOLOFF_TIME"].total_seconds()) == (5, 900)
    assert check_ids() == []


def test_the_directory_may_give_no_phones(load):
    for written in ("none", "None", ""):
        with override_settings(ASTITRAY_LDAP_EXTENSION_ATTR=written):
            assert ldap_config.extension_attribute() == ""
    with override_settings(ASTITRAY_LDAP_EXTENSION_ATTR="ipPhone"):
        assert ldap_config.extension_attribute() == "ipPhone"


def test_the_lockout_settings(load):
    values = load(ASTITRAY_LOCKOUT_FAILURES="0", ASTITRAY_LOCKOUT_BY="username,address")
    assert values["AXES_ENABLED"] is False
    assert values["AXES_LOCKOUT_PARAMETERS"] == ["username", "ip_address"]
    values = load(ASTITRAY_LOCKOUT_ADDRESS_FAILURES="0")
    assert values["AXES_LOCKOUT_PARAMETERS"] == [["username", "ip_address"]]
    assert values["ASTITRAY_LOCKOUT_ADDRESS_FAILURES"] == 0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ASTITRAY_AUTH_BACKENDS": "django,kerberos"}, "ASTITRAY_AUTH_BACKENDS: unknown value.s. kerberos"),
        ({"ASTITRAY_LDAP_TIMEOUT": "soon"}, "ASTITRAY_LDAP_TIMEOUT"),
        ({"ASTITRAY_LOCKOUT_BY": "username,mood"}, "ASTITRAY_LOCKOUT_BY"),
        ({"ASTITRAY_LOCKOUT_FAILURES": "-1"}, "ASTITRAY_LOCKOUT_FAILURES"),
        ({"ASTITRAY_LOCKOUT_ADDRESS_FAILURES": "many"}, "ASTITRAY_LOCKOUT_ADDRESS_FAILURES"),
        ({"ASTITRAY_AUTH_SQL_TIMEOUT": "0"}, "ASTITRAY_AUTH_SQL_TIMEOUT must be at least 1"),
        ({"AUTH_LDAP_START_TLS": "perhaps"}, "AUTH_LDAP_START_TLS must be True or False"),
    ],
)
def test_a_value_of_the_wrong_kind_stops_the_settings_naming_the_variable(load, env, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        load(**env)


@pytest.mark.parametrize(
    ("env", "check_id"),
    [
        ({"ASTITRAY_AUTH_BACKENDS": "htpasswd"}, "accounts.E003"),
        ({"ASTITRAY_AUTH_BACKENDS": "ldap", "AUTH_LDAP_USER_DN_TEMPLATE": "uid=%(user)s"}, "accounts.E004"),
        ({"ASTITRAY_AUTH_BACKENDS": "ldap", "AUTH_LDAP_SERVER_URI": "ldap://x"}, "accounts.E005"),
        ({"ASTITRAY_AUTH_BACKENDS": "sql"}, "accounts.E006"),
        ({"ASTITRAY_AUTH_BACKENDS": "sql", "ASTITRAY_AUTH_SQL_URL": "postgres://h/db"}, "accounts.E006"),
        ({"ASTITRAY_AUTH_SQL_QUERY": "SELECT pw AS password FROM t WHERE a = %s OR b = %s"}, "accounts.E007"),
        ({"ASTITRAY_AUTH_SQL_QUERY": "DELETE FROM t WHERE a = %s"}, "accounts.E007"),
        ({"ASTITRAY_AUTH_SQL_URL": "ftp://h/db"}, "accounts.E008"),
        ({"ASTITRAY_AUTH_SQL_URL": "oracle://h/db"}, "accounts.E008"),  # its driver is not installed here
        ({"ASTITRAY_AUTH_SQL_HASH": "plaintext"}, "accounts.E009"),
        ({"ASTITRAY_AUTH_SQL_HASH": "sha1"}, "accounts.E009"),
        ({"AUTH_LDAP_GROUP_TYPE": "groupOfSomething"}, "accounts.E010"),
        ({"AUTH_LDAP_USER_FLAGS_BY_GROUP": "is_god=cn=x"}, "accounts.E011"),
        ({"AUTH_LDAP_USER_FLAGS_BY_GROUP": "is_staff=cn=x"}, "accounts.E012"),
        ({"AUTH_LDAP_REQUIRE_GROUP": "cn=phones,ou=groups"}, "accounts.E012"),
        ({"ASTITRAY_LDAP_EXTENSION_REGEX": "(\\d+"}, "accounts.E013"),
        ({"ASTITRAY_LDAP_CHANNEL_TEMPLATE": "PJSIP/{number}"}, "accounts.E014"),
        ({"ASTITRAY_AUTH_SQL_CHANNEL_TEMPLATE": "PJSIP/1001"}, "accounts.E014"),
        ({"ASTITRAY_HTPASSWD_CHANNEL_TEMPLATE": "PJSIP/{extension"}, "accounts.E014"),
    ],
)
def test_settings_that_do_not_fit_together_are_checks_with_ids(check_ids, env, check_id):
    assert set(check_ids(**env)) == {check_id}


@pytest.mark.parametrize(
    "env",
    [
        {"ASTITRAY_AUTH_BACKENDS": "sql", "ASTITRAY_AUTH_SQL_URL": "sqlite:////srv/users.sqlite3",
         "ASTITRAY_AUTH_SQL_QUERY": "SELECT pw AS password FROM t WHERE login = %s AND note LIKE 'a%%'"},
        {"ASTITRAY_AUTH_SQL_URL": "mysql://u@h/db"},
        {"ASTITRAY_AUTH_SQL_HASH": "plaintext", "ASTITRAY_AUTH_SQL_ALLOW_INSECURE_PLAINTEXT": "True"},
        {"ASTITRAY_AUTH_BACKENDS": "ldap", "AUTH_LDAP_SERVER_URI": "ldap://x",
         "AUTH_LDAP_USER_SEARCH_BASE": "ou=people", "AUTH_LDAP_GROUP_SEARCH_BASE": "ou=groups",
         "AUTH_LDAP_REQUIRE_GROUP": "cn=phones,ou=groups"},
    ],
)  # fmt: skip
def test_settings_that_fit_together_pass_the_checks(check_ids, env):
    assert check_ids(**env) == []


def test_the_plaintext_switch_is_explicit(load):
    values = load(ASTITRAY_AUTH_SQL_HASH="plaintext", ASTITRAY_AUTH_SQL_ALLOW_INSECURE_PLAINTEXT="True")
    assert values["ASTITRAY_AUTH_SQL_HASH"] == ["plaintext"]
