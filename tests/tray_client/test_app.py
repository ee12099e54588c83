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

from testkit.services import free_port
from tests.tray_client.conftest import ALICE, PASSWORD, USER, StubIcon
from tests.tray_client.test_phonetext import PROSE
from tray_client import config, i18n, icons
from tray_client.app import TrayApp
from tray_client.clipboard import Clipboard, ClipboardReader
from tray_client.gate import LoginGate
from tray_client.notify import Notifier
from tray_client.redial import RedialBook
from tray_client.windows.launcher import WindowLauncher

NUMBER_TEXT = "Call me: +44 20 7946 0958"
NUMBER_CLIPBOARD = Clipboard(NUMBER_TEXT)
NOTHING_SELECTED = Clipboard(reason="empty")
DIALED = "00442079460958"
SHOWN = "+44 20 7946 0958"  # the number as people write it (dialer.normalize's "display")
HELENE = {
    "id": 1, "name": "Hélène Dupont", "company": "ACME", "department": "", "title": "", "email": "",
    "numbers": [{"label": "work", "number": "+44 20 7946 0958", "e164": "+442079460958"}],
}  # fmt: skip
NAMED = f"Hélène Dupont (ACME) — {SHOWN}"


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
        self.actions: list[tuple[tuple[tuple[str, str], ...], Any]] = []
        self.hints: list[str] = []

    @property
    def available(self) -> bool:
        return True

    def show(self, title: str, body: str, key: str = "", *, actions=(), on_action=None, hint="") -> None:
        self.shown.append((title, body, key))
        self.actions.append((actions, on_action))
        self.hints.append(hint)

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


def dial_service(stand_in, outcome: str = "answered", *, current: bool = True) -> None:
    """The dialer procedures of docs/api.md on the stand-in: rewrite to DIALED, then ``outcome``.

    ``current``: the server's present answers (``display``, ``choices``, ``phonebook.lookup``);
    else an older server's, without them.
    """
    calls: list[dict[str, str]] = []

    def normalize(text: str) -> dict:
        if "7946" not in text:
            raise xmlrpc.client.Fault(-32088, "No phone number that can be dialed was found in that text.")
        answer = {
            "input": text,
            "number": DIALED,
            "e164": "+442079460958",
            "extension_digits": "",
            "internal": False,
            "steps": [],
        }
        if current:
            choice = {"number": DIALED, "e164": "+442079460958", "display": SHOWN, "extension_digits": "",
                      "label": "", "text": text}  # fmt: skip
            answer.update({"display": SHOWN, "choices": [choice]})
        return answer

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
    if current:
        stand_in.procedures["phonebook.lookup"] = lambda number: HELENE if number == "+442079460958" else {}


@pytest.fixture
def make_app(tmp_path):
    apps: list[TrayApp] = []

    def make(
        url: str,
        clip: Clipboard = NUMBER_CLIPBOARD,
        password: str = PASSWORD,
        *,
        timeout_s: float = 5.0,
        selection: Clipboard = NOTHING_SELECTED,
        gate: LoginGate | None = None,
    ) -> TrayApp:
        profile = config.Profile(
            config.Settings(url, USER, timeout_s=timeout_s, clipboard_poll_s=0, shortcut=""), password
        )
        app = TrayApp(
            icon_class=StubIcon,
            load_profile=lambda: profile,
            clipboard=FakeClipboard(clip),
            selection=FakeClipboard(selection),
            gate=gate,
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
        "Call history…",
        "- - - -",
        "Settings…",
        "About",
        "Quit",
    ]
    assert app.icon.title == "Astitray — connecting…"
    assert next(item for item in app.icon.menu.items if item.visible).default


def test_it_shows_who_is_logged_in(stand_in, make_app):
    app = make_app(stand_in.url)
    app.reload()
    assert app.state == "ok"
    assert app.icon.title == "Astitray — Alice Martin (alice), extension 1001"
    assert app.icon.icon is icons.image("ok")


