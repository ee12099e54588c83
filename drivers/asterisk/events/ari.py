"""ARI events (the ``/ari/events`` WebSocket, ``subscribeAll``) -> the neutral vocabulary.

What a real Asterisk 22 sends (FINDINGS-events.txt): one JSON message per
WebSocket text frame, each with ``type`` and ``timestamp``. ARI channel
objects carry no ``linkedid``: a call is keyed by the dialing channel's id
(the ``caller`` of its ``Dial`` events; Asterisk's Linkedid is that same id
for an incoming call), or by the phone channel's own id when there is no
caller (an originated call: that id is our call id, ``channelId``).

- ``Dial`` (``dialstatus`` "" at the start, then ``RINGING``, ``ANSWER``,
  ``BUSY``, ``NOANSWER``, ``CANCEL``; ``peer`` = the phone's channel) names
  the legs; ``ChannelStateChange`` ``Ringing``/``Up`` of a leg rings/answers
  it; ``ChannelHangupRequest`` gives a cause early, ``ChannelDestroyed``
  (``cause``) ends the leg (:mod:`~drivers.asterisk.events.book`);
- our click-to-dial calls (legs without a caller, whose id is a call id):
  ``Dial ANSWER`` -> answered, ``Dial BUSY`` or cause 17 -> busy, destroyed
  unanswered with cause 19 -> no answer, else failed (``CallProgress``);
- ``DeviceStateChanged`` of a phone device -> ``PhoneChanged``.

With subscriptions per endpoint instead of ``subscribeAll`` Asterisk sends
no ``Dial`` events (they belong to the caller's channel): the caller and
the call would be unknown, so the stream subscribes to everything.
:func:`ari_snapshot` builds the resynchronisation from ``GET /ari/channels``
and ``GET /ari/endpoints`` (``GET /ari/deviceStates`` lists only Stasis
devices: empty).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from drivers.asterisk.events.book import CallBook, Leg
from drivers.asterisk.events.states import (
    ari_time,
    cause_of,
    clean,
    device_state,
    endpoint_of,
    is_call_id,
    is_phone_device,
)
from drivers.asterisk.manager.originated import cause_outcome
from drivers.base import CallStatus
from drivers.events import (
    CallProgress,
    LegSnapshot,
    LegState,
    PbxEvent,
    PhoneChanged,
    PhoneState,
    ProblemLog,
    Snapshot,
    endpoints_of,
)

Json = Mapping[str, Any]
MAX_CALLS = 10_000
DIALED_APPS = frozenset({"appdial", "appdial2"})
DIALING_APPS = frozenset({"dial", "queue"})


class BadMessage(ValueError):
    """A message lacks what it needs (it is dropped)."""


def _object(message: Json, key: str) -> Json:
    value = message.get(key)
    if not isinstance(value, Mapping) or not isinstance(value.get("id"), str) or not value["id"]:
        raise BadMessage(f"no {key}")
    return value


def _party(channel: Json, key: str) -> tuple[str, str]:
    """(number, name) of a channel's ``caller`` or ``connected``."""
    party = channel.get(key)
    if not isinstance(party, Mapping):
        return ("", "")
    return (clean(str(party.get("number") or "")), clean(str(party.get("name") or "")))


