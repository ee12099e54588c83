"""The "About" window: the client's version, the server and who you are there.

python -m tray_client.windows.about   (started by the tray)
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Any

from tray_client import __version__
from tray_client.i18n import _
from tray_client.windows.base import ChildWindow


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
    return lines


class AboutWindow(ChildWindow):
    def __init__(self, payload: dict[str, Any] | None = None) -> None:
        super().__init__(_("About Astitray"), payload)
        frame = ttk.Frame(self.root, padding=14)
        frame.pack(fill=tk.BOTH, expand=True)
        lines = about_lines(self.payload)
        ttk.Label(frame, text=lines[0], font=("TkDefaultFont", 12, "bold")).pack(anchor=tk.W)
        ttk.Label(frame, text="\n".join(lines[1:]), wraplength=420, justify=tk.LEFT).pack(anchor=tk.W, pady=8)
        close = ttk.Button(frame, text=_("Close"), command=self.close)
        close.pack(anchor=tk.E)
        close.focus_set()
        self.root.bind("<Return>", lambda _event: self.close())
        self.center(460, 230)


def main() -> None:
    AboutWindow().run()


if __name__ == "__main__":
    main()
