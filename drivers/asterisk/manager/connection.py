"""One AMI TCP session: its socket, its reader thread, the actions waiting on it.

The reader thread reads whatever arrives, frames it into messages and
routes them: an answer to the :class:`~drivers.asterisk.manager.actions.PendingTable`
entry of its ActionID, an event to ``on_event``. When the connection ends
(closed by the PBX, a failed read or write, or :meth:`Connection.close`)
every waiting action fails with :class:`~drivers.base.AnswerLost`
and ``on_close`` is called once.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable

from drivers.asterisk.manager.actions import CONNECTION_LOST, PendingTable
from drivers.asterisk.manager.protocol import Framer, Message
from drivers.base import AnswerLost, RequestNotSent

logger = logging.getLogger(__name__)

EventHook = Callable[[Message, int], None]  # (event, connection generation)


class Connection:
    """One TCP session: socket, framer, reader thread and the actions waiting on it."""

    def __init__(
        self,
        sock: socket.socket,
        framer: Framer,
        generation: int,
        *,
        where: str,
        on_event: EventHook,
        on_close: Callable[[Connection, str], None],
    ) -> None:
        self.where = where
        self.on_event = on_event
        self.on_close = on_close
        self.sock = sock
        self.framer = framer
        self.generation = generation
        self.banner = framer.banner or ""
        self.pending = PendingTable()
        self.closed = threading.Event()
        self.close_reason = ""
        self.last_traffic = time.monotonic()
        self._garbage_seen = False  # unreadable text is logged once per connection
        self._write_lock = threading.Lock()
        self._close_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read_loop, name=f"ami-reader-{generation}", daemon=True)

    @property
    def alive(self) -> bool:
        return not self.closed.is_set()

    def start(self, early: Iterable[Message] = ()) -> None:
        for message in early:
            self._dispatch(message)
        self._reader.start()

    def send(self, data: bytes) -> None:
        """Write one whole action.

        :raises RequestNotSent: the connection was already closed: nothing was sent.
        :raises AnswerLost: the write failed; part of it may have reached the PBX.
        """
        with self._write_lock:
            if not self.alive:
                raise RequestNotSent(CONNECTION_LOST)
            try:
                self.sock.sendall(data)
            except OSError as exc:
                self.close(f"write failed: {exc}")
                raise AnswerLost(CONNECTION_LOST) from exc
        self.last_traffic = time.monotonic()

    def close(self, reason: str) -> None:
        """Close once: fail the waiting actions, call ``on_close`` (idempotent, any thread)."""
        with self._close_lock:
            if self.closed.is_set():
                return
            self.close_reason = reason
            self.closed.set()
        with contextlib.suppress(OSError):  # already gone
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.pending.fail_all(AnswerLost(CONNECTION_LOST))
        self.on_close(self, reason)

    def _read_loop(self) -> None:
        reason = "closed by the PBX"
        try:
            while self.alive:
                try:
                    data = self.sock.recv(65536)
                except TimeoutError:
                    continue  # quiet line: the monitor thread pings it
                if not data:
                    break
                self.last_traffic = time.monotonic()
                for message in self.framer.feed(data):
                    self._dispatch(message)
        except OSError as exc:
            reason = f"read failed: {exc}"
        except Exception:  # a reader thread must never die silently
            logger.exception("AMI %s: reader thread failed", self.where)
            reason = "reader failed"
        self.close(reason)

    def _dispatch(self, message: Message) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("AMI %s <- %s", self.where, message.describe())
        if message.is_response:
            if not self.pending.resolve(message):
                logger.debug("AMI %s: an answer no one waits for: %s", self.where, message)
        elif message.is_event:
            self.on_event(message, self.generation)
        elif not self._garbage_seen:
            self._garbage_seen = True
            logger.warning("AMI %s: unreadable text from the PBX ignored", self.where)
