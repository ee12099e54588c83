"""A saved password the server no longer takes never locks the account (or its address) out.

The tray runs (its ticker, its clipboard, a dial, the menu's windows) against
the REAL Astitray server (a live server, django-axes counting failures) with
a wrong password; the server's own log of failed logins must show one
attempt, the first, and none after it, however long the tray keeps running.
"""

from __future__ import annotations

import logging
import time

import pytest

from tests.conftest import ALICE_PASSWORD
from tests.tray_client.conftest import StubIcon
from tests.tray_client.test_app import FakeClipboard, FakeWindows, RecordingNotifier, eventually
from tray_client import app as app_module
from tray_client import config
from tray_client.app import TrayApp
from tray_client.clipboard import Clipboard
from tray_client.redial import RedialBook

pytestmark = pytest.mark.django_db(transaction=True)


def failed_logins(caplog) -> list[str]:
    return [
        record.getMessage() for record in caplog.records if record.getMessage().startswith("login failed")
    ]


def test_after_the_server_refused_the_password_the_tray_never_logs_in_again(
    live_server, alice, caplog, tmp_path, monkeypatch
):
    caplog.set_level(logging.WARNING, logger="accounts.audit")
    # The tray's own rhythm, a hundred times faster: what took it 15 s (and locked alice out in a minute)
    # now takes 0.15 s.
    monkeypatch.setattr(app_module, "RETRY_EVERY_S", 0.15)
    monkeypatch.setattr(app_module, "STATUS_EVERY_S", 0.15)
    url = config.normalize_server_url(live_server.url)
    profile = [
        config.Profile(config.Settings(url, "alice", clipboard_poll_s=0.1, shortcut=""), "not-her-password")
    ]
    clipboard = FakeClipboard(Clipboard("+44 20 7946 0958"))
    tray = TrayApp(
        icon_class=StubIcon,
        load_profile=lambda: profile[0],
        clipboard=clipboard,
        selection=FakeClipboard(Clipboard("+33 1 42 68 53 00")),
        watch_clipboard=False,
        notifier=RecordingNotifier(),
        windows=FakeWindows(),
        redials=RedialBook(tmp_path / "calls.json"),
    )
    try:
        tray.start()
        eventually(lambda: tray.state == "refused")
        # Everything that asks the server, again and again, for a while.
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            clipboard.content = Clipboard(f"+44 20 7946 {int(time.monotonic() * 1000) % 10000:04d}")
            tray.calls.dial_clipboard()
            tray.calls.dial_selection()
            tray.open_search()
            time.sleep(0.1)
        assert len(failed_logins(caplog)) == 1, failed_logins(caplog)
        notifier: RecordingNotifier = tray.notifier  # type: ignore[assignment]
        refused = [body for body in notifier.bodies() if body.startswith("The server refused your username")]
        assert refused[0].endswith("click here or open Settings….")
        assert tray.windows.opened == []  # type: ignore[attr-defined]

        # The user saves the right password in Settings: the tray asks again at once, and is let in.
        profile[0] = config.Profile(profile[0].settings, ALICE_PASSWORD)
        tray.on_window_message("settings", {"saved": True})
        eventually(lambda: tray.state == "ok")
        # (What the tray asks once back, done before the test ends and the server's database goes.)
        eventually(lambda: tray.history is not None and not tray.clip.state.checking)
        assert len(failed_logins(caplog)) == 1
    finally:
        tray.stop()
