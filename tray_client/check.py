"""``astitray-tray --check``: what this desktop offers the tray, and what to install when something lacks.

One line per part: the windows' toolkit, the tray icon's backend, the
clipboard tool, notifications, the keyring, the settings, the shortcut and
the tel: link handler. Exits 1 when the tray cannot work fully here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from tray_client import __version__, config, hotkey
from tray_client.clipboard import platform_tools
from tray_client.i18n import _
from tray_client.windows import toolkit


@dataclass(frozen=True)
class Line:
    part: str
    text: str
    ok: bool = True


def windows_line() -> Line:
    chosen = toolkit.choose()
    if chosen:
        return Line(_("Windows"), "GTK 3" if chosen == "gtk" else "Tk")
    return Line(_("Windows"), toolkit.problem(), ok=False)


def tray_line() -> Line:
    if sys.platform not in ("win32", "darwin") and not os.environ.get("DISPLAY"):
        return Line(_("Tray icon"), _("no X display here (DISPLAY is not set)"), ok=False)
    try:
        import pystray

        backend = pystray.Icon.__module__.rsplit("_", 1)[-1]
    except Exception as err:  # whatever a backend raises when it cannot start here
        return Line(_("Tray icon"), _("cannot be shown: %(error)s") % {"error": err}, ok=False)
    return Line(_("Tray icon"), backend)


def clipboard_line() -> Line:
    tools = platform_tools()
    if tools:
        return Line(_("Clipboard"), tools[0].name)
    if (
        sys.platform not in ("win32", "darwin")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        return Line(_("Clipboard"), _("no display here"), ok=False)
    return Line(_("Clipboard"), _("cannot be read: install xclip (X11) or wl-clipboard (Wayland)."), ok=False)


def notifications_line() -> Line:
    from tray_client.notify import FreedesktopNotifier, default_notifier

    notifier = default_notifier()
    if isinstance(notifier, FreedesktopNotifier):
        found = notifier.check()
        text = (
            _("the desktop's notification service")
            if found
            else _("none running: messages go to the tooltip")
        )
        return Line(_("Notifications"), text)
    return Line(_("Notifications"), type(notifier).__name__)


def keyring_line() -> Line:
    import keyring
    import keyring.backends.fail

    try:
        missing = isinstance(keyring.get_keyring(), keyring.backends.fail.Keyring)
    except Exception:  # a broken backend: said as missing
        missing = True
    if missing:
        reason = _("no system keyring was found (install GNOME Keyring or KWallet).")
        return Line(_("Keyring"), reason, ok=False)
    return Line(_("Keyring"), config.keyring_name())


def settings_lines() -> list[Line]:
    settings = config.load()
    path = str(config.config_path())
    lines = [keyring_line()]
    if settings.configured:
        lines.append(Line(_("Settings"), f"{settings.server_url} ({settings.username}), {path}"))
    else:
        lines.append(Line(_("Settings"), _("not set up yet (%(path)s)") % {"path": path}))
    if not settings.shortcut:
        lines.append(Line(_("Shortcut"), _("off")))
    elif os.environ.get("WAYLAND_DISPLAY") or sys.platform in ("win32", "darwin"):
        shortcut = _(
            "%(keys)s cannot be grabbed here: bind astitray-dial --selection in the desktop's "
            "keyboard settings"
        )
        lines.append(Line(_("Shortcut"), shortcut % {"keys": settings.shortcut}))
    else:
        lines.append(Line(_("Shortcut"), hotkey.parse(settings.shortcut).label))
    return lines


def link_handler_line() -> Line:
    tool = shutil.which("xdg-mime")
    if tool is None:
        return Line(_("tel: links"), _("unknown (no xdg-mime)"))
    result = subprocess.run(  # noqa: S603
        [tool, "query", "default", "x-scheme-handler/tel"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    handler = result.stdout.strip()
    return Line(_("tel: links"), handler or _("no handler: run astitray-tray --install"))


def report() -> tuple[list[str], bool]:
    """The lines to print, and whether everything the tray needs is there."""
    lines = [
        windows_line(),
        tray_line(),
        clipboard_line(),
        notifications_line(),
        *settings_lines(),
        link_handler_line(),
    ]
    width = max(len(line.part) for line in lines)
    text = [f"astitray-tray {__version__}, Python {sys.version.split()[0]} ({sys.executable})"]
    text += [f"{'✗' if not line.ok else '✓'} {line.part.ljust(width)}  {line.text}" for line in lines]
    return text, all(line.ok for line in lines)