def test_the_clipboard_number_is_shown_with_its_owner_s_name_and_asked_once_per_text(stand_in, make_app):
    dial_service(stand_in)
    app = make_app(stand_in.url)
    app.reload()
    app.calls.poll_clipboard()
    eventually(lambda: app.icon.item("Dial clipboard:").text == f"Dial clipboard: {NAMED}")
    assert app.icon.item("Dial clipboard:").enabled
    app.calls.poll_clipboard()
    app.clip.reader.content = Clipboard("hello, no number")
    app.calls.poll_clipboard()
    assert app.icon.item("No number in clipboard").enabled is False
    app.clip.reader.content = Clipboard(NUMBER_TEXT)
    app.calls.poll_clipboard()
    assert app.icon.item("Dial clipboard:").text == f"Dial clipboard: {NAMED}"
    assert stand_in.called("dialer.normalize") == [(NUMBER_TEXT,)]
    assert stand_in.called("phonebook.lookup") == [("+442079460958",)]


def test_an_older_server_without_display_choices_or_lookup(stand_in, make_app):
    """No "display", no "choices", no phonebook.lookup: the number in E.164, no name, nothing breaks."""
    dial_service(stand_in, current=False)
    app = make_app(stand_in.url)
    app.reload()
    app.calls.poll_clipboard()
    eventually(lambda: labels(app)[0] == "Dial clipboard: +442079460958")
    app.calls.dial_clipboard()
    eventually(lambda: len(app.notifier.shown) == 2)
    assert app.notifier.shown[0][1] == "Calling +442079460958 — pick up your phone"


def test_a_text_the_server_finds_no_number_in(stand_in, make_app):
    dial_service(stand_in)
    app = make_app(stand_in.url, Clipboard("Call 0123 4567 89 later"))
    app.reload()
    app.calls.poll_clipboard()
    eventually(lambda: labels(app)[0] == "No number in clipboard")
    assert not app.icon.item("No number").enabled
    assert stand_in.called("dialer.normalize") == [("Call 0123 4567 89 later",)]


@pytest.mark.parametrize("text", PROSE)
def test_prose_shows_no_number_and_nothing_is_sent(stand_in, make_app, text):
    """Times, dates, versions, prices, IBANs, codes: decided on the desktop, never sent to the server."""
    dial_service(stand_in)
    app = make_app(stand_in.url, Clipboard(text))
    app.reload()
    app.calls.poll_clipboard()
    assert labels(app)[0] == "No number in clipboard"
    assert app.calls.dial_clipboard() is None
    assert app.notifier.shown[-1] == ("Nothing to dial", "No phone number was found in the clipboard.", "")
    time.sleep(0.2)  # what a worker might still send
    assert stand_in.called("dialer.normalize") == stand_in.called("dialer.dial") == []


def test_a_password_manager_s_clipboard_is_never_read_nor_sent(stand_in, make_app):
    dial_service(stand_in)
    app = make_app(stand_in.url, Clipboard(reason="secret"))
    app.reload()
    app.calls.poll_clipboard()
    assert labels(app)[0] == "No number in clipboard"
    assert app.calls.dial_clipboard() is None
    assert app.notifier.shown[-1][1] == (
        "The clipboard holds a password manager's secret: Astitray does not read it."
    )
    assert stand_in.called("dialer.normalize") == stand_in.called("dialer.dial") == []


