"""The clipboard as "Dial clipboard" sees it: its text, and the numbers the server finds in it.

Thread-safe. A text is sent to the server only when the local check
(:func:`tray_client.phonetext.could_hold_number`) says it may hold a phone
number; each such text is asked once and its numbers remembered. The
clipboard itself is read as little as possible: on X11 the watcher says when
it changed, and between two changes the last read stands (some clipboard
owners serve one reader at a time, slowly for a large text).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from tray_client.callee import Callee
from tray_client.clipboard import Clipboard, ClipboardReader
from tray_client.phonetext import could_hold_number

logger = logging.getLogger(__name__)

CACHE_SIZE = 64
# Why the clipboard holds nothing to dial, beyond clipboard.Clipboard's reasons.
NO_DIGITS = "no_digits"  # no phone number in the text, by the local check (nothing was sent)
INVALID = "invalid"  # the server found no number in the text


@dataclass(frozen=True)
class ClipState:
    """What "Dial clipboard" shows: the clipboard's candidate text and the numbers found in it."""

    text: str = ""
    reason: str = "unread"  # "" when ``text`` is a candidate
    callees: tuple[Callee, ...] = ()  # what the server found, its choice first
    checking: bool = False

    @property
    def number(self) -> str:
        """The dial string of the server's choice ("" until it said)."""
        return self.callees[0].number if self.callees else ""


def has_digit(text: str) -> bool:
    return any(char.isdigit() for char in text)


class ClipboardNumber:
    def __init__(self, reader: ClipboardReader) -> None:
        self.reader = reader
        self.watched = False  # the watcher tells each change
        self._lock = threading.Lock()
        self._state = ClipState()
        self._found: OrderedDict[str, tuple[Callee, ...] | str] = OrderedDict()  # text -> callees or INVALID
        self._changes = 0
        self._last_read: tuple[int, Clipboard] | None = None

    @property
    def state(self) -> ClipState:
        with self._lock:
            return self._state

    def changed(self) -> None:
        """The watcher saw the clipboard change hands."""
        with self._lock:
            self._changes += 1

    def read(self, fresh: bool = False) -> Clipboard:
        """The clipboard: read again, unless it is watched and has not changed since the last read."""
        with self._lock:
            changes, last = self._changes, self._last_read
            if not fresh and self.watched and last is not None and last[0] == changes:
                return last[1]
        content = self.reader.read()
        with self._lock:
            self._last_read = (changes, content)
        return content

    def take(self, content: Clipboard, can_check: bool) -> tuple[bool, str]:
        """Follow ``content``: whether the state changed, and the text to ask the server about (or "")."""
        text = content.text if content.has_text and could_hold_number(content.text) else ""
        reason = "" if text else (content.reason or NO_DIGITS)
        with self._lock:
            if text == self._state.text and reason == self._state.reason:
                return False, ""
            logger.debug("clipboard: %s", "text" if text else reason)
            known = self._found.get(text, ()) if text else ()
            if known == INVALID:
                self._state = ClipState("", INVALID)
                return True, ""
            callees = known if isinstance(known, tuple) else ()
            checking = bool(text) and not callees and can_check
            self._state = ClipState(text, reason, callees, checking)
            return True, text if checking else ""

    def unchecked(self) -> str:
        """The clipboard's text when it still waits for its numbers (the server could not be asked)."""
        with self._lock:
            state = self._state
            if state.text and not state.callees and not state.checking:
                self._state = replace(state, checking=True)
                return state.text
            return ""

    def found(self, text: str, callees: tuple[Callee, ...] | str) -> None:
        """The server's answer for ``text``: the callees, INVALID, or () (it could not say)."""
        if isinstance(callees, tuple):
            logger.debug("clipboard number: %s", callees[0].number if callees else "(unknown)")
        else:
            logger.debug("clipboard number: (none)")
        with self._lock:
            if callees:
                self._found[text] = callees
                self._found.move_to_end(text)
                while len(self._found) > CACHE_SIZE:
                    self._found.popitem(last=False)
            if self._state.text == text:
                if callees == INVALID:
                    self._state = ClipState("", INVALID)
                else:
                    self._state = replace(
                        self._state, callees=callees if isinstance(callees, tuple) else (), checking=False
                    )

    def forget(self) -> None:
        """Another server or user: the numbers found so far no longer hold."""
        with self._lock:
            self._found.clear()
            self._state = ClipState()
