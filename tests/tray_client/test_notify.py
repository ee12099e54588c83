"""Desktop notifications over a real D-Bus session bus, with and without a notification service.

The service is a recorder on the bus (GNOME Shell or dunst need a whole
desktop session); the notifier speaks to it exactly as to theirs.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from testkit.services import require_program
from tray_client import notify

gi = pytest.importorskip("gi")
gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

INTERFACE = """
<node><interface name="org.freedesktop.Notifications">
  <method name="Notify">
    <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
    <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
    <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/><arg type="u" direction="out"/>
  </method>
  <method name="GetCapabilities"><arg type="as" direction="out"/></method>
</interface></node>
"""


class NotificationService:
    """Owns org.freedesktop.Notifications on the bus and records each Notify (its id: 100, 101...);
    says it can do ``capabilities`` (dunst: actions, body, ...)."""

    def __init__(self, address: str, capabilities: tuple[str, ...] = ("actions", "body")) -> None:
        self.address = address
        self.capabilities = list(capabilities)
        self.received: list[tuple[Any, ...]] = []
        self.ready = threading.Event()
        self.loop: Any = None
        threading.Thread(target=self._serve, daemon=True).start()
        assert self.ready.wait(15)

    def _serve(self) -> None:
        context = GLib.MainContext.new()
        context.push_thread_default()
        self.loop = GLib.MainLoop.new(context, False)
        flags = Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION
        connection = Gio.DBusConnection.new_for_address_sync(self.address, flags, None, None)
        self.connection = connection
        interface = Gio.DBusNodeInfo.new_for_xml(INTERFACE).interfaces[0]
        connection.register_object(notify.PATH, interface, self._call, None, None)
        connection.call_sync(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "RequestName",
            GLib.Variant("(su)", (notify.SERVICE, 4)), GLib.VariantType.new("(u)"),
            Gio.DBusCallFlags.NONE, 5000, None,
        )  # fmt: skip
        self.ready.set()
        self.loop.run()

    def _call(self, _connection, _sender, _path, _interface, method, parameters, invocation) -> None:
        if method == "GetCapabilities":
            invocation.return_value(GLib.Variant("(as)", (self.capabilities,)))
            return
        self.received.append(tuple(parameters.unpack()))
        invocation.return_value(GLib.Variant("(u)", (99 + len(self.received),)))

    def invoke(self, identifier: int, action: str) -> None:
        """What a notification daemon does when the user clicks: ActionInvoked to the notifying program."""

        def emit(*_args: Any) -> bool:
            self.connection.emit_signal(
                None, notify.PATH, notify.SERVICE, "ActionInvoked", GLib.Variant("(us)", (identifier, action))
            )
            return False

        source = GLib.Idle()
        source.set_callback(emit)
        source.attach(self.loop.get_context())

    def stop(self) -> None:
        """Leave the bus (the name goes with the connection: the next service can own it)."""
        self.connection.close_sync(None)
        self.loop.quit()


@pytest.fixture(scope="module")
def session_bus() -> Iterator[str]:
    daemon = require_program("dbus-daemon", "dbus-daemon")
    process = subprocess.Popen(
        [daemon, "--session", "--nofork", "--print-address=1"], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    address = process.stdout.readline().strip()
    yield address
    process.terminate()
    process.wait(10)


def test_without_then_with_a_notification_service(session_bus, monkeypatch):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session_bus)
    monkeypatch.setattr(notify, "RECHECK_S", 0.0)
    fallback: list[tuple[str, str]] = []
    notifier = notify.FreedesktopNotifier(
        lambda title, body: fallback.append((title, body)), icon_path="/x.png"
    )
    notifier.show("Astitray", "nobody listens")
    notifier.close(15)
    assert fallback == [("Astitray", "nobody listens")]
    assert not notifier.available

    service = NotificationService(session_bus)
    try:
        notifier = notify.FreedesktopNotifier(
            lambda title, body: fallback.append((title, body)), icon_path="/x.png"
        )
        notifier.show("Astitray", "Calling 0123 — pick up your phone", key="call-1")
        notifier.show("Astitray", "Your phone answered: 0123 is being called.", key="call-1")
        notifier.show("Astitray", "another", key="")
        notifier.close(15)
    finally:
        service.stop()
    assert notifier.available
    assert fallback == [("Astitray", "nobody listens")]
    first, second, third = service.received
    assert first[:6] == ("Astitray", 0, "/x.png", "Astitray", "Calling 0123 — pick up your phone", [])
    assert second[:5] == ("Astitray", 100, "/x.png", "Astitray", "Your phone answered: 0123 is being called.")
    assert third[1] == 0  # a message of its own replaces nothing
    assert first[6] == {"desktop-entry": "astitray-tray"}


def test_no_session_bus_at_all(monkeypatch):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")
    shown: list[str] = []
    notifier = notify.FreedesktopNotifier(lambda title, body: shown.append(body))
    # Gio keeps the first session bus of the process: look for it as a new process would.
    monkeypatch.setattr(
        Gio, "bus_get_sync", lambda *args: Gio.DBusConnection.new_for_address_sync("disabled:", 0)
    )
    notifier.show("Astitray", "still said")
    notifier.close(15)
    assert shown == ["still said"]
    assert not notifier.available


def test_the_default_notifier_on_linux():
    assert isinstance(notify.default_notifier(), notify.FreedesktopNotifier)


def test_a_click_on_a_notification_comes_back_to_its_action(session_bus, monkeypatch):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session_bus)
    service = NotificationService(session_bus)
    clicked = threading.Event()
    actions: list[str] = []
    notifier = notify.FreedesktopNotifier()

    def clicked_on(action: str) -> None:
        actions.append(action)
        clicked.set()

    try:
        notifier.show("Astitray", "no action here")
        notifier.show(
            "Astitray",
            "The server refused your password: click here or open Settings….",
            key="refused",
            actions=(("default", "Open Settings"),),
            on_action=clicked_on,
        )
        deadline = time.monotonic() + 15
        while len(service.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        plain, refused = service.received
        assert plain[5] == [] and refused[5] == ["default", "Open Settings"]
        service.invoke(100, "default")  # a click on the first: it has no action, nothing happens
        service.invoke(101, "default")  # a click on the second
        assert clicked.wait(15)
        assert actions == ["default"]
    finally:
        notifier.close(15)
        service.stop()


@pytest.mark.parametrize("capabilities", [("actions", "body"), ("body",)], ids=["buttons", "no-buttons"])
def test_actions_where_the_service_shows_them_else_the_hint_says_what_to_do(
    session_bus, monkeypatch, capabilities
):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session_bus)
    service = NotificationService(session_bus, capabilities)
    chosen: list[str] = []
    notifier = notify.FreedesktopNotifier()
    try:
        notifier.show(
            "Missed call", "Marie Dubois — 01 42 68 53 00, 14:12", key="missed-1",
            actions=(("call_back", "Call back"), ("copy", "Copy number")), on_action=chosen.append,
            hint="To call back: the menu.",
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while not service.received and time.monotonic() < deadline:
            time.sleep(0.05)
        (shown,) = service.received
        assert notifier.supports_actions == ("actions" in capabilities)
        if "actions" in capabilities:
            assert shown[4] == "Marie Dubois — 01 42 68 53 00, 14:12"
            service.invoke(100, "copy")
            deadline = time.monotonic() + 15
            while not chosen and time.monotonic() < deadline:
                time.sleep(0.05)
            assert chosen == ["copy"]
        else:
            assert shown[4] == "Marie Dubois — 01 42 68 53 00, 14:12\nTo call back: the menu."
    finally:
        notifier.close(15)
        service.stop()
