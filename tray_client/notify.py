"""Desktop notifications that never block the caller and never crash the client.

On Linux and other free desktops, notifications go to the freedesktop
notification service over D-Bus (GNOME Shell, Plasma, XFCE's notifyd,
dunst...), from a thread of their own with a timeout; a notification may
carry actions (a click on it, its buttons), which come back to a callback.
A bare X server has
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
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
TIMEOUT_MS = 3000
# How long an unavailable service is believed absent before it is looked for again.
RECHECK_S = 60.0

Fallback = Callable[[str, str], None]


@dataclass(frozen=True)
class Notice:
    """One notification. ``key`` groups the messages of one thing (a call): each replaces the last.

    ``actions`` are (id, label) pairs; the id ``"default"`` is a click on the
    notification itself. ``on_action(id)`` is called (from the notifier's
    thread) when the user picks one, where the notification service supports
    actions; elsewhere ``hint`` is added to the body: it says how to do the
    same from the menu.
    """

    title: str
    body: str
    key: str = ""
    actions: tuple[tuple[str, str], ...] = ()
    on_action: Callable[[str], None] | None = field(default=None, compare=False)
    hint: str = ""

    def text(self, with_actions: bool) -> str:
        """The body, with ``hint`` when the actions cannot be shown."""
        return f"{self.body}\n{self.hint}" if self.hint and not with_actions else self.body


class Notifier:
    """Shows notifications; without a notification service, hands each to ``fallback``."""

    def __init__(self, fallback: Fallback | None = None) -> None:
        self.fallback = fallback

    @property
    def available(self) -> bool:
        return False

    @property
    def supports_actions(self) -> bool:
        """Whether notifications show their actions (buttons); without, their ``hint`` is shown."""
        return False

    def show(
        self,
        title: str,
        body: str,
        key: str = "",
        *,
        actions: tuple[tuple[str, str], ...] = (),
        on_action: Callable[[str], None] | None = None,
        hint: str = "",
    ) -> None:
        notice = Notice(title, body, key, actions, on_action, hint)
        logger.info("notification: %s: %s", title, body)
        self.post(notice)

    def post(self, notice: Notice) -> None:
        if self.fallback is not None:
            self.fallback(notice.title, notice.text(with_actions=False))

    def close(self, timeout_s: float = 2.0) -> None:
        """Deliver what is queued (waiting at most ``timeout_s``), then stop."""

    def deliver(self, notice: Notice) -> bool:
        """Show it (from the notifier's own thread); False when it could not be shown."""
        return False

    def deliver_or_fall_back(self, notice: Notice) -> None:
        try:
            delivered = self.deliver(notice)
        except Exception:  # the top of the notification thread: a notification never kills the client
            logger.exception("notification failed")
            delivered = False
        if not delivered and self.fallback is not None:
            self.fallback(notice.title, notice.text(with_actions=False))


class QueuedNotifier(Notifier):
    """A notifier whose deliveries run in its own thread, one after the other."""

    def __init__(self, fallback: Fallback | None = None) -> None:
        super().__init__(fallback)
        self._queue: queue.Queue[Notice | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def post(self, notice: Notice) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="notifications", daemon=True)
                self._thread.start()
        self._queue.put(notice)

    def close(self, timeout_s: float = 2.0) -> None:
        self._queue.put(None)
        with self._lock:
            thread = self._thread
        if thread is not None and thread is not threading.current_thread() and timeout_s > 0:
            thread.join(timeout_s)

    def _serve(self) -> None:
        while True:
            notice = self._queue.get()
            if notice is None:
                return
            self.deliver_or_fall_back(notice)


class FreedesktopNotifier(Notifier):
    """The freedesktop notification service over the D-Bus session bus (PyGObject's Gio).

    Its own thread runs a GLib main loop: notifications are sent from it, one
    after the other, and the service's ``ActionInvoked`` signals (a click on
    a notification, one of its buttons) come back to it.
    """

    def __init__(
        self, fallback: Fallback | None = None, app_name: str = "Astitray", icon_path: str = ""
    ) -> None:
        super().__init__(fallback)
        self.app_name = app_name
        self.icon_path = icon_path
        self._bus: Any = None
        self._available = False
        self._actions = False
        self._checked_at: float | None = None
        self._ids: dict[str, int] = {}  # key -> the id of its notification
        self._handlers: dict[int, Callable[[str], None]] = {}  # notification id -> on_action
        self._subscribed = False
        self._lock = threading.Lock()
        self._context: Any = None
        self._loop: Any = None
        self._thread: threading.Thread | None = None

    @property
    def available(self) -> bool:
        return self._available

    def post(self, notice: Notice) -> None:
        self._run_in_loop(lambda: self.deliver_or_fall_back(notice))

    def close(self, timeout_s: float = 2.0) -> None:
        with self._lock:
            thread, loop = self._thread, self._loop
        if thread is None:
            return
        self._run_in_loop(loop.quit)
        if thread is not threading.current_thread() and timeout_s > 0:
            thread.join(timeout_s)

    def _run_in_loop(self, function: Callable[[], Any]) -> None:
        """Call ``function`` in the notifier's thread, after what was posted before it."""
        from gi.repository import GLib

        with self._lock:
            if self._thread is None:
                ready = threading.Event()
                self._thread = threading.Thread(
                    target=self._serve, args=(ready,), name="notifications", daemon=True
                )
                self._thread.start()
                ready.wait(5)
            context = self._context

        def once(*_args: Any) -> bool:
            function()
            return False

        source = GLib.Idle()
        source.set_callback(once)
        source.attach(context)

    def _serve(self, ready: threading.Event) -> None:
        from gi.repository import GLib

        context = GLib.MainContext.new()
        context.push_thread_default()
        # Set before ``ready``, which the thread that started this one waits for (holding the lock).
        self._context = context
        self._loop = GLib.MainLoop.new(context, False)
        ready.set()
        self._loop.run()

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
            return False
        if not self._subscribed:
            self._subscribe()
        self._actions = "actions" in self._capabilities()
        return True

    def _capabilities(self) -> list[str]:
        """What the notification service says it can do (``actions``: buttons on notifications)."""
        from gi.repository import Gio, GLib

        try:
            reply = self._bus.call_sync(
                SERVICE, PATH, SERVICE, "GetCapabilities", None, GLib.VariantType.new("(as)"),
                Gio.DBusCallFlags.NONE, TIMEOUT_MS, None,
            )  # fmt: skip
        except GLib.Error as err:
            logger.info("the notification service does not say what it can do: %s", err.message)
            return []
        capabilities = [str(name) for name in reply.unpack()[0]]
        logger.info("notification service capabilities: %s", " ".join(capabilities))
        return capabilities

    @property
    def supports_actions(self) -> bool:
        """Whether the service shows the notifications' actions (dunst, GNOME Shell, Plasma do)."""
        return self._actions

    def _subscribe(self) -> None:
        """Hear the service's ActionInvoked and NotificationClosed (delivered to this thread's loop)."""
        from gi.repository import Gio

        for signal in ("ActionInvoked", "NotificationClosed"):
            self._bus.signal_subscribe(
                SERVICE, SERVICE, signal, PATH, None, Gio.DBusSignalFlags.NONE, self._signal, None
            )
        self._subscribed = True

    def _signal(
        self, _bus: Any, _sender: str, _path: str, _iface: str, signal: str, parameters: Any, _data: Any
    ) -> None:
        values = parameters.unpack()
        if signal == "NotificationClosed":
            self._handlers.pop(int(values[0]), None)
            return
        handler = self._handlers.get(int(values[0]))
        if handler is not None:
            logger.info("notification action: %s", values[1])
            try:
                handler(str(values[1]))
            except Exception:  # the action's own code: the notifier carries on
                logger.exception("notification action failed")

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

    def deliver(self, notice: Notice) -> bool:
        from gi.repository import Gio, GLib

        if not self._available and (
            self._checked_at is None or time.monotonic() - self._checked_at > RECHECK_S
        ):
            self.check()
        if not self._available:
            return False
        hints = {"desktop-entry": GLib.Variant("s", "astitray-tray")}
        actions = [part for action in notice.actions for part in action]
        replaces = self._ids.get(notice.key, 0) if notice.key else 0
        try:
            reply = self._bus.call_sync(
                SERVICE,
                PATH,
                SERVICE,
                "Notify",
                GLib.Variant(
                    "(susssasa{sv}i)",
                    (
                        self.app_name,
                        replaces,
                        self.icon_path,
                        notice.title,
                        notice.text(self._actions),
                        actions,
                        hints,
                        -1,
                    ),
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
        identifier = int(reply.unpack()[0])
        if notice.key:
            self._ids[notice.key] = identifier
        self._handlers.pop(replaces, None)
        if notice.on_action is not None and notice.actions:
            self._handlers[identifier] = notice.on_action
        return True


class CommandNotifier(QueuedNotifier):
    """``notify-send``, for a Linux desktop without PyGObject."""

    def deliver(self, notice: Notice) -> bool:
        try:
            result = subprocess.run(  # noqa: S603
                ["notify-send", "--app-name=Astitray", notice.title, notice.text(False)],  # noqa: S607
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

    def post(self, notice: Notice) -> None:
        try:
            self.icon.notify(notice.text(with_actions=False), notice.title)
        except Exception:  # a third-party platform layer: a notification never kills the client
            logger.exception("notification failed")
            if self.fallback is not None:
                self.fallback(notice.title, notice.text(with_actions=False))


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
