"""FreeSWITCH events (ESL) -> the neutral vocabulary of :mod:`drivers.events`.

What the recordings show (``testkit/fake_freeswitch/recorded/FINDINGS-esl.txt``,
esl-03, esl-05, esl-06, esl-07):

- A phone rung by FreeSWITCH is a channel with ``Call-Direction: outbound``
  whose ``variable_dialed_user`` (else the user of ``Channel-Presence-ID``,
  ``1001@domain``) names the user: its endpoint is ``user/1001``.
  ``Channel-Name`` carries the phone's contact (``sofia/internal/1001-0x56...``),
  never the user. The call it belongs to is the ``Channel-Call-UUID`` it was
  created with (an incoming call's A leg; a click-to-dial leg's own UUID).
- ``CHANNEL_CALLSTATE`` ``RINGING`` (or ``CHANNEL_PROGRESS``): the phone
  rings, caller ``Caller-Caller-ID-Name``/``-Number``; ``CHANNEL_ANSWER``:
  answered; ``CHANNEL_HANGUP_COMPLETE``: the leg ended, with its
  ``Hangup-Cause`` (``ORIGINATOR_CANCEL``: the caller hung up, ``NO_ANSWER``,
  ``USER_BUSY``, ``LOSE_RACE``: another phone took it); the call ends with
  its last channel.
- A click-to-dial leg carries our call id (``variable_astitray_call_id``;
  the channel's UUID, its ``origination_uuid``, is the call id too); its
  outcome is the ``BACKGROUND_JOB`` of the ``originate`` (``Job-Command-Arg``
  holds the call's variables): ``CallProgress``.
- ``CUSTOM sofia::register``: the phone is registered (idle);
  ``sofia::unregister``/``sofia::expire`` and ``PRESENCE_IN`` with status
  ``Unregistered``: unavailable. While a phone's leg rings or is up, the
  phone reads ringing or in use.
- ``SHUTDOWN``: the server restarts (the connection closes right after).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from drivers.events import (
    CallEnded,
    CallProgress,
    LegAnswered,
    LegEnd,
    LegEnded,
    LegRinging,
    PbxEvent,
    PhoneChanged,
    PhoneState,
    ProblemLog,
    Snapshot,
)
from drivers.freeswitch.originate import CALL_ID_VARIABLE, job_outcome
from drivers.freeswitch.protocol import EslEvent

# The event subscription of the stream (CUSTOM last: every word after it is a subclass).
EVENTS = (
    "CHANNEL_CREATE CHANNEL_PROGRESS CHANNEL_CALLSTATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE "
    "BACKGROUND_JOB PRESENCE_IN SHUTDOWN CUSTOM sofia::register sofia::unregister sofia::expire"
)
# FreeSWITCH keeps registrations across a restart: its phone states need no settling; a
# snapshot taken this soon after a start says ``booted`` all the same (the listener decides).
SETTLE_S = 6.0

_LEG_ENDS = {
    "ORIGINATOR_CANCEL": LegEnd.CALLER_CANCELLED,
    "NO_ANSWER": LegEnd.NOT_ANSWERED,
    "NO_USER_RESPONSE": LegEnd.NOT_ANSWERED,
    "ALLOTTED_TIMEOUT": LegEnd.NOT_ANSWERED,
    "USER_BUSY": LegEnd.BUSY,
    "CALL_REJECTED": LegEnd.BUSY,
    "LOSE_RACE": LegEnd.ANSWERED_ELSEWHERE,
    "PICKED_OFF": LegEnd.ANSWERED_ELSEWHERE,
}
_CALL_ID_IN_ARGS = re.compile(re.escape(CALL_ID_VARIABLE) + r"=([A-Za-z0-9_.-]+)")
_UUID_IN_ARGS = re.compile(r"origination_uuid=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


@dataclass
class _Leg:
    call_key: str
    endpoint: str
    call_id: str
    ringing: bool = False
    answered: bool = False


def endpoint_of(event: EslEvent) -> str:
    """``user/<user>`` of the phone a channel rings, or "" when it names none."""
    user = event.get("variable_dialed_user") or event.get("Channel-Presence-ID").partition("@")[0]
    return f"user/{user}" if re.fullmatch(r"[A-Za-z0-9_.+*#-]+", user or "") else ""


def click_to_dial_id(event: EslEvent) -> str:
    """The call id of a click-to-dial leg (an API ``originate`` of a phone), "" for any other channel.

    Our calls carry ``astitray_call_id``; their UUID is the call id too, so
    an originated leg (its ``origination_uuid`` is its ``Unique-ID``, no
    other leg made it) gives its UUID: the dialer's call ids are UUIDs.
    """
    call_id = event.get(f"variable_{CALL_ID_VARIABLE}")
    if call_id:
        return call_id
    channel = event.get("Unique-ID")
    originated = event.get("variable_origination_uuid") == channel and not event.get("variable_originator")
    return channel if originated and not event.get("Other-Leg-Unique-ID") else ""


def timestamp(event: EslEvent) -> float:
    """``Event-Date-Timestamp`` (microseconds) in epoch seconds; 0 when absent."""
    try:
        return int(event.get("Event-Date-Timestamp")) / 1_000_000
    except ValueError:
        return 0.0


class EslTranslator:
    """FreeSWITCH events -> neutral events, for one connection's events in order (see the module)."""

    def __init__(self, problems: ProblemLog, label: str = "ESL") -> None:
        self.problems = problems
        self.label = label
        self._legs: dict[str, _Leg] = {}  # channel UUID -> a phone's leg
        self._calls: dict[str, set[str]] = {}  # call key -> its live channels
        self._channel_call: dict[str, str] = {}  # channel UUID -> its call key

    def translate_all(self, events: list[EslEvent]) -> list[PbxEvent]:
        found: list[PbxEvent] = []
        for event in events:
            found += self.translate(event)
        return found

    def translate(self, event: EslEvent) -> list[PbxEvent]:
        """The neutral events ``event`` means (often none)."""
        name = event.name
        at = timestamp(event)
        if name == "CHANNEL_CREATE":
            return self._created(event, at)
        if name in ("CHANNEL_PROGRESS", "CHANNEL_CALLSTATE"):
            return self._progress(event, at)
        if name == "CHANNEL_ANSWER":
            return self._answered(event, at)
        if name == "CHANNEL_HANGUP_COMPLETE":
            return self._hung_up(event, at)
        if name == "BACKGROUND_JOB":
            return self._job(event, at)
        return self._presence(event, name, at)

    def reset(self) -> None:
        """Forget every channel (a new connection: its snapshot says what is going on)."""
        self._legs.clear()
        self._calls.clear()
        self._channel_call.clear()

    def live_calls(self) -> frozenset[str]:
        return frozenset(self._calls)

    # --- channels ------------------------------------------------------------------

    def _created(self, event: EslEvent, at: float) -> list[PbxEvent]:
        channel = event.get("Unique-ID")
        if not channel:
            self.problems.report("no Unique-ID", "%s: CHANNEL_CREATE without Unique-ID dropped", self.label)
            return []
        call_key = event.get("Channel-Call-UUID") or event.get("Other-Leg-Unique-ID") or channel
        self._channel_call[channel] = call_key
        self._calls.setdefault(call_key, set()).add(channel)
        endpoint = endpoint_of(event)
        if event.get("Call-Direction") == "outbound" and endpoint:
            self._legs[channel] = _Leg(call_key, endpoint, click_to_dial_id(event))
        return []

    def _progress(self, event: EslEvent, at: float) -> list[PbxEvent]:
        leg = self._legs.get(event.get("Unique-ID"))
        if leg is None or leg.ringing or leg.answered:
            return []
        if event.name == "CHANNEL_CALLSTATE" and event.get("Channel-Call-State") != "RINGING":
            return []
        leg.ringing = True
        return [
            LegRinging(
                at=at,
                call_key=leg.call_key,
                leg_key=event.get("Unique-ID"),
                endpoint=leg.endpoint,
                caller_number=event.get("Caller-Caller-ID-Number"),
                caller_name=event.get("Caller-Caller-ID-Name"),
                call_id=leg.call_id,
            ),
            PhoneChanged(at=at, endpoint=leg.endpoint, state=PhoneState.RINGING),
        ]

    def _answered(self, event: EslEvent, at: float) -> list[PbxEvent]:
        channel = event.get("Unique-ID")
        leg = self._legs.get(channel)
        if leg is None or leg.answered:
            return []
        leg.answered = True
        return [
            LegAnswered(at=at, call_key=leg.call_key, leg_key=channel, endpoint=leg.endpoint),
            PhoneChanged(at=at, endpoint=leg.endpoint, state=PhoneState.IN_USE),
        ]

    def _hung_up(self, event: EslEvent, at: float) -> list[PbxEvent]:
        channel = event.get("Unique-ID")
        found: list[PbxEvent] = []
        leg = self._legs.pop(channel, None)
        if leg is not None:
            cause = event.get("Hangup-Cause")
            reason = LegEnd.ANSWERED if leg.answered else _LEG_ENDS.get(cause, LegEnd.FAILED)
            found.append(
                LegEnded(at=at, call_key=leg.call_key, leg_key=channel, endpoint=leg.endpoint, reason=reason)
            )
            if not any(other.endpoint == leg.endpoint for other in self._legs.values()):
                found.append(PhoneChanged(at=at, endpoint=leg.endpoint, state=PhoneState.IDLE))
        call_key = self._channel_call.pop(channel, None)
        if call_key is not None:
            channels = self._calls.get(call_key, set())
            channels.discard(channel)
            if not channels:
                self._calls.pop(call_key, None)
                found.append(CallEnded(at=at, call_key=call_key))
        return found

    # --- our calls' outcomes, phones ---------------------------------------------------

    def _job(self, event: EslEvent, at: float) -> list[PbxEvent]:
        if event.get("Job-Command") != "originate":
            return []
        arguments = event.get("Job-Command-Arg")
        match = _CALL_ID_IN_ARGS.search(arguments) or _UUID_IN_ARGS.search(arguments)
        if match is None:
            return []  # an originate without a call id: not a click-to-dial
        status, reason = job_outcome(event.body)
        return [CallProgress(at=at, call_id=match.group(1), status=status, reason=reason)]

    def _presence(self, event: EslEvent, name: str, at: float) -> list[PbxEvent]:
        if name == "sofia::register":
            user, state = event.get("from-user") or event.get("username"), PhoneState.IDLE
        elif name in ("sofia::unregister", "sofia::expire"):
            user, state = event.get("from-user") or event.get("username"), PhoneState.UNAVAILABLE
        elif name == "PRESENCE_IN" and event.get("status") == "Unregistered":
            user, state = event.get("from").partition("@")[0], PhoneState.UNAVAILABLE
        else:
            return []
        if not re.fullmatch(r"[A-Za-z0-9_.+*#-]+", user):
            self.problems.report("no user", "%s: %s without a user dropped", self.label, name)
            return []
        return [PhoneChanged(at=at, endpoint=f"user/{user}", state=state)]


def registrations_snapshot(listing: str, *, booted: bool, at: float) -> Snapshot:
    """The snapshot ``api show registrations`` gives: each registered user idle, the others unknown.

    The listing is CSV: a header line ``reg_user,realm,...``, one line per
    registration, an empty line and ``N total.``.
    """
    phones: dict[str, PhoneState] = {}
    for line in listing.splitlines()[1:]:
        user = line.split(",", 1)[0].strip()
        if line.count(",") >= 2 and re.fullmatch(r"[A-Za-z0-9_.+*#-]+", user):
            phones[f"user/{user}"] = PhoneState.IDLE
    return Snapshot(phones=phones, others=PhoneState.UNKNOWN, booted=booted, at=at)


def uptime_s(status: str) -> float | None:
    """Seconds since FreeSWITCH started, from ``api status`` ("UP 0 years, 0 days, ..., 25 seconds")."""
    match = re.search(r"UP (\d+) years?, (\d+) days?, (\d+) hours?, (\d+) minutes?, (\d+) seconds?", status)
    if match is None:
        return None
    years, days, hours, minutes, seconds = (int(part) for part in match.groups())
    return (((years * 365 + days) * 24 + hours) * 60 + minutes) * 60 + seconds
