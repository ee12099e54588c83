"""Calls sent to a PBX whose outcome is awaited: one table for every driver that learns outcomes later.

A driver that learns how a call ended asynchronously (an AMI event, an
AJAM ``WaitEvent`` poll, a listener) keeps its calls here, from before
the originate is sent until the outcome is reported:

1. :meth:`PendingOutcomes.register` (through :meth:`drivers.base.Driver.placing`)
   before sending: the outcome may come before ``originate`` returns.
2. :meth:`PendingOutcomes.bind` once the PBX accepted the call, to the
   connection (or session) ``generation`` it was accepted on: only then
   may the call be lost with that connection, or expire.
3. One of: :meth:`settle` (the PBX said how it ended), :meth:`lose` (the
   connection it was bound to ended: events are not replayed, so the
   outcome is ``unknown``), :meth:`expire` (no outcome in time:
   ``unknown``), :meth:`clear` (the driver closed), or :meth:`forget`
   (sending failed: there is nothing to report).

Each call is reported at most once, outside the table's lock, and a
failing report is logged and swallowed: reports run in reader and
polling threads that must survive. Nothing here imports Django.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from drivers.base import CallStatus, OriginateRequest

logger = logging.getLogger(__name__)

Report = Callable[[str, CallStatus, str], None]


@dataclass
class PendingCall:
    """A call sent to the PBX whose outcome is awaited."""

    reference: str
    expires: float  # time.monotonic() after which its outcome is given up
    # The connection (or session) that accepted it; None until the PBX accepted it.
    generation: int | None = None


class PendingOutcomes:
    """Reference -> :class:`PendingCall`, shared by the sending threads and the threads hearing outcomes."""

    def __init__(self, report: Report, *, label: str) -> None:
        self.report = report
        self.label = label  # for logs: "AMI pbx-name"
        self._calls: dict[str, PendingCall] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._calls)

    def awaits(self, reference: str) -> bool:
        """Whether the outcome of ``reference`` is awaited here."""
        with self._lock:
            return reference in self._calls

    @staticmethod
    def new_reference() -> str:
        return f"astitray-{uuid.uuid4().hex}"

    def register(self, request: OriginateRequest, wait_s: float) -> str:
        """Await the outcome of ``request`` until its ring timeout plus ``wait_s``; its reference.

        The reference is the request's call id, or a new one when it has none
        or that one is already awaited.
        """
        expires = time.monotonic() + request.ring_timeout_s + wait_s
        with self._lock:
            reference = request.call_id
            if not reference or reference in self._calls:
                reference = self.new_reference()
            self._calls[reference] = PendingCall(reference, expires)
        return reference

    def bind(self, reference: str, generation: int) -> bool:
        """The PBX accepted call ``reference`` on connection ``generation``; False if no longer awaited."""
        with self._lock:
            call = self._calls.get(reference)
            if call is None:
                return False
            call.generation = generation
            return True

    def forget(self, reference: str) -> None:
        """Stop awaiting ``reference`` without reporting anything (its originate failed)."""
        with self._lock:
            self._calls.pop(reference, None)

    def settle(self, reference: str, status: CallStatus, reason: str) -> bool:
        """The PBX said how call ``reference`` ended: report it; False if it was not awaited here."""
        with self._lock:
            call = self._calls.pop(reference, None)
        if call is None:
            return False  # another client's call, or one already reported
        logger.info("%s: call %s ended %s (%s)", self.label, reference, status, reason)
        self._report([call], status, reason)
        return True

    def lose(self, generation: int, reason: str) -> None:
        """Connection ``generation`` ended: report ``unknown`` every call bound to it (or to an older one).

        Generations only grow; calls not yet accepted stay (their answer binds them to a newer one).
        """
        lost = self._take(lambda c: c.generation is not None and c.generation <= generation)
        self._report(lost, CallStatus.UNKNOWN, reason)

    def expire(self) -> None:
        """Report ``unknown`` every accepted call whose outcome is overdue."""
        now = time.monotonic()
        overdue = self._take(lambda c: c.generation is not None and c.expires < now)
        self._report(overdue, CallStatus.UNKNOWN, "the PBX never reported the outcome")

    def clear(self, reason: str) -> None:
        """Forget every call; report ``unknown`` those the PBX had accepted (the driver closes)."""
        accepted = self._take(lambda c: c.generation is not None, drop_all=True)
        self._report(accepted, CallStatus.UNKNOWN, reason)

    def _take(self, chosen: Callable[[PendingCall], bool], *, drop_all: bool = False) -> list[PendingCall]:
        with self._lock:
            taken = [call for call in self._calls.values() if chosen(call)]
            if drop_all:
                self._calls.clear()
            for call in taken:
                self._calls.pop(call.reference, None)
        return taken

    def _report(self, calls: list[PendingCall], status: CallStatus, reason: str) -> None:
        for call in calls:
            try:
                self.report(call.reference, status, reason)
            except Exception:  # runs in a reader or polling thread: it must survive
                logger.exception("%s: reporting the outcome of %s failed", self.label, call.reference)
