"""The outcome of our originated calls, from the manager's events: shared by the drivers and the listener.

What a real Asterisk 22 with real phones says (``testkit/fake_asterisk/recorded/FINDINGS-events.txt``):

- ``OriginateResponse`` Reason 4 is "answered", 3 "no answer", but a phone
  that REJECTS the call (SIP 486) gives Reason **0**, not 5: "busy" is only
  in the phone channel's ``DialEnd`` (DialStatus ``BUSY``) or ``Hangup``
  (Cause 17). Reason 5 needs a busy control frame (``Busy()`` behind a
  Local channel), which a SIP 486 does not produce.
- An unregistered or unknown phone also gives Reason 0, with no channel
  event at all: the phone is unavailable.
- A failed ``OriginateResponse`` says ``Uniqueid: <unknown>``, unless the
  Originate carried ``ChannelId``: then every event of the channel, and
  the response, carry it. The drivers send ``ChannelId`` = ``ActionID`` =
  the call's reference, so a call is found by either.
- The response may come before or after the ``DialEnd`` and ``Hangup``.

So a Reason 0 is decided by what the phone's channel did: busy if it said
busy (before or after), the hangup cause if it hung up otherwise, and
"not registered or unknown" when no channel ever existed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from drivers.asterisk.manager.protocol import Message
from drivers.base import CallStatus

# OriginateResponse "Reason" (Asterisk's control frame codes) -> status, words (0 and 1: see below).
REASONS: dict[int, tuple[CallStatus, str]] = {
    4: (CallStatus.ANSWERED, "answered"),
    3: (CallStatus.NO_ANSWER, "no answer"),
    5: (CallStatus.BUSY, "busy"),
    8: (CallStatus.FAILED, "congestion"),
    1: (CallStatus.FAILED, "hung up"),
}
BUSY = (CallStatus.BUSY, "busy")
UNAVAILABLE = (CallStatus.FAILED, "the phone is not registered or does not exist")
# How long after an Asterisk (re)start a phone "not registered" is put down to the boot.
STARTING_S = 60.0


def explained_after_restart(status: CallStatus, reason: str, since_restart_s: float) -> str:
    """``reason``, saying that the PBX had just restarted when that explains a phone "not registered".

    Asterisk accepts an Originate before its phones have registered again
    (about 6 s after the boot: recorded in ami-35 and ajam-46); the call then
    fails as for an unknown phone.
    """
    if (status, reason) == UNAVAILABLE and 0 <= since_restart_s < STARTING_S:
        return (
            f"{reason} (the PBX had just restarted: its phones may not have registered yet; "
            "try again in a few seconds)"
        )
    return reason


_CAUSES: dict[int, tuple[CallStatus, str]] = {
    17: BUSY,
    21: (CallStatus.BUSY, "busy (the phone declined the call)"),
    18: (CallStatus.NO_ANSWER, "no answer"),
    19: (CallStatus.NO_ANSWER, "no answer"),
    20: UNAVAILABLE,  # subscriber absent
}
# Calls remembered at most (the listener sees every call of the PBX).
MAX_CALLS = 10_000

Outcome = tuple[str, CallStatus, str]


def cause_outcome(cause: int | None, cause_text: str = "") -> tuple[CallStatus, str]:
    """What a hangup cause says about a call whose phone never answered."""
    if cause in _CAUSES:
        return _CAUSES[cause]
    words = cause_text or (f"cause {cause}" if cause is not None else "unknown cause")
    return (CallStatus.FAILED, f"the phone's channel ended: {words}")


@dataclass
class _Call:
    channel: bool = False  # a channel of the call existed
    hung_up: bool = False
    cause: int | None = None
    cause_text: str = ""
    busy: bool = False
    deferred: bool = False  # Reason 0 came while the channel lived: its hangup decides
    reported: bool = False


class OriginateOutcomes:
    """Feed it every manager event; it answers the outcomes of the calls ``wanted`` says are ours."""

    def __init__(self, wanted: Callable[[str], bool]) -> None:
        self.wanted = wanted
        self._calls: OrderedDict[str, _Call] = OrderedDict()

    def feed(self, event: Message) -> list[Outcome]:
        """The outcomes ``event`` settles: ``(reference, status, reason)``, each call at most once."""
        name = (event.event or "").lower()
        if name == "originateresponse":
            return self._response(event)
        if name in ("newchannel", "newstate"):
            self._channel(event.get("Uniqueid") or "")
        elif name == "dialbegin":
            self._channel(event.get("DestUniqueid") or "")
        elif name == "dialend" and (event.get("DialStatus") or "").upper() == "BUSY":
            return self._busy(event.get("DestUniqueid") or "")
        elif name == "hangup":
            return self._hangup(event)
        return []

    def _call(self, reference: str) -> _Call | None:
        if not reference or not self.wanted(reference):
            return None
        call = self._calls.get(reference)
        if call is None:
            call = self._calls[reference] = _Call()
            while len(self._calls) > MAX_CALLS:
                self._calls.popitem(last=False)
        return call

    def _report(self, reference: str, call: _Call, outcome: tuple[CallStatus, str]) -> list[Outcome]:
        if call.reported:
            return []
        call.reported = True
        return [(reference, *outcome)]

    def _channel(self, reference: str) -> None:
        call = self._call(reference)
        if call is not None:
            call.channel = True

    def _busy(self, reference: str) -> list[Outcome]:
        call = self._call(reference)
        if call is None:
            return []
        call.busy = True
        return self._report(reference, call, BUSY)

    def _hangup(self, event: Message) -> list[Outcome]:
        reference = event.get("Uniqueid") or ""
        call = self._call(reference)
        if call is None:
            return []
        call.channel = call.hung_up = True
        try:
            call.cause = int(event.get("Cause") or "")
        except ValueError:
            call.cause = None
        call.cause_text = event.get("Cause-txt") or ""
        if call.cause in (17, 21):
            return self._report(reference, call, cause_outcome(call.cause))
        if call.deferred:
            return self._report(reference, call, cause_outcome(call.cause, call.cause_text))
        return []

    def _response(self, event: Message) -> list[Outcome]:
        reference = event.get("Uniqueid") or ""
        if not (reference and self.wanted(reference)):
            reference = event.action_id or ""
        call = self._call(reference)
        if call is None:
            return []
        try:
            reason = int(event.get("Reason") or "")
        except ValueError:
            return self._report(reference, call, (CallStatus.UNKNOWN, "the PBX gave no usable reason"))
        if reason in REASONS:
            return self._report(reference, call, REASONS[reason])
        if reason != 0:
            return self._report(reference, call, (CallStatus.UNKNOWN, f"reason {reason}"))
        if call.busy:
            return self._report(reference, call, BUSY)
        if call.hung_up:
            return self._report(reference, call, cause_outcome(call.cause, call.cause_text))
        if call.channel:
            call.deferred = True  # the phone's channel still exists: its hangup says why
            return []
        return self._report(reference, call, UNAVAILABLE)

    def forget(self, reference: str) -> None:
        """Stop following ``reference`` (its outcome was reported some other way)."""
        self._calls.pop(reference, None)
