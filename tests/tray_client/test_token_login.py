"""Settings' "Log in": an API token made with the password once, only the token kept, the tray sending it.

Against the REAL server (a live server: accounts.create_token, Bearer,
revocation, django-axes counting failures) where it matters, the stand-in
elsewhere. A revoked token is a refused password: said once, a click opens
Settings, and the server sees one failed attempt however long the tray runs.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import keyring
import pytest

from testkit.file_keyring import FileKeyring
from tests.conftest import ALICE_PASSWORD
from tests.tray_client.conftest import StubIcon
from tests.tray_client.test_app import FakeClipboard, FakeWindows, RecordingNotifier, eventually
from tests.tray_client.test_search_window import FakeHost, FakeSettingsView
from tests.tray_client.test_stale_password import failed_logins
from tray_client import app as app_module
from tray_client import config
from tray_client.app import TrayApp
from tray_client.clipboard import Clipboard
from tray_client.redial import RedialBook
from tray_client.windows import settings


@pytest.fixture
def sent(monkeypatch) -> list[dict[str, Any]]:
    """What the Settings window tells the tray."""
    messages: list[dict[str, Any]] = []
    monkeypatch.setattr(settings, "send", messages.append)
    return messages


@pytest.fixture
def keyring_file(tmp_path):
    """The keyring library with a JSON file behind it (conftest puts the null keyring back after)."""
    path = tmp_path / "keyring.json"
    keyring.set_keyring(FileKeyring(path))
    return path


def entries(path) -> dict[str, str]:
    """The keyring file's entries: "service\\0username" -> secret."""
    return FileKeyring(path)._load()


def run(view: FakeSettingsView, action: str, token: str = "") -> settings.SettingsForm:
    """The Settings window's logic as the window runs it: on the settings saved, with the kept token."""
    form = settings.SettingsForm(FakeHost({}), view, config.load(), token=token)
    getattr(form, action)()
    form.host.pump(lambda: not form.working)  # type: ignore[attr-defined]
    return form


def log_in(url: str, password: str = ALICE_PASSWORD) -> FakeSettingsView:
    view = FakeSettingsView(url, "alice", password)
    run(view, "log_in")
    return view


def make_tray(tmp_path, load_profile=config.load_profile) -> TrayApp:
    return TrayApp(
        icon_class=StubIcon,
        load_profile=load_profile,
        clipboard=FakeClipboard(Clipboard("+44 20 7946 0958")),
        selection=FakeClipboard(Clipboard("")),
        watch_clipboard=False,
        notifier=RecordingNotifier(),
        windows=FakeWindows(),
        redials=RedialBook(tmp_path / "calls.json"),
    )


@pytest.mark.django_db(transaction=True)
def test_log_in_keeps_only_a_token_the_tray_sends_it_and_logging_in_again_revokes_the_old_one(
    live_server, alice, keyring_file, sent, tmp_path
):
    from accounts.models import ApiToken

    url = config.normalize_server_url(live_server.url)
    # A password saved before, then "Log in": the password goes, the token stays.
    config.store_password(config.Settings(url, "alice"), ALICE_PASSWORD)
    view = log_in(live_server.url)
    assert sent == [{"saved": True}], view.result
    (row,) = ApiToken.objects.filter(user=alice)
    assert row.label.startswith("Astitray tray")
    (token,) = entries(keyring_file).values()
    assert list(entries(keyring_file)) == [f"Astitray token {url}\0alice"]
    assert token.startswith("astk_") and ALICE_PASSWORD not in entries(keyring_file).values()
    assert config.load().token_id == row.pk
    assert (
        "astk_" not in config.config_path().read_text()
        and ALICE_PASSWORD not in config.config_path().read_text()
    )

    profile = config.load_profile()
    assert (profile.password, profile.token) == ("", token)
    tray = make_tray(tmp_path)
    try:
        tray.start()
        eventually(lambda: tray.state == "ok")
        assert tray.who is not None and tray.who.username == "alice"
        row.refresh_from_db()
        assert row.last_used is not None  # the tray came with the token
        eventually(lambda: tray.history is not None)
    finally:
        tray.stop()

    # Logging in again (another day): a new token, the previous one revoked, still one kept.
    log_in(url)
    (new_row,) = ApiToken.objects.filter(user=alice)
    assert new_row.pk != row.pk and config.load().token_id == new_row.pk
    (new_token,) = entries(keyring_file).values()
    assert new_token != token


