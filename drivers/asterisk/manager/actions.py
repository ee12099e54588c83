"""ActionIDs, and the table of actions waiting for their answer.

Several threads share one AMI connection: each sends an action with a
unique ActionID and waits on its own :class:`Pending` entry; the reader
thread resolves the entry whose ActionID the answer carries. A lost
connection fails every entry at once (:class:`~drivers.base.AnswerLost`),
and every later :meth:`PendingTable.add` (:class:`~drivers.base.RequestNotSent`:
nothing was sent, so a new connection may send it).
"""

from __future__ import annotations

import itertools
import logging
import os
import secrets
import threading
from collections.abc import Callable

from drivers.asterisk.manager.protocol import Message
from drivers.base import AnswerLost, DriverError, RequestNotSent

logger = logging.getLogger(__name__)

CONNECTION_LOST = "the connection to the PBX was lost"


class ActionIds:
    """Unique ActionIDs: ``<prefix>-<n>``, the prefix random per process and connection."""

    def __init__(self, prefix: str = "astitray") -> None:
        self.prefix = f"{prefix}-{os.getpid()}-{secrets.token_hex(3)}"
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            return f"{self.prefix}-{next(self._counter)}"


# Called by the reader thread with the answer, before the waiting thread wakes up.
ReplyHook = Callable[[Message], None]


class Pending:
    """One action waiting for its answer."""

    def __init__(self, action_id: str, on_reply: ReplyHook | None = None) -> None:
        self.action_id = action_id
        self.on_reply = on_reply
        self._done = threading.Event()
        self._message: Message | None = None
        self._error: DriverError | None = None

    def resolve(self, message: Message) -> None:
        self._message = message
        self._done.set()

    def fail(self, error: DriverError) -> None:
        self._error = error
        self._done.set()

    def wait(self, timeout: float) -> Message:
        """The answer.

        :raises AnswerLost: no answer within ``timeout`` seconds, or the
            connection was lost first (the error it was failed with).
        """
        if not self._done.wait(max(timeout, 0.0)):
            raise AnswerLost("the PBX did not answer in time")
        if self._error is not None:
            raise self._error
        assert self._message is not None
        return self._message


class PendingTable:
    """ActionID -> :class:`Pending`, shared by the sending threads and the reader thread."""

    def __init__(self) -> None:
        self._entries: dict[str, Pending] = {}
        self._lock = threading.Lock()
        self._closed = False

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def add(self, action_id: str, on_reply: ReplyHook | None = None) -> Pending:
        """A new entry for ``action_id``.

        :raises ValueError: that ActionID is already waiting (ActionIDs must be unique).
        :raises RequestNotSent: the table was closed (the connection is gone): nothing was sent.
        """
        with self._lock:
            if self._closed:
                raise RequestNotSent(CONNECTION_LOST)
            if action_id in self._entries:
                raise ValueError("this ActionID is already waiting for an answer")
            entry = self._entries[action_id] = Pending(action_id, on_reply)
            return entry

    def discard(self, action_id: str) -> None:
        with self._lock:
            self._entries.pop(action_id, None)

    def resolve(self, message: Message) -> bool:
        """Give ``message`` to the entry of its ActionID; False when no one waits for it."""
        action_id = message.action_id
        if action_id is None:
            return False
        with self._lock:
            entry = self._entries.pop(action_id, None)
        if entry is None:
            return False
        if entry.on_reply is not None:
            try:
                entry.on_reply(message)
            except Exception:  # the reader thread must survive a failing hook
                logger.exception("AMI reply hook failed for action %s", action_id)
        entry.resolve(message)
        return True

    def fail_all(self, error: DriverError) -> None:
        """Fail every waiting entry with ``error``, and every later :meth:`add` too."""
        with self._lock:
            entries = list(self._entries.values())
            self._entries.clear()
            self._closed = True
        for entry in entries:
            entry.fail(error)
