"""A global keyboard shortcut on X11: dial the selected text (or the clipboard) from any application.

``[shortcut] dial_selection = Ctrl+Alt+P`` in tray.ini (the default; empty
turns it off). The tray grabs the key combination on the X server's root
window with python-xlib (pystray's own dependency on Linux), whatever
NumLock and CapsLock are, and is told of each press in a thread of its own.

Wayland does not let a program grab keys: there, and wherever the grab is
refused (another program holds the combination), the desktop's own
keyboard settings can run ``astitray-dial --selection`` instead (see
docs/tray.md).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT = "Ctrl+Alt+P"
# Modifier names people write (and GTK's accelerator names), to X11 modifier masks.
_MODIFIERS = {
    "ctrl": 1 << 2,
    "control": 1 << 2,
    "primary": 1 << 2,
    "shift": 1 << 0,
    "alt": 1 << 3,
    "mod1": 1 << 3,
    "super": 1 << 6,
    "win": 1 << 6,
    "meta": 1 << 6,
    "mod4": 1 << 6,
}
LOCK_MASK, NUM_LOCK_MASK = 1 << 1, 1 << 4  # CapsLock and (usually) NumLock: pressed or not, the same shortcut


class ShortcutError(ValueError):
    """A shortcut that cannot be understood; the message says why."""


@dataclass(frozen=True)
class Shortcut:
    modifiers: int
    key: str  # an X keysym name: "p", "F9", "space"

    @property
    def label(self) -> str:
        names = [
            name
            for name, mask in (("Ctrl", 4), ("Shift", 1), ("Alt", 8), ("Super", 64))
            if self.modifiers & mask
        ]
        return "+".join([*names, self.key.upper() if len(self.key) == 1 else self.key])


def parse(text: str) -> Shortcut:
    """``Ctrl+Alt+P``, ``<Control><Alt>p`` or ``super+F9``. Raises :class:`ShortcutError`."""
    parts = [
        part for part in text.replace("<", "+").replace(">", "+").replace("-", "+").split("+") if part.strip()
    ]
    if not parts:
        raise ShortcutError("no key")
    *modifiers, key = (part.strip() for part in parts)
    mask = 0
    for name in modifiers:
        if name.lower() not in _MODIFIERS:
            raise ShortcutError(f"unknown modifier {name!r}")
        mask |= _MODIFIERS[name.lower()]
    if not mask:
        raise ShortcutError("a global shortcut needs Ctrl, Alt or Super")
    return Shortcut(mask, key.lower() if len(key) == 1 else key)


class GlobalShortcut:
    """Calls ``pressed()`` (from its own thread) each time ``shortcut`` is pressed anywhere on X11."""

    def __init__(self, shortcut: Shortcut, pressed: Callable[[], None]) -> None:
        self.shortcut = shortcut
        self.pressed = pressed
        self.problem = ""
        self._display: Any = None

    def start(self) -> bool:
        """Grab the keys; False (and :attr:`problem` says why) when they cannot be grabbed here."""
        if not os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
            self.problem = "no X11 display (Wayland lets no program grab keys)"
            return False
        try:
            from Xlib import XK, X, error
            from Xlib import display as xdisplay

            connection = xdisplay.Display()
            keysym = XK.string_to_keysym(self.shortcut.key)
            keycode = connection.keysym_to_keycode(keysym) if keysym else 0
            if not keycode:
                connection.close()
                self.problem = f"no key {self.shortcut.key!r} on this keyboard"
                return False
            refused = error.CatchError(error.BadAccess)
            root = connection.screen().root
            for extra in (0, LOCK_MASK, NUM_LOCK_MASK, LOCK_MASK | NUM_LOCK_MASK):
                root.grab_key(
                    keycode,
                    self.shortcut.modifiers | extra,
                    True,
                    X.GrabModeAsync,
                    X.GrabModeAsync,
                    onerror=refused,
                )
            connection.sync()
        except Exception as err:  # python-xlib missing or the X server said no
            self.problem = f"{type(err).__name__}: {err}"
            return False
        if refused.get_error():
            connection.close()
            self.problem = "another program already uses this shortcut"
            return False
        self._display = connection
        self._keycode = keycode
        threading.Thread(target=self._watch, name="shortcut", daemon=True).start()
        logger.info("shortcut %s grabbed", self.shortcut.label)
        return True

    def _watch(self) -> None:
        from Xlib import X

        wanted = self.shortcut.modifiers
        while True:
            try:
                event = self._display.next_event()
            except Exception:  # the connection closed (stop, quit): no more shortcut
                return
            if event.type == X.KeyPress and event.detail == self._keycode and event.state & wanted == wanted:
                logger.info("shortcut pressed")
                self.pressed()

    def stop(self) -> None:
        if self._display is not None:
            display, self._display = self._display, None
            try:
                display.close()
            except Exception:  # already broken: nothing left to release
                logger.debug("shortcut connection already closed")
