"""The window's side of the protocol with the tray (see the package doc), and a Tk root that keeps it.

Tk is only ever touched from the thread that runs its main loop: work done
in other threads (network calls, the tray's requests) comes back through a
queue that the main loop drains every few milliseconds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import sys
import threading
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from tray_client import api, i18n

logger = logging.getLogger(__name__)

MAX_PAYLOAD = 64 * 1024
POLL_MS = 50


def read_payload() -> dict[str, Any]:
    """The first line the tray wrote on standard input (an empty dict when run by hand)."""
    if sys.stdin is None or sys.stdin.isatty():
        return {}
    line = sys.stdin.readline(MAX_PAYLOAD)
    try:
        payload = json.loads(line) if line.strip() else {}
    except ValueError:
        logger.warning("the tray sent something that is not JSON")
        return {}
    return payload if isinstance(payload, dict) else {}


def send(message: dict[str, Any]) -> None:
    """One JSON line to the tray."""
    try:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        logger.warning("the tray is gone")


class ChildWindow:
    """A Tk root window that talks to the tray and runs slow work in threads."""

    def __init__(self, title: str, payload: dict[str, Any] | None = None) -> None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        i18n.set_language()
        self.payload = read_payload() if payload is None else payload
        self._inbox: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self.root = tk.Tk(className="astitray")
        self.root.title(title)
        self.root.protocol("WM_DELETE_WINDOW", self.close)
        self.root.bind("<Escape>", lambda _event: self.close())
        self._set_icon()
        ttk.Style(self.root).theme_use("clam")
        if sys.stdin is not None and not sys.stdin.isatty():
            threading.Thread(target=self._watch_tray, name="tray-watch", daemon=True).start()
        self.root.after(POLL_MS, self._drain)

    def api_client(self) -> api.ApiClient:
        """A client of the server the tray gave (``config.Profile.connection``)."""
        return api.ApiClient(
            api.Credentials(
                str(self.payload.get("url", "")),
                str(self.payload.get("username", "")),
                str(self.payload.get("password", "")),
            ),
            timeout_s=float(self.payload.get("timeout", api.DEFAULT_TIMEOUT_S)),
        )

    def _set_icon(self) -> None:
        try:
            from PIL import ImageTk

            from tray_client import icons

            self._icon = ImageTk.PhotoImage(icons.image("ok"))
            self.root.iconphoto(True, self._icon)  # type: ignore[arg-type]
        except (ImportError, tk.TclError):
            pass

    def _watch_tray(self) -> None:
        for line in iter(lambda: sys.stdin.readline(MAX_PAYLOAD), ""):
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict) and message.get("raise"):
                self._inbox.put(("raise",))
        self._inbox.put(("close",))  # the tray closed our input: it quit

    def in_background(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """Run ``work()`` in a thread; then ``done(result or exception)`` on the Tk thread."""

        def run() -> None:
            try:
                result: Any = work()
            except Exception as err:  # handed to ``done``, which shows it in plain words
                result = err
            self._inbox.put(("done", done, result))

        threading.Thread(target=run, name="window-work", daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                break
            if item[0] == "raise":
                self.bring_to_front()
            elif item[0] == "close":
                self.close()
                return
            elif item[0] == "done":
                item[1](item[2])
        self.root.after(POLL_MS, self._drain)

    def _mapped(self, event: tk.Event) -> None:
        if event.widget is self.root:
            self.root.focus_force()

    def bring_to_front(self) -> None:
        self.root.deiconify()
        self.root.lift()
        self.root.focus_force()

    def center(self, width: int, height: int) -> None:
        x = max(0, (self.root.winfo_screenwidth() - width) // 2)
        y = max(0, (self.root.winfo_screenheight() - height) // 3)
        self.root.geometry(f"{width}x{height}+{x}+{y}")

    def close(self) -> None:
        with contextlib.suppress(tk.TclError):
            self.root.destroy()

    def run(self) -> None:
        self.bring_to_front()
        # Once mapped, take the keyboard (some window managers, and none at all, do not give it).
        self.root.bind("<Map>", self._mapped)
        self.root.mainloop()
