"""A clicked tel: link on a real X desktop: the question "Call … with your desk phone?", then the real server.

The INSTALLED astitray-dial (the Debian package, Debian's python3, its GTK
window) runs as the installed link handler's Exec line says, on Xvfb under
openbox, against the REAL Astitray server (a live server with the console
driver); xdotool finds the window by its title and presses the keys.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import threading
import xmlrpc.client
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps

from testkit.desktop import Desktop, no_session_bus, tray_environment, wait_for
from testkit.file_keyring import FileKeyring
from tests.conftest import ALICE_PASSWORD
from tray_client import config
from tray_client import desktop as desktop_files
from tray_client.windows.launcher import run_window

pytestmark = pytest.mark.service

LINK = "tel:+44-20-7946-0958"
TITLE = "Call this number? — Astitray"


def question_windows(desktop: Desktop) -> list[Any]:
    """The question's windows by their title (xdotool's regex is ASCII-only: the rest compared here)."""
    return [window for window in desktop.windows("^Call this number", by="--name") if window.name == TITLE]


class Dialer:
    """The installed astitray-dial on the desktop for alice: the tray's settings, her password kept."""

    def __init__(self, desktop: Desktop, home: Path, url: str, *, confirm_links: bool) -> None:
        self.desktop = desktop
        keyring_file = home / "keyring.json"
        self.env = no_session_bus(tray_environment(desktop, home, keyring_file, installed=True))
        settings = config.Settings(
            config.normalize_server_url(url), "alice", timeout_s=10, confirm_links=confirm_links
        )
        config.save(settings, Path(self.env["XDG_CONFIG_HOME"]) / "astitray" / "tray.ini")
        FileKeyring(keyring_file).set_password(f"Astitray {settings.server_url}", "alice", ALICE_PASSWORD)
        self.runs = 0

    def start(self, command: list[str]) -> tuple[subprocess.Popen[Any], str]:
        self.runs += 1
        log = f"dial-{id(self)}-{self.runs}"
        return self.desktop.start(command, log=log, env=self.env), log

    def link_command(self, link: str) -> list[str]:
        """What the desktop runs for a clicked link: the package's handler's Exec line, %u the link."""
        handler = Path("/usr/share/applications", desktop_files.DIAL_ID).read_text()
        (exec_line,) = [line for line in handler.splitlines() if line.startswith("Exec=")]
        arguments = shlex.split(exec_line.removeprefix("Exec="))
        assert arguments[:2] == ["astitray-dial", "--from-link"]
        command = [link if argument == "%u" else argument for argument in arguments] + ["--no-wait"]
        return [shutil.which(command[0], path=self.env["PATH"]) or command[0], *command[1:]]

    def log(self, name: str) -> str:
        return self.desktop.log(name)


def exit_code(process: subprocess.Popen[Any], what: str) -> int:
    return wait_for(lambda: process.poll() is not None, timeout_s=60, what=what) and process.returncode


def calls() -> list[Any]:
    return list(apps.get_model("dialer", "Call").objects.order_by("created"))


@pytest.fixture
def expected(live_server, alice, installed_tray) -> str:
    """The number the real server dials for the link, and a contact who owns it."""
    from phonebook.models import Contact

    proxy: Any = xmlrpc.client.ServerProxy(
        f"http://alice:{ALICE_PASSWORD}@{live_server.url.split('://')[1]}/rpc/"
    )
    helene = Contact.objects.create(name="Hélène Dupont", company="ACME")
    helene.numbers.create(label="work", raw="+44 20 7946 0958")
    helene.refresh_search_digits()
    answer = proxy.dialer.normalize("+44-20-7946-0958")
    assert answer["number"] and answer["number"] != "+44-20-7946-0958"
    return str(answer["number"])


def whom(live_server) -> str:
    """Whom the link calls, as the window and the notification say it (never the PBX's dial string)."""
    proxy: Any = xmlrpc.client.ServerProxy(
        f"http://alice:{ALICE_PASSWORD}@{live_server.url.split('://')[1]}/rpc/"
    )
    answer = proxy.dialer.normalize("+44-20-7946-0958")
    return f"Hélène Dupont (ACME) — {answer.get('display') or answer['e164']}"


