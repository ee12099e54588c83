"""The search window's logic on a real X server (Xvfb), driven in this process without a window manager."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import pytest

from tests.tray.conftest import PASSWORD, USER
from tray_client.windows import search

pytestmark = pytest.mark.service

HELENE = {
    "id": 1, "name": "Hélène Dupont", "company": "ACME", "department": "", "title": "", "email": "",
    "numbers": [{"label": "work", "number": "+44 20 7946 0958", "e164": "+442079460958"}],
}  # fmt: skip


@pytest.fixture
def window(desktop, stand_in, monkeypatch) -> Any:
    monkeypatch.setenv("DISPLAY", desktop.display)
    monkeypatch.setattr(sys, "stdin", None)  # no tray on the other end
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(search, "send", sent.append)
    opened = search.SearchWindow(
        {"url": stand_in.url, "username": USER, "password": PASSWORD, "debounce_ms": 0}
    )
    opened.sent = sent  # type: ignore[attr-defined]
    yield opened
    opened.close()


def pump(window: Any, until: Any, timeout_s: float = 15.0) -> None:
    """Run the window's event loop until ``until()`` (generous: never a timing assertion)."""
    deadline = time.monotonic() + timeout_s
    while not until():
        assert time.monotonic() < deadline, "the window never got there"
        window.root.update()
        time.sleep(0.01)


def test_enter_while_a_dropped_search_was_running_does_not_dial_a_later_search(window, stand_in):
    """ "ab" is searched, shortened to "a" before its answer, Enter (nothing to dial), then "abc": the
    answer to "abc" is shown, never dialed on its own."""
    release = threading.Event()

    def slow_search(query: str, limit: int) -> list[dict[str, Any]]:
        if query == "ab":
            release.wait(30)
        return [HELENE]

    stand_in.procedures["phonebook.search"] = slow_search
    window.query.set("ab")
    window.search()
    pump(window, lambda: stand_in.called("phonebook.search"))
    window.query.set("a")
    window.search()
    window.dial_selected()
    release.set()
    window.query.set("abc")
    window.search()
    pump(window, lambda: window.rows)
    assert [row.name for row in window.rows] == ["Hélène Dupont"]
    assert window.sent == []
    window.dial_selected()
    assert window.sent == [{"dial": "+442079460958", "name": "Hélène Dupont"}]
