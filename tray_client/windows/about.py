"""The "About" window: the client's version, the server and who you are there.

This module is the window's text, whatever draws it (``windows/gtk/``, ``windows/tk/``).

    python -m tray_client.windows.about   (started by the tray)
"""

from __future__ import annotations

import sys
from typing import Any

from tray_client import __version__
from tray_client.i18n import _


def title() -> str:
    return _("About Astitray")


def about_lines(payload: dict[str, Any]) -> list[str]:
    """The lines of the window, from what the tray knows."""
    lines = [
        _("Astitray tray client %(version)s") % {"version": payload.get("version") or __version__},
        _("Click-to-dial from your desktop: the server rings your desk phone, then calls the number."),
        "",
    ]
    server = str(payload.get("server_url", ""))
    lines.append(_("Server: %(url)s") % {"url": server} if server else _("Server: not set up yet"))
    if payload.get("server_version"):
        lines.append(_("Server version: %(version)s") % {"version": payload["server_version"]})
    if payload.get("status"):
        lines.append(str(payload["status"]).replace("\n", " — "))
    if payload.get("shortcut"):
        lines.append(_("Shortcut to dial the selected text: %(keys)s") % {"keys": payload["shortcut"]})
    return lines


def main() -> int:
    from tray_client.windows import toolkit

    return toolkit.run("about")


if __name__ == "__main__":
    sys.exit(main())
