"""From one PBX's neutral events to what they mean for its phones: pure code, no Django.

The streams say what happens to each phone *leg* (drivers/events.py).
:class:`CallTracker` keeps the legs of the calls in progress and decides,
once for every PBX family, what each phone's part of a call was:

- :class:`Incoming`: a phone started ringing for a call (not for one of our
  click-to-dial calls: that is the caller's own phone);
- :class:`Settled`: that phone's part is decided: ``answered`` (on this
  phone: ``by_me``; by another phone of the ring group or queue: not), or
  missed (the caller hung up, nobody answered, the phone declined);
- :class:`Outcome`: one of our click-to-dial calls reached a final status;
- :class:`Presence`: a phone's state, with the time until which an
  ``unavailable`` is not to be trusted (the PBX has just booted).

Repeats (a queue ends a cancelled leg twice, a snapshot lists a leg
already known) give nothing. Which *user* a phone belongs to, the rows and
the events users receive are the listener's (events/writer.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from drivers.base import CallStatus
from drivers.events import (
    CallEnded,
    CallProgress,
    LegAnswered,
    LegEnd,
    LegEnded,
    LegRinging,
    LegState,
    PbxBooted,
    PbxEvent,
    PhoneChanged,
    PhoneState,
    Snapshot,
)

# Why a phone's part of a call ended unanswered, in the call log's words.
MISSED_REASONS = {
    LegEnd.CALLER_CANCELLED: "the caller hung up",
    LegEnd.NOT_ANSWERED: "not answered",
    LegEnd.BUSY: "declined on the phone",
    LegEnd.FAILED: "the phone could not be reached",
}
ENDED_UNSEEN = "the call ended"
ANSWERED_HERE = "answered"
ANSWERED_ELSEWHERE = "answered on another phone"
# Calls (and own legs) held at most: a flood of rings that never end cannot exhaust the memory.
MAX_HELD = 20_000
# After a boot seen only in a snapshot: how long an "unavailable" phone is doubted (Asterisk: ~6 s).
BOOT_SETTLE_S = 6.0


@dataclass(frozen=True)
class Incoming:
    """``endpoint`` started ringing for the call ``call_key`` from ``caller_number``/``caller_name``."""

    call_key: str
    endpoint: str
    caller_number: str = ""
    caller_name: str = ""
    at: float = 0.0


@dataclass(frozen=True)
class Settled:
    """``endpoint``'s part of ``call_key`` is decided: answered (``by_me`` or not), else missed."""

    call_key: str
    endpoint: str
    answered: bool
    by_me: bool = False
    reason: str = ""
    at: float = 0.0


@dataclass(frozen=True)
class Outcome:
    """Our click-to-dial call ``call_id`` reached the final ``status``."""

    call_id: str
    status: CallStatus
    reason: str = ""


@dataclass(frozen=True)
class Presence:
    """``endpoint`` is ``state``; an ``unavailable`` is doubted until ``settle_until`` (epoch seconds)."""

    endpoint: str
    state: PhoneState
    settle_until: float = 0.0


Effect = Incoming | Settled | Outcome | Presence


@dataclass
class _Leg:
    endpoint: str
    decided: bool = False  # its Settled was given
    answered: bool = False


@dataclass
class _Call:
    legs: dict[str, _Leg] = field(default_factory=dict)
    answered: bool = False


