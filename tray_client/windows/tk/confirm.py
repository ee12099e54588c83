"""The question before a clicked link is dialed, in Tk (its logic: tray_client.windows.confirm)."""

from __future__ import annotations

import logging
import tkinter as tk
from tkinter import ttk
from typing import Any

from tray_client.i18n import _
from tray_client.windows.confirm import Confirm, link_line, title, warning_line
from tray_client.windows.tk.base import TkWindow

logger = logging.getLogger(__name__)


class ConfirmWindow(TkWindow):
    def __init__(self, payload: dict[str, Any] | None = None) -> None:
        super().__init__(title(), payload)
        self.heading = tk.StringVar()
        ttk.Label(
            self.frame, textvariable=self.heading, font=("TkDefaultFont", 12, "bold"), wraplength=480
        ).pack(anchor=tk.W)
        ttk.Label(self.frame, text=link_line(str(self.payload.get("link", ""))), wraplength=480).pack(
            anchor=tk.W, pady=(8, 0)
        )
        self.check = tk.StringVar()
        ttk.Label(self.frame, textvariable=self.check, wraplength=480, style="Dim.TLabel").pack(anchor=tk.W)
        ttk.Label(self.frame, text=warning_line(), wraplength=480, style="Dim.TLabel").pack(
            anchor=tk.W, pady=(8, 10)
        )
        buttons = ttk.Frame(self.frame)
        buttons.pack(fill=tk.X, side=tk.BOTTOM)
        self.logic = Confirm(self, self, self.payload)
        self.call_button = ttk.Button(buttons, text=_("Call"), command=self.logic.call, default="active")
        self.call_button.pack(side=tk.RIGHT)
        self.call_button.state(["disabled"])
        cancel = ttk.Button(buttons, text=_("Cancel"), command=self.logic.cancel)
        cancel.pack(side=tk.RIGHT, padx=6)
        self.root.attributes("-topmost", True)
        self.root.bind("<Visibility>", self._visible, add="+")
        self.center(540, 260)
        self.first = cancel
        self.logic.start()

    def _visible(self, event: tk.Event) -> None:
        if event.widget is self.root:
            self.logic.shown()

    def escape(self) -> None:
        self.logic.cancel()

    def default_action(self) -> None:
        self.logic.call()

    # -- ConfirmView -----------------------------------------------------------------------------

    def set_question(self, text: str) -> None:
        self.heading.set(text)

    def set_check(self, text: str) -> None:
        self.check.set(text)

    def arm(self) -> None:
        self.call_button.state(["!disabled"])
        self.call_button.focus_set()


def main() -> int:
    try:
        window = ConfirmWindow()
    except tk.TclError as err:
        logger.error("cannot show the question: %s", err)
        return 1
    return window.run()
