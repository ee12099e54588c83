"""The tray's logic without a display: menu, clipboard number, dialing, notifications, icon state.

The icon is :class:`StubIcon` (pystray's display methods stubbed), the
server the stand-in of conftest.py (real XML-RPC over HTTP).
"""

from __future__ import annotations

import threading
import time
import xmlrpc.client
from collections.abc import Callable
from typing import Any

import pytest

from tests.services import free_port
from tests.tray.conftest import PASSWORD, USER, StubIcon
from tray_client import config, i18n, icons
from tray_client.app import TrayApp
from tray_client.clipboard import Clipboard, ClipboardReader
from tray_client.notify import Notifier
from tray_client.redial import RedialBook
from tray_client.windows.launcher import WindowLauncher

NUMBER_TEXT = "Call me: +44 20 7946 0958"
NUMBER_CLIPBOARD = Clipboard(NUMBER_TEXT)
DIALED = "00442079460958"


def eventually(condition: Callable[[], Any], timeout_s: float = 15.0) -> Any:
    """Wait for work handed to the tray's threads (generous: never a timing assertion)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = condition()
        except (AssertionError, IndexError):
            value = None
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("the condition never became true")


class RecordingNotifier(Notifier):
    def __init__(self) -> None:
        super().__init__()
        self.shown: list[tuple[str, str, str]] = []

    @property
    def available(self) -> bool:
        return True

    def show(self, title: str, body: str, key: str = "") -> None:
        self.shown.append((title, body, key))

    def bodies(self) -> list[str]:
        return [body for _title, body, _key in self.shown]


class FakeWindows(WindowLauncher):
    """Records the windows the tray asks for (the real ones are tested on Xvfb)."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[tuple[str, dict[str, Any]]] = []
        self.closed = False
        self.on_message: Any = None

    def open(self, name: str, payload: dict[str, Any], on_message: Any) -> None:
        self.opened.append((name, payload))
        self.on_message = on_message

    def close_all(self, timeout_s: float = 3.0) -> None:
        self.closed = True


class FakeClipboard(ClipboardReader):
    def __init__(self, content: Clipboard) -> None:
        super().__init__(tools=[])
        self.content = content
        self.reads = 0

    def read(self) -> Clipboard:
        self.reads += 1
        return self.content


def dial_service(stand_in, outcome: str = "answered") -> None:
    """The dialer procedures of API.md on the stand-in: rewrite to DIALED, then ``outcome``."""
    calls: list[dict[str, str]] = []

    def normalize(text: str) -> dict:
        if "7946" not in text:
            raise xmlrpc.client.Fault(-32088, "No phone number that can be dialed was found in that text.")
        return {
            "input": text,
            "number": DIALED,
            "e164": "+442079460958",
            "extension_digits": "",
            "internal": False,
            "steps": [],
        }

    def dial(text: str) -> dict:
        number = normalize(text)["number"] if "7946" in text else text
        call = {
            "call_id": f"call-{len(calls) + 1}",
            "number": number,
            "status": "queued",
            "reason": "",
            "created": "2026-11-26T13:10:00Z",
            "updated": "2026-11-26T13:10:00Z",
        }
        calls.insert(0, call)
        return {"call_id": call["call_id"], "number": number, "extension": "1001", "status": "queued"}

    def call_status(call_id: str) -> dict:
        for call in calls:
            if call["call_id"] == call_id:
                call["status"] = outcome
                return call
        raise xmlrpc.client.Fault(-32083, "No such call.")

    def history(limit: int) -> list[dict[str, str]]:
        return calls[:limit]

    stand_in.procedures.update(
        {
            "dialer.normalize": normalize,
            "dialer.dial": dial,
            "dialer.call_status": call_status,
            "dialer.history": history,
        }
    )