def test_a_text_longer_than_a_signature_is_never_sent(stand_in, make_app):
    dial_service(stand_in)
    long_text = "Call me: +44 20 7946 0958\n" + "Lorem ipsum dolor sit amet. " * 30
    app = make_app(stand_in.url, Clipboard(long_text))
    app.reload()
    app.calls.poll_clipboard()
    assert labels(app)[0] == "No number in clipboard"
    assert app.calls.dial_clipboard() is None
    assert stand_in.called("dialer.normalize") == stand_in.called("dialer.dial") == []


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
    app.calls.poll_clipboard()
    assert labels(app)[0] == "No number in clipboard"
    assert app.calls.dial_clipboard() is None
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
        ("Astitray", f"Calling {NAMED} — pick up your phone", "call-1"),
        ("Astitray", f"Your phone answered: {NAMED} is being called.", "call-1"),
    ]
    assert stand_in.called("dialer.dial") == [(NUMBER_TEXT,)]
    assert stand_in.called("dialer.call_status")[0] == ("call-1",)
    # Recent calls, each redials what was given the first time.
    # (History is loaded again once the call is over.)
    recent = eventually(
        lambda: [item for item in app.icon.item("Recent calls").submenu if "answered" in item.text]
    )
    assert recent[0].text.startswith(f"{NAMED} — answered, ")
    recent[0](app.icon)
    eventually(lambda: len(stand_in.called("dialer.dial")) == 2)
    assert stand_in.called("dialer.dial")[1] == (NUMBER_TEXT,)


@pytest.mark.parametrize(
    ("outcome", "text"),
    [
        ("busy", f"Call to {NAMED} not placed: your phone was busy."),
        ("no_answer", f"Call to {NAMED} not placed: your phone was not picked up."),
        ("failed", f"The call to {NAMED} failed."),
        ("unknown", f"The phone system did not say what happened to the call to {NAMED}."),
    ],
)
def test_every_outcome_is_notified(stand_in, make_app, outcome, text):
    dial_service(stand_in, outcome=outcome)
    app = make_app(stand_in.url)
    app.reload()
    app.calls.dial_clipboard()
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
    assert app.calls.dial("0123456789") is None
    assert app.notifier.shown == [("Call not placed", text, "")]
    assert app.state == "ok"


def test_a_server_that_is_down(make_app):
    app = make_app(f"http://127.0.0.1:{free_port()}/rpc/")
    app.reload(first=True)
    assert app.state == "unreachable"
    assert app.icon.icon is icons.image("unreachable")
    assert app.icon.title == "Astitray — the server cannot be reached"
    assert app.calls.dial_clipboard() is None
    assert app.notifier.bodies()[-1].startswith("Cannot reach the Astitray server.")
    assert labels(app)[0] == "Dial clipboard"


REFUSED = (
    "The server refused your username or password. Astitray will not try again until you change them: "
    "click here or open Settings…."
)


def test_wrong_credentials_change_the_icon_and_are_said_once_with_a_way_to_settings(stand_in, make_app):
    app = make_app(stand_in.url, password="wrong")
    app.reload(first=True)
    assert app.state == "refused"
    assert app.icon.icon is icons.image("refused")
    assert app.icon.title == "Astitray — username or password refused"
    assert app.notifier.bodies() == [REFUSED]
    ((actions, on_action),) = app.notifier.actions
    assert actions == (("default", "Open Settings"),)
    on_action("default")  # a click on the notification
    eventually(
        lambda: app.windows.opened == [("settings", {"password": "wrong", "token": "", "focus": "password"})]
    )
    app.refresh_status()
    app.refresh_status()
    assert app.notifier.bodies() == [REFUSED]  # said once


