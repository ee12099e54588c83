"""The INSTALLED tray on a real X desktop, as users run it.

``apt install ./astitray-tray_*.deb`` (testkit/tray_package.py), then
``/usr/bin/astitray-tray`` with Debian's python3, on Xvfb with openbox as the
window manager, trayer as the tray (pystray's GTK backend), dunst as the
notification service where a test reads notifications, xclip and xdotool
to copy, select, click and type. The end-to-end tests dial through the REAL
Astitray server (a live server with the console driver); the bad-input
tests use the stand-in server of conftest.py to be slow, down, refusing or
not Astitray at will.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import xmlrpc.client
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from PIL import Image

from testkit.desktop import ROOT, WIDTH, Desktop, no_session_bus, tray_command, tray_environment, wait_for
from testkit.file_keyring import FileKeyring
from testkit.notifications import Dunst
from testkit.services import free_port
from tests.conftest import ALICE_PASSWORD
from tests.tray_client.conftest import PASSWORD, USER
from tray_client import config

pytestmark = pytest.mark.service

NUMBER = "+44 20 7946 0958"
# Where the tests' screenshots go when asked (how docs/tray*.png are made): ASTITRAY_TRAY_SCREENSHOTS=docs
SCREENSHOTS = os.environ.get("ASTITRAY_TRAY_SCREENSHOTS", "")


class Tray:
    """The installed astitray-tray on the desktop, set up for a server."""

    def __init__(
        self,
        desktop: Desktop,
        home: Path,
        url: str,
        *,
        username: str,
        password: str,
        bus: bool,
        token: str = "",
        incoming_url: str = "",
        **extra: str,
    ) -> None:
        self.desktop = desktop
        keyring_file = home / "keyring.json"
        env = tray_environment(desktop, home, keyring_file, installed=True, **extra)
        self.env = env if bus else no_session_bus(env)
        self.settings = config.Settings(
            config.normalize_server_url(url),
            username,
            timeout_s=3,
            clipboard_poll_s=0.3,
            incoming_url=incoming_url,
        )
        config.save(self.settings, Path(env["XDG_CONFIG_HOME"]) / "astitray" / "tray.ini")
        if token:  # as Settings' "Log in" leaves it: the token, no password
            FileKeyring(keyring_file).set_password(
                f"Astitray token {self.settings.server_url}", username, token
            )
        else:
            FileKeyring(keyring_file).set_password(f"Astitray {self.settings.server_url}", username, password)
        # Its own log: the desktop (and its logs) outlive a test, and every test's first home is "home0".
        self.log_name = f"tray-{home.parent.name}-{home.name}"
        self.process = desktop.start(tray_command(installed=True), log=self.log_name, env=self.env)

    @property
    def log(self) -> str:
        return self.desktop.log(self.log_name)

    def title(self) -> str:
        return self.desktop.wait_for_icon().name

    def wait_for_title(self, condition: Callable[[str], bool], what: str) -> str:
        try:
            return wait_for(lambda: (title := self.title()) and condition(title) and title, what=what)
        except AssertionError as err:
            raise AssertionError(
                f"{err}; the tooltip says {self.title()!r}; the log ends:\n{self.log[-3000:]}"
            ) from None

    def wait_for_log(self, text: str, what: str) -> None:
        try:
            wait_for(lambda: text in self.log, what=what)
        except AssertionError as err:
            raise AssertionError(f"{err}; the log ends:\n{self.log[-3000:]}") from None

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        self.desktop.stop(self.process)
        wait_for(lambda: self.desktop.tray_icon() is None, what="the icon to go")


@pytest.fixture
def start_tray(desktop, tmp_path, installed_tray) -> Iterator[Callable[..., Tray]]:
    trays: list[Tray] = []

    def start(
        url: str,
        username: str = USER,
        password: str = PASSWORD,
        bus: bool = True,
        *,
        token: str = "",
        incoming_url: str = "",
        **extra: str,
    ) -> Tray:
        home = tmp_path / f"home{len(trays)}"
        tray = Tray(
            desktop,
            home,
            url,
            username=username,
            password=password,
            bus=bus,
            token=token,
            incoming_url=incoming_url,
            **extra,
        )
        trays.append(tray)
        return tray

    yield start
    for tray in trays:
        tray.stop()
    desktop.clear_clipboard()


@pytest.fixture
def dunst(desktop) -> Iterator[Dunst]:
    daemon = Dunst(desktop)
    yield daemon
    daemon.stop()


def screenshot(desktop: Desktop, tmp_path: Path, name: str, crop: tuple[int, int, int, int]) -> Path:
    shot = desktop.screenshot(tmp_path / name, crop=crop)
    if SCREENSHOTS:
        (ROOT / SCREENSHOTS / name).write_bytes(shot.read_bytes())
    with Image.open(shot) as image:
        assert image.width > 150 and image.height > 100
    return shot


def real_server(live_server) -> Any:
    return xmlrpc.client.ServerProxy(f"http://alice:{ALICE_PASSWORD}@{live_server.url.split('://')[1]}/rpc/")


@pytest.mark.django_db(transaction=True)
def test_dial_clipboard_end_to_end_with_names_and_the_real_server(  # noqa: PLR0917 (fixtures)
    desktop, start_tray, dunst, live_server, alice, tmp_path
):
    """Copy a number, the menu says whose it is; click "Dial clipboard": the server's call log has the
    call, rewritten, for alice, and dunst shows whom it calls, as people write the number."""
    from phonebook.models import Contact

    helene = Contact.objects.create(name="Hélène Dupont", company="ACME")
    helene.numbers.create(label="work", raw=NUMBER)
    helene.refresh_search_digits()
    answer = real_server(live_server).dialer.normalize(NUMBER)
    expected, shown = answer["number"], answer.get("display") or answer["e164"]
    whom = f"Hélène Dupont (ACME) — {shown}"

    tray = start_tray(live_server.url, "alice", ALICE_PASSWORD)
    tray.wait_for_title(lambda title: "extension 1001" in title, "alice's name in the tooltip")
    desktop.copy_text(f"Call me back: {NUMBER}")
    tray.wait_for_log(f"clipboard number: {expected}", "the number found in the clipboard")
    menu = desktop.open_menu()
    left = menu.x - 40
    screenshot(desktop, tmp_path, "tray-menu.png", (left, 0, WIDTH - left, menu.y + menu.height + 16))
    desktop.click_first_menu_item(menu)

    history = wait_for(lambda: real_server(live_server).dialer.history(5), what="the call in the call log")
    assert history[0]["number"] == expected
    (call,) = apps.get_model("dialer", "Call").objects.all()
    assert (call.user, call.text, call.number) == (alice, f"Call me back: {NUMBER}", expected)
    dunst.wait_for_body(f"Calling {whom} — pick up your phone")
    dunst.wait_for_body(f"Your phone answered: {whom} is being called.")
    assert expected not in "".join(dunst.bodies())  # never the PBX's dial string

    # Recent calls shows whom, and the history is loaded again once the call is over.
    wait_for(lambda: tray.log.count("dialer.history answered") >= 3, what="the call in Recent calls")
    desktop.copy_text(f"Call me back: {NUMBER}")
    menu = desktop.open_menu()
    desktop.click(menu.x + menu.width // 2, menu.y + 66)  # "Recent calls", the third item
    submenu = wait_for(
        lambda: [m for m in desktop.menus() if m.id != menu.id], what="the Recent calls submenu"
    )[0]
    left = min(menu.x, submenu.x) - 40
    bottom = max(menu.y + menu.height, submenu.y + submenu.height) + 16
    screenshot(desktop, tmp_path, "tray.png", (left, 0, WIDTH - left, bottom))
    desktop.run("xdotool", "key", "Escape", "Escape")
    assert tray.alive()


@pytest.mark.django_db(transaction=True)
def test_a_stale_password_is_said_once_its_click_opens_settings_and_the_server_sees_one_failure(  # noqa: PLR0917
    desktop, start_tray, dunst, live_server, alice, caplog
):
    caplog.set_level(logging.WARNING, logger="accounts.audit")
    tray = start_tray(live_server.url, "alice", "her-old-password")
    tray.wait_for_title(lambda title: "refused" in title, "the refused password in the tooltip")
    notice = dunst.wait_for_body("The server refused your username or password.")
    desktop.copy_text(NUMBER)
    desktop.click(*desktop.wait_for_icon().center)  # Dial clipboard: not asked, said
    tray.wait_for_log("Call not placed", "the dial refused without asking")

    dunst.click()
    (window,) = wait_for(lambda: desktop.windows("^Settings", by="--name"), what="the Settings window")
    assert window.name == "Settings — Astitray"
    # The keyboard is in the password field: typing replaces the old one, Enter tests it and saves.
    desktop.run("xdotool", "type", "--delay", "20", ALICE_PASSWORD)
    desktop.run("xdotool", "key", "Return")
    tray.wait_for_title(lambda title: "extension 1001" in title, "alice logged in with the new password")
    failures = [r.getMessage() for r in caplog.records if r.getMessage().startswith("login failed")]
    assert len(failures) == 1, failures
    assert [item["id"] for item in dunst.shown()].count(notice["id"]) == 1  # said once
    assert tray.alive()


def test_the_shortcut_dials_the_selected_text(desktop, start_tray, stand_in):
    stand_in.procedures["dialer.dial"] = lambda text: {
        "call_id": "c1", "number": "00442079460958", "extension": "1001", "status": "queued"
    }  # fmt: skip
    tray = start_tray(stand_in.url)
    tray.wait_for_log("shortcut Ctrl+Alt+P grabbed", "the shortcut")
    tray.wait_for_title(lambda title: "extension 1001" in title, "alice in the tooltip")
    selected = subprocess.Popen(
        ["xclip", "-quiet", "-selection", "primary"], env=desktop.env, stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    desktop.processes.append(selected)
    assert selected.stdin is not None
    selected.stdin.write(b"Mobile: +44 20 7946 0958")
    selected.stdin.close()
    desktop.copy_text("+33 1 42 68 53 00")  # the clipboard holds another number: the selection wins
    desktop.run("xdotool", "key", "ctrl+alt+p")
    wait_for(lambda: stand_in.called("dialer.dial"), what="the dial")
    assert stand_in.called("dialer.dial") == [("Mobile: +44 20 7946 0958",)]


def test_a_password_manager_s_clipboard_never_leaves_the_desktop(desktop, start_tray, stand_in):
    """KeePassXC's convention: the x-kde-passwordManagerHint target. Not read, not sent."""
    stand_in.procedures["dialer.normalize"] = lambda text: pytest.fail(f"sent: {text!r}")
    tray = start_tray(stand_in.url)
    tray.wait_for_title(lambda title: "extension 1001" in title, "alice in the tooltip")
    desktop.clear_clipboard()
    owner = subprocess.Popen(
        [sys.executable, "-m", "testkit.secret_owner", "hunter2 +44 20 7946 0958"],
        env={**desktop.env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    desktop.processes.append(owner)
    desktop.clipboard_owners.append(owner)  # cleared with the others
    assert owner.stdout is not None and owner.stdout.readline().strip() == "owned"
    tray.wait_for_log("clipboard: secret", "the tray to see a password manager's clipboard")
    desktop.click(*desktop.wait_for_icon().center)
    tray.wait_for_log("password manager's secret", "the notice")
    assert stand_in.called("dialer.normalize") == stand_in.called("dialer.dial") == []
    assert "hunter2" not in tray.log


def test_bad_clipboards_on_a_bare_x_server(desktop, start_tray, stand_in, tmp_path):
    """No D-Bus at all, no notification service: empty, image and 1 MB clipboards never hurt the tray."""
    normalized: list[str] = []

    def normalize(text: str) -> dict[str, Any]:
        normalized.append(text)
        return {
            "input": text,
            "number": "00442079460958",
            "e164": "",
            "extension_digits": "",
            "internal": False,
            "steps": [],
        }

    stand_in.procedures["dialer.normalize"] = normalize
    stand_in.procedures["dialer.history"] = lambda limit: []
    stand_in.procedures["dialer.dial"] = lambda text: {
        "call_id": "c1", "number": "00442079460958", "extension": "1001", "status": "queued"
    }  # fmt: skip
    tray = start_tray(stand_in.url, bus=False)
    tray.wait_for_title(lambda title: "extension 1001" in title, "alice in the tooltip")
    assert "no D-Bus session bus" in tray.log
    icon = desktop.wait_for_icon()

    desktop.clear_clipboard()
    desktop.click(*icon.center)  # left click: "Dial clipboard"
    tray.wait_for_title(lambda title: "clipboard is empty" in title, "the empty clipboard notice")

    image = tmp_path / "red.png"
    Image.new("RGB", (40, 40), "red").save(image)
    desktop.copy_image(image)
    desktop.click(*icon.center)
    tray.wait_for_title(lambda title: "holds no text" in title, "the image notice")

    desktop.copy_text("1" * 1024 * 1024)
    desktop.click(*icon.center)
    tray.wait_for_title(lambda title: "too much text" in title, "the 1 MB notice")

    desktop.copy_text("Meeting at 10:30, room 4")  # prose: decided on the desktop
    desktop.click(*icon.center)
    tray.wait_for_title(lambda title: "No phone number was found" in title, "the prose notice")

    desktop.copy_text(NUMBER)
    wait_for(lambda: normalized == [NUMBER], what="the number's check by the server")
    desktop.click(*icon.center)
    tray.wait_for_title(lambda title: "Calling 00442079460958" in title, "the call notice")
    assert stand_in.called("dialer.dial") == [(NUMBER,)]
    # Nothing but the number ever went to the server.
    assert normalized == [NUMBER]

    # The same from the menu: its first item shows the number and dials it.
    checked = tray.log.count("clipboard number: 00442079460958")
    desktop.copy_text("Mobile: 07700 900123")
    wait_for(lambda: tray.log.count("clipboard number: 00442079460958") > checked, what="the new number")
    desktop.click_first_menu_item(desktop.open_menu())
    wait_for(lambda: len(stand_in.called("dialer.dial")) == 2, what="the menu's dial")
    assert stand_in.called("dialer.dial")[1] == ("Mobile: 07700 900123",)
    assert tray.alive()


@pytest.mark.django_db(transaction=True)
def test_a_token_from_log_in_is_sent_and_once_revoked_is_said_once_with_one_failure(  # noqa: PLR0917
    desktop, start_tray, dunst, live_server, alice, caplog
):
    """The installed tray with only a token in the keyring (Settings' "Log in") works against the real
    server; revoked there, it is said once, a click opens Settings, and the server sees one failure."""
    from accounts import tokens

    caplog.set_level(logging.WARNING, logger="accounts.audit")
    row, token = tokens.create(alice, "Astitray tray on the test desktop")
    tray = start_tray(live_server.url, "alice", "", token=token)
    tray.wait_for_title(lambda title: "extension 1001" in title, "alice logged in with the token")
    row.refresh_from_db()
    assert row.last_used is not None
    tokens.revoke_all(alice)
    desktop.copy_text(NUMBER)  # the tray asks the server about the new clipboard: refused (once), and said
    notice = dunst.wait_for_body("The server no longer accepts this computer's login (its token was revoked")
    tray.wait_for_title(lambda title: "refused" in title, "the refusal in the tooltip")
    desktop.click(*desktop.wait_for_icon().center)  # Dial clipboard: not asked
    tray.wait_for_log("Call not placed", "the dial refused")
    desktop.click(*desktop.wait_for_icon().center)  # again: not asked
    wait_for(lambda: tray.log.count("Call not placed") >= 2, what="the second dial refused without asking")
    failures = [r.getMessage() for r in caplog.records if r.getMessage().startswith("login failed")]
    assert len(failures) == 1, failures
    dunst.click()
    (window,) = wait_for(lambda: desktop.windows("^Settings", by="--name"), what="the Settings window")
    assert window.name == "Settings — Astitray"
    assert [item["id"] for item in dunst.shown()].count(notice["id"]) == 1  # said once
    assert tray.alive()


@pytest.mark.parametrize(
    ("server", "title"),
    [
        ("down", "Astitray — the server cannot be reached"),
        ("wrong password", "Astitray — username or password refused"),
        ("not astitray", "Astitray — the server address is wrong"),
    ],
)
def test_a_server_that_is_down_refuses_or_is_not_astitray(desktop, start_tray, stand_in, server, title):
    url, password = stand_in.url, PASSWORD
    if server == "down":
        url = f"http://127.0.0.1:{free_port()}/rpc/"
    elif server == "wrong password":
        password = "wrong"
    else:
        stand_in.procedures.clear()
    tray = start_tray(url, password=password)
    tray.wait_for_title(lambda text: text.startswith(title), title)
    desktop.copy_text(NUMBER)
    desktop.click(*desktop.wait_for_icon().center)
    tray.wait_for_log("Call not placed", "the refused call's notice")
    menu = desktop.open_menu()
    assert menu.height > 100
    desktop.close_menu()
    assert tray.alive()


def test_the_menu_opens_while_a_slow_server_holds_a_call(desktop, start_tray, stand_in):
    entered, release = threading.Event(), threading.Event()

    def slow_dial(text: str) -> dict[str, Any]:
        entered.set()
        release.wait(60)
        return {"call_id": "c1", "number": "00442079460958", "extension": "1001", "status": "queued"}

    stand_in.procedures["dialer.dial"] = slow_dial
    tray = start_tray(stand_in.url)
    tray.wait_for_title(lambda title: "extension 1001" in title, "alice in the tooltip")
    desktop.copy_text(NUMBER)
    desktop.click(*desktop.wait_for_icon().center)
    try:
        assert entered.wait(30)
        menu = desktop.open_menu()  # the UI answers while the call hangs on the server
        assert menu.height > 100
        desktop.close_menu()
        # The tray gives up after its timeout (3 s here), while the server still holds the call.
        tray.wait_for_title(lambda title: "did not answer in time" in title, "the timeout notice")
    finally:
        release.set()
    assert tray.alive()


@pytest.mark.django_db(transaction=True)
def test_an_unregistered_phone_is_said_before_dialing_and_nothing_is_dialed(  # noqa: PLR0917 (fixtures)
    desktop, start_tray, dunst, live_server, alice, console_pbx
):
    """The PBX says alice's phone is not registered: the installed tray says so in its tooltip before
    anything is dialed, and a click on the icon is refused in those words, with nothing sent."""
    from drivers.events import PhoneState
    from events.presence import set_phone_state

    set_phone_state(console_pbx.pk, "PJSIP/1001", PhoneState.UNAVAILABLE)
    not_registered = "Your phone is not registered with the phone system"
    tray = start_tray(live_server.url, "alice", ALICE_PASSWORD)
    tray.wait_for_title(lambda title: not_registered in title, "the unregistered phone in the tooltip")
    desktop.copy_text(NUMBER)
    tray.wait_for_log("clipboard number:", "the number found in the clipboard")
    desktop.click(*desktop.wait_for_icon().center)  # Dial clipboard
    dunst.wait_for_body(f"{not_registered}: check that it is on and connected. Nothing was dialed.")
    assert not apps.get_model("dialer", "Call").objects.exists()
    set_phone_state(console_pbx.pk, "PJSIP/1001", PhoneState.IDLE)
    assert tray.alive()


@pytest.mark.django_db(transaction=True)
def test_a_missed_call_in_the_real_call_log_is_counted_by_the_installed_tray(
    desktop, start_tray, live_server, alice, console_pbx
):
    """An incoming call nobody answered, as the PBX event listener writes it: the installed tray's
    tooltip counts it and its menu has "Missed calls (1)" with whom, calling back on a click."""
    call = apps.get_model("dialer", "Call").objects.create(
        user=alice, username="alice", extension="1001", pbx=console_pbx, direction="in",
        number="0142685300", name="Marie Dubois", status="missed",
    )  # fmt: skip
    tray = start_tray(live_server.url, "alice", ALICE_PASSWORD)
    tray.wait_for_title(lambda title: "1 missed call" in title, "the missed call in the tooltip")
    menu = desktop.open_menu()
    desktop.click(menu.x + menu.width // 2, menu.y + 90)  # "Missed calls (1)", after "Recent calls"
    submenu = wait_for(
        lambda: [m for m in desktop.menus() if m.id != menu.id], what="the Missed calls submenu"
    )[0]
    desktop.click(submenu.x + submenu.width // 2, submenu.y + 16)  # Marie Dubois: call back
    wait_for(
        lambda: real_server(live_server).dialer.history(5)[0]["direction"] == "out", what="the call back"
    )
    assert real_server(live_server).dialer.history(5)[0]["number"] != ""
    tray.wait_for_title(lambda title: "missed call" not in title, "the missed call seen")
    assert str(call.call_id) in (Path(tray.env["XDG_STATE_HOME"]) / "astitray" / "missed.json").read_text()
    assert tray.alive()


def test_copy_number_puts_the_number_on_the_real_clipboard(desktop, monkeypatch):
    """A missed call's "Copy number": xclip on a real X server holds it, and reading it back gives it."""
    from tray_client.clipboard import ClipboardReader, copy_text

    monkeypatch.setenv("DISPLAY", desktop.display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert copy_text("01 42 68 53 00")
    # (xclip serves it from a process of its own, which may take a moment to own the clipboard.)
    wait_for(lambda: desktop.run("xclip", "-selection", "clipboard", "-out", check=False) == "01 42 68 53 00")
    assert ClipboardReader().read().text == "01 42 68 53 00"
    desktop.clear_clipboard()


EVENTS = """
from django.contrib.auth import get_user_model
from events.publish import event_payload, publish
alice = get_user_model().objects.get(username="alice")
for kind in {kinds!r}:
    publish(alice.pk, kind, event_payload(kind, call_id="c-42", number="0142685300", name="Marie Dubois"))
"""


def test_an_incoming_call_from_the_real_events_wait_pops_up_then_says_missed(
    desktop, start_tray, dunst, tmp_path
):
    """The real server's events.wait (its ASGI app under gunicorn, as deployed), an incoming call then
    missed as the PBX event listener writes them (another process): the installed tray shows it ringing,
    then missed, in dunst, and opens the CRM address once, in the browser ($BROWSER: a recorder)."""
    from testkit.liveserver import LiveServer
    from tests.events.test_events_wait import USERS

    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> {opened}\n', encoding="utf-8")
    browser.chmod(0o755)
    crm = "https://crm.example.org/search?n={number}&name={name}"
    with LiveServer(asgi=True, workers=1) as server:
        server.manage("shell", "-c", USERS)
        tray = start_tray(server.url, "alice", ALICE_PASSWORD, incoming_url=crm, BROWSER=str(browser))
        tray.wait_for_title(lambda title: "extension 1001" in title, "alice logged in")
        tray.wait_for_log("following the server's events", "the tray's first answer from events.wait")
        # The call offered twice (a ring group, a retry), then missed.
        server.manage("shell", "-c", EVENTS.format(kinds=("incoming", "incoming")))
        dunst.wait_for_body("Marie Dubois is calling — 0142685300")  # at once, as the PBX gave it
        # then as people write it, as the server's rules say (the same notification, replaced)
        written = wait_for(
            lambda: [
                body.removeprefix("Marie Dubois is calling — ")
                for body in dunst.bodies()
                if body.startswith("Marie Dubois is calling — ") and not body.endswith("0142685300")
            ],
            what="the number as people write it",
        )[0]
        assert written.replace(" ", "").endswith("142685300")
        (popup,) = wait_for(lambda: desktop.windows("Dunst"), what="the notification on the screen")
        left = popup.x - 40
        screenshot(
            desktop, tmp_path, "tray-incoming.png", (left, 0, WIDTH - left, popup.y + popup.height + 12)
        )
        server.manage("shell", "-c", EVENTS.format(kinds=("missed",)))
        missed = dunst.wait_for_body(f"Marie Dubois — {written}, ")
        assert missed["summary"] == "Missed call"
        assert tray.log.count("events.wait answered") >= 2
        wait_for(opened.exists, what="the CRM address opened")
        assert opened.read_text().splitlines() == [
            "https://crm.example.org/search?n=0142685300&name=Marie%20Dubois"
        ]
        tray.stop()


MARIE = """
from phonebook.models import Contact
marie = Contact.objects.create(name="Marie Dubois", company="Acme")
marie.numbers.create(label="work", raw="+33 1 42 68 53 00")
marie.refresh_search_digits()
"""


def test_a_simulated_call_of_make_run_rings_then_is_missed_in_the_installed_tray(desktop, start_tray, dunst):
    """The path of a ``make run`` user: the ASGI server as ``make run`` starts it (uvicorn), ``manage.py
    pbx_events`` as a process of its own beside it, and ``manage.py simulate_call --missed`` ringing
    alice's extension on the console PBX: the installed tray shows the call ringing, with the
    phonebook's name, then missed, in dunst, and counts it in its tooltip and its Missed calls."""
    from testkit.listener import Site
    from testkit.liveserver import LiveServer
    from tests.events.test_events_wait import USERS

    with Site() as site:
        site.shell(USERS + MARIE)  # alice: extension 1001 on the migrations' console PBX
        port = free_port()
        # The Makefile's run target: uvicorn serving the ASGI app (pbx_events beside it, below).
        uvicorn = [sys.executable, "-m", "uvicorn", "astitray.asgi:application", "--host", "127.0.0.1"]
        uvicorn += ["--port", str(port)]
        with LiveServer(site.env, command=uvicorn, port=port, migrate=False) as server:
            listener = site.listener()
            wait_for(lambda: (site.lease() or ("", False))[1], 60, "pbx_events connected to the console PBX")
            tray = start_tray(server.url, "alice", ALICE_PASSWORD)
            tray.wait_for_title(lambda title: "extension 1001" in title, "alice logged in")
            tray.wait_for_log("following the server's events", "the tray's first answer from events.wait")
            answer = server.proxy("alice", ALICE_PASSWORD).dialer.normalize("+33 1 42 68 53 00")
            written = answer.get("display") or answer["e164"]  # the number as people write it
            # Rings long enough to be seen ringing on a loaded machine, then the caller hangs up.
            site.manage("simulate_call", "--to", "1001", "--from", "+33 1 42 68 53 00", "--missed",
                        "--ring-seconds", "15")  # fmt: skip
            ringing = dunst.wait_for_body(f"Marie Dubois (Acme) is calling — {written}", "the call ringing")
            missed = wait_for(
                lambda: next((item for item in dunst.shown() if item["summary"] == "Missed call"), None),
                90,
                "the missed call",
            )
            shown = dunst.shown()
            assert shown.index(ringing) < shown.index(missed)
            assert missed["body"].startswith(f"Marie Dubois (Acme) — {written}")
            tray.wait_for_title(lambda title: "1 missed call" in title, "the missed call in the tooltip")
            menu = desktop.open_menu()
            desktop.click(menu.x + menu.width // 2, menu.y + 90)  # "Missed calls (1)", after "Recent calls"
            wait_for(lambda: [m for m in desktop.menus() if m.id != menu.id], what="the Missed calls submenu")
            desktop.run("xdotool", "key", "Escape")  # the submenu, then the menu
            desktop.close_menu()
            assert listener.poll() is None and tray.alive()
            tray.stop()