@pytest.fixture
def make_app(tmp_path):
    apps: list[TrayApp] = []

    def make(
        url: str, clip: Clipboard = NUMBER_CLIPBOARD, password: str = PASSWORD, timeout_s: float = 5.0
    ) -> TrayApp:
        profile = config.Profile(
            config.Settings(url, USER, timeout_s=timeout_s, clipboard_poll_s=0), password
        )
        app = TrayApp(
            icon_class=StubIcon,
            load_profile=lambda: profile,
            clipboard=FakeClipboard(clip),
            notifier=RecordingNotifier(),
            windows=FakeWindows(),
            redials=RedialBook(tmp_path / "calls.json"),
            follow_every_s=0.05,
            follow_for_s=10,
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.stop()


def labels(app: TrayApp) -> list[str]:
    return [item.text for item in app.icon.menu]


def test_the_menu_before_anything_is_known(stand_in, make_app):
    app = make_app(stand_in.url)
    assert labels(app) == [
        "Dial clipboard",
        "Search phonebook…",
        "Recent calls",
        "- - - -",
        "Settings…",
        "About",
        "Quit",
    ]
    assert app.icon.title == "Astitray — connecting…"
    assert app.icon.menu.items[0].default


def test_it_shows_who_is_logged_in(stand_in, make_app):
    app = make_app(stand_in.url)
    app.reload()
    assert app.state == "ok"
    assert app.icon.title == "Astitray — Alice Martin (alice), extension 1001"
    assert app.icon.icon is icons.image("ok")


def test_the_clipboard_number_is_shown_and_asked_once_per_text(stand_in, make_app):
    dial_service(stand_in)
    app = make_app(stand_in.url)
    app.reload()
    app.poll_clipboard()
    eventually(lambda: app.icon.item("Dial clipboard:").text == f"Dial clipboard: {DIALED}")
    assert app.icon.item("Dial clipboard:").enabled
    app.poll_clipboard()
    app.clip.reader.content = Clipboard("hello, no number")
    app.poll_clipboard()
    assert app.icon.item("No number in clipboard").enabled is False
    app.clip.reader.content = Clipboard(NUMBER_TEXT)
    app.poll_clipboard()
    assert app.icon.item("Dial clipboard:").text == f"Dial clipboard: {DIALED}"
    assert stand_in.called("dialer.normalize") == [(NUMBER_TEXT,)]


def test_a_text_the_server_finds_no_number_in(stand_in, make_app):
    dial_service(stand_in)
    app = make_app(stand_in.url, Clipboard("Room 101 is on floor 3"))
    app.reload()
    app.poll_clipboard()
    eventually(lambda: labels(app)[0] == "No number in clipboard")
    assert not app.icon.item("No number").enabled


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (Clipboard(reason="empty"), "The clipboard is empty: copy a phone number first."),
        (Clipboard(reason="not_text"), "The clipboard holds no text (an image?): copy a phone number first."),
        (Clipboard(reason="too_long"), "The clipboard holds too much text to be a phone number."),
        (
            Clipboard(reason="no_tool"),
            "The clipboard cannot be read: install xclip (X11) or wl-clipboard (Wayland).",
        ),
        (Clipboard("no digits here"), "No phone number was found in the clipboard."),
    ],
)
def test_nothing_to_dial(stand_in, make_app, content, message):
    dial_service(stand_in)
    app = make_app(stand_in.url, content)
    app.reload()
    app.poll_clipboard()
    assert labels(app)[0] == "No number in clipboard"
    assert app.dial_clipboard() is None
    assert app.notifier.shown == [("Nothing to dial", message, "")]
    assert stand_in.called("dialer.normalize") == stand_in.called("dialer.dial") == []


def test_dial_clipboard_notifies_the_call_and_its_outcome(stand_in, make_app):
    dial_service(stand_in, outcome="answered")
    app = make_app(stand_in.url)
    app.reload()
    # The default action (left click) is "Dial clipboard".
    app.icon()
    notifier: RecordingNotifier = app.notifier
    eventually(lambda: len(notifier.shown) == 2)
    assert notifier.shown == [
        ("Astitray", f"Calling {DIALED} — pick up your phone", "call-1"),
        ("Astitray", f"Your phone answered: {DIALED} is being called.", "call-1"),
    ]
    assert stand_in.called("dialer.dial") == [(NUMBER_TEXT,)]
    assert stand_in.called("dialer.call_status")[0] == ("call-1",)
    # Recent calls, each redials what was given the first time.
    # (History is loaded again once the call is over.)
    recent = eventually(
        lambda: [item for item in app.icon.item("Recent calls").submenu if "answered" in item.text]
    )
    assert recent[0].text.startswith(f"{DIALED} — answered, ")
    recent[0](app.icon)
    eventually(lambda: len(stand_in.called("dialer.dial")) == 2)
    assert stand_in.called("dialer.dial")[1] == (NUMBER_TEXT,)