def test_after_a_refusal_the_server_is_not_asked_again_until_the_settings_change(stand_in, make_app):
    """A stale password must not lock the account (and the address) out: one refusal, then silence."""
    dial_service(stand_in)
    clock = [1000.0]
    app = make_app(stand_in.url, password="wrong", gate=LoginGate(clock=lambda: clock[0]))
    app.reload(first=True)
    assert app.state == "refused"
    asked = len(stand_in.calls)
    assert asked == 1
    # Status checks, a dial, the clipboard, recent calls, the shortcut, the search window: none asks.
    for _ in range(5):
        app.refresh_status()
    assert app.calls.dial("+44 20 7946 0958") is None
    assert app.notifier.shown[-1][:2] == (
        "Call not placed",
        "The server refused your username or password. Check them in Settings….",
    )
    assert app.notifier.actions[-1][0] == (("default", "Open Settings"),)
    app.calls.poll_clipboard()
    app.calls.refresh_history()
    app.calls.dial_selection()
    app.open_search()
    app.open_history()
    assert [name for name, _payload in app.windows.opened] == []
    clock[0] += 3599
    app.refresh_status()
    assert len(stand_in.calls) == asked
    # An hour later: one attempt (refused again), then silence again.
    clock[0] += 2
    app.refresh_status()
    app.refresh_status()
    assert len(stand_in.calls) == asked + 1
    # New settings: asked at once.
    app.load_profile = lambda: config.Profile(
        config.Settings(stand_in.url, USER, clipboard_poll_s=0, shortcut=""), PASSWORD
    )
    app.reload()
    assert app.state == "ok"
    assert len(stand_in.calls) > asked + 1


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


def test_an_unregistered_phone_is_said_before_dialing_and_a_refused_dial_says_it_too(stand_in, make_app):
    phone = {"state": "unavailable"}
    stand_in.procedures["accounts.whoami"] = lambda: {**ALICE, "phone": phone["state"]}

    def dial(_text: str) -> dict:
        raise xmlrpc.client.Fault(-32082, "Your phone is not available.")

    stand_in.procedures["dialer.dial"] = dial
    app = make_app(stand_in.url)
    app.reload()
    not_registered = "Your phone is not registered with the phone system: check that it is on and connected."
    assert labels(app)[0] == not_registered
    assert not next(item for item in app.icon.menu.items if item.visible).enabled
    assert app.icon_state() == "no_phone"
    assert app.icon.title == f"Astitray — Alice Martin (alice), extension 1001\n{not_registered}"
    assert app.calls.dial("0123456789") is None
    assert app.notifier.shown == [("Call not placed", f"{not_registered} Nothing was dialed.", "")]

    phone["state"] = "idle"  # registered again: the next check of the server sees it
    app.refresh_status()
    assert labels(app)[0] == "Dial clipboard"
    assert app.icon_state() == "ok"


def test_a_refused_dial_for_an_unregistered_phone_asks_the_server_again(stand_in, make_app):
    """A phone that went away since the last check: the refusal makes the tray ask whoami at once."""
    answers = iter(["idle", "unavailable"])
    stand_in.procedures["accounts.whoami"] = lambda: {**ALICE, "phone": next(answers, "unavailable")}

    def dial(_text: str) -> dict:
        raise xmlrpc.client.Fault(-32082, "Your phone is not available.")

    stand_in.procedures["dialer.dial"] = dial
    app = make_app(stand_in.url)
    app.reload()
    assert app.icon_state() == "ok"
    app.calls.dial("0123456789")
    eventually(lambda: app.icon_state() == "no_phone")
    assert app.phone_unavailable()


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
        assert app.calls.dial("0123") is None
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
    assert app.windows.opened == [("settings", {"password": PASSWORD, "token": ""})]


