"""Fixtures of the authentication-source tests: a real slapd, real user tables, password files."""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt
import dj_database_url
import ldap
import pytest
from django_auth_ldap.config import LDAPSearch

import externaldb
from testkit import known_secrets
from testkit.rpc import basic, xmlrpc_fault, xmlrpc_post, xmlrpc_result
from testkit.services import require, require_mariadb, require_postgres
from testkit.slapd import Slapd, slapd_binary

AUTH_CODE = -32098

# --- Backends ----------------------------------------------------------------


def use_backends(settings: Any, *names: str) -> None:
    """ASTITRAY_AUTH_BACKENDS=names, as astitray/settings.py turns it into AUTHENTICATION_BACKENDS."""
    settings.ASTITRAY_AUTH_BACKENDS = list(names)
    backends = ["accounts.lockout.LockoutBackend"]
    backends += [settings.ASTITRAY_AUTH_BACKEND_PATHS[name] for name in names]
    if "django" not in names:
        backends.append(settings.ASTITRAY_AUTH_BACKEND_PATHS["django"])
    settings.AUTHENTICATION_BACKENDS = backends


def whoami(client: Any, username: str, password: str, address: str = "127.0.0.1") -> dict:
    """accounts.whoami over real XML-RPC; raises xmlrpc.client.Fault."""
    body = xmlrpc.client.dumps((), "accounts.whoami")
    response = xmlrpc_post(client, body, {**basic(username, password), "REMOTE_ADDR": address})
    assert response.status_code == 200, response.content[:300]
    return xmlrpc_result(response.content)


def whoami_fault(
    client: Any, username: str, password: str, address: str = "127.0.0.1"
) -> xmlrpc.client.Fault:
    body = xmlrpc.client.dumps((), "accounts.whoami")
    response = xmlrpc_post(client, body, {**basic(username, password), "REMOTE_ADDR": address})
    assert response.status_code == 200, response.content[:300]
    return xmlrpc_fault(response.content)


# --- Password hashes made by other tools than the one that checks them --------


def openssl_passwd(flag: str, password: str) -> str:
    """``openssl passwd -apr1|-5|-6``: Apache MD5, SHA-256 crypt, SHA-512 crypt."""
    return subprocess.run(
        ["openssl", "passwd", flag, "-stdin"], input=password, capture_output=True, text=True, check=True
    ).stdout.strip()


def bcrypt_hash(password: str, ident: str = "2y") -> str:
    """A bcrypt hash as Apache's ``htpasswd -B`` writes it ($2y$, cost 5 to keep tests fast)."""
    hashed = bcrypt.hashpw(password.encode()[:72], bcrypt.gensalt(rounds=5, prefix=b"2b")).decode()
    return f"${ident}${hashed[4:]}"


# --- htpasswd --------------------------------------------------------------------


class PasswordFiles:
    def __init__(self, directory: Path) -> None:
        self.passwords = directory / "htpasswd"
        self.extensions = directory / "extensions"

    def write(self, lines: dict[str, str]) -> None:
        self.passwords.write_text("".join(f"{user}:{hashed}\n" for user, hashed in lines.items()))

    def write_extensions(self, text: str) -> None:
        self.extensions.write_text(text)


@pytest.fixture
def password_files(tmp_path, settings) -> PasswordFiles:
    return use_password_files(tmp_path, settings)


def use_password_files(tmp_path, settings) -> PasswordFiles:
    """Empty htpasswd and extension files in ``tmp_path``, as the source before Django's users."""
    files = PasswordFiles(tmp_path)
    files.write({})
    files.write_extensions("")
    settings.ASTITRAY_HTPASSWD_FILE = str(files.passwords)
    settings.ASTITRAY_HTPASSWD_EXTENSIONS_FILE = str(files.extensions)
    settings.ASTITRAY_HTPASSWD_CHANNEL_TEMPLATE = "PJSIP/{extension}"
    use_backends(settings, "htpasswd", "django")
    return files


# --- LDAP ------------------------------------------------------------------------

PEOPLE = "ou=people,dc=example,dc=org"
LDAP_PASSWORDS = known_secrets.LDAP_PASSWORDS


def person(uid: str, given: str, sn: str, parent: str = PEOPLE, **attrs: str) -> str:
    lines = [
        f"dn: uid={uid},{parent}",
        "objectClass: inetOrgPerson",
        f"uid: {uid}",
        f"cn: {given} {sn}",
        f"givenName: {given}",
        f"sn: {sn}",
        f"mail: {uid}@example.org",
        f"userPassword: {LDAP_PASSWORDS[uid]}",
    ]
    lines += [f"{name}: {value}" for name, value in attrs.items()]
    return "\n".join(lines) + "\n"


