"""What every window shares, whatever its toolkit: the protocol with the tray, and a host for its logic.

The tray writes one JSON line on the window's standard input (what it needs,
the password included, so that it never shows on a command line); the window
answers JSON lines on its standard output. ``{"raise": true}`` brings it to
the front; the window closes when its standard input closes.

A window's logic (``search.Search``, ``settings.SettingsForm``…) is written
once against :class:`Host`: timers, work in a thread whose result comes back
on the UI thread, closing. The GTK and Tk hosts (``windows/gtk``,
``windows/tk``) provide them; tests provide a host without a display.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from tray_client import api

logger = logging.getLogger(__name__)

MAX_PAYLOAD = 64 * 1024


def read_payload() -> dict[str, Any]:
    """The first line the tray wrote on standard input (an empty dict when run by hand)."""
    if sys.stdin is None or sys.stdin.isatty():
        return {}
    line = sys.stdin.readline(MAX_PAYLOAD)
    try:
        payload = json.loads(line) if line.strip() else {}
    except ValueError:
        logger.warning("the tray sent something that is not JSON")
        return {}
    return payload if isinstance(payload, dict) else {}


def send(message: dict[str, Any]) -> None:
    """One JSON line to the tray."""
    try:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        logger.warning("the tray is gone")


def watch_tray(on_raise: Callable[[], None], on_close: Callable[[], None]) -> None:
    """Follow the tray's later lines in a thread: ``on_raise`` for each ``{"raise": true}``, ``on_close``
    once the tray closed our input (both called from that thread)."""
    if sys.stdin is None or sys.stdin.isatty():
        return

    def watch() -> None:
        for line in iter(lambda: sys.stdin.readline(MAX_PAYLOAD), ""):
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict) and message.get("raise"):
                on_raise()
        on_close()

    threading.Thread(target=watch, name="tray-watch", daemon=True).start()


def api_client(payload: dict[str, Any]) -> api.ApiClient:
    """A client of the server the tray gave (``config.Profile.connection``)."""
    try:
        timeout_s = float(payload.get("timeout", api.DEFAULT_TIMEOUT_S))
    except (TypeError, ValueError):
        timeout_s = api.DEFAULT_TIMEOUT_S
    return api.ApiClient(
        api.Credentials(
            str(payload.get("url", "")),
            str(payload.get("username", "")),
            str(payload.get("password", "")),
            str(payload.get("token", "")),
        ),
        timeout_s=timeout_s,
    )


class Host(ABC):
    """The toolkit's services a window's logic uses. Every method is called on the UI thread."""

    payload: dict[str, Any]

    @abstractmethod
    def after(self, milliseconds: int, function: Callable[[], None]) -> Any:
        """Call ``function`` once, ``milliseconds`` from now; returns a handle for :meth:`cancel`."""

    @abstractmethod
    def cancel(self, handle: Any) -> None:
        """Forget a call planned by :meth:`after` (one already made is no error)."""

    @abstractmethod
    def in_background(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """Run ``work()`` in a thread; then ``done(result or the exception it raised)`` on the UI thread."""

    @abstractmethod
    def close(self) -> None:
        """Close the window (and end its process)."""


def run_in_thread(work: Callable[[], Any], deliver: Callable[[Any], None]) -> None:
    """``work()`` in a daemon thread, its result (or exception) handed to ``deliver`` from that thread."""

    def run() -> None:
        try:
            result: Any = work()
        except Exception as err:  # handed over: the window shows it in plain words
            result = err
        deliver(result)

    threading.Thread(target=run, name="window-work", daemon=True).start()