def test_the_windows(stand_in, make_app):
    dial_service(stand_in)
    app = make_app(stand_in.url)
    app.reload()
    app.open_search()
    name, payload = app.windows.opened[-1]
    assert name == "search"
    assert payload["url"] == stand_in.url and payload["username"] == USER and payload["password"] == PASSWORD
    assert payload["choices"] == []
    # The search window chose a number: the tray dials it, and says whom it calls.
    message = {"dial": "+442079460958", "name": "Hélène Dupont", "company": "ACME", "number": SHOWN}
    app.on_window_message("search", message)
    eventually(lambda: stand_in.called("dialer.dial") == [("+442079460958",)])
    eventually(
        lambda: app.notifier.shown and app.notifier.shown[0][1] == f"Calling {NAMED} — pick up your phone"
    )
    # The history window, with whom the calls placed here went to.
    app.open_history()
    name, payload = app.windows.opened[-1]
    assert name == "history" and payload["known"] == {"call-1": {"title": NAMED}}
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
        "Historique des appels…",
        "- - - -",
        "Réglages…",
        "À propos",
        "Quitter",
    ]
    app.reload()
    assert app.icon.title == "Astitray — Alice Martin (alice), poste 1001"
    app.calls.dial_clipboard()
    eventually(lambda: len(app.notifier.shown) == 2)
    assert app.notifier.shown[0][1] == f"Appel vers {NAMED} — décrochez votre téléphone"


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
        app.calls.dial_clipboard()
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
    app.calls.poll_clipboard()
    assert labels(app)[0] == "Dial clipboard"
    assert stand_in.called("dialer.normalize") == []
    stand_in.procedures["accounts.whoami"] = whoami
    app.refresh_status()
    eventually(lambda: labels(app)[0] == f"Dial clipboard: {NAMED}")
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


SIGNATURE = "Hélène Dupont\nACME\nTel: +44 20 7946 0958\nMobile: +44 7700 900123"  # as test_stand_in.py


def signature_service(stand_in) -> None:
    """dialer.normalize as the server answers a signature with an office and a mobile number."""
    dial_service(stand_in)
    office = {"number": DIALED, "e164": "+442079460958", "display": SHOWN, "extension_digits": "",
              "label": "work", "text": "+44 20 7946 0958"}  # fmt: skip
    mobile = {"number": "00447700900123", "e164": "+447700900123", "display": "+44 7700 900123",
              "extension_digits": "", "label": "mobile", "text": "+44 7700 900123"}  # fmt: skip
    stand_in.procedures["dialer.normalize"] = lambda text: {
        "input": text, "number": DIALED, "e164": "+442079460958", "display": SHOWN, "extension_digits": "",
        "internal": False, "steps": [], "choices": [office, mobile],
    }  # fmt: skip


def test_a_signature_with_two_numbers_offers_both(stand_in, make_app):
    signature_service(stand_in)
    app = make_app(stand_in.url, Clipboard(SIGNATURE))
    app.reload()
    app.calls.poll_clipboard()
    submenu = eventually(lambda: app.icon.item("Dial clipboard").submenu)
    assert [item.text for item in submenu] == [
        f"Work: {NAMED}",
        "Mobile: +44 7700 900123",
    ]
    submenu.items[1](app.icon)
    eventually(lambda: stand_in.called("dialer.dial") == [("+44 7700 900123",)])
    # A left click (the default action) does not silently dial the first: it asks which.
    app.icon()
    name, payload = eventually(lambda: app.windows.opened[-1])
    assert name == "search"
    assert [(row["text"], row["number"], row["name"], row["label"]) for row in payload["choices"]] == [
        ("+44 20 7946 0958", SHOWN, "Hélène Dupont", "work"),
        ("+44 7700 900123", "+44 7700 900123", "", "mobile"),
    ]
    assert len(stand_in.called("dialer.dial")) == 1


def test_redialing_within_the_double_click_window_says_already_calling(stand_in, make_app):
    """The server answers the same number again within seconds with the call already placed."""
    dial_service(stand_in, outcome="answered")
    placed: dict[str, dict] = {}
    dial = stand_in.procedures["dialer.dial"]
    stand_in.procedures["dialer.dial"] = lambda text: placed.setdefault(text, dial(text))
    release = threading.Event()
    status = stand_in.procedures["dialer.call_status"]
    stand_in.procedures["dialer.call_status"] = lambda call_id: release.wait(30) and status(call_id)
    app = make_app(stand_in.url)
    app.reload()
    try:
        first = app.calls.dial(NUMBER_TEXT)
        second = app.calls.dial(NUMBER_TEXT)
    finally:
        release.set()
    assert first is not None and second is not None and first.call_id == second.call_id
    assert app.notifier.shown[:2] == [
        ("Astitray", f"Calling {NAMED} — pick up your phone", "call-1"),
        ("Astitray", f"Already calling {NAMED} — pick up your phone", "call-1"),
    ]
    eventually(lambda: len(app.notifier.shown) == 3)
    assert app.notifier.shown[2][1] == f"Your phone answered: {NAMED} is being called."  # followed once


