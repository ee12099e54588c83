"""The "About" window in Tk (its text: tray_client.windows.about)."""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Any

from tray_client.i18n import _
from tray_client.windows.about import about_lines, title
from tray_client.windows.tk.base import TkWindow


class AboutWindow(TkWindow):
    def __init__(self, payload: dict[str, Any] | None = None) -> None:
        super().__init__(title(), payload)
        lines = about_lines(self.payload)
        ttk.Label(self.frame, text=lines[0], font=("TkDefaultFont", 12, "bold")).pack(anchor=tk.W)
        ttk.Label(self.frame, text="\n".join(lines[1:]), wraplength=420, justify=tk.LEFT).pack(
            anchor=tk.W, pady=8
        )
        close = ttk.Button(self.frame, text=_("Close"), command=self.close)
        close.pack(anchor=tk.E)
        self.first = close
        self.center(460, 250)

    def default_action(self) -> None:
        self.close()


def main() -> int:
    return AboutWindow().run()
