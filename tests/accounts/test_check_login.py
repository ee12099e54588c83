"""``manage.py check_login``: which backend accepts a login, and which phone it gives."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.accounts.conftest import LDAP_PASSWORDS, bcrypt_hash, use_backends, whoami_fault
from tests.conftest import ALICE_PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def check_login(username: str, password: str) -> str:
    out = io.StringIO()
    call_command("check_login", username, stdin=io.StringIO(password + "\n"), stdout=out)
    return out.getvalue()


def test_it_names_the_backend_and_the_extension(password_files, console_pbx):
    password_files.write({"omar": bcrypt_hash("omar-File-1")})
    password_files.write_extensions("omar:4002\n")
    assert check_login("omar", "omar-File-1").splitlines() == [
        "htpasswd  accepted",
        "Accepted by htpasswd (accounts.backends.htpasswd.HtpasswdBackend).",
        "User: omar",
        "Extension: 4002, channel PJSIP/4002, source htpasswd, enabled, PBX Test console.",
    ]


def test_it_goes_on_to_the_next_backend(password_files, alice):
    output = check_login("alice", ALICE_PASSWORD)
    assert output.splitlines()[:3] == [
        "htpasswd  local Django account",
        "django    accepted",
        "Accepted by django (django.contrib.auth.backends.ModelBackend).",
    ]
    assert "User: alice (Alice Martin)" in output
    assert "Extension: 1001, channel PJSIP/1001, source manual" in output


def test_a_refused_login_says_why_and_fails(password_files):
    password_files.write({"omar": bcrypt_hash("omar-File-1")})
    out = io.StringIO()
    with pytest.raises(CommandError, match="no backend accepted 'omar'"):
        call_command("check_login", "omar", stdin=io.StringIO("wrong\n"), stdout=out)
    assert out.getvalue().splitlines() == ["htpasswd  wrong password", "django    refused"]


def test_it_says_when_the_user_is_locked_out(client, password_files, alice):
    for attempt in range(5):
        whoami_fault(client, "alice", f"wrong-{attempt}")
    output = check_login("alice", ALICE_PASSWORD)
    assert "django    accepted" in output  # the check itself is not refused by the lockout...
    assert "Locked out: 5 recent failed logins." in output  # ...but says the API refuses alice


def test_failures_from_several_addresses_below_the_limit_are_no_lockout(client, password_files, alice):
    for attempt in range(6):
        whoami_fault(client, "alice", f"wrong-{attempt}", address=f"10.0.0.{attempt % 2 + 1}")
    output = check_login("alice", ALICE_PASSWORD)
    assert "Recent failed logins: 6 (not locked out)." in output


def test_a_user_without_a_phone(password_files):
    password_files.write({"omar": bcrypt_hash("omar-File-1")})
    password_files.write_extensions("")
    assert "Extension: none (this user cannot dial)." in check_login("omar", "omar-File-1")


@pytest.mark.service
def test_an_ldap_user(ldap_settings, console_pbx):
    output = check_login("carol", LDAP_PASSWORDS["carol"])
    assert output.splitlines()[0] == "ldap  accepted"
    assert "Extension: 2001, channel PJSIP/2001, source ldap" in output


@pytest.mark.service
def test_the_directory_down(ldap_settings, directory):
    use_backends(ldap_settings, "ldap", "django")
    directory.stop()
    out = io.StringIO()
    try:
        with pytest.raises(CommandError):
            call_command("check_login", "carol", stdin=io.StringIO(LDAP_PASSWORDS["carol"]), stdout=out)
    finally:
        directory.start()
    assert out.getvalue().splitlines()[0] == "ldap    directory unreachable (SERVER_DOWN)"


def test_the_password_is_never_an_argument():
    with pytest.raises(CommandError):
        call_command("check_login", "alice", ALICE_PASSWORD)


def test_the_command_reads_the_password_from_standard_input(tmp_path):
    """As an admin runs it: a separate process, the password piped in."""
    passwords = tmp_path / "htpasswd"
    passwords.write_text(f"omar:{bcrypt_hash('omar-File-1')}\n")
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "SECRET_KEY": "x" * 60,
        "ASTITRAY_AUTH_BACKENDS": "htpasswd",
        "ASTITRAY_HTPASSWD_FILE": str(passwords),
        "LOG_LEVEL": "ERROR",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    accepted = subprocess.run(
        [*manage, "check_login", "omar"], cwd=ROOT, env=env, input="omar-File-1\n",
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert accepted.returncode == 0, accepted.stderr
    assert "Accepted by htpasswd" in accepted.stdout
    refused = subprocess.run(
        [*manage, "check_login", "omar"], cwd=ROOT, env=env, input="wrong\n",
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "htpasswd  wrong password" in refused.stdout
    assert "no backend accepted 'omar'" in refused.stderr
