"""The "Call … with your desk phone?" window, asked before dialing a clicked ``tel:`` or ``callto:`` link.

``astitray-dial --from-link`` starts it (see :func:`tray_client.dial.ask`)
and dials only when it answers ``{"call": true}``. It shows the link as
given at once, then, when the server answers, the number as people write it
(``dialer.normalize``) and whose number it is (``phonebook.lookup``):
"Call Hélène Dupont (ACME) — +44 20 7946 0958 with your desk phone?".

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

This module is the window's logic, whatever draws it (``windows/gtk/``, ``windows/tk/``).

    python -m tray_client.windows.confirm   (started by astitray-dial)
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Protocol

from tray_client import api
from tray_client.callee import Callee, Resolver
from tray_client.i18n import _
from tray_client.messages import describe
from tray_client.windows.host import Host, api_client, send

logger = logging.getLogger(__name__)

EXPIRE_S = 60.0
ARM_MS = 700
SHOWN_LENGTH = 120


def title() -> str:
    return _("Call this number? — Astitray")


def shorten(text: str, length: int = SHOWN_LENGTH) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def question(found: str, callee: Callee | None) -> str:
    """The window's question: whom the server will call when it said, else the number as found."""
    shown = callee.title if callee is not None else found
    return _("Call %(number)s with your desk phone?") % {"number": shorten(shown, 80)}


def check_line(result: tuple[Callee, ...] | Exception | None) -> str:
    """What the server said of the number: nothing yet, that it checked it, or why it could not say."""
    if result is None:
        return _("Checking the number with the server…")
    if isinstance(result, Exception):
        return _("The server could not check the number: %(reason)s") % {"reason": describe(result)}
    return ""


def contact_line(contact: api.Contact | None) -> str:
    """Whose number it is, from the phonebook ("" when nobody's)."""
    if contact is None:
        return ""
    company = contact.organisation
    return f"{contact.name} ({company})" if company else contact.name


def link_line(link: str) -> str:
    return _("Link: %(link)s") % {"link": shorten(link)}


def warning_line() -> str:
    return _("A link asked to call this number. Call only if you clicked it yourself.")


class ConfirmView(Protocol):
    def set_question(self, text: str) -> None: ...

    def set_check(self, text: str) -> None: ...

    def arm(self) -> None:
        """Let "Call" and Enter work (and give "Call" the keyboard)."""


class Confirm:
    """What the question's window does; ``view`` shows it, ``host`` runs its timers and threads."""

    def __init__(self, host: Host, view: ConfirmView, payload: dict[str, Any]) -> None:
        self.host = host
        self.view = view
        self.client = api_client(payload)
        self.link = str(payload.get("link", ""))
        self.found = str(payload.get("text", "")) or self.link
        self.arm_ms = int(payload.get("arm_ms", ARM_MS))
        self.expire_s = float(payload.get("expire_s", EXPIRE_S))
        self.answered = False
        self.armed = False
        self._arming = False
        self.callee: Callee | None = None

    def start(self) -> None:
        self.view.set_question(question(self.found, None))
        self.host.after(int(self.expire_s * 1000), self.expire)
        if self.client.credentials.complete:
            self.view.set_check(check_line(None))
            resolver = Resolver(lambda: self.client)
            self.host.in_background(lambda: resolver.resolve(self.found), self._resolved)

    def shown(self) -> None:
        """The window is on screen: arm "Call" a moment later (not from when it was asked for)."""
        if not self.armed and not self._arming:
            self._arming = True
            self.host.after(self.arm_ms, self._arm)

    def _arm(self) -> None:
        if not self.armed:
            self.armed = True
            self.view.arm()
            logger.info("confirm window ready")

    def _resolved(self, result: Any) -> None:
        if isinstance(result, tuple) and result:
            callee: Callee = result[0]
            self.callee = callee
            self.view.set_question(question(self.found, callee))
            logger.info("confirm number shown: %s", callee.shown_number)
            logger.info("confirm name shown: %s", callee.who or "-")
        else:
            logger.info("confirm number not checked: %s", type(result).__name__)
        self.view.set_check(check_line(result))

    def call(self) -> None:
        if not self.armed or self.answered:
            return  # a key pressed before the question could be read
        self.answered = True
        send({"call": True, "title": self.callee.title if self.callee is not None else ""})
        self.host.close()

    def cancel(self) -> None:
        """Escape, "Cancel", the window's close button, the caller gone: no call."""
        self._refuse("cancel")

    def expire(self) -> None:
        self._refuse("expired")

    def _refuse(self, reason: str) -> None:
        if not self.answered:
            self.answered = True
            send({"call": False, "reason": reason})
        self.host.close()


def main() -> int:
    from tray_client.windows import toolkit

    return toolkit.run("confirm")


if __name__ == "__main__":
    sys.exit(main())
