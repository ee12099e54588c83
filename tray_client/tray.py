"""``astitray-tray``: the tray icon (and ``--install`` / ``--uninstall`` of its desktop files).

    astitray-tray                 start the tray icon
    astitray-tray --check         what this desktop offers the tray (windows, icon, clipboard...)
    astitray-tray --install       start at login, and handle tel: and callto: links
    astitray-tray --uninstall     undo --install
    python -m tray_client.tray    the same

Linux picks pystray's AppIndicator backend, then GTK (XEmbed trays), then
plain Xorg; ``PYSTRAY_BACKEND=gtk`` forces one (pystray's own variable).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import IO, Any

from tray_client import __version__, desktop, i18n
from tray_client.i18n import _
from tray_client.redial import state_dir

logger = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    i18n.set_language()
    from tray_client.windows import toolkit

    parser = argparse.ArgumentParser(
        prog="astitray-tray",
        description=_("The Astitray tray icon: click-to-dial from your desktop."),
        # Said in --help too: the first thing someone whose windows never open will run.
        epilog=toolkit.problem() or None,
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--install",
        action="store_true",
        help=_("start the tray at login and make it the handler of tel: links"),
    )
    action.add_argument("--uninstall", action="store_true", help=_("undo --install"))
    action.add_argument(
        "--check",
        action="store_true",
        help=_("say what this desktop offers the tray (windows, icon, clipboard, notifications) and exit"),
    )
    parser.add_argument("--debug", action="store_true", help=_("log everything (to standard error)"))
    parser.add_argument("--version", action="version", version=f"astitray-tray {__version__}")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )

    if args.check:
        from tray_client import check

        logging.getLogger().setLevel(logging.DEBUG if args.debug else logging.WARNING)
        lines, ok = check.report()
        print("\n".join(lines))
        return 0 if ok else 1

    if args.install or args.uninstall:
        if sys.platform in ("win32", "darwin"):
            print(_("--install and --uninstall write XDG desktop files (Linux and other free desktops)."))
            return 2
        try:
            paths = desktop.install() if args.install else desktop.uninstall()
        except OSError as err:
            print(_("Could not write the desktop files: %(error)s") % {"error": err}, file=sys.stderr)
            return 1
        done = _("Written:") if args.install else _("Removed:")
        print(done if paths else _("Nothing to remove."))
        for path in paths:
            print(f"  {path}")
        return 0

    lock = single_instance()
    if lock is None:
        print(_("Astitray is already running."))
        return 0
    _name_the_program()
    updated = desktop.update_link_handler()
    if updated is not None:
        logger.warning("%s dialed links without asking: updated to ask first", updated)
    try:
        import pystray

        from tray_client.app import TrayApp
    except Exception as err:  # the top boundary: no tray backend could start (no display, no GTK...)
        reason = str(err) or type(err).__name__
        print(_("No system tray can be shown here: %(error)s") % {"error": reason}, file=sys.stderr)
        return 1
    logger.info("astitray-tray %s starts (pystray backend %s)", __version__, pystray.Icon.__module__)
    TrayApp(icon_class=tolerant_icon_class(pystray.Icon)).run()
    return 0


def _name_the_program() -> None:
    """Give GTK windows the class "astitray" (before GTK starts), for window managers and tests."""
    try:
        import gi

        gi.require_version("GLib", "2.0")
        from gi.repository import GLib

        GLib.set_prgname("astitray")
        GLib.set_application_name("Astitray")
    except (ImportError, ValueError):
        pass


class _NoNotifications:
    def notify(self, *_args: Any) -> None:
        """pystray's notifications are unused here (tray_client.notify sends them)."""

    def hide(self) -> None:
        """Nothing shown, nothing to hide."""


def tolerant_icon_class(base: type) -> type:
    """``base`` (a pystray Icon class), able to start on a desktop without a D-Bus session bus.

    pystray's GTK backends connect to the session bus for notifications when
    they start, and fail to start without one (a bare X server): this
    subclass starts anyway. The client sends its notifications itself.
    """
    if not hasattr(base, "_initialize"):
        return base

    class AstitrayIcon(base):
        def _initialize(self) -> None:
            try:
                super()._initialize()
            except Exception as err:  # GLib.Error from a third-party backend, at its boundary
                logger.warning("no D-Bus session bus (%s): the tray starts without it", err)
                self._notifier = _NoNotifications()
                self._mark_ready()

    return AstitrayIcon


def single_instance() -> IO[str] | None:
    """A lock held while this tray runs; None when another tray of this user holds it."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock, a second tray is merely a second icon
        return open(os.devnull, "w")
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    folder = Path(runtime) if os.path.isabs(runtime) else state_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle = (folder / "astitray-tray.lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


if __name__ == "__main__":
    sys.exit(main())