def test_the_shortcut_dials_the_selected_text(stand_in, make_app):
    dial_service(stand_in)
    app = make_app(
        stand_in.url, Clipboard("+33 1 42 68 53 00"), selection=Clipboard("Mobile: +44 20 7946 0958")
    )
    app.reload()
    app.calls.dial_selection()
    assert stand_in.called("dialer.dial") == [("Mobile: +44 20 7946 0958",)]
    assert app.notifier.shown[0][1] == f"Calling {NAMED} — pick up your phone"
    # Nothing selected: the clipboard. Prose selected: nothing sent.
    app.selection.content = Clipboard(reason="empty")
    app.clip.reader.content = Clipboard("Meeting at 10:30")
    app.calls.dial_selection()
    assert app.notifier.shown[-1] == ("Nothing to dial", "No phone number was found in the clipboard.", "")
    assert len(stand_in.called("dialer.normalize")) == 1


def test_the_shortcut_on_a_signature_asks_which_number(stand_in, make_app):
    signature_service(stand_in)
    app = make_app(stand_in.url, selection=Clipboard(SIGNATURE))
    app.reload()
    app.calls.dial_selection()
    name, payload = app.windows.opened[-1]
    assert name == "search" and len(payload["choices"]) == 2
    assert stand_in.called("dialer.dial") == []


def test_a_window_that_cannot_open_is_said(stand_in, make_app, monkeypatch):
    """No GUI toolkit for this Python: every window says what to install, none is a dead menu item."""
    from tray_client.windows import launcher, toolkit

    monkeypatch.setattr(toolkit, "has_gtk", lambda: False)
    monkeypatch.setattr(toolkit, "has_tk", lambda: False)
    app = make_app(stand_in.url)
    app.windows = launcher.WindowLauncher()
    app.reload()
    app.open_settings()
    assert app.notifier.shown[-1][1] == (
        "Astitray's windows cannot open: GTK 3 for Python is missing. Install the packages python3-gi and "
        "gir1.2-gtk-3.0 (or the astitray-tray package, which brings them)."
    )
    for open_window in (app.open_search, app.open_history, app.open_about):
        open_window()
    assert len(app.notifier.shown) == 4
    app.start()
    assert app.notifier.shown[-1][1].startswith("Astitray's windows cannot open")


INCOMING = [
    {"call_id": "in-1", "number": "0142685300", "status": "missed", "direction": "in", "name": "Marie Dubois",
     "reason": "", "created": "2026-11-26T13:12:00Z", "updated": "2026-11-26T13:12:30Z"},
    {"call_id": "in-2", "number": "07700900123", "status": "missed", "direction": "in", "name": "",
     "reason": "", "created": "2026-11-26T13:11:00Z", "updated": "2026-11-26T13:11:30Z"},
    {"call_id": "in-3", "number": "0299887766", "status": "answered", "direction": "in", "name": "",
     "reason": "", "created": "2026-11-26T13:10:00Z", "updated": "2026-11-26T13:10:30Z"},
]  # fmt: skip


def with_incoming_calls(stand_in) -> list[dict[str, Any]]:
    """The stand-in's dialer.history lists INCOMING first (as a server with the events work does)."""
    dial_service(stand_in)
    outgoing = stand_in.procedures["dialer.history"]
    incoming = [dict(call) for call in INCOMING]
    stand_in.procedures["dialer.history"] = lambda limit: (incoming + outgoing(limit))[:limit]
    return incoming


