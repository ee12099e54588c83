"""Whether the desktop asks for a dark style, read where each desktop keeps it.

In order: ``GTK_THEME`` (``Adwaita:dark``), the freedesktop settings portal
(``org.freedesktop.appearance color-scheme``: GNOME 42+, KDE Plasma 5.24+,
any desktop running xdg-desktop-portal), GNOME's own key, then KDE's colour
scheme file. GTK 3 windows do not follow the portal by themselves (only the
theme's name), and Tk follows nothing: both windows ask here.
"""

from __future__ import annotations

import configparser
import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

PORTAL_TIMEOUT_MS = 300


def prefers_dark() -> bool:
    """True when the desktop asks applications for a dark style."""
    theme = os.environ.get("GTK_THEME", "")
    if theme:
        return theme.lower().endswith(":dark") or theme.lower().endswith("-dark")
    for source in (_portal, _gnome, _kde):
        answer = source()
        if answer is not None:
            return answer
    return False


def _portal() -> bool | None:
    """The settings portal's color-scheme (1: prefer dark, 2: prefer light, 0: no preference)."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") and not os.environ.get("XDG_RUNTIME_DIR"):
        return None
    try:
        import gi

        gi.require_version("Gio", "2.0")
        from gi.repository import Gio, GLib

        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        reply = bus.call_sync(
            "org.freedesktop.portal.Desktop",
            "/org/freedesktop/portal/desktop",
            "org.freedesktop.portal.Settings",
            "Read",
            GLib.Variant("(ss)", ("org.freedesktop.appearance", "color-scheme")),
            None,
            Gio.DBusCallFlags.NO_AUTO_START,
            PORTAL_TIMEOUT_MS,
            None,
        )
    except Exception as err:  # no gi, no bus, no portal: other sources will say
        logger.debug("no appearance portal: %s", err)
        return None
    value = reply.unpack()[0]
    while hasattr(value, "unpack"):
        value = value.unpack()
    if value == 1:
        return True
    return False if value == 2 else None


def _gnome() -> bool | None:
    try:
        import gi

        gi.require_version("Gio", "2.0")
        from gi.repository import Gio

        source = Gio.SettingsSchemaSource.get_default()
        schema = source.lookup("org.gnome.desktop.interface", True) if source else None
        if schema is None or not schema.has_key("color-scheme"):
            return None
        scheme = Gio.Settings.new("org.gnome.desktop.interface").get_string("color-scheme")
    except Exception as err:  # no gi or no GNOME schemas
        logger.debug("no GNOME appearance setting: %s", err)
        return None
    return True if scheme == "prefer-dark" else None


def _kde() -> bool | None:
    base = os.environ.get("XDG_CONFIG_HOME") or ""
    path = (Path(base) if os.path.isabs(base) else Path.home() / ".config") / "kdeglobals"
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error, UnicodeDecodeError):
        return None
    scheme = parser.get("General", "ColorScheme", fallback="")
    return True if "dark" in scheme.lower() else None
