"""One authenticated ESL TCP session: its socket, its reader thread, the commands waiting for their reply.

ESL answers commands in the order they were sent and carries no id in
its replies: each command queues a :class:`Waiter` under the same lock
as its write, and the reader thread hands each ``command/reply`` or
``api/response`` to the oldest waiter. Events go to ``on_event``. When the
connection ends (closed by the server, a failed read or write, or
:meth:`EslConnection.close`) every waiting command fails with
:class:`~drivers.base.AnswerLost` and ``on_close`` is called once.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable

from drivers.base import AnswerLost, RequestNotSent
from drivers.freeswitch.protocol import EslMessage, Framer

logger = logging.getLogger(__name__)

CONNECTION_LOST = "the connection to the PBX was lost"

ReplyHook = Callable[[EslMessage], None]
EventHook = Callable[[EslMessage, int], None]  # (event message, connection generation)


class Waiter:
    """A command sent, waiting for its reply."""

    def __init__(self, on_reply: ReplyHook | None = None) -> None:
        self.on_reply = on_reply
        self.reply: EslMessage | None = None
        self.error: Exception | None = None
        self.done = threading.Event()

    def resolve(self, reply: EslMessage) -> None:
        if self.on_reply is not None:
            try:
                self.on_reply(reply)  # in the reader thread, before the next message is read
            except Exception:
                logger.exception("ESL: reply handler failed")
        self.reply = reply
        self.done.set()

    def fail(self, error: Exception) -> None:
        self.error = error
        self.done.set()

    def wait(self, timeout: float) -> EslMessage:
        """The reply; :raises AnswerLost: none in time, or the connection ended."""
        if not self.done.wait(max(timeout, 0.0)):
            raise AnswerLost("the PBX did not answer in time")
        if self.reply is None:
            raise self.error or AnswerLost(CONNECTION_LOST)
        return self.reply


class EslConnection:
    """One logged-in TCP session: socket, framer, reader thread and the commands waiting on it."""

    def __init__(
        self,
        sock: socket.socket,
        framer: Framer,
        generation: int,
        *,
        where: str,
        on_event: EventHook,
        on_close: Callable[[EslConnection, str], None],
    ) -> None:
        self.sock = sock
        self.framer = framer
        self.generation = generation
        self.where = where
        self.on_event = on_event
        self.on_close = on_close
        self.closed = threading.Event()
        self.close_reason = ""
        self.last_traffic = time.monotonic()
        self._waiters: collections.deque[Waiter] = collections.deque()
        self._write_lock = threading.Lock()
        self._close_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read_loop, name=f"esl-reader-{generation}", daemon=True)

    @property
    def alive(self) -> bool:
        return not self.closed.is_set()

    def start(self, early: Iterable[EslMessage] = ()) -> None:
        for message in early:
            self._dispatch(message)
        self._reader.start()

    def send(self, data: bytes, hooks: Iterable[ReplyHook | None]) -> list[Waiter]:
        """Write ``data`` (one or more commands, one hook each); their waiters, in order.

        :raises RequestNotSent: the connection was already closed: nothing was sent.
        :raises AnswerLost: the write failed; part of it may have reached the PBX.
        """
        with self._write_lock:
            if not self.alive:
                raise RequestNotSent(CONNECTION_LOST)
            waiters = [Waiter(hook) for hook in hooks]
            self._waiters.extend(waiters)
            try:
                self.sock.sendall(data)
            except OSError as exc:
                self.close(f"write failed: {exc}")
                raise AnswerLost(CONNECTION_LOST) from exc
        self.last_traffic = time.monotonic()
        return waiters

    def close(self, reason: str) -> None:
        """Close once: fail the waiting commands, call ``on_close`` (idempotent, any thread)."""
        with self._close_lock:
            if self.closed.is_set():
                return
            self.close_reason = reason
            self.closed.set()
        with contextlib.suppress(OSError):  # already gone
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        while True:
            try:
                self._waiters.popleft().fail(AnswerLost(CONNECTION_LOST))
            except IndexError:
                break
        self.on_close(self, reason)

    def _read_loop(self) -> None:
        reason = "closed by the PBX"
        try:
            while self.alive:
                try:
                    data = self.sock.recv(65536)
                except TimeoutError:
                    continue  # quiet line: the monitor thread checks it
                if not data:
                    break
                self.last_traffic = time.monotonic()
                for message in self.framer.feed(data):
                    self._dispatch(message)
        except OSError as exc:
            reason = f"read failed: {exc}"
        except Exception:  # a reader thread must never die silently
            logger.exception("ESL %s: reader thread failed", self.where)
            reason = "reader failed"
        self.close(reason)

    def _dispatch(self, message: EslMessage) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("ESL %s <- %s", self.where, message.describe())
        if message.is_reply:
            try:
                waiter = self._waiters.popleft()
            except IndexError:
                logger.warning("ESL %s: a reply no one waits for: %s", self.where, message.describe())
                return
            waiter.resolve(message)
        elif message.is_event:
            self.on_event(message, self.generation)
        elif message.content_type == "text/disconnect-notice":
            notice = message.body.decode("utf-8", "replace").strip().splitlines()
            logger.info("ESL %s: the PBX says: %s", self.where, notice[0] if notice else "goodbye")
