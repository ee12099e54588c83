"""Missed calls: the incoming calls nobody answered, from ``dialer.history``, and which ones are new.

The server lists incoming calls in ``dialer.history`` with ``direction: "in"``
and status ``answered`` or ``missed`` (docs/api.md); a server without them
lists none, and the tray shows no "Missed calls" then. A missed call is new
until the user calls it back or marks the missed calls as seen; what was
seen is kept in a small JSON file in the XDG state folder, beside the
recent calls' (:mod:`tray_client.redial`), so that a restart does not count
old calls again.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from tray_client.redial import state_dir
from tray_client.values import CallInfo

logger = logging.getLogger(__name__)

MAX_SEEN = 500
MAX_FILE_BYTES = 64 * 1024


def is_missed(call: CallInfo) -> bool:
    return call.direction == "in" and call.status == "missed"


def missed_calls(history: Iterable[CallInfo] | None) -> list[CallInfo]:
    """The missed incoming calls of ``history``, in its order (newest first)."""
    return [call for call in history or () if is_missed(call) and call.call_id]


class SeenCalls:
    """The call ids of the missed calls the user has seen (called back, or marked as seen)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_dir() / "missed.json"
        self._lock = threading.Lock()
        self._seen: list[str] | None = None

    def unseen(self, missed: Iterable[CallInfo]) -> list[CallInfo]:
        with self._lock:
            seen = set(self._load())
        return [call for call in missed if call.call_id not in seen]

    def mark(self, call_ids: Iterable[str]) -> None:
        """Remember ``call_ids`` as seen (the oldest forgotten beyond ``MAX_SEEN``)."""
        with self._lock:
            seen = self._load()
            known = set(seen)
            added = [call_id for call_id in dict.fromkeys(call_ids) if call_id and call_id not in known]
            if not added:
                return
            self._seen = (seen + added)[-MAX_SEEN:]
            self._save(self._seen)

    def _load(self) -> list[str]:
        if self._seen is not None:
            return self._seen
        try:
            if self.path.stat().st_size > MAX_FILE_BYTES:
                data: object = []
            else:
                data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = []
        except (OSError, ValueError) as err:
            logger.warning("ignoring the missed calls file %s: %s", self.path, err)
            data = []
        self._seen = [item for item in data if isinstance(item, str)] if isinstance(data, list) else []
        return self._seen

    def _save(self, seen: list[str]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=self.path.parent, prefix=".missed-", delete=False
            ) as handle:
                json.dump(seen, handle)
            os.replace(handle.name, self.path)
        except OSError as err:
            logger.warning("cannot write the missed calls file %s: %s", self.path, err)