class AriTranslator:
    """ARI messages -> neutral events, for one WebSocket's messages in order (see the module docstring)."""

    def __init__(self, problems: ProblemLog, label: str = "ARI") -> None:
        self.problems = problems
        self.label = label
        self.book = CallBook()
        self._reported: OrderedDict[str, bool] = OrderedDict()  # our call ids whose outcome was told
        self._handlers: dict[str, Callable[[Json, float], list[PbxEvent]]] = {
            "Dial": self._dial,
            "ChannelStateChange": self._state,
            "ChannelHangupRequest": self._hangup_request,
            "ChannelDestroyed": self._destroyed,
            "DeviceStateChanged": self._device_state,
        }

    def translate(self, message: object) -> list[PbxEvent]:
        """The neutral events of one decoded message; never raises for a bad one."""
        if not isinstance(message, Mapping) or not isinstance(message.get("type"), str):
            self.problems.report("garbage", "%s: a message that is not an ARI event ignored", self.label)
            return []
        handler = self._handlers.get(message["type"])
        if handler is None:
            return []
        try:
            return handler(message, ari_time(message.get("timestamp")))
        except (BadMessage, KeyError, TypeError, ValueError) as exc:
            kind = f"bad {message['type']}"
            self.problems.report(kind, "%s: %s event ignored: %s", self.label, message["type"], exc)
            return []

    # --- calls

    def _dial(self, message: Json, at: float) -> list[PbxEvent]:
        peer = _object(message, "peer")
        caller = message.get("caller") if isinstance(message.get("caller"), Mapping) else None
        endpoint = endpoint_of(str(peer.get("name") or ""))
        if not endpoint:
            raise BadMessage("no phone channel name")
        if caller is not None and caller.get("id"):
            call_key = str(caller["id"])
            self.book.channel(call_key, call_key)
            number, name = _party(caller, "caller")
            call_id = ""
        else:  # an originated call: the phone is connected to the number we dial
            call_key = str(peer["id"])
            number, name = _party(peer, "connected")
            call_id = call_key if is_call_id(call_key) else ""
        leg = self.book.dialed(Leg(str(peer["id"]), call_key, endpoint, number, name, call_id))
        status = str(message.get("dialstatus") or "").upper()
        if status == "RINGING":
            return self.book.ringing(leg.leg_key, at)
        if status == "ANSWER":
            return [
                *self.book.answered(leg.leg_key, at),
                *self._outcome(leg, (CallStatus.ANSWERED, "answered"), at),
            ]
        if status:
            self.book.dial_ended(leg.leg_key, status)
            if status == "BUSY":
                return self._outcome(leg, (CallStatus.BUSY, "busy"), at)
        return []

    def _state(self, message: Json, at: float) -> list[PbxEvent]:
        channel = _object(message, "channel")
        leg = self.book.legs.get(str(channel["id"]))
        if leg is None:  # not dialed (a caller's channel), or its Dial comes next
            return []
        state = str(channel.get("state") or "").lower()
        if state == "ringing":
            return self.book.ringing(leg.leg_key, at)
        if state == "up":
            return [
                *self.book.answered(leg.leg_key, at),
                *self._outcome(leg, (CallStatus.ANSWERED, "answered"), at),
            ]
        return []

    def _hangup_request(self, message: Json, at: float) -> list[PbxEvent]:
        channel = _object(message, "channel")
        self.book.cause(str(channel["id"]), cause_of(message.get("cause")))
        return []

    def _destroyed(self, message: Json, at: float) -> list[PbxEvent]:
        channel = _object(message, "channel")
        key = str(channel["id"])
        leg = self.book.legs.get(key)
        cause = cause_of(message.get("cause"))
        events: list[PbxEvent] = []
        if leg is not None and leg.call_id and not leg.answered:
            outcome = cause_outcome(cause if leg.cause is None or leg.cause == 0 else leg.cause,
                                    str(message.get("cause_txt") or ""))  # fmt: skip
            if leg.dial_status == "BUSY":
                outcome = (CallStatus.BUSY, "busy")
            events += self._outcome(leg, outcome, at)
        return [*events, *self.book.hung_up(key, cause, at)]

    def _outcome(self, leg: Leg, outcome: tuple[CallStatus, str], at: float) -> list[PbxEvent]:
        """The outcome of our click-to-dial call of ``leg``, once."""
        if not leg.call_id or leg.call_id in self._reported:
            return []
        self._reported[leg.call_id] = True
        while len(self._reported) > MAX_CALLS:
            self._reported.popitem(last=False)
        return [CallProgress(call_id=leg.call_id, status=outcome[0], reason=outcome[1], at=at)]

    # --- phones

    def _device_state(self, message: Json, at: float) -> list[PbxEvent]:
        device = message.get("device_state")
        if not isinstance(device, Mapping):
            raise BadMessage("no device_state")
        name = str(device.get("name") or "")
        if not is_phone_device(name):
            return []
        return [PhoneChanged(endpoint=name, state=device_state(str(device.get("state") or "")), at=at)]

    # --- resynchronisation

    def seed(self, snapshot: Snapshot, channels: dict[str, str]) -> None:
        self.book.seed(snapshot, channels)