DIRECTORY = "\n".join(
    [
        person("carol", "Carol", "Lopez", telephoneNumber="2001"),
        person("dave", "Dave", "Noto"),
        person("erin", "Erin", "Blanc", telephoneNumber="+33 1 23 45 67 89"),
        person("gina", "Gina", "Rossi", pager="2050"),
        "dn: ou=sales,ou=people,dc=example,dc=org\nobjectClass: organizationalUnit\nou: sales\n",
        person("hank", "Hank", "Moody", parent="ou=sales," + PEOPLE, telephoneNumber="2002"),
        "dn: cn=astitray-staff,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: astitray-staff\n"
        f"member: uid=carol,{PEOPLE}\n",
    ]
)


@pytest.fixture(scope="module")
def directory() -> Iterator[Slapd]:
    """A real OpenLDAP server with the people above, shared by a module's tests."""
    require(slapd_binary() is not None, "slapd is not installed (Debian package slapd)")
    with Slapd() as server:
        server.add_base()
        server.add(DIRECTORY)
        yield server


@pytest.fixture
def ldap_settings(settings, directory: Slapd):
    """Direct bind with a DN template, the phone from telephoneNumber as PJSIP/{extension}."""
    if directory.process is None:
        directory.start()  # a previous test stopped it and failed before starting it again
    use_backends(settings, "ldap", "django")
    settings.AUTH_LDAP_SERVER_URI = directory.uri
    settings.AUTH_LDAP_BIND_DN = ""
    settings.AUTH_LDAP_BIND_PASSWORD = ""
    settings.AUTH_LDAP_USER_DN_TEMPLATE = f"uid=%(user)s,{PEOPLE}"
    settings.AUTH_LDAP_USER_SEARCH = None
    settings.AUTH_LDAP_BIND_AS_AUTHENTICATING_USER = True
    settings.AUTH_LDAP_START_TLS = False
    settings.AUTH_LDAP_CONNECTION_OPTIONS = {
        ldap.OPT_NETWORK_TIMEOUT: 5.0,
        ldap.OPT_TIMEOUT: 5.0,
        ldap.OPT_REFERRALS: 0,
    }
    settings.AUTH_LDAP_USER_FLAGS_BY_GROUP = {}
    settings.ASTITRAY_LDAP_EXTENSION_ATTR = "telephoneNumber"
    settings.ASTITRAY_LDAP_EXTENSION_REGEX = ""
    settings.ASTITRAY_LDAP_CHANNEL_TEMPLATE = "PJSIP/{extension}"
    return settings


def search_then_bind(settings: Any, directory: Slapd) -> None:
    """Search the whole subtree as the read-only service account, then bind as the person found."""
    settings.AUTH_LDAP_USER_DN_TEMPLATE = None
    settings.AUTH_LDAP_BIND_DN = directory.reader_dn
    settings.AUTH_LDAP_BIND_PASSWORD = directory.reader_password
    settings.AUTH_LDAP_BIND_AS_AUTHENTICATING_USER = False
    settings.AUTH_LDAP_USER_SEARCH = LDAPSearch(PEOPLE, ldap.SCOPE_SUBTREE, "(uid=%(user)s)")


# --- External SQL tables -------------------------------------------------------------

SQL_PASSWORDS = known_secrets.SQL_PASSWORDS


def _test_database_name() -> str:
    """<name of DATABASE_URL's database>_usertable: each developer's runs keep to their own database."""
    url = os.environ.get("DATABASE_URL", "")
    name = ""
    if url.startswith(("postgres", "mysql")):
        name = str(dj_database_url.parse(url).get("NAME") or "")
    return f"{name or 'astitray'}_usertable"


