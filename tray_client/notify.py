"""Desktop notifications that never block the caller and never crash the client.

On Linux and other free desktops, notifications go to the freedesktop
notification service over D-Bus (GNOME Shell, Plasma, XFCE's notifyd,
dunst...), from a thread of their own with a timeout. A bare X server has
no such service, or no session bus at all: then the notifier says it is
unavailable and hands each message to a fallback (the tray shows it in its
tooltip), and every message is logged anyway. Windows and macOS use
pystray's own notifications.
"""

from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
TIMEOUT_MS = 3000
# How long an unavailable service is believed absent before it is looked for again.
RECHECK_S = 60.0

Fallback = Callable[[str, str], None]


class Notifier:
    """Shows a notification; ``key`` groups the messages of one call so that each replaces the last."""

    def __init__(self, fallback: Fallback | None = None) -> None:
        self.fallback = fallback

    @property
    def available(self) -> bool:
        return False

    def show(self, title: str, body: str, key: str = "") -> None:
        logger.info("notification: %s: %s", title, body)
        if self.fallback is not None:
            self.fallback(title, body)

    def close(self, timeout_s: float = 2.0) -> None:
        """Deliver what is queued (waiting at most ``timeout_s``), then stop."""


class QueuedNotifier(Notifier):
    """A notifier whose deliveries run in its own thread, one after the other."""

    def __init__(self, fallback: Fallback | None = None) -> None:
        super().__init__(fallback)
        self._queue: queue.Queue[tuple[str, str, str] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def show(self, title: str, body: str, key: str = "") -> None:
        logger.info("notification: %s: %s", title, body)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="notifications", daemon=True)
                self._thread.start()
        self._queue.put((title, body, key))

    def close(self, timeout_s: float = 2.0) -> None:
        self._queue.put(None)
        with self._lock:
            thread = self._thread
        if thread is not None and thread is not threading.current_thread() and timeout_s > 0:
            thread.join(timeout_s)

    def _serve(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            title, body, key = item
            try:
                delivered = self.deliver(title, body, key)
            except Exception:  # the top of the notification thread: a notification never kills the client
                logger.exception("notification failed")
                delivered = False
            if not delivered and self.fallback is not None:
                self.fallback(title, body)

    def deliver(self, title: str, body: str, key: str) -> bool:
        """Show it; False when it could not be shown."""
        raise NotImplementedError


class FreedesktopNotifier(QueuedNotifier):
    """The freedesktop notification service over the D-Bus session bus (PyGObject's Gio)."""

    def __init__(
        self, fallback: Fallback | None = None, app_name: str = "Astitray", icon_path: str = ""
    ) -> None:
        super().__init__(fallback)
        self.app_name = app_name
        self.icon_path = icon_path
        self._bus: Any = None
        self._available = False
        self._checked_at: float | None = None
        self._ids: dict[str, int] = {}

    @property
    def available(self) -> bool:
        return self._available

    def check(self) -> bool:
        """Whether a notification service is there now (connects to the session bus if need be)."""
        from gi.repository import Gio, GLib

        self._checked_at = time.monotonic()
        try:
            if self._bus is None:
                self._bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
            owned = self._dbus("NameHasOwner", GLib.Variant("(s)", (SERVICE,)))
            activatable = self._dbus("ListActivatableNames", None)
        except GLib.Error as err:
            logger.info("no desktop notifications (no D-Bus session bus: %s)", err.message)
            self._available = False
            return False
        self._available = bool(owned[0]) or SERVICE in activatable[0]
        if not self._available:
            logger.info("no desktop notifications: no notification service on the session bus")
        return self._available

    def _dbus(self, method: str, parameters: Any) -> Any:
        from gi.repository import Gio

        return self._bus.call_sync(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            method,
            parameters,
            None,
            Gio.DBusCallFlags.NONE,
            TIMEOUT_MS,
            None,
        ).unpack()

    def deliver(self, title: str, body: str, key: str) -> bool:
        from gi.repository import Gio, GLib

        if not self._available and (
            self._checked_at is None or time.monotonic() - self._checked_at > RECHECK_S
        ):
            self.check()
        if not self._available:
            return False
        hints = {"desktop-entry": GLib.Variant("s", "astitray-tray")}
        try:
            reply = self._bus.call_sync(
                SERVICE,
                PATH,
                SERVICE,
                "Notify",
                GLib.Variant(
                    "(susssasa{sv}i)",
                    (self.app_name, self._ids.get(key, 0), self.icon_path, title, body, [], hints, -1),
                ),
                GLib.VariantType.new("(u)"),
                Gio.DBusCallFlags.NONE,
                TIMEOUT_MS,
                None,
            )
        except GLib.Error as err:
            logger.warning("the notification service did not take the notification: %s", err.message)
            self._available = False
            return False
        if key:
            self._ids[key] = reply.unpack()[0]
        return True


class CommandNotifier(QueuedNotifier):
    """``notify-send``, for a Linux desktop without PyGObject."""

    def deliver(self, title: str, body: str, key: str) -> bool:
        try:
            result = subprocess.run(  # noqa: S603
                ["notify-send", "--app-name=Astitray", title, body],  # noqa: S607
                capture_output=True,
                timeout=TIMEOUT_MS / 1000,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return False
        return result.returncode == 0


class IconNotifier(Notifier):
    """pystray's own notifications (Windows balloons, macOS notifications)."""

    def __init__(self, icon: Any, fallback: Fallback | None = None) -> None:
        super().__init__(fallback)
        self.icon = icon

    @property
    def available(self) -> bool:
        return bool(getattr(self.icon, "HAS_NOTIFICATION", False))

    def show(self, title: str, body: str, key: str = "") -> None:
        logger.info("notification: %s: %s", title, body)
        try:
            self.icon.notify(body, title)
        except Exception:  # a third-party platform layer: a notification never kills the client
            logger.exception("notification failed")
            if self.fallback is not None:
                self.fallback(title, body)


def default_notifier(icon: Any = None, fallback: Fallback | None = None, icon_path: str = "") -> Notifier:
    """The best notifier for this platform."""
    if sys.platform in ("win32", "darwin"):
        return IconNotifier(icon, fallback) if icon is not None else Notifier(fallback)
    try:
        import gi

        gi.require_version("Gio", "2.0")
        from gi.repository import Gio  # noqa: F401
    except (ImportError, ValueError):
        if shutil.which("notify-send"):
            return CommandNotifier(fallback)
        return Notifier(fallback)
    return FreedesktopNotifier(fallback, icon_path=icon_path)