@pytest.mark.django_db(transaction=True)
def test_a_revoked_token_is_said_once_opens_settings_and_is_never_sent_again(  # noqa: PLR0917 (fixtures)
    live_server, alice, keyring_file, sent, caplog, tmp_path, monkeypatch
):
    from accounts import tokens

    caplog.set_level(logging.WARNING, logger="accounts.audit")
    monkeypatch.setattr(app_module, "RETRY_EVERY_S", 0.15)
    monkeypatch.setattr(app_module, "STATUS_EVERY_S", 0.15)
    log_in(live_server.url)
    tray = make_tray(tmp_path)
    try:
        tray.start()
        eventually(lambda: tray.state == "ok")
        eventually(lambda: tray.history is not None)
        tokens.revoke_all(alice)  # on the web page, or by an admin
        eventually(lambda: tray.state == "refused")
        notifier: RecordingNotifier = tray.notifier  # type: ignore[assignment]
        notice = (
            "The server no longer accepts this computer's login (its token was revoked, or your account "
            "changed). Astitray will not try again until you log in again: click here or open Settings…."
        )
        eventually(lambda: notice in notifier.bodies())
        time.sleep(1.0)  # the status checks go on meanwhile (every 0.15 s): nothing more is said
        assert notifier.bodies().count(notice) == 1
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:  # everything that asks the server, again and again
            tray.calls.dial_clipboard()
            tray.open_search()  # said again, in the same notification ("refused"), not asked
            time.sleep(0.1)
        assert len(failed_logins(caplog)) == 1, failed_logins(caplog)
        assert {key for _title, body, key in notifier.shown if body == notice} == {"refused"}
        assert notifier.actions[-1][0] == (("default", "Open Settings"),)
        notifier.actions[-1][1]("default")  # the click on it
        eventually(lambda: tray.windows.opened)  # type: ignore[attr-defined]
        ((name, payload),) = tray.windows.opened  # type: ignore[attr-defined]
        assert name == "settings" and payload["focus"] == "password"

        # Logged in again: a new token, and the tray is back at once.
        log_in(live_server.url)
        tray.on_window_message("settings", {"saved": True})
        eventually(lambda: tray.state == "ok")
        eventually(lambda: tray.history is not None and not tray.clip.state.checking)
        assert len(failed_logins(caplog)) == 1
    finally:
        tray.stop()


def test_a_wrong_password_makes_no_token_and_keeps_nothing(stand_in, keyring_file, sent):
    view = FakeSettingsView(stand_in.url, password="wrong")
    run(view, "log_in")
    assert view.result == "Not logged in: The server refused this username or password."
    assert sent == [] and not keyring_file.exists() and not config.config_path().exists()
    assert stand_in.called("accounts.create_token") == []


def test_a_server_without_tokens_says_so_and_keeps_nothing(stand_in, keyring_file, sent):
    del stand_in.procedures["accounts.create_token"]
    view = FakeSettingsView(stand_in.url)
    run(view, "log_in")
    assert view.result == (
        "Not logged in: The Astitray server does not offer this yet: it may need an update."
    )
    assert sent == [] and not keyring_file.exists()


def test_with_a_token_kept_test_and_save_need_no_password_until_the_account_changes(
    stand_in, keyring_file, sent
):
    run(FakeSettingsView(stand_in.url), "log_in")
    (token,) = stand_in.tokens
    current = config.load()
    view = FakeSettingsView(stand_in.url, password="")
    form = settings.SettingsForm(FakeHost({}), view, current, token=token)
    host = form.host
    form.test()
    host.pump(lambda: not form.working)  # type: ignore[attr-defined]
    assert view.result == "Connected: you are Alice Martin (alice), extension 1001."
    before = len(stand_in.tokens)
    view.fields[3] = False  # "Ask before calling a link" unticked: saved with the token kept
    form.save()
    host.pump(lambda: not form.working)  # type: ignore[attr-defined]
    assert sent[-1] == {"saved": True}
    assert config.load().confirm_links is False and len(stand_in.tokens) == before
    assert config.load_profile().token == token

    view = FakeSettingsView(stand_in.url, username="bob", password="")
    form = settings.SettingsForm(FakeHost({}), view, current, token=token)
    form.test()
    assert view.result == "Enter your password."  # another account: the token is not theirs


def test_save_with_the_password_keeps_it_and_revokes_the_token(stand_in, keyring_file, sent):
    run(FakeSettingsView(stand_in.url), "log_in")
    (token_id,) = stand_in.tokens.values()
    view = FakeSettingsView(stand_in.url, password=ALICE_PASSWORD)
    form = settings.SettingsForm(FakeHost({}), view, config.load(), token="x")
    form.save()
    form.host.pump(lambda: not form.working)  # type: ignore[attr-defined]
    assert stand_in.tokens == {} and stand_in.revoked == [token_id]
    profile = config.load_profile()
    assert (profile.password, profile.token, profile.settings.token_id) == (ALICE_PASSWORD, "", 0)
