"""``events.wait``: a user's events newer than their cursor, now or as soon as one is published.

The cursor is opaque to clients: the id of the last event handed out
(:class:`events.models.UserEvent`'s ids are the order) signed for the user
it was given to, so a cursor is worth nothing to anyone else (refused:
:class:`BadCursor`), and every read is of the caller's own rows anyway.
An empty cursor means "from now on": the caller's newest event so far.
A cursor older than what is kept (an hour, ``events.publish.KEEP_S``) gets
what is kept, oldest first, :data:`MAX_EVENTS` at most; the next call gets
the rest.

:func:`wait` is a coroutine: while it waits it holds no thread (the
database is read in the loop's shared pool, twice per wait in the usual
case: before waiting and once woken; see :mod:`events.bus`).
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from django.utils.crypto import salted_hmac

from events import bus
from events.models import UserEvent

MAX_EVENTS = 200
_SALT = "astitray.events.cursor"
# The keys of an event (docs/api.md), with their values when absent.
EVENT_DEFAULTS: dict[str, Any] = {
    "type": "",
    "at": "",
    "call_id": "",
    "number": "",
    "name": "",
    "company": "",
    "contact_id": 0,
    "status": "",
    "by_me": False,
}


class BadCursor(ValueError):
    """The cursor was not given to this user (another user's, damaged, or made up)."""


def _signature(user_id: int, last_id: int) -> str:
    return salted_hmac(_SALT, f"{user_id}:{last_id}", algorithm="sha256").hexdigest()[:24]


def make_cursor(user_id: int, last_id: int) -> str:
    """The cursor of ``user_id`` after the event ``last_id`` (0: before any event)."""
    return f"{last_id}.{_signature(user_id, last_id)}"


def read_cursor(user_id: int, cursor: str) -> int | None:
    """The last event id of ``cursor``; None for "" (from now on); :class:`BadCursor` if not theirs."""
    if cursor == "":
        return None
    raw_id, _, signature = cursor.partition(".")
    if not raw_id.isascii() or not raw_id.isdigit() or len(raw_id) > 19:
        raise BadCursor(cursor)
    last_id = int(raw_id)
    if not hmac.compare_digest(signature, _signature(user_id, last_id)):
        raise BadCursor(cursor)
    return last_id


def newest_id(user_id: int) -> int:
    """The id of ``user_id``'s newest event, 0 when none is kept."""
    return UserEvent.objects.filter(user_id=user_id).order_by("-id").values_list("id", flat=True).first() or 0


def events_after(user_id: int, last_id: int, limit: int = MAX_EVENTS) -> list[dict[str, Any]]:
    """``user_id``'s events after ``last_id``, oldest first, as the API answers them."""
    rows = UserEvent.objects.filter(user_id=user_id, id__gt=last_id).order_by("id")[:limit]
    return [as_api_event(row) for row in rows]


def as_api_event(row: UserEvent) -> dict[str, Any]:
    """An event of docs/api.md: ``id`` and every key, absent values ``""``, ``0`` or ``false``."""
    payload = row.payload if isinstance(row.payload, dict) else {}
    event: dict[str, Any] = {"id": row.pk}
    for key, default in EVENT_DEFAULTS.items():
        value = payload.get(key, default)
        event[key] = value if isinstance(value, type(default)) and value is not None else default
    event["type"] = event["type"] or row.type
    return event


async def wait(user_id: int, cursor: str, timeout: float) -> dict[str, Any]:
    """``{"cursor", "events"}``: the events after ``cursor``, waiting up to ``timeout`` seconds for one.

    :raises BadCursor: the cursor is not one given to ``user_id``.
    """
    last_id = read_cursor(user_id, cursor)
    deadline = time.monotonic() + timeout
    waiter = await bus.waiter(user_id)  # before any read: an event committed after it wakes us
    try:
        if last_id is None:
            last_id = await bus.in_thread(lambda: newest_id(user_id))
        while True:
            found = await bus.in_thread(lambda last=last_id: events_after(user_id, last))  # type: ignore[misc]
            if found:
                return {"cursor": make_cursor(user_id, found[-1]["id"]), "events": found}
            left = deadline - time.monotonic()
            if left <= 0 or not await waiter.wait(left):
                return {"cursor": make_cursor(user_id, last_id), "events": []}
    finally:
        waiter.close()
