"""LDAP over TLS against a real slapd with a throwaway CA: StartTLS and ldaps://, and an untrusted server."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import ldap
import pytest

from testkit.services import require, require_program
from testkit.slapd import Slapd, slapd_binary
from tests.accounts.conftest import (
    AUTH_CODE,
    DIRECTORY,
    LDAP_PASSWORDS,
    PEOPLE,
    use_backends,
    whoami,
    whoami_fault,
)

pytestmark = [pytest.mark.django_db, pytest.mark.service]


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(directory: Path) -> None:
    """ca.pem, and server.pem/server.key for 127.0.0.1 signed by it."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Test CA",
            cwd=directory)  # fmt: skip
    openssl(
        "req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=directory
    )
    (directory / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf", cwd=directory)  # fmt: skip


class TlsSlapd(Slapd):
    """The test slapd with a certificate: StartTLS on ldap://, or only ldaps:// when ``ldaps``."""

    def __init__(self, certificates: Path, ldaps: bool) -> None:
        self.certificates = certificates
        self.ldaps = ldaps
        super().__init__()

    @property
    def uri(self) -> str:
        return f"{'ldaps' if self.ldaps else 'ldap'}://127.0.0.1:{self.port}"

    def _ldap_tool(self, tool: str, ldif: str) -> None:
        """ldapadd/ldapmodify over TLS, trusting the test CA (only in that process: not in ours)."""
        env = {**os.environ, "LDAPTLS_CACERT": str(self.certificates / "ca.pem"), "LDAPTLS_REQCERT": "demand"}
        starttls = [] if self.ldaps else ["-ZZ"]
        subprocess.run(
            [tool, "-x", *starttls, "-H", self.uri, "-D", self.root_dn, "-w", self.root_password],
            input=ldif.encode(), env=env, check=True, capture_output=True,
        )  # fmt: skip

    def _config_text(self) -> str:
        tls = (
            f"TLSCACertificateFile {self.certificates / 'ca.pem'}\n"
            f"TLSCertificateFile {self.certificates / 'server.pem'}\n"
            f"TLSCertificateKeyFile {self.certificates / 'server.key'}\n"
        )
        return tls + super()._config_text()


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Path:
    require_program("openssl", "openssl")
    directory = tmp_path_factory.mktemp("ldap-tls")
    make_certificates(directory)
    return directory


@pytest.fixture(scope="module", params=["starttls", "ldaps"])
def tls_directory(request, certificates) -> Iterator[TlsSlapd]:
    require(slapd_binary() is not None, "slapd is not installed (Debian package slapd)")
    server = TlsSlapd(certificates, ldaps=request.param == "ldaps")
    with server:
        server.add_base()
        server.add(DIRECTORY)
        yield server


@pytest.fixture
def tls_settings(settings, tls_directory, certificates):
    use_backends(settings, "ldap", "django")
    settings.AUTH_LDAP_SERVER_URI = tls_directory.uri
    settings.AUTH_LDAP_START_TLS = not tls_directory.ldaps
    settings.AUTH_LDAP_USER_DN_TEMPLATE = f"uid=%(user)s,{PEOPLE}"
    settings.AUTH_LDAP_USER_SEARCH = None
    settings.AUTH_LDAP_BIND_DN = ""
    settings.AUTH_LDAP_BIND_AS_AUTHENTICATING_USER = True
    settings.AUTH_LDAP_USER_FLAGS_BY_GROUP = {}
    # What astitray/settings.py makes of ASTITRAY_LDAP_CA_FILE and ASTITRAY_LDAP_TIMEOUT.
    settings.AUTH_LDAP_CONNECTION_OPTIONS = {
        ldap.OPT_NETWORK_TIMEOUT: 5.0,
        ldap.OPT_TIMEOUT: 5.0,
        ldap.OPT_REFERRALS: 0,
        ldap.OPT_X_TLS_CACERTFILE: str(certificates / "ca.pem"),
        ldap.OPT_X_TLS_REQUIRE_CERT: ldap.OPT_X_TLS_DEMAND,
        ldap.OPT_X_TLS_NEWCTX: 0,
    }
    settings.ASTITRAY_LDAP_EXTENSION_ATTR = "telephoneNumber"
    settings.ASTITRAY_LDAP_EXTENSION_REGEX = ""
    settings.ASTITRAY_LDAP_CHANNEL_TEMPLATE = "PJSIP/{extension}"
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 0
    return settings


def test_a_login_over_tls_with_the_ca_of_the_setting(client, tls_settings, console_pbx):
    assert "LDAPTLS_CACERT" not in os.environ  # only ASTITRAY_LDAP_CA_FILE's option makes the server trusted
    assert whoami(client, "carol", LDAP_PASSWORDS["carol"])["extension"] == "2001"


def test_without_the_ca_the_server_is_not_trusted(client, tls_settings):
    options = dict(tls_settings.AUTH_LDAP_CONNECTION_OPTIONS)
    for option in (ldap.OPT_X_TLS_CACERTFILE, ldap.OPT_X_TLS_NEWCTX):
        del options[option]
    tls_settings.AUTH_LDAP_CONNECTION_OPTIONS = options
    assert whoami_fault(client, "carol", LDAP_PASSWORDS["carol"]).faultCode == AUTH_CODE


def test_a_server_whose_certificate_is_not_trusted_is_refused(client, tls_settings, tmp_path, certificates):
    other = tmp_path / "other"
    other.mkdir()
    make_certificates(other)  # another CA: the server's certificate is not signed by it
    options = dict(tls_settings.AUTH_LDAP_CONNECTION_OPTIONS)
    options[ldap.OPT_X_TLS_CACERTFILE] = str(other / "ca.pem")
    del options[ldap.OPT_X_TLS_NEWCTX]
    options[ldap.OPT_X_TLS_NEWCTX] = 0  # still last
    tls_settings.AUTH_LDAP_CONNECTION_OPTIONS = options
    assert whoami_fault(client, "carol", LDAP_PASSWORDS["carol"]).faultCode == AUTH_CODE
