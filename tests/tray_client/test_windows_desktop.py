"""The windows on a real X desktop under a window manager (openbox), as the INSTALLED package draws them.

Each window runs as the installed tray starts it: Debian's /usr/bin/python3
on the package's tray_client (GTK 3). Keys are typed the moment the window
manager has made the window active, with no click first: the keyboard must
already be in its first field (it used to stay on the window itself, and
what was typed went nowhere).
The Tk windows (Windows and macOS, and Linux without GTK) run once more with
this checkout's Python (ASTITRAY_TOOLKIT=tk).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from testkit.desktop import Desktop, no_session_bus, tray_environment, wait_for
from testkit.file_keyring import FileKeyring
from tests.conftest import ALICE_PASSWORD
from tests.tray_client.conftest import PASSWORD, USER
from tests.tray_client.test_desktop import screenshot
from tray_client import config
from tray_client.desktop import PACKAGE_HOME

pytestmark = pytest.mark.service

HELENE = {
    "id": 1, "name": "Hélène Dupont", "company": "ACME", "department": "Sales", "title": "", "email": "",
    "numbers": [
        {"label": "work", "number": "+44 20 7946 0958", "e164": "+442079460958"},
        {"label": "mobile", "number": "07700 900123", "e164": "+447700900123"},
    ],
}  # fmt: skip
TITLES = {
    "settings": ("Settings — Astitray", "Réglages — Astitray"),
    "search": ("Search phonebook — Astitray", "Annuaire — Astitray"),
    "history": ("Call history — Astitray", "Historique des appels — Astitray"),
    "confirm": ("Call this number? — Astitray", "Appeler ce numéro ? — Astitray"),
    "about": ("About Astitray", "À propos d'Astitray"),
}


class Window:
    """One window's process on the desktop: what the tray wrote it, what it answers, its log."""

    def __init__(
        self, desktop: Desktop, home: Path, name: str, payload: dict[str, Any], *, installed: bool, **env: str
    ) -> None:
        environment = no_session_bus(
            tray_environment(desktop, home, home / "keyring.json", installed=installed, **env)
        )
        python = sys.executable
        if installed:  # as the installed tray starts its windows (tray_client.windows.launcher)
            python = "/usr/bin/python3"
            environment["PYTHONPATH"] = f"{PACKAGE_HOME}:{environment['PYTHONPATH']}"
        self.log_path = home / f"{name}.log"
        self.process = subprocess.Popen(
            [python, "-m", f"tray_client.windows.{name}"], env=environment, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.log_path.open("wb"), text=True,
        )  # fmt: skip
        desktop.processes.append(self.process)
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(payload) + "\n")
        self.process.stdin.flush()
        self.home = home
        self.window = wait_for(
            lambda: [w for w in desktop.windows("astitray") if w.width > 300], what=f"the {name} window"
        )[0]
        # The window manager gives it the keyboard (no click): what is typed from now on must land in it.
        desktop.wait_until_active(self.window)

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def line(self, timeout_s: float = 30.0) -> str:
        """A line of the window's answer, or fail (never hang the suite)."""
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(self.process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout_s)
        assert lines, f"the window said nothing; its log:\n{self.log[-2000:]}"
        return lines[0].strip()

    def close(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.close()
        return self.process.wait(30)


@pytest.fixture
def open_window(desktop, tmp_path, installed_tray):
    def start(name: str, payload: dict[str, Any], *, installed: bool = True, **env: str) -> Window:
        home = tmp_path / f"home-{name}-{len(list(tmp_path.iterdir()))}"
        return Window(desktop, home, name, payload, installed=installed, **env)

    return start


def type_keys(desktop: Desktop, text: str) -> None:
    desktop.run("xdotool", "type", "--delay", "25", text)


def connection(stand_in, **extra: Any) -> dict[str, Any]:
    return {"url": stand_in.url, "username": USER, "password": PASSWORD, "timeout": 5, **extra}


@pytest.mark.parametrize("toolkit", ["gtk", "tk"])
def test_typing_right_after_the_search_window_opens_searches_and_enter_dials(
    desktop, stand_in, open_window, toolkit
):
    stand_in.procedures["phonebook.search"] = lambda query, limit: [HELENE] if "dup" in query.lower() else []
    window = open_window(
        "search", connection(stand_in, debounce_ms=300), installed=toolkit == "gtk", ASTITRAY_TOOLKIT=toolkit
    )
    type_keys(desktop, "xyz")  # no click: the keyboard is in the search box
    desktop.run("xdotool", "key", "ctrl+a")  # selects it all, as everywhere
    type_keys(desktop, "dupont")
    wait_for(lambda: "search results shown: 2" in window.log, what="the results")
    assert [params[0] for params in stand_in.called("phonebook.search")][-1] == "dupont"
    desktop.run("xdotool", "key", "Down", "Return")  # the second number
    assert json.loads(window.line()) == {
        "dial": "+447700900123", "name": "Hélène Dupont", "company": "ACME — Sales", "number": "07700 900123"
    }  # fmt: skip
    assert window.process.wait(30) == 0


@pytest.mark.parametrize("toolkit", ["gtk", "tk"])
def test_typing_right_after_settings_opens_then_enter_tests_and_saves(
    desktop, stand_in, open_window, toolkit
):
    window = open_window("settings", {"password": ""}, installed=toolkit == "gtk", ASTITRAY_TOOLKIT=toolkit)
    type_keys(desktop, stand_in.url.removeprefix("http://"))  # typed as people do, without http://
    desktop.run("xdotool", "key", "Tab")
    type_keys(desktop, USER)
    desktop.run("xdotool", "key", "Tab")
    type_keys(desktop, PASSWORD)
    desktop.run("xdotool", "key", "Tab", "space")  # untick "Ask before calling a link"
    desktop.run("xdotool", "key", "Tab")  # the address for incoming calls
    type_keys(desktop, "https://crm.example.org/?q={e164}")
    desktop.run("xdotool", "key", "Tab")  # "Test connection" has the keyboard: Enter tests, saves nothing
    desktop.run("xdotool", "key", "Return")
    wait_for(lambda: "connection tested: Tested" in window.log, what="the test")
    ini = window.home / "config" / "astitray" / "tray.ini"
    assert not ini.exists()
    desktop.run("xdotool", "key", "shift+Tab", "Return")  # Enter in a field: Save (tested first)
    assert window.line() == '{"saved": true}'
    assert window.process.wait(30) == 0
    assert len(stand_in.called("accounts.whoami")) == 2
    text = ini.read_text()
    assert f"url = {stand_in.url}" in text and f"username = {USER}" in text  # the http address that answered
    assert "[links]\nask_before_calling = false\n" in text
    assert "[incoming]\nopen_url = https://crm.example.org/?q={e164}\n" in text
    assert PASSWORD not in text
    saved = FileKeyring(window.home / "keyring.json").get_password(f"Astitray {stand_in.url}", USER)
    assert saved == PASSWORD


@pytest.mark.parametrize("toolkit", ["gtk", "tk"])
def test_log_in_right_after_settings_opens_keeps_only_a_token(desktop, stand_in, open_window, toolkit):
    window = open_window("settings", {"password": ""}, installed=toolkit == "gtk", ASTITRAY_TOOLKIT=toolkit)
    type_keys(desktop, stand_in.url)
    desktop.run("xdotool", "key", "Tab")
    type_keys(desktop, USER)
    desktop.run("xdotool", "key", "Tab")
    type_keys(desktop, PASSWORD)
    desktop.run("xdotool", "key", "alt+l")  # Log in
    assert window.line() == '{"saved": true}', window.log[-2000:]
    assert window.process.wait(30) == 0
    ((token, token_id),) = stand_in.tokens.items()
    ((label,),) = stand_in.called("accounts.create_token")
    assert label.startswith("Astitray tray")
    keyring = json.loads((window.home / "keyring.json").read_text())
    assert keyring == {f"Astitray token {stand_in.url}\0{USER}": token}  # the token only, no password
    text = (window.home / "config" / "astitray" / "tray.ini").read_text()
    assert f"token_id = {token_id}" in text and token not in text and PASSWORD not in text


@pytest.mark.parametrize("name", sorted(TITLES))
def test_window_titles_in_french(desktop, stand_in, open_window, name):
    window = open_window(
        name, connection(stand_in, link="tel:+442079460958", text="+442079460958"), LANGUAGE="fr"
    )
    english, french = TITLES[name]
    assert window.window.name == french, english
    window.close()


@pytest.mark.django_db(transaction=True)
def test_the_search_window_with_the_real_phonebook(  # noqa: PLR0917 (fixtures)
    desktop, live_server, alice, bob, console_pbx, open_window, tmp_path
):
    from accounts.models import Extension
    from drivers.events import PhoneState
    from events.presence import set_phone_state
    from phonebook.models import Contact

    # A colleague: bob's phone is extension 1002, in the phonebook as Hélio Bernard's, on a call now.
    Extension.objects.create(user=bob, number="1002", channel="PJSIP/1002")
    Contact.objects.create(name="Hélio Bernard", company="ACME").numbers.create(label="work", raw="1002")
    set_phone_state(console_pbx.pk, "PJSIP/1002", PhoneState.IN_USE)
    helene = Contact.objects.create(name="Hélène Dupont", company="ACME", department="Sales")
    helene.numbers.create(label="work", raw="+44 20 7946 0958")
    helene.numbers.create(label="mobile", raw="+44 7700 900123")
    helene.refresh_search_digits()
    for name, company in (
        ("Jean Martin", "Initech"),
        ("Héloïse Durand-Villeneuve de la Tour", "Compagnie des Eaux"),
    ):
        Contact.objects.create(name=name, company=company).numbers.create(raw="01 23 45 67 89")
    url = config.normalize_server_url(live_server.url)
    payload = {"url": url, "username": "alice", "password": ALICE_PASSWORD, "timeout": 10, "debounce_ms": 300}
    window = open_window("search", payload)
    type_keys(desktop, "h")
    type_keys(desktop, "el")
    wait_for(
        lambda: "search results shown: 4 (phone status of 1)" in window.log, what="Hélène, Héloïse and Hélio"
    )
    box = window.window
    screenshot(desktop, tmp_path, "tray-search.png", (box.x - 8, box.y - 48, box.width + 16, box.height + 56))
    type_keys(desktop, " dup")
    wait_for(lambda: "search results shown: 2" in window.log, what="Hélène's two numbers")
    desktop.run("xdotool", "key", "Return")
    assert json.loads(window.line())["dial"] == "+442079460958"
    assert window.process.wait(30) == 0


def test_the_history_window_filters_as_you_type_and_redials(desktop, stand_in, open_window):
    calls = [
        {"call_id": f"c{n}", "input": number, "number": f"00{n}", "status": "answered", "reason": "",
         "created": "2026-11-26T13:10:00Z", "updated": "2026-11-26T13:10:00Z"}
        for n, number in enumerate(["+44 20 7946 0958", "0142685300", "1002"])
    ]  # fmt: skip
    stand_in.procedures["dialer.history"] = lambda limit: calls
    known = {"c1": {"title": "Marie Dubois (Acme) — 01 42 68 53 00"}}
    window = open_window("history", connection(stand_in, known=known))
    wait_for(lambda: "history shown: 3 calls" in window.log, what="the calls")
    type_keys(desktop, "marie")
    desktop.run("xdotool", "key", "Return")
    assert json.loads(window.line()) == {
        "dial": "0142685300", "name": "Marie Dubois (Acme)", "number": "01 42 68 53 00"
    }  # fmt: skip


def test_astitray_dial_selection_asks_which_number_of_a_selected_signature(
    desktop, stand_in, installed_tray, tmp_path
):
    """What a desktop's own keyboard shortcut runs on Wayland and GNOME: the choice window, then the dial."""
    from tests.tray_client.test_app import SIGNATURE, signature_service

    signature_service(stand_in)
    home = tmp_path / "home"
    env = no_session_bus(tray_environment(desktop, home, home / "keyring.json", installed=True))
    settings = config.Settings(config.normalize_server_url(stand_in.url), USER, timeout_s=5)
    config.save(settings, home / "config" / "astitray" / "tray.ini")
    FileKeyring(home / "keyring.json").set_password(f"Astitray {settings.server_url}", USER, PASSWORD)
    selected = subprocess.Popen(
        ["xclip", "-quiet", "-selection", "primary"], env=desktop.env, stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    desktop.processes.append(selected)
    assert selected.stdin is not None
    selected.stdin.write(SIGNATURE.encode())
    selected.stdin.close()
    dialing = subprocess.Popen(
        ["/usr/bin/astitray-dial", "--selection", "--no-wait"], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    desktop.processes.append(dialing)
    (window,) = wait_for(lambda: desktop.windows("^Search phonebook", by="--name"), what="the choice window")
    desktop.wait_until_active(window)
    desktop.run("xdotool", "key", "Down", "Return")  # the mobile
    output, _errors = dialing.communicate(timeout=60)
    assert dialing.returncode == 0, output
    assert stand_in.called("dialer.dial") == [("+44 7700 900123",)]
    assert "Calling +44 7700 900123 — pick up your phone" in output
