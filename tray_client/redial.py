"""What was given for each call this desktop placed, and whom it called, for "Recent calls".

``dialer.history`` gives the number as it was dialed, after the server's
rewriting (outside-line and international prefixes). Sending that number
back through the rewriting could prefix it twice, so a redial sends what
was given the first time: the server's ``input`` key when it answers one,
else the text this desktop remembers for that call here, else the number.
The book also keeps whom each call went to as people read it ("Hélène
Dupont (Acme) — +33 1 42 68 53 00"), for the menu and the history window.
It is a small JSON file in the XDG state folder, shared by the tray and
``astitray-dial`` (which also learns from it that a call it placed is one
already placed: the server answers a redial within seconds with the same call).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import threading
from pathlib import Path

from tray_client.api import CallInfo

logger = logging.getLogger(__name__)

MAX_ENTRIES = 200
MAX_FILE_BYTES = 256 * 1024


def state_dir() -> Path:
    """``$XDG_STATE_HOME/astitray`` (``~/.local/state/astitray``; ``%LOCALAPPDATA%\\Astitray`` on Windows)."""
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "Astitray"
    base = os.environ.get("XDG_STATE_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / "astitray"


class RedialBook:
    """call_id -> ``{"text", "title"}`` of that call, newest last, at most ``MAX_ENTRIES``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_dir() / "calls.json"
        self._lock = threading.Lock()

    def remember(self, call_id: str, text: str, title: str = "") -> bool:
        """Keep what was given for ``call_id`` and whom it called; False when the call was known already."""
        if not call_id or not text:
            return True
        with self._lock:
            entries = self._load()
            known = entries.pop(call_id, None) is not None
            entries[call_id] = {"text": text, "title": title}
            while len(entries) > MAX_ENTRIES:
                entries.pop(next(iter(entries)))
            self._save(entries)
        return not known

    def text_for(self, call: CallInfo) -> str:
        """What to send to redial ``call``."""
        if call.input:
            return call.input
        with self._lock:
            remembered = self._load().get(call.call_id, {}).get("text", "")
        return remembered or call.number

    def titles(self) -> dict[str, str]:
        """call_id -> whom it called, for the calls remembered with one."""
        with self._lock:
            return {key: entry["title"] for key, entry in self._load().items() if entry.get("title")}

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            if self.path.stat().st_size > MAX_FILE_BYTES:
                return {}
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            logger.warning("ignoring the recent calls file %s: %s", self.path, err)
            return {}
        if not isinstance(data, dict):
            return {}
        entries = {}
        for key, value in data.items():
            if isinstance(value, str):  # written by an earlier version: the text alone
                entries[str(key)] = {"text": value, "title": ""}
            elif isinstance(value, dict) and isinstance(value.get("text"), str):
                entries[str(key)] = {"text": value["text"], "title": str(value.get("title", ""))}
        return entries

    def _save(self, entries: dict[str, dict[str, str]]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=self.path.parent, prefix=".calls-", delete=False
            ) as handle:
                json.dump(entries, handle)
            os.replace(handle.name, self.path)
        except OSError as err:
            logger.warning("cannot write the recent calls file %s: %s", self.path, err)