@pytest.mark.django_db(transaction=True)
def test_a_clicked_link_asks_escape_dials_nothing_enter_dials_once(desktop, live_server, expected, tmp_path):
    dialer = Dialer(desktop, tmp_path / "home", live_server.url, confirm_links=True)
    command = dialer.link_command(LINK)

    process, log = dialer.start(command)
    (window,) = wait_for(lambda: question_windows(desktop), what="the question's window")
    assert window.width > 300
    # The window says what the server will dial and whose number it is (phonebook.lookup).
    shown = whom(live_server).rpartition(" — ")[2]
    wait_for(
        lambda: f"confirm number shown: {shown}" in dialer.log(log), what="the number as people write it"
    )
    wait_for(lambda: "confirm name shown: Hélène Dupont (ACME)" in dialer.log(log), what="the contact")
    wait_for(lambda: "confirm window ready" in dialer.log(log), what="the Call button")
    desktop.run("xdotool", "key", "Escape")  # to the window that has the keyboard: nobody clicked it
    assert exit_code(process, "astitray-dial to end") == 5, dialer.log(log)
    assert "Not called: you cancelled the call." in dialer.log(log)
    wait_for(lambda: not question_windows(desktop), what="the window to close")
    assert calls() == []

    process, log = dialer.start(command)
    wait_for(lambda: question_windows(desktop), what="the question's window again")
    wait_for(lambda: "confirm window ready" in dialer.log(log), what="the Call button")
    desktop.run("xdotool", "key", "Return")
    assert exit_code(process, "astitray-dial to dial") == 0, dialer.log(log)
    assert f"Calling {whom(live_server)} — pick up your phone" in dialer.log(log)
    (call,) = calls()
    assert (call.text, call.number) == ("+44-20-7946-0958", expected)
    wait_for(lambda: not question_windows(desktop), what="the window to close")


@pytest.mark.django_db(transaction=True)
def test_with_the_question_turned_off_a_link_dials_without_a_window(desktop, live_server, expected, tmp_path):
    dialer = Dialer(desktop, tmp_path / "home", live_server.url, confirm_links=False)
    process, log = dialer.start(dialer.link_command(LINK))
    # Nobody presses anything: it could only end with 0 by dialing without asking.
    assert exit_code(process, "astitray-dial to dial") == 0, dialer.log(log)
    assert "confirm" not in dialer.log(log)
    (call,) = calls()
    assert call.number == expected


@pytest.mark.django_db(transaction=True)
def test_a_number_typed_on_the_command_line_never_asks(desktop, live_server, expected, tmp_path):
    dialer = Dialer(desktop, tmp_path / "home", live_server.url, confirm_links=True)
    command = [arg for arg in dialer.link_command("+44 20 7946 0958") if arg != "--from-link"]
    process, log = dialer.start(command)
    assert exit_code(process, "astitray-dial to dial") == 0, dialer.log(log)
    assert "confirm" not in dialer.log(log)
    (call,) = calls()
    assert call.number == expected


def ask_in_thread(
    desktop: Desktop, payload: dict[str, Any], monkeypatch
) -> tuple[threading.Thread, list[Any]]:
    monkeypatch.setenv("DISPLAY", desktop.display)
    answers: list[Any] = []
    thread = threading.Thread(target=lambda: answers.extend(run_window("confirm", payload, timeout_s=90)))
    thread.start()
    return thread, answers


def test_enter_before_the_question_could_be_read_does_not_call(desktop, monkeypatch):
    payload = {"link": LINK, "text": "+44-20-7946-0958", "arm_ms": 15000, "expire_s": 60}
    thread, answers = ask_in_thread(desktop, payload, monkeypatch)
    wait_for(lambda: question_windows(desktop), what="the question's window")
    # Enter at once (a key meant for the page the user was typing in), then Escape.
    desktop.run("xdotool", "key", "Return", "Escape")
    thread.join(60)
    assert answers == [{"call": False, "reason": "cancel"}]


def test_nobody_answering_cancels(desktop, monkeypatch):
    thread, answers = ask_in_thread(
        desktop, {"link": LINK, "text": "+44-20-7946-0958", "expire_s": 2}, monkeypatch
    )
    wait_for(lambda: question_windows(desktop), what="the question's window")
    thread.join(60)
    assert answers == [{"call": False, "reason": "expired"}]
    wait_for(lambda: not question_windows(desktop), what="the window to close")
