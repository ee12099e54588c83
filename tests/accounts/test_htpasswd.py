"""Logins from an Apache password file: every hash scheme, the file edited while the server runs."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest
from django.contrib.auth import get_user_model
from passlib.hash import des_crypt

from accounts.models import Extension
from testkit.known_secrets import HTPASSWD_PASSWORD
from tests.accounts.conftest import AUTH_CODE, bcrypt_hash, openssl_passwd, whoami, whoami_fault
from tests.conftest import ALICE_PASSWORD

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = HTPASSWD_PASSWORD


def sha1_ldap(password: str) -> str:
    return "{SHA}" + base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()  # noqa: S324


SCHEMES = {
    "bcrypt-2y": lambda pw: bcrypt_hash(pw, "2y"),
    "bcrypt-2b": lambda pw: bcrypt_hash(pw, "2b"),
    "apr1": lambda pw: openssl_passwd("-apr1", pw),
    "sha1": sha1_ldap,
    "sha256-crypt": lambda pw: openssl_passwd("-5", pw),
    "sha512-crypt": lambda pw: openssl_passwd("-6", pw),
}


@pytest.mark.parametrize("scheme", SCHEMES)
def test_each_hash_scheme(client, password_files, settings, console_pbx, scheme):
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 0
    hashed = SCHEMES[scheme](PASSWORD)
    password_files.write({"nina": hashed})
    password_files.write_extensions("nina:4001\n")
    answer = whoami(client, "nina", PASSWORD)
    assert (answer["username"], answer["extension"], answer["extension_source"]) == (
        "nina",
        "4001",
        "htpasswd",
    )
    assert whoami_fault(client, "nina", PASSWORD + "x").faultCode == AUTH_CODE
    assert not User.objects.get(username="nina").has_usable_password()


@pytest.mark.parametrize(
    "hashed",
    [
        pytest.param(PASSWORD, id="plaintext"),
        pytest.param(des_crypt.hash(PASSWORD), id="des-crypt"),  # 8 characters at most: refused
    ],
)
def test_weak_schemes_are_refused(client, password_files, hashed):
    assert des_crypt.verify(PASSWORD, des_crypt.hash(PASSWORD))  # libpass could check them: we do not
    password_files.write({"nina": hashed})
    assert whoami_fault(client, "nina", PASSWORD).faultCode == AUTH_CODE


def test_a_bcrypt_password_longer_than_72_bytes(client, password_files):
    long_password = "é" * 50  # 100 bytes: Apache's htpasswd hashes the first 72
    password_files.write({"nina": bcrypt_hash(long_password)})
    assert whoami(client, "nina", long_password)["username"] == "nina"
    assert whoami_fault(client, "nina", "é" * 30).faultCode == AUTH_CODE


def test_the_file_edited_while_running(client, password_files, settings, console_pbx):
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 0
    assert whoami_fault(client, "omar", "omar-File-1").faultCode == AUTH_CODE
    password_files.write({"omar": bcrypt_hash("omar-File-1")})  # added
    assert whoami(client, "omar", "omar-File-1")["username"] == "omar"
    # Changed in place at once: same size, possibly the same modification time.
    password_files.write({"omar": bcrypt_hash("omar-File-2")})
    assert whoami_fault(client, "omar", "omar-File-1").faultCode == AUTH_CODE
    assert whoami(client, "omar", "omar-File-2")["username"] == "omar"
    # Replaced by another file (what editors and `htpasswd` do).
    replacement = password_files.passwords.with_name("htpasswd.new")
    replacement.write_text(f"other:{bcrypt_hash('x')}\n")
    os.replace(replacement, password_files.passwords)
    assert whoami_fault(client, "omar", "omar-File-2").faultCode == AUTH_CODE


def test_extensions_from_the_second_file_edited_while_running(client, password_files, settings, console_pbx):
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 0
    password_files.write({"omar": bcrypt_hash("omar-File-1"), "pia": bcrypt_hash("pia-File-1")})
    password_files.write_extensions("# login:extension[:channel]\nomar:4002\npia:4003:SIP/pia-softphone\n")
    assert whoami(client, "omar", "omar-File-1")["extension"] == "4002"
    assert whoami(client, "pia", "pia-File-1")["extension"] == "4003"
    assert Extension.objects.get(user__username="pia").channel == "SIP/pia-softphone"
    password_files.write_extensions("omar:4012\n")
    assert whoami(client, "omar", "omar-File-1")["extension"] == "4012"
    assert whoami(client, "pia", "pia-File-1")["extension"] == ""  # no longer in the file: no phone
    assert not Extension.objects.filter(user__username="pia").exists()


def test_the_channel_template(client, password_files, settings, console_pbx):
    settings.ASTITRAY_HTPASSWD_CHANNEL_TEMPLATE = "SIP/{username}"
    password_files.write({"omar": bcrypt_hash("omar-File-1")})
    password_files.write_extensions("omar:4002\n")
    whoami(client, "omar", "omar-File-1")
    assert Extension.objects.get(user__username="omar").channel == "SIP/omar"


def test_without_an_extensions_file_phones_are_left_to_the_admin(
    client, password_files, settings, console_pbx
):
    settings.ASTITRAY_HTPASSWD_EXTENSIONS_FILE = ""
    password_files.write({"omar": bcrypt_hash("omar-File-1")})
    assert whoami(client, "omar", "omar-File-1")["extension"] == ""
    omar = User.objects.get(username="omar")
    Extension.objects.create(user=omar, number="4444", channel="PJSIP/4444", source="htpasswd")
    assert whoami(client, "omar", "omar-File-1")["extension"] == "4444"


def test_a_bad_extension_in_the_file_gives_no_phone(client, password_files, console_pbx):
    password_files.write({"omar": bcrypt_hash("omar-File-1")})
    password_files.write_extensions("omar:12ab\n")
    assert whoami(client, "omar", "omar-File-1")["extension"] == ""


def test_a_local_django_account_is_not_taken_over(client, password_files, alice):
    password_files.write({"alice": bcrypt_hash("file-Alice-1")})
    assert whoami_fault(client, "alice", "file-Alice-1").faultCode == AUTH_CODE
    assert whoami(client, "alice", ALICE_PASSWORD)["extension"] == "1001"


def test_a_missing_or_malformed_file_refuses_without_crashing(client, password_files, alice):
    password_files.passwords.unlink()
    assert whoami_fault(client, "omar", "omar-File-1").faultCode == AUTH_CODE
    password_files.passwords.write_text("omar\n")  # malformed
    assert whoami_fault(client, "omar", "omar-File-1").faultCode == AUTH_CODE
    assert whoami(client, "alice", ALICE_PASSWORD)["username"] == "alice"
    password_files.write({"omar": bcrypt_hash("omar-File-1")})  # fixed: read again
    assert whoami(client, "omar", "omar-File-1")["username"] == "omar"


def test_a_login_that_cannot_be_a_django_username_is_refused(client, password_files):
    password_files.write({"o mar": bcrypt_hash("omar-File-1")})
    assert whoami_fault(client, "o mar", "omar-File-1").faultCode == AUTH_CODE
    assert not User.objects.filter(username="o mar").exists()