class UserTable:
    """A throwaway user table in a real PostgreSQL or MariaDB database or an SQLite file (DB-API)."""

    def __init__(self, kind: str, url: str, connection: Any) -> None:
        self.kind = kind
        self.url = url
        self.connection = connection
        self.name = f"people_{uuid.uuid4().hex[:10]}"

    def execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.kind == "sqlite":  # sqlite3 takes ? (what a site's own scripts would write)
            with contextlib.closing(self.connection.cursor()) as cursor:
                cursor.execute(sql.replace("%s", "?"), params)
                return list(cursor.fetchall()) if cursor.description else []
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []

    def unreachable_url(self) -> str:
        """The URL of the same table where nothing answers (port 1; a file that does not exist)."""
        if self.kind == "sqlite":
            return f"{self.url}.missing"
        port = self.url.rsplit(":", 1)[1].split("/")[0]
        return self.url.replace(f":{port}/", ":1/")

    def create(self) -> None:
        self.execute(
            f"CREATE TABLE {self.name} (login VARCHAR(150) PRIMARY KEY, pw_hash VARCHAR(255), "
            "phone VARCHAR(32), display_name VARCHAR(200), mail VARCHAR(200), active INTEGER NOT NULL)"
        )

    def add(
        self, login: str, pw_hash: str, phone: str | None = None, name: str = "", active: int = 1
    ) -> None:
        self.execute(
            f"INSERT INTO {self.name} (login, pw_hash, phone, display_name, mail, active) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (login, pw_hash, phone, name, f"{login}@example.org", active),
        )

    @property
    def query(self) -> str:
        return (
            "SELECT pw_hash AS password, login AS username, phone AS extension, display_name AS full_name, "
            f"mail AS email FROM {self.name} WHERE login = %s AND active = 1"
        )


def _postgres(database: str) -> tuple[str, Any]:
    import psycopg

    server = dj_database_url.parse(require_postgres())
    admin = psycopg.connect(
        host=server["HOST"], port=server["PORT"], user=server["USER"], dbname="postgres", autocommit=True
    )
    with admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            # (Created at the same moment by another test run: fine.)
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                admin.execute(f'CREATE DATABASE "{database}"')
    url = f"postgres://{server['USER']}@{server['HOST']}:{server['PORT']}/{database}"
    connection = psycopg.connect(
        host=server["HOST"], port=server["PORT"], user=server["USER"], dbname=database, autocommit=True
    )
    return url, connection


def _mariadb(database: str) -> tuple[str, Any]:
    import MySQLdb

    server = dj_database_url.parse(require_mariadb())
    connection = MySQLdb.connect(
        host=server["HOST"],
        port=int(server["PORT"] or 3306),
        user=server["USER"],
        password=server.get("PASSWORD") or "",
        autocommit=True,
        charset="utf8mb4",
    )
    connection.cursor().execute(f"CREATE DATABASE IF NOT EXISTS `{database}` CHARACTER SET utf8mb4")
    connection.select_db(database)
    url = f"mysql://{server['USER']}@{server['HOST']}:{server['PORT'] or 3306}/{database}"
    return url, connection


def _sqlite(path: Path) -> tuple[str, Any]:
    import sqlite3

    return f"sqlite:///{path}", sqlite3.connect(path, isolation_level=None)


@pytest.fixture(params=["postgresql", "mariadb", "sqlite"])
def user_table(request, settings, db, tmp_path) -> Iterator[UserTable]:
    """ivan (bcrypt), judy (SHA-512 crypt) and kim (SHA-256 crypt) in a real table; judy has no phone."""
    database = _test_database_name()
    if request.param == "sqlite":
        url, connection = _sqlite(tmp_path / "users.sqlite3")
    else:
        url, connection = _postgres(database) if request.param == "postgresql" else _mariadb(database)
    table = UserTable(request.param, url, connection)
    table.create()
    table.add("ivan", bcrypt_hash(SQL_PASSWORDS["ivan"], "2b"), "3001", "Ivan Petrov")
    table.add("judy", openssl_passwd("-6", SQL_PASSWORDS["judy"]), None, "Judy Hopps")
    table.add("kim", openssl_passwd("-5", SQL_PASSWORDS["kim"]), "3003", "Kim Park")
    table.add("leo", bcrypt_hash("leo-Sql-4", "2b"), "3004", "Leo Gone", active=0)
    use_backends(settings, "sql", "django")
    settings.ASTITRAY_AUTH_SQL_URL = url
    settings.ASTITRAY_AUTH_SQL_QUERY = table.query
    settings.ASTITRAY_AUTH_SQL_HASH = ["bcrypt", "sha512_crypt", "sha256_crypt"]
    settings.ASTITRAY_AUTH_SQL_CHANNEL_TEMPLATE = "PJSIP/{extension}"
    try:
        yield table
    finally:
        externaldb.forget_all()
        table.execute(f"DROP TABLE {table.name}")
        connection.close()