@pytest.mark.parametrize(
    ("outcome", "text"),
    [
        ("busy", f"Call to {DIALED} not placed: your phone was busy."),
        ("no_answer", f"Call to {DIALED} not placed: your phone was not picked up."),
        ("failed", f"The call to {DIALED} failed."),
        ("unknown", f"The phone system did not say what happened to the call to {DIALED}."),
    ],
)
def test_every_outcome_is_notified(stand_in, make_app, outcome, text):
    dial_service(stand_in, outcome=outcome)
    app = make_app(stand_in.url)
    app.reload()
    app.dial_clipboard()
    eventually(lambda: len(app.notifier.shown) == 2)
    assert app.notifier.shown[1] == ("Astitray", text, "call-1")


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (-32089, "You have no phone set up for dialing. Ask your administrator."),
        (-32087, "You are not allowed to call that number."),
        (-32086, "Too many calls in a short time. Wait a minute and try again."),
        (-32085, "The phone system cannot be reached right now. Try again later."),
        (-32084, "The phone system refused the call."),
    ],
)
def test_a_refused_dial_says_why(stand_in, make_app, code, text):
    def refuse(_text: str) -> dict:
        raise xmlrpc.client.Fault(code, "server words")

    stand_in.procedures["dialer.dial"] = refuse
    app = make_app(stand_in.url)
    app.reload()
    assert app.dial("0123456789") is None
    assert app.notifier.shown == [("Call not placed", text, "")]
    assert app.state == "ok"


def test_a_server_that_is_down(make_app):
    app = make_app(f"http://127.0.0.1:{free_port()}/rpc/")
    app.reload(first=True)
    assert app.state == "unreachable"
    assert app.icon.icon is icons.image("unreachable")
    assert app.icon.title == "Astitray — the server cannot be reached"
    assert app.dial_clipboard() is None
    assert app.notifier.bodies()[-1].startswith("Cannot reach the Astitray server.")
    assert labels(app)[0] == "Dial clipboard"


def test_wrong_credentials_change_the_icon(stand_in, make_app):
    app = make_app(stand_in.url, password="wrong")
    app.reload(first=True)
    assert app.state == "refused"
    assert app.icon.icon is icons.image("refused")
    assert app.icon.title == "Astitray — username or password refused"
    assert app.notifier.bodies() == ["The server refused your username or password. Check them in Settings…."]


def test_a_server_that_is_not_astitray(stand_in, make_app):
    del stand_in.procedures["accounts.whoami"]
    app = make_app(stand_in.url)
    app.reload()
    assert app.state == "not_astitray"
    assert app.icon.title == "Astitray — the server address is wrong"


def test_back_online_is_said(stand_in, make_app):
    app = make_app(stand_in.url)
    whoami = stand_in.procedures.pop("accounts.whoami")
    app.reload()
    stand_in.procedures["accounts.whoami"] = whoami
    app.reload()
    assert app.notifier.bodies()[-1] == "Connected to the Astitray server again."


def test_no_phone_gives_a_warning_icon(stand_in, make_app):
    stand_in.procedures["accounts.whoami"] = lambda: {
        "username": "bob",
        "full_name": "Bob",
        "extension": "",
        "can_dial": False,
        "server_version": "0.1",
        "api_version": 1,
    }
    app = make_app(stand_in.url)
    app.reload()
    assert app.icon_state() == "no_phone"
    assert app.icon.title == "Astitray — Bob (bob), no phone set up"


def test_the_menu_never_waits_for_a_slow_server(stand_in, make_app):
    entered, release = threading.Event(), threading.Event()

    def slow_dial(text: str) -> dict:
        entered.set()
        release.wait(30)
        return {"call_id": "c", "number": "1", "extension": "1001", "status": "queued"}

    stand_in.procedures["dialer.dial"] = slow_dial
    app = make_app(stand_in.url)
    app.reload()
    try:
        app.icon.item("Dial clipboard")(app.icon)  # returns at once: the dial runs on a worker
        assert entered.wait(15), "the dial never reached the server"
        assert not release.is_set()
        assert app.icon_state() in ("calling", "checking")
        assert labels(app)[0].startswith("Dial clipboard")  # the menu answers while the call hangs
    finally:
        release.set()


def test_a_server_slower_than_the_timeout(stand_in, make_app):
    release = threading.Event()
    stand_in.procedures["dialer.dial"] = lambda text: release.wait(30) and {}
    app = make_app(stand_in.url, timeout_s=0.3)
    app.reload()
    try:
        assert app.dial("0123") is None
    finally:
        release.set()
    assert app.notifier.shown == [
        ("Call not placed", "The Astitray server did not answer in time. Try again in a moment.", "")
    ]
    assert app.state == "unreachable"


def test_first_start_without_settings_opens_them(make_app):
    app = make_app("")
    app.reload(first=True)
    assert app.state == "unconfigured"
    assert app.icon.title == "Astitray — not set up: open Settings…"
    assert app.windows.opened == [("settings", {"password": PASSWORD})]