def ari_snapshot(
    channels: Iterable[Json], endpoints: Iterable[Json], *, booted: bool = False, at: float = 0.0
) -> tuple[Snapshot, dict[str, str]]:
    """The snapshot from ``GET /ari/channels`` and ``GET /ari/endpoints``.

    A phone leg is a channel that rings or was dialed (``AppDial``,
    ``AppDial2``); its call is the channel dialing it (in ``Dial`` or
    ``Queue`` with the leg's connected number as caller), else itself.
    A phone's state: ``offline`` -> unavailable; online with a ringing
    channel -> ringing, with another channel -> in use, else idle.

    :returns: the snapshot, and every channel's call key to seed the translator.
    """
    items = [c for c in channels if isinstance(c, Mapping) and isinstance(c.get("id"), str)]
    dialing = [c for c in items if _app(c)[0] in DIALING_APPS]
    legs: list[LegSnapshot] = []
    members = {str(c["id"]): str(c["id"]) for c in items}
    for channel in items:
        leg = _snapshot_leg(channel, dialing)
        if leg is not None:
            legs.append(leg)
            members[leg.leg_key] = leg.call_key
    states = {str(c["id"]): str(c.get("state") or "").lower() for c in items}
    phones: dict[str, PhoneState] = {}
    for endpoint in endpoints:
        if not isinstance(endpoint, Mapping):
            continue
        name = f"{endpoint.get('technology', '')}/{endpoint.get('resource', '')}"
        if is_phone_device(name):
            phones[name] = _endpoint_state(endpoint, states)
    snapshot = Snapshot(
        legs=tuple(legs), calls=frozenset(members.values()), phones=phones, booted=booted, at=at
    )
    return snapshot, members


def _app(channel: Json) -> tuple[str, str]:
    dialplan = channel.get("dialplan")
    if not isinstance(dialplan, Mapping):
        return ("", "")
    return (str(dialplan.get("app_name") or "").lower(), str(dialplan.get("app_data") or ""))


def _snapshot_leg(channel: Json, dialing: list[Json]) -> LegSnapshot | None:
    state = str(channel.get("state") or "").lower()
    if not (_app(channel)[0] in DIALED_APPS or state == "ringing") or state not in ("ringing", "up"):
        return None
    endpoint = endpoint_of(str(channel.get("name") or ""))
    if not endpoint:
        return None
    key = str(channel["id"])
    number, name = _party(channel, "connected")
    call_key = key
    for candidate in dialing:
        app, data = _app(candidate)
        rings_it = app == "queue" or endpoint.lower() in (e.lower() for e in endpoints_of(data.split(",")[0]))
        if rings_it and _party(candidate, "caller")[0] == number:
            call_key = str(candidate["id"])
            break
    call_id = key if call_key == key and is_call_id(key) else ""
    return LegSnapshot(
        call_key=call_key,
        leg_key=key,
        endpoint=endpoint,
        state=LegState.UP if state == "up" else LegState.RINGING,
        caller_number=number,
        caller_name=name,
        call_id=call_id,
    )


def _endpoint_state(endpoint: Json, states: Mapping[str, str]) -> PhoneState:
    online = str(endpoint.get("state") or "").lower()
    if online == "offline":
        return PhoneState.UNAVAILABLE
    if online != "online":
        return PhoneState.UNKNOWN
    ids = endpoint.get("channel_ids")
    live = [states.get(str(i), "") for i in ids] if isinstance(ids, list) else []
    if any(state == "ringing" for state in live):
        return PhoneState.RINGING
    return PhoneState.IN_USE if live else PhoneState.IDLE
