"""What events hears from the other apps: an outgoing call's new status becomes a ``call`` event."""

from __future__ import annotations

from typing import Any

from dialer.models import Call, CallDirection
from events.models import EventType
from events.publish import event_payload, publish

# The dispatch_uid of on_call_status_changed on dialer.signals.call_status_changed.
CALL_EVENTS_RECEIVER = "events.receivers.on_call_status_changed"


def on_call_status_changed(
    sender: object, *, pk: int, status: str, reason: str, call: Call | None = None, **kwargs: Any
) -> None:
    """Tell the caller that their outgoing call ``pk`` is now ``status`` (an event of type ``call``).

    ``call``: the row as the sender holds it (not read again), when it does.
    """
    if call is not None:
        if call.direction != CallDirection.OUT or call.user_id is None:
            return
        row = {"user_id": call.user_id, "call_id": call.call_id, "number": call.number, "name": call.name}
    else:
        row = (
            Call.objects.filter(pk=pk, direction=CallDirection.OUT, user__isnull=False)
            .values("user_id", "call_id", "number", "name")
            .first()
        )
        if row is None:
            return
    payload = event_payload(
        EventType.CALL,
        call_id=str(row["call_id"]),
        number=row["number"],
        name=row["name"],
        status=status,
    )
    publish(row["user_id"], EventType.CALL, payload)