def test_the_windows(stand_in, make_app):
    dial_service(stand_in)
    app = make_app(stand_in.url)
    app.reload()
    app.open_search()
    name, payload = app.windows.opened[-1]
    assert name == "search"
    assert payload["url"] == stand_in.url and payload["username"] == USER and payload["password"] == PASSWORD
    # The search window chose a number: the tray dials it.
    app.on_window_message("search", {"dial": "+442079460958", "name": "Hélène Dupont"})
    eventually(lambda: stand_in.called("dialer.dial") == [("+442079460958",)])
    app.open_about()
    assert app.windows.opened[-1][1]["status"] == "Astitray — Alice Martin (alice), extension 1001"
    # Settings saved: the tray reads them again.
    before = len(stand_in.called("accounts.whoami"))
    app.on_window_message("settings", {"saved": True})
    eventually(lambda: len(stand_in.called("accounts.whoami")) > before)
    app.on_window_message("settings", {"dial": "ignored"})
    app.on_window_message("search", {"dial": 12})


def test_run_then_quit(stand_in, make_app):
    app = make_app(stand_in.url)
    runner = threading.Thread(target=app.run)
    runner.start()
    eventually(lambda: app.icon.visible and app.state == "ok")
    app.icon.item("Quit")(app.icon)
    runner.join(15)
    assert not runner.is_alive()
    assert app.windows.closed


def test_the_menu_in_french(stand_in, make_app):
    i18n.set_language(["fr_FR.UTF-8"])
    dial_service(stand_in)
    app = make_app(stand_in.url)
    assert labels(app) == [
        "Appeler le presse-papiers",
        "Chercher dans l'annuaire…",
        "Appels récents",
        "- - - -",
        "Réglages…",
        "À propos",
        "Quitter",
    ]
    app.reload()
    assert app.icon.title == "Astitray — Alice Martin (alice), poste 1001"
    app.dial_clipboard()
    eventually(lambda: len(app.notifier.shown) == 2)
    assert app.notifier.shown[0][1] == f"Appel du {DIALED} — décrochez votre téléphone"


def test_without_notifications_the_last_message_is_in_the_tooltip(stand_in, make_app, tmp_path):
    app = TrayApp(
        icon_class=StubIcon,
        load_profile=lambda: config.Profile(
            config.Settings(stand_in.url, USER, clipboard_poll_s=0), PASSWORD
        ),
        clipboard=FakeClipboard(Clipboard(reason="empty")),
        windows=FakeWindows(),
        redials=RedialBook(tmp_path / "calls.json"),
    )
    app.notifier = Notifier(app._notice_fallback)  # no notification service at all
    try:
        app.reload()
        app.dial_clipboard()
        assert app.icon.title.splitlines() == [
            "Astitray — Alice Martin (alice), extension 1001",
            "The clipboard is empty: copy a phone number first.",
        ]
    finally:
        app.stop()


def test_a_number_copied_while_the_server_was_away_is_checked_once_it_is_back(stand_in, make_app):
    dial_service(stand_in)
    whoami = stand_in.procedures.pop("accounts.whoami")
    app = make_app(stand_in.url)
    app.reload()
    app.poll_clipboard()
    assert labels(app)[0] == "Dial clipboard"
    assert stand_in.called("dialer.normalize") == []
    stand_in.procedures["accounts.whoami"] = whoami
    app.refresh_status()
    eventually(lambda: labels(app)[0] == f"Dial clipboard: {DIALED}")
    assert stand_in.called("dialer.normalize") == [(NUMBER_TEXT,)]


def test_a_keyring_that_fails_is_said_in_the_tooltip(stand_in, tmp_path):
    def load() -> config.Profile:
        raise config.KeyringProblem("the keyring is locked.")

    app = TrayApp(
        icon_class=StubIcon,
        load_profile=load,
        clipboard=FakeClipboard(NUMBER_CLIPBOARD),
        notifier=RecordingNotifier(),
        windows=FakeWindows(),
        redials=RedialBook(tmp_path / "calls.json"),
    )
    try:
        app.reload(first=True)
        assert app.state == "error"
        assert app.icon.title.splitlines() == [
            "Astitray — something is wrong",
            "The system keyring could not be used: the keyring is locked.",
        ]
        assert app.icon_state() == "not_astitray"
    finally:
        app.stop()


def test_the_icon_is_drawn_again_only_when_its_state_changes(stand_in, make_app):
    """pystray redraws the icon on every set (AppIndicator writes a new image file): a status
    check that changes nothing must not."""
    app = make_app(stand_in.url)
    app.icon.visible = True
    app.reload()
    assert app.icon.icon is icons.image("ok")
    drawn = app.icon.icon_updates
    app.refresh_status()
    app.refresh_status()
    assert app.icon.icon_updates == drawn
    stand_in.procedures.pop("accounts.whoami")
    app.refresh_status()
    assert app.icon.icon is icons.image("not_astitray")
    assert app.icon.icon_updates == drawn + 1
