"""Call outcomes: what drivers report lands on the Call row, once, from any process or thread.

A row only ever moves from ``queued`` (or ``unknown``) to a final status,
with one conditional UPDATE, so that the dial service and a driver's
reader thread, whichever comes second, never overwrite each other. A call
whose outcome never comes (its process died, or its driver reports none)
reads ``unknown`` once its ring and network timeouts and a grace minute
have passed.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.db.models import QuerySet
from django.utils import timezone

from dialer.models import Call, CallLogStatus
from dialer.signals import call_status_changed
from drivers.base import CallStatus
from monitoring import metrics

logger = logging.getLogger(__name__)

# A queued call whose outcome has not come this long after its ring and network timeouts is unknown.
OUTCOME_GRACE_S = 60
NEVER_REPORTED = "the PBX never reported the outcome"
_PENDING_OUTCOME_PREFIX = "astitray:dial-outcome:"
# The dispatch_uid of on_call_outcome on drivers.signals.call_outcome (tests swap it).
OUTCOME_RECEIVER = "dialer.outcomes.on_call_outcome"
_REASON_LENGTH = Call._meta.get_field("reason").max_length or 200
# One reference names one call; a sweep moves a bounded batch at a time.
_MOVE_AT_MOST = 500
# The fields of a row that moved which its ``call_status_changed`` receivers are given.
_ANNOUNCED = ("id", "user_id", "call_id", "number", "name", "direction")


def finish(call: Call, status: str, reason: str, **columns: object) -> bool:
    """Move ``call`` to ``status`` unless it is final already; True if it moved.

    ``columns``: other fields written by the same UPDATE (the driver's
    ``reference``). The row is not read again: its PBX and what the
    ``call`` event says come from ``call``.
    """
    pbx = call.pbx.name if call.pbx_id is not None else ""
    return _move_row(call, pbx, status, reason, _movable(status), **columns)


def _movable(status: str) -> list[str]:
    """The statuses a row may leave for ``status``: "unknown" may still become what the PBX says."""
    if status == CallLogStatus.UNKNOWN:
        return [CallLogStatus.QUEUED]
    return [CallLogStatus.QUEUED, CallLogStatus.UNKNOWN]


def move(calls: QuerySet, status: str, reason: str) -> int:
    """Move the rows of ``calls`` that are not final yet to ``status``; how many moved.

    Each row that moved is counted (``astitray_calls``) under its PBX, by whichever
    process moved it, and announced (:data:`dialer.signals.call_status_changed`).
    """
    movable = _movable(status)
    moved = 0
    rows = calls.filter(status__in=movable).values_list("pbx__name", *_ANNOUNCED)[:_MOVE_AT_MOST]
    for pbx, *fields in rows:
        # What the receivers are told of the row, read with it (not read again by each).
        call = Call(**dict(zip(_ANNOUNCED, fields, strict=True)))
        moved += _move_row(call, pbx or "", status, reason, movable)
    return moved


def _move_row(call: Call, pbx: str, status: str, reason: str, movable: list[str], **columns: object) -> bool:
    """One conditional UPDATE of ``call``'s row, then counted and announced if it moved.

    Whichever of the dial service and the driver's outcome comes second never
    overwrites a final status.
    """
    reason = reason[:_REASON_LENGTH]
    if not Call.objects.filter(pk=call.pk, status__in=movable).update(
        status=status, reason=reason, updated=timezone.now(), **columns
    ):
        return False
    metrics.count_call(pbx, str(status))
    sent = call_status_changed.send_robust(
        sender=Call, pk=call.pk, status=str(status), reason=reason, call=call
    )
    for receiver, result in sent:
        if isinstance(result, Exception):
            logger.error("call row %s: %r failed on its new status: %s", call.pk, receiver, result)
    return True


def on_call_outcome(
    sender: object, *, reference: str, status: CallStatus, reason: str, **kwargs: object
) -> None:
    """Receiver of :data:`drivers.signals.call_outcome` (connected in ``DialerConfig.ready``)."""
    record_outcome(reference, status, reason)


def record_outcome(reference: str, status: CallStatus, reason: str) -> None:
    """A driver learned how call ``reference`` ended: put it on the Call row.

    Runs in whichever process and thread heard the outcome (an AMI reader
    thread, often before ``originate()`` has returned): the reference is
    the call id for the built-in drivers, else the driver's own reference.
    Only a row that is not final yet moves. An outcome for a reference not
    yet on any row (a driver with its own references, faster than
    ``originate()`` returning) is kept for :func:`apply_pending_outcome`.
    """
    try:
        target = CallLogStatus(status.value)
    except ValueError:
        logger.warning("call %s: unknown status %r ignored", reference, status)
        return
    if target == CallLogStatus.QUEUED:
        return
    try:
        _record_outcome(reference, target, reason)
    except (InterfaceError, OperationalError):
        if connection.in_atomic_block:
            raise
        # A driver's thread keeps its connection for ever: after the database went away,
        # start afresh once.
        logger.warning("call %s: the database connection failed; reconnecting", reference)
        connection.close()
        _record_outcome(reference, target, reason)


def _record_outcome(reference: str, target: CallLogStatus, reason: str) -> None:
    moved = 0
    try:
        call_id: uuid.UUID | None = uuid.UUID(reference)
    except ValueError:
        call_id = None
    if call_id is not None:
        moved = move(Call.objects.filter(call_id=call_id), target, reason)
    if not moved and reference:
        moved = move(Call.objects.filter(reference=reference[:128]), target, reason)
    if moved:
        logger.info("call %s ended %s (%s)", reference, target, reason)
        return
    known = Call.objects.filter(call_id=call_id) if call_id is not None else Call.objects.none()
    if known.exists() or Call.objects.filter(reference=reference[:128]).exists():
        logger.debug("call %s: outcome %s arrived after its final status", reference, target)
        return
    # No row has this reference yet: dial() applies it once it stored the driver's reference.
    cache.set(_PENDING_OUTCOME_PREFIX + reference, (target.value, reason), timeout=600)


def apply_pending_outcome(reference: str) -> None:
    """Put on the row of ``reference`` an outcome that arrived before the row had that reference."""
    pending = cache.get(_PENDING_OUTCOME_PREFIX + reference)
    if pending is not None:
        cache.delete(_PENDING_OUTCOME_PREFIX + reference)
        status, reason = pending
        move(Call.objects.filter(reference=reference[:128]), status, reason)


def expire(call: Call, now: datetime) -> None:
    """``call`` queued past any outcome (its process died, or its driver reports none): unknown."""
    if call.status != CallLogStatus.QUEUED:
        return
    ring, network = (call.pbx.ring_timeout_s, call.pbx.timeout_s) if call.pbx else (300, 60.0)
    if call.created > now - timedelta(seconds=ring + network + OUTCOME_GRACE_S):
        return
    reason = NEVER_REPORTED
    if finish(call, CallLogStatus.UNKNOWN, reason):
        call.status, call.reason, call.updated = CallLogStatus.UNKNOWN, reason, now


def expire_queued(calls: QuerySet, ring_timeout_s: float, timeout_s: float, now: datetime) -> int:
    """The rows of ``calls`` still queued past any outcome (as :func:`expire`, in bulk): unknown.

    For the PBX event listener's sweep, which knows the PBX's timeouts;
    how many moved.
    """
    limit = now - timedelta(seconds=ring_timeout_s + timeout_s + OUTCOME_GRACE_S)
    stale = calls.filter(status=CallLogStatus.QUEUED, created__lt=limit)
    return move(stale, CallLogStatus.UNKNOWN, NEVER_REPORTED)
