"""The legs and channels of the calls in progress, as one event stream learned them.

A translator (manager or ARI) tells the book what its PBX said in PBX
words: a channel exists in a call, a channel was dialed (a leg), a leg
rings, is answered, was ended by the dial with a status, hung up with a
cause. The book answers with the neutral events (:mod:`drivers.events`),
each fact once: a leg rings once, is answered once, ends once (queues end
a cancelled leg twice), and a call ends when its last channel is gone.

Why a leg ended is decided at its hangup, not at the dial's end: a
``CANCEL`` is "answered elsewhere" when the leg's hangup cause is 26 or
another leg of the call was answered, which is only known then (in a
ring group the cancelled leg's ``DialEnd`` comes before the other's
``ANSWER``).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from drivers.asterisk.events.states import (
    BUSY_CAUSES,
    CAUSE_ANSWERED_ELSEWHERE,
    DIAL_ENDS,
    NO_ANSWER_CAUSES,
)
from drivers.events import (
    CallEnded,
    LegAnswered,
    LegEnd,
    LegEnded,
    LegRinging,
    LegSnapshot,
    LegState,
    PbxEvent,
    Snapshot,
)

# Channels remembered at most (a flood of channels that never hang up must not grow memory for ever).
MAX_CHANNELS = 50_000


@dataclass
class Leg:
    """One dialed phone's channel in a call."""

    leg_key: str
    call_key: str
    endpoint: str
    caller_number: str = ""
    caller_name: str = ""
    call_id: str = ""  # our call id: this leg is the caller's own phone for a click-to-dial
    rang: bool = False
    answered: bool = False
    dial_status: str = ""  # how the dial ended it (ANSWER, CANCEL, BUSY, ...)
    cause: int | None = None  # the hangup cause, once known


def end_reason(leg: Leg, answered_elsewhere: bool) -> LegEnd:
    """Why ``leg`` ended, from its dial status and hangup cause (see the module docstring)."""
    if leg.answered:
        return LegEnd.ANSWERED
    status, cause = leg.dial_status, leg.cause
    if cause == CAUSE_ANSWERED_ELSEWHERE or (status == "CANCEL" and answered_elsewhere):
        return LegEnd.ANSWERED_ELSEWHERE
    if status in DIAL_ENDS:
        return DIAL_ENDS[status]
    if cause in BUSY_CAUSES:
        return LegEnd.BUSY
    if cause in NO_ANSWER_CAUSES:
        return LegEnd.NOT_ANSWERED
    if answered_elsewhere:
        return LegEnd.ANSWERED_ELSEWHERE
    return LegEnd.FAILED


