"""The "Call … with your desk phone?" window, asked before dialing a clicked ``tel:`` or ``callto:`` link.

``astitray-dial --from-link`` starts it (see :func:`tray_client.dial.ask`)
and dials only when it answers ``{"call": true}``. It shows the link as
given at once, then the number the server will actually dial
(``dialer.normalize``) and whose number it is (``phonebook.lookup``) when
the server answers, in the background.

Enter or "Call" calls; Escape, "Cancel" or closing the window cancels
(``{"call": false, "reason": "cancel"}``). Nobody answering in
``expire_s`` (60 s) cancels too (``"reason": "expired"``). The window takes
the keyboard when it shows, but "Call" and Enter only work a moment later
(:data:`ARM_MS`): a page that opens a link while the user is typing cannot
have a key meant for something else dial.

What astitray-dial writes on its standard input: ``url``, ``username``,
``password``, ``timeout`` (the tray's settings), ``link`` (as clicked),
``text`` (what will be sent to ``dialer.dial``), ``expire_s``, and
``arm_ms`` (tests only).

    python -m tray_client.windows.confirm   (started by astitray-dial)
"""

from __future__ import annotations

import logging
import sys
import tkinter as tk
from tkinter import ttk
from typing import Any

from tray_client import api
from tray_client.i18n import _
from tray_client.messages import describe
from tray_client.windows.base import ChildWindow, send

logger = logging.getLogger(__name__)

EXPIRE_S = 60.0
ARM_MS = 700
SHOWN_LENGTH = 120


def shorten(text: str, length: int = SHOWN_LENGTH) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def question(found: str, normalized: api.Normalized | None) -> str:
    """The window's question: the number the server will dial when it said, else the number as found."""
    number = normalized.number if normalized is not None and normalized.number else found
    return _("Call %(number)s with your desk phone?") % {"number": shorten(number, 60)}


def check_line(result: api.Normalized | Exception | None) -> str:
    """What the server said of the number: nothing yet, the number it will dial, or why it could not say."""
    if result is None:
        return _("Checking the number with the server…")
    if isinstance(result, Exception):
        return _("The server could not check the number: %(reason)s") % {"reason": describe(result)}
    if result.internal:
        return _("Number dialed: %(number)s (an internal extension)") % {"number": result.number}
    return _("Number dialed: %(number)s") % {"number": result.number}


def contact_line(contact: api.Contact | None) -> str:
    """Whose number it is, from the phonebook ("" when nobody's)."""
    if contact is None:
        return ""
    company = contact.organisation
    return f"{contact.name} ({company})" if company else contact.name


class ConfirmWindow(ChildWindow):
    def __init__(self, payload: dict[str, Any] | None = None) -> None:
        super().__init__(_("Call this number? — Astitray"), payload)
        self.client = self.api_client()
        self.link = str(self.payload.get("link", ""))
        self.found = str(self.payload.get("text", "")) or self.link
        self.answered = False
        self.armed = False
        self.arm_ms = int(self.payload.get("arm_ms", ARM_MS))

        frame = ttk.Frame(self.root, padding=14)
        frame.pack(fill=tk.BOTH, expand=True)
        self.heading = tk.StringVar(value=question(self.found, None))
        ttk.Label(frame, textvariable=self.heading, font=("TkDefaultFont", 12, "bold"), wraplength=480).pack(
            anchor=tk.W
        )
        self.contact = tk.StringVar()
        ttk.Label(frame, textvariable=self.contact, wraplength=480).pack(anchor=tk.W, pady=(4, 0))
        ttk.Label(
            frame, text=_("Link: %(link)s") % {"link": shorten(self.link)}, wraplength=480, justify=tk.LEFT
        ).pack(anchor=tk.W, pady=(8, 0))
        self.check = tk.StringVar(value=check_line(None))
        ttk.Label(frame, textvariable=self.check, wraplength=480, justify=tk.LEFT).pack(anchor=tk.W)
        ttk.Label(
            frame,
            text=_("A link asked to call this number. Call only if you clicked it yourself."),
            wraplength=480,
            foreground="#555555",
        ).pack(anchor=tk.W, pady=(8, 10))
        buttons = ttk.Frame(frame)
        buttons.pack(fill=tk.X, side=tk.BOTTOM)
        self.call_button = ttk.Button(buttons, text=_("Call"), command=self.call, default="active")
        self.call_button.pack(side=tk.RIGHT)
        self.call_button.state(["disabled"])
        ttk.Button(buttons, text=_("Cancel"), command=self.cancel).pack(side=tk.RIGHT, padx=6)
        self.root.bind("<Return>", lambda _event: self.call())
        self.root.bind("<KP_Enter>", lambda _event: self.call())
        self.root.attributes("-topmost", True)
        # Armed a moment after the window is actually on screen (not after it was asked for).
        self._arming = False
        self.root.bind("<Visibility>", self._shown, add="+")
        expire_s = float(self.payload.get("expire_s", EXPIRE_S))
        self.root.after(int(expire_s * 1000), self.expire)
        self.center(520, 250)
        if self.client.credentials.complete:
            self.in_background(lambda: self.client.normalize(self.found), self._normalized)
        else:
            self.check.set("")

    def _shown(self, event: tk.Event) -> None:
        if event.widget is self.root and not self.armed and not self._arming:
            self._arming = True
            self.root.after(self.arm_ms, self._arm)

    def _arm(self) -> None:
        if self.armed:
            return
        self.armed = True
        self.call_button.state(["!disabled"])
        self.call_button.focus_set()
        logger.info("confirm window ready")

    def _normalized(self, result: Any) -> None:
        if isinstance(result, api.Normalized):
            self.heading.set(question(self.found, result))
            logger.info("confirm number shown: %s", result.number)
            self.in_background(lambda: self.client.lookup(result.e164 or self.found), self._looked_up)
        else:
            logger.info("confirm number not checked: %s", type(result).__name__)
        self.check.set(check_line(result))

    def _looked_up(self, result: Any) -> None:
        if isinstance(result, Exception):
            # An older server without phonebook.lookup, or no answer: the name is a nicety.
            logger.info("confirm name not found: %s", type(result).__name__)
            return
        self.contact.set(contact_line(result))
        logger.info("confirm name shown: %s", contact_line(result) or "-")

    def call(self) -> None:
        if not self.armed or self.answered:
            return  # a key pressed before the question could be read
        self.answered = True
        send({"call": True})
        self.close()

    def cancel(self) -> None:
        self._refuse("cancel")

    def expire(self) -> None:
        self._refuse("expired")

    def _refuse(self, reason: str) -> None:
        if not self.answered:
            self.answered = True
            send({"call": False, "reason": reason})
        super().close()

    def close(self) -> None:
        # Escape, the window's close button, the caller gone: no call.
        self._refuse("cancel")


def main() -> int:
    try:
        window = ConfirmWindow()
    except tk.TclError as err:
        logging.getLogger(__name__).error("cannot show the question: %s", err)
        return 1
    window.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
