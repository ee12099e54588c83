"""StartTLS against a real slapd with a certificate; PostgreSQL without the right to create pg_trgm."""

from __future__ import annotations

import secrets
import subprocess
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from phonebook import search_index
from phonebook.models import Contact
from testkit.services import require, require_postgres, require_program
from testkit.slapd import Slapd, slapd_binary
from tests.phonebook.conftest import people_ldif


class TlsSlapd(Slapd):
    """The throwaway slapd, with a self-signed certificate for StartTLS."""

    def __init__(self) -> None:
        super().__init__(size_limit=50)
        self.cert = self.tmp / "cert.pem"
        key = self.tmp / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(self.cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        key.chmod(0o600)
        self.config.write_text(
            f"TLSCertificateFile {self.cert}\nTLSCertificateKeyFile {key}\n" + self.config.read_text()
        )


@pytest.fixture
def tls_directory():
    require(slapd_binary() is not None, "slapd is not installed (Debian package slapd)")
    require_program("openssl", "openssl")
    with TlsSlapd() as server:
        server.add_base()
        server.add(people_ldif(server.base_dn, 12))
        yield server


def run(server: Slapd, *args: str) -> str:
    out = StringIO()
    call_command(
        "import_ldap_contacts", "--uri", server.uri, "--base", server.base_dn, "--bind-dn", server.reader_dn,
        "--bind-password", server.reader_password, "--start-tls", "--timeout", "5", *args, stdout=out,
    )  # fmt: skip
    return out.getvalue()


@pytest.mark.django_db
def test_start_tls_checks_the_certificate(tls_directory):
    with pytest.raises(CommandError, match=r"cannot set up TLS|LDAP error"):
        run(tls_directory)  # a self-signed certificate the system does not trust
    assert Contact.objects.count() == 0
    assert "10 created" in run(tls_directory, "--ca-file", str(tls_directory.cert))


@pytest.mark.django_db  # (pytest-django lets no connection open without it)
def test_migrations_say_what_to_do_without_the_right_to_create_pg_trgm():
    admin_url = require_postgres()
    import dj_database_url
    import psycopg
    from django.db.backends.postgresql.base import DatabaseWrapper

    suffix = secrets.token_hex(4)
    database, role = f"astitray_notrgm_{suffix}", f"astitray_notrgm_{suffix}"
    admin = psycopg.connect(admin_url.replace("postgres://", "postgresql://", 1), autocommit=True)
    try:
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
        admin.execute(f'CREATE DATABASE "{database}"')  # owned by the superuser: the role may not CREATE
        settings = {
            "ATOMIC_REQUESTS": False, "AUTOCOMMIT": True, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False,
            "OPTIONS": {}, "TIME_ZONE": None, "TEST": {},
            **dj_database_url.parse(admin_url), "NAME": database, "USER": role, "PASSWORD": "",
        }  # fmt: skip
        wrapper = DatabaseWrapper(settings)
        try:
            expected = rf"CREATE EXTENSION pg_trgm; in database {database}"
            with pytest.raises(DatabaseError, match=expected), wrapper.schema_editor() as editor:
                search_index.ensure_pg_trgm(editor)
        finally:
            wrapper.close()
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()
