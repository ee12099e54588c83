"""The windows' logic without a display: search, settings (its addresses and its Save), history.

Each window's logic is written once against a host (timers, threads, closing)
that GTK or Tk provides; :class:`FakeHost` provides it here, with the
stand-in server over real HTTP. The windows themselves, drawn on a real X
server under a window manager, are in test_windows_desktop.py.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from testkit.file_keyring import FileKeyring
from tests.tray_client.conftest import PASSWORD, USER, StandIn
from tray_client import api, config, i18n
from tray_client.windows import history, search, settings
from tray_client.windows.host import Host, run_in_thread

HELENE = {
    "id": 1, "name": "Hélène Dupont", "company": "ACME", "department": "", "title": "", "email": "",
    "numbers": [{"label": "work", "number": "+44 20 7946 0958", "e164": "+442079460958"}],
}  # fmt: skip


class FakeHost(Host):
    """Timers fired and background results handed over when the test pumps."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.timers: dict[object, Callable[[], None]] = {}
        self.inbox: queue.Queue[Callable[[], None]] = queue.Queue()
        self.closed = False

    def after(self, milliseconds: int, function: Callable[[], None]) -> Any:
        handle = object()
        self.timers[handle] = function
        return handle

    def cancel(self, handle: Any) -> None:
        self.timers.pop(handle, None)

    def in_background(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        run_in_thread(work, lambda result: self.inbox.put(lambda: done(result)))

    def close(self) -> None:
        self.closed = True

    def pump(self, until: Callable[[], Any], timeout_s: float = 15.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not until():
            assert time.monotonic() < deadline, "the window never got there"
            for handle, function in list(self.timers.items()):
                self.timers.pop(handle, None)
                function()
            with contextlib.suppress(queue.Empty):
                self.inbox.get(timeout=0.01)()


class FakeView:
    def __init__(self) -> None:
        self.rows: list[Any] = []
        self.status = ""
        self.index: int | None = None

    def show(self, rows: list[Any], status: str) -> None:
        self.rows, self.status, self.index = rows, status, (0 if rows else None)

    def set_status(self, status: str) -> None:
        self.status = status

    def selected(self) -> int | None:
        return self.index


@pytest.fixture
def sent(monkeypatch) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for module in (search, settings, history):
        monkeypatch.setattr(module, "send", messages.append)
    return messages


def connection(stand_in: StandIn) -> dict[str, Any]:
    return {"url": stand_in.url, "username": USER, "password": PASSWORD, "timeout": 5, "debounce_ms": 0}


def test_enter_while_a_dropped_search_was_running_does_not_dial_a_later_search(stand_in, sent):
    """ "ab" is searched, shortened to "a" before its answer, Enter (nothing to dial), then "abc": the
    answer to "abc" is shown, never dialed on its own."""
    release = threading.Event()

    def slow_search(query: str, limit: int) -> list[dict[str, Any]]:
        if query == "ab":
            release.wait(30)
        return [HELENE]

    stand_in.procedures["phonebook.search"] = slow_search
    host, view = FakeHost(connection(stand_in)), FakeView()
    logic = search.Search(host, view, host.payload)
    logic.typed("ab")
    host.pump(lambda: stand_in.called("phonebook.search"))
    logic.typed("a")
    logic.dial_selected()
    release.set()
    logic.typed("abc")
    host.pump(lambda: logic.rows)
    assert [row.name for row in logic.rows] == ["Hélène Dupont"]
    assert sent == []
    logic.dial_selected()
    assert sent == [
        {"dial": "+442079460958", "name": "Hélène Dupont", "company": "ACME", "number": "+44 20 7946 0958"}
    ]
    assert host.closed


def test_the_numbers_of_a_signature_are_shown_to_choose_from(stand_in, sent):
    choices = [
        {"text": "+44 20 7946 0958", "number": "+44 20 7946 0958", "name": "Hélène Dupont", "company": "ACME",
         "label": "work"},
        {"text": "+44 7700 900123", "number": "+44 7700 900123", "name": "", "company": "",
         "label": "mobile"},
        {"text": 12, "number": "bad item, skipped"},
    ]  # fmt: skip
    host, view = FakeHost({**connection(stand_in), "choices": choices}), FakeView()
    logic = search.Search(host, view, host.payload)
    logic.start()
    assert [(row.name, row.label, row.number) for row in view.rows] == [
        ("Hélène Dupont", "work", "+44 20 7946 0958"),
        ("", "mobile", "+44 7700 900123"),
    ]
    assert view.status.startswith("Numbers found in the clipboard")
    view.index = 1
    logic.dial_selected()
    assert sent == [{"dial": "+44 7700 900123", "name": "", "company": "", "number": "+44 7700 900123"}]
    assert stand_in.calls == []  # nothing asked of the server to show them


def test_a_colleague_s_row_says_their_phone_and_others_say_nothing(stand_in, sent):
    def search_phonebook(query: str, limit: int) -> list[dict[str, Any]]:
        return [
            {**HELENE, "presence": ""},
            {**HELENE, "id": 2, "name": "Hélio Bernard", "presence": "in_use",
             "numbers": [{"label": "work", "number": "1002", "e164": ""}]},
            {**HELENE, "id": 3, "name": "Héloïse Roy", "presence": "unavailable",
             "numbers": [{"label": "work", "number": "1003", "e164": ""}]},
            {**HELENE, "id": 4, "name": "Hélinand Petit", "presence": "on-a-break",  # a value not known yet
             "numbers": [{"label": "work", "number": "1004", "e164": ""}]},
        ]  # fmt: skip

    stand_in.procedures["phonebook.search"] = search_phonebook
    host, view = FakeHost(connection(stand_in)), FakeView()
    logic = search.Search(host, view, host.payload)
    logic.typed("hel")
    host.pump(lambda: view.rows)
    assert [(row.name, row.presence) for row in view.rows] == [
        ("Hélène Dupont", ""),
        ("Hélio Bernard", "on the phone"),
        ("Héloïse Roy", "not connected"),
        ("Hélinand Petit", ""),
    ]
    i18n.set_language(["fr"])
    states = ("idle", "ringing", "in_use", "unavailable", "unknown")
    assert [search.presence_name(state) for state in states] == [
        "disponible", "sonne", "en communication", "non connecté", ""
    ]  # fmt: skip


class FakeSettingsView:
    def __init__(self, url: str, username: str = USER, password: str = PASSWORD, crm: str = "") -> None:
        self.fields = [url, username, password, True, crm]
        self.result = self.warning = ""
        self.busy_now = False

    def values(self) -> tuple[str, str, str, bool]:
        return self.fields[0], self.fields[1], self.fields[2], self.fields[3]  # type: ignore[return-value]

    def incoming_url(self) -> str:
        return str(self.fields[4])

    def set_result(self, text: str) -> None:
        self.result = text

    def set_warning(self, text: str) -> None:
        self.warning = text

    def set_url(self, url: str) -> None:
        self.fields[0] = url

    def busy(self, busy: bool) -> None:
        self.busy_now = busy


def run_form(view: FakeSettingsView, action: str) -> tuple[FakeHost, settings.SettingsForm]:
    host = FakeHost({})
    form = settings.SettingsForm(host, view, config.Settings())
    getattr(form, action)()
    host.pump(lambda: not form.working)
    return host, form


def test_an_address_typed_without_http_is_tried_as_typed_and_said_to_be_http_only(stand_in):
    """ "127.0.0.1:8201" is not "https://127.0.0.1:8201 cannot be reached": its server speaks http."""
    typed = stand_in.url.removeprefix("http://").removesuffix("/rpc/")
    view = FakeSettingsView(typed)
    run_form(view, "test")
    assert view.result == (
        f"This server answers over http only: the address used is {stand_in.url}.\n"
        "Connected: you are Alice Martin (alice), extension 1001."
    )
    assert view.fields[0] == stand_in.url
    assert view.warning == ""  # this machine: nothing crosses the network


def test_a_server_on_another_machine_that_answers_over_http_only_gets_no_password_unasked():
    remote = StandIn(host="127.0.0.2")  # another address: for the tray, another machine
    try:
        typed = remote.url.removeprefix("http://").removesuffix("/rpc/")
        view = FakeSettingsView(typed)
        run_form(view, "test")
        assert view.result == (
            "This server answers over http only: your password would cross the network readable. "
            "To use it anyway, type the address with http:// in front."
        )
        assert remote.calls == [("system.listMethods", ())]  # asked without the password
        view.fields[0] = remote.url  # typed with http://: the user's choice, flagged
        run_form(view, "test")
        assert view.result == "Connected: you are Alice Martin (alice), extension 1001."
    finally:
        remote.close()
    assert settings.url_warning(remote.url).startswith("This address is not encrypted")


def test_plain_http_to_another_machine_is_still_flagged():
    assert settings.url_warning("http://pbx.example.org:8201").startswith("This address is not encrypted")
    assert settings.url_warning("pbx.example.org:8201") == ""  # tried with https first
    assert settings.url_warning("http://127.0.0.1:8201") == ""


def test_settings_messages_never_send_the_user_to_settings(stand_in):
    for url, password in ((stand_in.url, "wrong"), ("http://127.0.0.1:9/rpc/", PASSWORD)):
        view = FakeSettingsView(url, password=password)
        run_form(view, "test")
        assert view.result and "Settings" not in view.result, view.result
    assert view.result == "Cannot reach a server at this address. Check the address and your network."


def test_save_tests_the_credentials_first_and_refused_ones_are_not_saved(
    stand_in, sent, tmp_path, monkeypatch
):
    keyring_file = tmp_path / "keyring.json"
    monkeypatch.setattr("keyring.get_keyring", lambda: FileKeyring(keyring_file))
    monkeypatch.setattr("keyring.set_password", FileKeyring(keyring_file).set_password)
    view = FakeSettingsView(stand_in.url, password="wrong")
    host, _form = run_form(view, "save")
    assert view.result == "Not saved: The server refused this username or password."
    assert not config.config_path().exists() and not keyring_file.exists()
    assert sent == [] and not host.closed
    assert [name for name, _params in stand_in.calls] == ["accounts.whoami"]

    view.fields[2] = PASSWORD
    host, _form = run_form(view, "save")
    assert sent == [{"saved": True}] and host.closed
    assert config.load().server_url == stand_in.url
    assert FileKeyring(keyring_file).get_password(f"Astitray {stand_in.url}", USER) == PASSWORD


def test_the_address_for_incoming_calls_is_checked_then_saved(stand_in, sent, tmp_path, monkeypatch):
    monkeypatch.setattr("keyring.set_password", FileKeyring(tmp_path / "k.json").set_password)
    view = FakeSettingsView(stand_in.url, crm="javascript:alert({number})")
    run_form(view, "save")
    assert view.result == "The address for incoming calls must start with https:// or http://."
    assert sent == [] and not config.config_path().exists() and stand_in.calls == []
    view.fields[4] = " https://crm.example.org/search?phone={e164}&who={name} "
    run_form(view, "save")
    assert sent == [{"saved": True}]
    assert config.load().incoming_url == "https://crm.example.org/search?phone={e164}&who={name}"


def test_save_keeps_the_http_address_that_answered(stand_in, sent, tmp_path, monkeypatch):
    monkeypatch.setattr("keyring.set_password", FileKeyring(tmp_path / "k.json").set_password)
    typed = stand_in.url.removeprefix("http://").removesuffix("/rpc/")
    run_form(FakeSettingsView(typed), "save")
    assert sent == [{"saved": True}]
    assert config.load().server_url == stand_in.url


def test_a_certificate_problem_is_never_retried_over_http(stand_in):
    class Untrusted(api.ApiClient):
        def whoami(self) -> api.WhoAmI:
            if self.credentials.url.startswith("https://"):
                raise api.ServerUnreachable("certificate not trusted", certificate=True)
            raise AssertionError("the password went over plain http")

    with pytest.raises(api.ServerUnreachable):
        settings.try_connection("pbx.example.org", USER, PASSWORD, 5, Untrusted)


def test_the_history_window_lists_filters_and_redials(stand_in, sent):
    calls = [
        {"call_id": "c2", "input": "Mobile: 07700 900123", "number": "00447700900123", "status": "busy",
         "reason": "", "created": "2026-11-26T13:10:00Z", "updated": "2026-11-26T13:10:00Z"},
        {"call_id": "c1", "input": "+44 20 7946 0958", "number": "00442079460958", "status": "answered",
         "reason": "", "created": "2026-11-25T09:00:00Z", "updated": "2026-11-25T09:00:00Z",
         "name": "Hélène Dupont", "direction": "out"},
    ]  # fmt: skip
    stand_in.procedures["dialer.history"] = lambda limit: calls[:limit]
    known = {"c1": {"title": "Hélène Dupont (ACME) — +44 20 7946 0958"}}
    host, view = FakeHost({**connection(stand_in), "known": known}), FakeView()
    logic = history.History(host, view, host.payload)
    logic.start()
    host.pump(lambda: view.rows)
    assert [(row.who, row.number, row.status) for row in view.rows] == [
        ("", "00447700900123", "busy"),
        ("Hélène Dupont (ACME)", "+44 20 7946 0958", "answered"),
    ]
    logic.typed("hele")
    assert [row.call_id for row in view.rows] == ["c1"]
    logic.typed("0958")
    assert [row.call_id for row in view.rows] == ["c1"]
    logic.typed("7700 900")
    assert [row.call_id for row in view.rows] == ["c2"]
    logic.typed("nobody")
    assert view.rows == [] and view.status == "No call matches."
    logic.typed("")
    view.index = 0
    logic.dial_selected()
    assert sent == [{"dial": "Mobile: 07700 900123", "name": "", "number": "00447700900123"}]
