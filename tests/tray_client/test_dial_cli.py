"""astitray-dial NUMBER-OR-URI (python -m tray_client.dial), as the desktop runs it for a tel: link."""

from __future__ import annotations

import json
import subprocess
import sys
import xmlrpc.client
from pathlib import Path

import pytest

from testkit.desktop import ROOT
from testkit.file_keyring import FileKeyring
from testkit.services import free_port
from tests.tray_client.conftest import PASSWORD, USER
from tray_client import config


def run_dial(
    tmp_path: Path,
    url: str,
    *arguments: str,
    password: str = PASSWORD,
    language: str = "en",
    confirm_links: bool = True,
):
    home = tmp_path / "home"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "testkit.file_keyring.FileKeyring",
        "ASTITRAY_TEST_KEYRING_FILE": str(tmp_path / "keyring.json"),
        "DBUS_SESSION_BUS_ADDRESS": "disabled:",
        "LANGUAGE": language,
    }
    if url:
        settings = config.Settings(
            config.normalize_server_url(url), USER, timeout_s=3, confirm_links=confirm_links
        )
        config.save(settings, home / "config" / "astitray" / "tray.ini")
        FileKeyring(tmp_path / "keyring.json").set_password(f"Astitray {settings.server_url}", USER, password)
    return subprocess.run(
        [sys.executable, "-m", "tray_client.dial", "--wait", "20", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def dialer(stand_in):
    calls: dict[str, dict] = {}

    def dial(text: str) -> dict:
        call_id = f"c{len(calls) + 1}"
        calls[call_id] = {
            "call_id": call_id,
            "number": "00442079460958",
            "status": "queued",
            "reason": "",
            "created": "2026-11-26T13:10:00Z",
            "updated": "2026-11-26T13:10:00Z",
        }
        return {"call_id": call_id, "number": "00442079460958", "extension": "1001", "status": "queued"}

    def call_status(call_id: str) -> dict:
        calls[call_id]["status"] = stand_in.outcome
        return calls[call_id]

    stand_in.outcome = "answered"
    stand_in.procedures.update({"dialer.dial": dial, "dialer.call_status": call_status})
    return stand_in


def test_it_dials_a_tel_link_and_waits_for_the_outcome(tmp_path, dialer):
    result = run_dial(tmp_path, dialer.url, "tel:+44-20-7946-0958;ext=12")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Calling 00442079460958 — pick up your phone",
        "Your phone answered: 00442079460958 is being called.",
    ]
    assert dialer.called("dialer.dial") == [("+44-20-7946-0958 ext. 12",)]
    # The tray's "Recent calls" redials what was given.
    book = json.loads((tmp_path / "home" / "state" / "astitray" / "calls.json").read_text())
    assert book == {"c1": {"text": "+44-20-7946-0958 ext. 12", "title": "00442079460958"}}


def test_it_says_whom_it_calls_and_that_a_redial_within_seconds_is_the_same_call(tmp_path, dialer):
    helene = {
        "id": 1, "name": "Hélène Dupont", "company": "ACME", "department": "", "title": "", "email": "",
        "numbers": [{"label": "work", "number": "+44 20 7946 0958", "e164": "+442079460958"}],
    }  # fmt: skip
    dialer.procedures["dialer.normalize"] = lambda text: {
        "input": text, "number": "00442079460958", "e164": "+442079460958", "display": "+44 20 7946 0958",
        "extension_digits": "", "internal": False, "steps": [],
    }  # fmt: skip
    dialer.procedures["phonebook.lookup"] = lambda number: helene
    placed: dict[str, dict] = {}
    dial = dialer.procedures["dialer.dial"]
    dialer.procedures["dialer.dial"] = lambda text: placed.setdefault(text, dial(text))
    first = run_dial(tmp_path, dialer.url, "--no-wait", "+44 20 7946 0958")
    again = run_dial(tmp_path, dialer.url, "--no-wait", "+44 20 7946 0958")
    assert first.stdout == "Calling Hélène Dupont (ACME) — +44 20 7946 0958 — pick up your phone\n"
    assert again.stdout == "Already calling Hélène Dupont (ACME) — +44 20 7946 0958 — pick up your phone\n"


def test_a_call_that_did_not_go_through(tmp_path, dialer):
    dialer.outcome = "busy"
    result = run_dial(tmp_path, dialer.url, "callto://+442079460958")
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == "Call to 00442079460958 not placed: your phone was busy."


def test_words_of_a_number_are_joined_and_no_wait(tmp_path, dialer):
    result = run_dial(tmp_path, dialer.url, "--no-wait", "01", "23", "45", "67", "89")
    assert result.returncode == 0
    assert dialer.called("dialer.dial") == [("01 23 45 67 89",)]
    assert dialer.called("dialer.call_status") == []


def test_nothing_to_dial(tmp_path, dialer):
    result = run_dial(tmp_path, dialer.url, "https://example.org/")
    assert result.returncode == 2
    assert result.stderr.strip() == "https: links cannot be dialed; give a phone number or a tel: link."
    assert dialer.calls == []


def test_not_set_up(tmp_path):
    result = run_dial(tmp_path, "", "0123456789", language="fr")
    assert result.returncode == 3
    assert result.stderr.strip().startswith("Astitray n'est pas encore configuré")


def test_server_down_wrong_password_and_refusals(tmp_path, dialer):
    down = run_dial(tmp_path, f"http://127.0.0.1:{free_port()}/rpc/", "0123456789")
    assert down.returncode == 4
    assert down.stderr.startswith("Cannot reach the Astitray server.")
    refused = run_dial(tmp_path, dialer.url, "0123456789", password="wrong")
    assert refused.returncode == 4
    assert refused.stderr.strip() == "The server refused your username or password. Check them in Settings…."

    def deny(text: str) -> dict:
        raise xmlrpc.client.Fault(-32087, "You are not allowed to call that number.")

    dialer.procedures["dialer.dial"] = deny
    denied = run_dial(tmp_path, dialer.url, "0899123456")
    assert denied.returncode == 1
    assert denied.stderr.strip() == "You are not allowed to call that number."


# No display here (DISPLAY is not passed): the question's window cannot show.


def test_a_link_is_not_dialed_when_the_question_cannot_be_shown(tmp_path, dialer):
    result = run_dial(tmp_path, dialer.url, "--from-link", "tel:+44-20-7946-0958")
    assert result.returncode == 6
    assert 'Not called: the question "Call … with your desk phone?" cannot be shown here.' in result.stderr
    # The way out is the file: the Settings window cannot show either.
    assert "ask_before_calling = false in the [links] section of" in result.stderr
    assert str(tmp_path / "home" / "config" / "astitray" / "tray.ini") in result.stderr
    assert "in Settings" not in result.stderr
    assert dialer.called("dialer.dial") == []


def test_with_the_question_turned_off_a_link_dials_at_once(tmp_path, dialer):
    result = run_dial(
        tmp_path, dialer.url, "--from-link", "--no-wait", "tel:+44-20-7946-0958", confirm_links=False
    )
    assert result.returncode == 0, result.stderr
    assert dialer.called("dialer.dial") == [("+44-20-7946-0958",)]


def test_a_number_typed_on_the_command_line_is_never_asked(tmp_path, dialer):
    result = run_dial(tmp_path, dialer.url, "--no-wait", "tel:+44-20-7946-0958")
    assert result.returncode == 0, result.stderr
    assert dialer.called("dialer.dial") == [("+44-20-7946-0958",)]


def test_a_link_with_nothing_to_dial_is_refused_before_asking(tmp_path, dialer):
    result = run_dial(tmp_path, dialer.url, "--from-link", "https://example.org/")
    assert result.returncode == 2
    assert "question" not in result.stderr