class CallBook:
    """Legs by leg key, channels by call key (see the module docstring); used by one thread."""

    def __init__(self) -> None:
        self.legs: dict[str, Leg] = {}
        self.channels: OrderedDict[str, str] = OrderedDict()  # channel key -> call key
        self.members: dict[str, set[str]] = {}  # call key -> its channel keys
        self.answered_calls: set[str] = set()  # calls one of whose legs was answered
        self.rung_calls: set[str] = set()  # calls with a dialed leg: their end is told

    # --- what the PBX said

    def channel(self, key: str, call_key: str) -> None:
        """Channel ``key`` exists in call ``call_key`` (any event of the channel says so)."""
        if not key or not call_key:
            return
        old = self.channels.get(key)
        if old == call_key:
            return
        if old is not None:
            self._leave(key, old)
        self.channels[key] = call_key
        self.members.setdefault(call_key, set()).add(key)
        while len(self.channels) > MAX_CHANNELS:
            evicted, of_call = self.channels.popitem(last=False)
            self._leave(evicted, of_call)

    def _leave(self, key: str, call_key: str) -> None:
        members = self.members.get(call_key)
        if members is not None:
            members.discard(key)
            if not members:
                del self.members[call_key]

    def dialed(self, leg: Leg) -> Leg:
        """A channel was dialed: the leg, kept (the first one told stays, with what it adds)."""
        known = self.legs.get(leg.leg_key)
        if known is None:
            self.legs[leg.leg_key] = known = leg
        else:
            known.caller_number = known.caller_number or leg.caller_number
            known.caller_name = known.caller_name or leg.caller_name
            known.call_id = known.call_id or leg.call_id
        self.channel(leg.leg_key, leg.call_key)
        self.rung_calls.add(leg.call_key)
        return known

    def ringing(self, leg_key: str, at: float) -> list[PbxEvent]:
        """The phone of ``leg_key`` rings: ``LegRinging`` the first time."""
        leg = self.legs.get(leg_key)
        if leg is None or leg.rang or leg.answered:
            return []
        leg.rang = True
        return [
            LegRinging(
                call_key=leg.call_key,
                leg_key=leg.leg_key,
                endpoint=leg.endpoint,
                caller_number=leg.caller_number,
                caller_name=leg.caller_name,
                call_id=leg.call_id,
                at=at,
            )
        ]

    def answered(self, leg_key: str, at: float) -> list[PbxEvent]:
        """The phone of ``leg_key`` answered: ``LegAnswered`` the first time."""
        leg = self.legs.get(leg_key)
        if leg is None or leg.answered:
            return []
        events = self.ringing(leg_key, at)  # answered at once (auto-answer): it rang all the same
        leg.answered = True
        self.answered_calls.add(leg.call_key)
        return [*events, LegAnswered(call_key=leg.call_key, leg_key=leg_key, endpoint=leg.endpoint, at=at)]

    def dial_ended(self, leg_key: str, status: str) -> None:
        """The dial ended ``leg_key`` with ``status``; the leg's end is told at its hangup."""
        leg = self.legs.get(leg_key)
        if leg is not None and not leg.dial_status:
            leg.dial_status = status.upper()

    def cause(self, channel_key: str, cause: int | None) -> None:
        """A hangup request told the cause before the hangup (ARI's ``ChannelHangupRequest``)."""
        leg = self.legs.get(channel_key)
        if leg is not None and cause is not None and leg.cause is None:
            leg.cause = cause

    def hung_up(self, channel_key: str, cause: int | None, at: float, call_key: str = "") -> list[PbxEvent]:
        """Channel ``channel_key`` is gone: its leg's end, and the call's end if it was the last channel."""
        events: list[PbxEvent] = []
        known_call = self.channels.pop(channel_key, "")
        if known_call:
            self._leave(channel_key, known_call)
        call_key = known_call or call_key
        leg = self.legs.pop(channel_key, None)
        if leg is not None:
            call_key = leg.call_key
            if cause is not None and (leg.cause is None or leg.cause == 0):
                leg.cause = cause
            if leg.rang or leg.answered:
                reason = end_reason(leg, leg.call_key in self.answered_calls)
                events.append(
                    LegEnded(call_key=leg.call_key, leg_key=leg.leg_key, endpoint=leg.endpoint,
                             reason=reason, at=at)
                )  # fmt: skip
        if call_key and call_key in self.rung_calls and call_key not in self.members:
            events.append(CallEnded(call_key=call_key, at=at))
            self.rung_calls.discard(call_key)
            self.answered_calls.discard(call_key)
        return events

    # --- resynchronisation

    def seed(self, snapshot: Snapshot, channels: dict[str, str]) -> None:
        """Start again from what the PBX says exists (``channels``: channel key -> call key)."""
        self.legs.clear()
        self.channels = OrderedDict()
        self.members = {}
        for key, call_key in channels.items():
            self.channel(key, call_key)
        self.answered_calls.clear()
        self.rung_calls.clear()
        for leg in snapshot.legs:
            known = self.dialed(
                Leg(leg.leg_key, leg.call_key, leg.endpoint, leg.caller_number, leg.caller_name, leg.call_id)
            )
            known.rang = True
            if leg.state == LegState.UP:
                known.answered = True
                self.answered_calls.add(leg.call_key)


def leg_snapshot(leg: Leg) -> LegSnapshot:
    """A leg as a snapshot lists it."""
    return LegSnapshot(
        call_key=leg.call_key,
        leg_key=leg.leg_key,
        endpoint=leg.endpoint,
        state=LegState.UP if leg.answered else LegState.RINGING,
        caller_number=leg.caller_number,
        caller_name=leg.caller_name,
        call_id=leg.call_id,
    )