class CallTracker:
    """The calls in progress on one PBX, fed with its events in order (one thread)."""

    def __init__(self) -> None:
        self._calls: dict[str, _Call] = {}
        self._own_legs: dict[str, None] = {}  # legs of our click-to-dial calls (the caller's own phone)
        self.settle_until = 0.0

    def live_calls(self) -> frozenset[str]:
        """The keys of the calls this tracker holds (rung, not ended)."""
        return frozenset(self._calls)

    def feed(self, events: Iterable[PbxEvent]) -> list[Effect]:
        """What ``events`` mean, in order."""
        effects: list[Effect] = []
        for event in events:
            effects += self._one(event)
        return effects

    def _one(self, event: PbxEvent) -> list[Effect]:
        if isinstance(event, LegRinging):
            return self._ringing(event)
        if isinstance(event, LegAnswered):
            return self._answered(event.call_key, event.leg_key, event.at)
        if isinstance(event, LegEnded):
            return self._ended(event)
        if isinstance(event, CallEnded):
            return self._call_ended(event.call_key, event.at)
        if isinstance(event, CallProgress):
            final = event.status.is_final
            return [Outcome(event.call_id, event.status, event.reason)] if final else []
        if isinstance(event, PhoneChanged):
            return [Presence(event.endpoint, event.state, self.settle_until)]
        if isinstance(event, PbxBooted):
            self.settle_until = (event.at or time.time()) + event.settle_s
            return self._forget_all(event.at)
        return []

    def _ringing(self, event: LegRinging) -> list[Effect]:
        if event.call_id:
            self._own_legs[event.leg_key] = None
            if len(self._own_legs) > MAX_HELD:
                del self._own_legs[next(iter(self._own_legs))]
            return []
        effects: list[Effect] = []
        if event.call_key not in self._calls and len(self._calls) >= MAX_HELD:
            oldest = next(iter(self._calls))  # given up: the sweep settles its rows
            self._calls.pop(oldest)
        call = self._calls.setdefault(event.call_key, _Call())
        if event.leg_key in call.legs:
            return []  # a repeat
        call.legs[event.leg_key] = _Leg(event.endpoint)
        # Also when another phone already took the call: a transfer rings this phone now.
        effects.append(
            Incoming(event.call_key, event.endpoint, event.caller_number, event.caller_name, event.at)
        )
        return effects

    def _answered(self, call_key: str, leg_key: str, at: float) -> list[Effect]:
        call = self._calls.get(call_key)
        leg = call.legs.get(leg_key) if call is not None else None
        if call is None or leg is None or leg.answered:
            return []  # our own leg (its outcome comes as CallProgress), an unknown leg, or a repeat
        leg.answered = True
        call.answered = True
        leg.decided = True
        effects: list[Effect] = [
            Settled(call_key, leg.endpoint, answered=True, by_me=True, reason=ANSWERED_HERE, at=at)
        ]
        for other in call.legs.values():
            if not other.decided:  # still ringing: a colleague took it
                other.decided = True
                effects.append(
                    Settled(call_key, other.endpoint, answered=True, reason=ANSWERED_ELSEWHERE, at=at)
                )
        return effects

    def _ended(self, event: LegEnded) -> list[Effect]:
        if event.leg_key in self._own_legs:
            del self._own_legs[event.leg_key]
            return []
        call = self._calls.get(event.call_key)
        leg = call.legs.get(event.leg_key) if call is not None else None
        if call is None or leg is None or leg.decided:
            return []
        if event.reason == LegEnd.ANSWERED:
            return self._answered(event.call_key, event.leg_key, event.at)
        leg.decided = True
        if call.answered or event.reason == LegEnd.ANSWERED_ELSEWHERE:
            reason = ANSWERED_ELSEWHERE
            return [Settled(event.call_key, leg.endpoint, answered=True, reason=reason, at=event.at)]
        reason = MISSED_REASONS.get(event.reason, ENDED_UNSEEN)
        return [Settled(event.call_key, leg.endpoint, answered=False, reason=reason, at=event.at)]

    def _call_ended(self, call_key: str, at: float) -> list[Effect]:
        self._own_legs.pop(call_key, None)
        call = self._calls.pop(call_key, None)
        if call is None:
            return []
        return self._undecided(call_key, call, at)

    def _undecided(self, call_key: str, call: _Call, at: float) -> list[Effect]:
        effects: list[Effect] = []
        for leg in call.legs.values():
            if not leg.decided:
                leg.decided = True
                answered = call.answered
                reason = ANSWERED_ELSEWHERE if answered else ENDED_UNSEEN
                effects.append(Settled(call_key, leg.endpoint, answered=answered, reason=reason, at=at))
        return effects

    def _forget_all(self, at: float) -> list[Effect]:
        """The PBX restarted: every call it had is gone."""
        effects: list[Effect] = []
        for call_key, call in self._calls.items():
            effects += self._undecided(call_key, call, at)
        self._calls.clear()
        self._own_legs.clear()
        return effects

    def resync(self, snapshot: Snapshot) -> list[Effect]:
        """Start again from what the PBX says exists now (after every (re)connection).

        The calls held that are gone are settled; the legs that exist give
        what they mean (their ring, their answer) as if seen now: the
        listener's rows say which of these it had already written.
        """
        live = snapshot.live_calls()
        effects: list[Effect] = []
        for call_key in [key for key in self._calls if key not in live]:
            effects += self._call_ended(call_key, snapshot.at)
        self._own_legs = {leg.leg_key: None for leg in snapshot.legs if leg.call_id}
        for leg in snapshot.legs:
            if leg.call_id:
                if leg.state == LegState.UP:
                    effects.append(Outcome(leg.call_id, CallStatus.ANSWERED, ANSWERED_HERE))
                continue
            ring = LegRinging(
                call_key=leg.call_key,
                leg_key=leg.leg_key,
                endpoint=leg.endpoint,
                caller_number=leg.caller_number,
                caller_name=leg.caller_name,
                at=snapshot.at,
            )
            effects += self._ringing(ring)  # nothing for a leg held already
        for leg in snapshot.legs:
            if not leg.call_id and leg.state == LegState.UP:
                effects += self._answered(leg.call_key, leg.leg_key, snapshot.at)
        effects += self._stopped_ringing({leg.leg_key for leg in snapshot.legs}, snapshot.at)
        if snapshot.booted:
            self.settle_until = max(self.settle_until, (snapshot.at or time.time()) + BOOT_SETTLE_S)
        return effects + [
            Presence(phone, state, self.settle_until) for phone, state in snapshot.phones.items()
        ]

    def _stopped_ringing(self, listed: set[str], at: float) -> list[Effect]:
        """Legs held that the PBX no longer lists, in calls that go on: their phones stopped ringing."""
        effects: list[Effect] = []
        for call_key, call in self._calls.items():
            for leg_key, held in call.legs.items():
                if leg_key not in listed and not held.decided:
                    held.decided = True
                    reason = ANSWERED_ELSEWHERE if call.answered else ENDED_UNSEEN
                    effects.append(Settled(call_key, held.endpoint, call.answered, reason=reason, at=at))
        return effects
