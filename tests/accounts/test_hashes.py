"""The hash schemes of the SQL table (and the password file): libpass, plus Django's own formats."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from passlib import hash as passlib_hash

import externaldb
from accounts.backends import hashes
from accounts.backends.sql_config import check_query, check_schemes
from testkit.known_secrets import HASH_PASSWORD
from tests.accounts.conftest import bcrypt_hash, openssl_passwd

PASSWORD = HASH_PASSWORD

MADE = {
    "bcrypt": lambda: bcrypt_hash(PASSWORD, "2b"),
    "argon2": lambda: passlib_hash.argon2.using(memory_cost=1024, rounds=1).hash(PASSWORD),
    "sha512_crypt": lambda: openssl_passwd("-6", PASSWORD),
    "sha256_crypt": lambda: openssl_passwd("-5", PASSWORD),
    "md5_crypt": lambda: openssl_passwd("-1", PASSWORD),
    "django": lambda: make_password(PASSWORD),
    "plaintext": lambda: PASSWORD,
}


@pytest.mark.parametrize("scheme", MADE)
def test_each_scheme_checks_its_own_hashes(scheme, settings):
    stored = MADE[scheme]()
    assert hashes.verify(PASSWORD, stored, (scheme,)) is True
    assert hashes.verify(PASSWORD + "x", stored, (scheme,)) is False


@pytest.mark.parametrize("scheme", ["bcrypt", "sha512_crypt", "django"])
def test_a_hash_of_a_scheme_not_configured_is_refused(scheme):
    with pytest.raises(hashes.UnsupportedHash):
        hashes.verify(PASSWORD, MADE["md5_crypt"](), (scheme,))


def test_plaintext_is_tried_last_and_only_when_configured():
    mixed = ("plaintext", "bcrypt")
    assert hashes.verify(PASSWORD, bcrypt_hash(PASSWORD, "2y"), mixed) is True
    assert hashes.verify(PASSWORD, PASSWORD, mixed) is True
    with pytest.raises(hashes.UnsupportedHash):
        hashes.verify(PASSWORD, PASSWORD, ("bcrypt",))


@pytest.mark.parametrize(
    "query",
    [
        "SELECT pw AS password FROM users WHERE login = %s",
        "select pw as password from users where login = %s and name like 'a%%'",
        "WITH u AS (SELECT * FROM users) SELECT pw AS password FROM u WHERE login = %s",
    ],
)
def test_good_queries(query):
    check_query(query)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT pw AS password FROM users WHERE login = '%s'" + " OR login = %s",  # two
        "SELECT pw AS password FROM users WHERE login = %(login)s",
        "SELECT pw AS password FROM users",
        "SELECT pw AS password FROM users WHERE name LIKE 'a%' AND login = %s",
        "DELETE FROM users WHERE login = %s",
    ],
)
def test_bad_queries(query):
    with pytest.raises(ValueError, match="ASTITRAY_AUTH_SQL_QUERY"):
        check_query(query)


def test_schemes_and_urls():
    check_schemes(["bcrypt", "django"], allow_plaintext=False)
    with pytest.raises(ValueError, match="ASTITRAY_AUTH_SQL_ALLOW_INSECURE_PLAINTEXT"):
        check_schemes(["plaintext"], allow_plaintext=False)
    with pytest.raises(ValueError, match="unknown scheme"):
        check_schemes(["md4"], allow_plaintext=True)
    assert externaldb.engine_of("postgres://u@h/db") == "django.db.backends.postgresql"
    assert externaldb.engine_of("mysql://u@h/db") == "django.db.backends.mysql"
    assert externaldb.engine_of("sqlite:////srv/users.sqlite3") == "django.db.backends.sqlite3"
    with pytest.raises(ValueError, match="ftp:// names no database"):
        externaldb.engine_of("ftp://someone:pw@h/db")
    with pytest.raises(ImproperlyConfigured, match="oracle"):
        externaldb.engine_of("oracle://u@h/db")  # Django's backend, but its driver is not installed here


def test_libpass_is_imported_only_once_a_password_file_or_table_is_used(tmp_path):
    """A process that never checks such a password (most sites) does not pay libpass's import."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, django; django.setup()\n"
        "import accounts.sources, accounts.checks, phonebook.importers.ldap\n"
        "from django.urls import resolve; resolve('/rpc/')\n"
        "assert not [m for m in sys.modules if m.startswith('passlib')], 'libpass at start-up'\n"
        "from accounts.backends import htpasswd\n"
        "htpasswd.parse_passwords('alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\\n')\n"
        "assert 'passlib.apache' in sys.modules\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "astitray.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ASTITRAY_SECRET_KEY_PATH": str(tmp_path / "key"),
    }
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
