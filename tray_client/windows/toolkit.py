"""Which toolkit draws the windows: GTK 3 where the desktop has it, Tk elsewhere, or a clear "none".

On Linux and the other free desktops the tray already needs GTK 3 through
PyGObject (pystray's backends, the notifications): its windows use it too,
so they look like the desktop's own (theme, dark style, fonts, HiDPI) and
follow its keyboard conventions. Windows and macOS use Tk, which ships with
their Python. ``ASTITRAY_TOOLKIT=gtk`` or ``tk`` forces one.

:func:`problem` says, in plain words, what to install when there is none:
the tray shows it as a notification and ``astitray-tray --check`` prints it.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys

from tray_client.i18n import _

logger = logging.getLogger(__name__)

TOOLKITS = ("gtk", "tk")


def has_gtk() -> bool:
    """PyGObject with GTK 3's typelib (nothing is loaded yet: cheap)."""
    if importlib.util.find_spec("gi") is None:
        return False
    try:
        import gi

        gi.require_version("Gtk", "3.0")
        gi.require_version("Gdk", "3.0")
    except (ImportError, ValueError):
        return False
    return True


def has_tk() -> bool:
    """tkinter with its Tcl/Tk library (Debian puts it in python3-tk)."""
    try:
        return (
            importlib.util.find_spec("tkinter") is not None
            and importlib.util.find_spec("_tkinter") is not None
        )
    except (ImportError, ValueError):
        return False


def choose() -> str:
    """``gtk``, ``tk``, or "" when this Python can draw no window."""
    forced = os.environ.get("ASTITRAY_TOOLKIT", "").strip().lower()
    if forced in TOOLKITS:
        return forced if (has_gtk() if forced == "gtk" else has_tk()) else ""
    if sys.platform not in ("win32", "darwin") and has_gtk():
        return "gtk"
    return "tk" if has_tk() else ""


def problem() -> str:
    """Why no window can open here and what to install ("" when one can)."""
    if choose():
        return ""
    if sys.platform in ("win32", "darwin"):
        return _(
            "Astitray's windows cannot open: this Python has no Tk. Install Python from python.org "
            "(it includes Tk)."
        )
    return _(
        "Astitray's windows cannot open: GTK 3 for Python is missing. Install the packages "
        "python3-gi and gir1.2-gtk-3.0 (or the astitray-tray package, which brings them)."
    )


def run(name: str) -> int:
    """Show window ``name`` with the chosen toolkit until it closes; the process's exit code.

    1 when no toolkit can draw it (the reason goes to the log: the tray, which
    started us, says it in a notification).
    """
    from tray_client import i18n

    i18n.set_language()  # before any text of the window is made
    toolkit = choose()
    if not toolkit:
        logging.basicConfig(level=logging.INFO)
        logger.error("%s", problem())
        return 1
    module = importlib.import_module(f"tray_client.windows.{toolkit}.{name}")
    return int(module.main() or 0)
