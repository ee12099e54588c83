"""What events hears from the other apps: an outgoing call's new status becomes a ``call`` event."""

from __future__ import annotations

from typing import Any

from dialer.models import Call, CallDirection
from events.models import EventType
from events.publish import event_payload, publish

# The dispatch_uid of on_call_status_changed on dialer.signals.call_status_changed.
CALL_EVENTS_RECEIVER = "events.receivers.on_call_status_changed"


def on_call_status_changed(sender: object, *, pk: int, status: str, call: Call, **kwargs: Any) -> None:
    """Tell the caller that their outgoing call ``pk`` is now ``status`` (an event of type ``call``).

    ``call``: the row's fields as the dialer read them with it (not read again).
    """
    if call.direction != CallDirection.OUT or call.user_id is None:
        return
    payload = event_payload(
        EventType.CALL, call_id=str(call.call_id), number=call.number, name=call.name, status=status
    )
    publish(call.user_id, EventType.CALL, payload)