def test_missed_calls_are_counted_on_the_icon_and_called_back_from_their_submenu(stand_in, make_app):
    with_incoming_calls(stand_in)
    app = make_app(stand_in.url)
    app.reload()
    assert "Missed calls (2)" in labels(app)
    assert app.icon.title.endswith("\n2 missed calls")
    assert app.icon.icon is icons.image("ok", missed=2)
    submenu = app.icon.item("Missed calls").submenu
    lines = [item.text for item in submenu]
    assert lines[0].startswith("Marie Dubois — 0142685300, ") and lines[1].startswith("07700900123, ")
    assert lines[-1] == "Mark all as seen" and len(lines) == 4  # the answered call is not missed

    submenu.items[0](app.icon)  # call Marie back: that one is seen
    eventually(lambda: stand_in.called("dialer.dial") == [("0142685300",)])
    eventually(lambda: "Missed calls (1)" in labels(app))
    eventually(lambda: ("Astitray", "Calling Marie Dubois — 0142685300 — pick up your phone", "call-1")
               in app.notifier.shown)  # fmt: skip
    app.icon.item("Missed calls").submenu.items[-1](app.icon)  # Mark all as seen
    eventually(lambda: app.icon.icon is icons.image("ok"))  # drawn by the worker that marked them
    assert "Missed calls" in labels(app) and "\n" not in app.icon.title
    # What was seen stays seen when the tray starts again.
    again = make_app(stand_in.url)
    again.reload()
    assert "Missed calls" in labels(again) and again.missed()[1] == 0


def test_a_server_that_lists_no_incoming_calls_shows_no_missed_calls(stand_in, make_app):
    dial_service(stand_in)  # outgoing calls only, without "direction": an older server
    app = make_app(stand_in.url)
    app.reload()
    app.calls.dial("+44 20 7946 0958")
    eventually(lambda: app.history)
    assert not [label for label in labels(app) if label.startswith("Missed")]
    assert app.icon.item("Recent calls").submenu is not None


def test_missed_calls_in_french(stand_in, make_app):
    with_incoming_calls(stand_in)
    i18n.set_language(["fr"])
    app = make_app(stand_in.url)
    app.reload()
    assert "Appels manqués (2)" in labels(app)
    assert app.icon.title.endswith("\n2 appels manqués")


def test_a_new_missed_call_is_notified_with_call_back_and_copy_number(stand_in, make_app, monkeypatch):
    incoming = with_incoming_calls(stand_in)
    copied: list[str] = []

    def copy_text(text: str) -> bool:
        copied.append(text)
        return True

    monkeypatch.setattr("tray_client.calls.copy_text", copy_text)
    app = make_app(stand_in.url)
    app.reload()
    assert not [shown for shown in app.notifier.shown if shown[0] == "Missed call"]  # counted, not notified
    incoming.insert(0, {**INCOMING[0], "call_id": "in-4", "number": "0388776655", "name": "Paul Roux"})
    app.calls.refresh_history()
    app.calls.refresh_history()  # told once
    (notice,) = [index for index, shown in enumerate(app.notifier.shown) if shown[0] == "Missed call"]
    _title, body, key = app.notifier.shown[notice]
    assert body.startswith("Paul Roux — 0388776655, ") and key == "missed-in-4"
    actions, on_action = app.notifier.actions[notice]
    assert actions == (("call_back", "Call back"), ("copy", "Copy number"))
    assert app.notifier.hints[notice] == 'To call back: "Missed calls" in the menu.'
    assert "Missed calls (3)" in labels(app)
    on_action("copy")
    eventually(lambda: copied == ["0388776655"])
    on_action("call_back")
    eventually(lambda: stand_in.called("dialer.dial") == [("0388776655",)])
    eventually(lambda: "Missed calls (2)" in labels(app))
