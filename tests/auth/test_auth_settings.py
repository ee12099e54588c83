"""The authentication sources' settings: read from the environment, errors name the variable."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import ldap
import pytest
from django.core.exceptions import ImproperlyConfigured

SETTINGS = Path(__file__).resolve().parents[2] / "astitray" / "settings.py"


@pytest.fixture
def load(monkeypatch):
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


def test_a_complete_ldap_configuration(load):
    values = load(
        ASTITRAY_AUTH_BACKENDS="ldap,django",
        AUTH_LDAP_SERVER_URI="ldaps://ldap.example.org",
        AUTH_LDAP_BIND_DN="cn=astitray,ou=services,dc=example,dc=org",
        AUTH_LDAP_BIND_PASSWORD="service-Secret",
        AUTH_LDAP_USER_SEARCH_BASE="ou=people,dc=example,dc=org",
        AUTH_LDAP_USER_SEARCH_FILTER="(sAMAccountName=%(user)s)",
        AUTH_LDAP_GROUP_SEARCH_BASE="ou=groups,dc=example,dc=org",
        AUTH_LDAP_GROUP_TYPE="activeDirectory",
        AUTH_LDAP_USER_FLAGS_BY_GROUP="is_staff=cn=it,ou=groups,dc=example,dc=org;"
        "is_superuser=cn=admins,ou=groups,dc=example,dc=org",
        ASTITRAY_LDAP_EXTENSION_ATTR="ipPhone",
        ASTITRAY_LDAP_EXTENSION_REGEX=r"(\d{3})$",
        ASTITRAY_LDAP_TIMEOUT="2.5",
    )
    assert values["AUTHENTICATION_BACKENDS"] == [
        "accounts.lockout.LockoutBackend",
        "accounts.backends.ldap.LdapBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    assert values["AUTH_LDAP_USER_SEARCH"].filterstr == "(sAMAccountName=%(user)s)"
    assert values["AUTH_LDAP_USER_SEARCH"].base_dn == "ou=people,dc=example,dc=org"
    assert values["AUTH_LDAP_GROUP_SEARCH"].filterstr == "(objectClass=group)"
    assert values["AUTH_LDAP_USER_FLAGS_BY_GROUP"] == {
        "is_staff": "cn=it,ou=groups,dc=example,dc=org",
        "is_superuser": "cn=admins,ou=groups,dc=example,dc=org",
    }
    assert values["AUTH_LDAP_BIND_AS_AUTHENTICATING_USER"] is False  # a service account reads entries
    assert values["AUTH_LDAP_CONNECTION_OPTIONS"][ldap.OPT_NETWORK_TIMEOUT] == 2.5
    assert values["AUTH_LDAP_CONNECTION_OPTIONS"][ldap.OPT_TIMEOUT] == 2.5


def test_the_defaults(load):
    values = load()
    assert values["AUTHENTICATION_BACKENDS"] == [
        "accounts.lockout.LockoutBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    assert values["ASTITRAY_LDAP_EXTENSION_ATTR"] == "telephoneNumber"
    assert values["ASTITRAY_LDAP_CHANNEL_TEMPLATE"] == "PJSIP/{extension}"
    assert values["ASTITRAY_AUTH_SQL_HASH"] == ["bcrypt"]
    assert (values["AXES_FAILURE_LIMIT"], values["AXES_COOLOFF_TIME"].total_seconds()) == (5, 900)


def test_the_directory_may_give_no_phones(load):
    assert load(ASTITRAY_LDAP_EXTENSION_ATTR="none")["ASTITRAY_LDAP_EXTENSION_ATTR"] == ""


def test_the_lockout_settings(load):
    values = load(ASTITRAY_LOCKOUT_FAILURES="0", ASTITRAY_LOCKOUT_BY="username+address")
    assert values["AXES_ENABLED"] is False
    assert values["AXES_LOCKOUT_PARAMETERS"] == [["username", "ip_address"]]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ASTITRAY_AUTH_BACKENDS": "htpasswd"}, "ASTITRAY_HTPASSWD_FILE must be set"),
        ({"ASTITRAY_AUTH_BACKENDS": "ldap"}, "AUTH_LDAP_SERVER_URI must be set"),
        (
            {"ASTITRAY_AUTH_BACKENDS": "ldap", "AUTH_LDAP_SERVER_URI": "ldap://x"},
            "AUTH_LDAP_USER_DN_TEMPLATE .direct bind. or AUTH_LDAP_USER_SEARCH_BASE",
        ),
        ({"ASTITRAY_AUTH_BACKENDS": "sql"}, "ASTITRAY_AUTH_SQL_URL must be set"),
        (
            {"ASTITRAY_AUTH_BACKENDS": "sql", "ASTITRAY_AUTH_SQL_URL": "postgres://h/db"},
            "ASTITRAY_AUTH_SQL_QUERY must be set",
        ),
        (
            {"ASTITRAY_AUTH_SQL_QUERY": "SELECT pw AS password FROM t WHERE a = %s OR b = %s"},
            "exactly one %s",
        ),
        ({"ASTITRAY_AUTH_SQL_URL": "oracle://h/db"}, "ASTITRAY_AUTH_SQL_URL"),
        ({"ASTITRAY_AUTH_SQL_HASH": "plaintext"}, "ASTITRAY_AUTH_SQL_ALLOW_INSECURE_PLAINTEXT=True"),
        ({"ASTITRAY_AUTH_SQL_HASH": "sha1"}, "ASTITRAY_AUTH_SQL_HASH: unknown scheme"),
        ({"ASTITRAY_LDAP_EXTENSION_REGEX": "(\\d+"}, "ASTITRAY_LDAP_EXTENSION_REGEX"),
        ({"ASTITRAY_LDAP_CHANNEL_TEMPLATE": "PJSIP/{number}"}, "ASTITRAY_LDAP_CHANNEL_TEMPLATE"),
        ({"ASTITRAY_AUTH_SQL_CHANNEL_TEMPLATE": "PJSIP/1001"}, "must contain {extension} or {username}"),
        ({"AUTH_LDAP_USER_FLAGS_BY_GROUP": "is_god=cn=x"}, "AUTH_LDAP_USER_FLAGS_BY_GROUP"),
        ({"AUTH_LDAP_USER_FLAGS_BY_GROUP": "is_staff=cn=x"}, "AUTH_LDAP_GROUP_SEARCH_BASE must be set"),
        ({"AUTH_LDAP_GROUP_TYPE": "groupOfSomething"}, "AUTH_LDAP_GROUP_TYPE"),
        ({"ASTITRAY_LDAP_TIMEOUT": "soon"}, "ASTITRAY_LDAP_TIMEOUT"),
        ({"ASTITRAY_LOCKOUT_BY": "username,mood"}, "ASTITRAY_LOCKOUT_BY"),
        ({"ASTITRAY_LOCKOUT_FAILURES": "-1"}, "ASTITRAY_LOCKOUT_FAILURES"),
    ],
)
def test_misconfiguration_names_the_variable(load, env, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        load(**env)


def test_the_plaintext_switch_is_explicit(load):
    values = load(ASTITRAY_AUTH_SQL_HASH="plaintext", ASTITRAY_AUTH_SQL_ALLOW_INSECURE_PLAINTEXT="True")
    assert values["ASTITRAY_AUTH_SQL_HASH"] == ["plaintext"]
