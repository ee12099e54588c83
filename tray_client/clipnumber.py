"""The clipboard as "Dial clipboard" sees it: its text, and the number the server finds in it.

Thread-safe. The number of each text is asked once (``dialer.normalize``)
and remembered, the clipboard itself is read as little as possible: on X11
the watcher says when it changed, and between two changes the last read
stands (some clipboard owners serve one reader at a time, slowly for a
large text).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from tray_client.clipboard import Clipboard, ClipboardReader

logger = logging.getLogger(__name__)

CACHE_SIZE = 64
# Why the clipboard holds nothing to dial, beyond clipboard.Clipboard's reasons.
NO_DIGITS = "no_digits"
INVALID = "invalid"  # the server found no number in the text


@dataclass(frozen=True)
class ClipState:
    """What "Dial clipboard" shows: the clipboard's candidate text and the number found in it."""

    text: str = ""
    reason: str = "unread"  # "" when ``text`` is a candidate
    number: str = ""  # what would be dialed, once the server said
    checking: bool = False


def has_digit(text: str) -> bool:
    return any(char.isdigit() for char in text)


class ClipboardNumber:
    def __init__(self, reader: ClipboardReader) -> None:
        self.reader = reader
        self.watched = False  # the watcher tells each change
        self._lock = threading.Lock()
        self._state = ClipState()
        self._numbers: OrderedDict[str, str] = OrderedDict()  # text -> number, or INVALID
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
        text = content.text if content.has_text and has_digit(content.text) else ""
        reason = "" if text else (content.reason or NO_DIGITS)
        with self._lock:
            if text == self._state.text and reason == self._state.reason:
                return False, ""
            logger.debug("clipboard: %s", "text" if text else reason)
            known = self._numbers.get(text, "") if text else ""
            if known == INVALID:
                self._state = ClipState("", INVALID)
                return True, ""
            checking = bool(text) and not known and can_check
            self._state = ClipState(text, reason, known, checking)
            return True, text if checking else ""

    def unchecked(self) -> str:
        """The clipboard's text when it still waits for its number (the server could not be asked)."""
        with self._lock:
            state = self._state
            if state.text and not state.number and not state.checking:
                self._state = replace(state, checking=True)
                return state.text
            return ""

    def found(self, text: str, number: str) -> None:
        """The server's answer for ``text``: the number, INVALID, or "" (it could not say)."""
        logger.debug("clipboard number: %s", number or "(unknown)")
        with self._lock:
            if number:
                self._numbers[text] = number
                self._numbers.move_to_end(text)
                while len(self._numbers) > CACHE_SIZE:
                    self._numbers.popitem(last=False)
            if self._state.text == text:
                if number == INVALID:
                    self._state = ClipState("", INVALID)
                else:
                    self._state = replace(self._state, number=number, checking=False)

    def forget(self) -> None:
        """Another server or user: the numbers found so far no longer hold."""
        with self._lock:
            self._numbers.clear()
            self._state = ClipState()
