"""Writing user events: the row, then a wake-up for the clients waiting in ``events.wait``.

:func:`publish` is the one way an event reaches a user. The wake-up is
``events.bus.notify(user_id)`` when that module is installed, called once
the row is committed (a waiting client reads the database, so it must
see the row). Rows older than :data:`KEEP_S` are pruned now and then.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from dialer.services import iso_utc
from events.models import UserEvent

logger = logging.getLogger(__name__)

# Events are kept an hour (docs/api.md promises at least ten minutes).
KEEP_S = 3600
# At most one prune a minute per process.
PRUNE_EVERY_S = 60.0


class _Pruning:
    """When this process last pruned (monotonic seconds; 0: never)."""

    at = 0.0
    lock = threading.Lock()


def event_payload(
    type: str,
    *,
    at: datetime | None = None,
    call_id: str = "",
    number: str = "",
    name: str = "",
    company: str = "",
    contact_id: int = 0,
    status: str = "",
    by_me: bool = False,
) -> dict[str, Any]:
    """The API's event keys but ``id`` (docs/api.md), absent values ``""``, ``0`` or ``false``."""
    moment = at or timezone.now()
    return {
        "type": type,
        "at": iso_utc(moment),
        "call_id": call_id,
        "number": number,
        "name": name,
        "company": company,
        "contact_id": int(contact_id),
        "status": status,
        "by_me": bool(by_me),
    }


def publish(user_id: int, type: str, payload: dict[str, Any]) -> UserEvent:
    """Store the event ``type`` for ``user_id`` and wake their waiting clients once it is committed."""
    event = UserEvent.objects.create(user_id=user_id, type=type, payload=payload)
    notify = _notifier()
    if notify is not None:
        transaction.on_commit(lambda: _wake(notify, user_id))
    prune_now_and_then()
    return event


def prune(now: datetime | None = None) -> int:
    """Delete the events older than :data:`KEEP_S`; how many went."""
    limit = (now or timezone.now()) - timedelta(seconds=KEEP_S)
    deleted, _by_model = UserEvent.objects.filter(created__lt=limit).delete()
    return deleted


def prune_now_and_then() -> None:
    """:func:`prune`, at most once every :data:`PRUNE_EVERY_S` in this process."""
    with _Pruning.lock:
        if _Pruning.at and time.monotonic() - _Pruning.at < PRUNE_EVERY_S:
            return
        _Pruning.at = time.monotonic()
    prune()


def _notifier() -> Callable[[int], object] | None:
    """``events.bus.notify`` when the bus is installed, else None (the clients poll the database)."""
    try:
        bus = importlib.import_module("events.bus")
    except ModuleNotFoundError as exc:
        if exc.name != "events.bus":
            raise
        return None
    return getattr(bus, "notify", None)


def _wake(notify: Callable[[int], object], user_id: int) -> None:
    try:
        notify(user_id)
    except Exception:  # a bus that is down must not lose the event: clients still read the rows
        logger.exception("events: could not wake the clients of user %s", user_id)
