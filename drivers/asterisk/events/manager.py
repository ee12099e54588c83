"""Manager events (AMI over TCP, AJAM over HTTP: the same text) -> the neutral vocabulary.

:class:`ManagerTranslator` reads one event at a time, in the PBX's order,
and answers the neutral events it means (:mod:`drivers.events`):

- a phone rings: ``DialBegin`` names the dialed channel (``DestChannel``,
  ``DestUniqueid``, ``DestLinkedid``) and the caller (the dialing channel's
  ``CallerIDNum``/``CallerIDName``; an originated call has no dialing
  channel: the phone's connected line, the number we dial); ``LegRinging``
  comes at the first ``DialState RINGING`` or ``Newstate Ringing`` of that
  channel (a ringing channel never announced by a ``DialBegin`` is a leg
  too: its caller is its connected line);
- ``DialEnd ANSWER`` or ``Newstate Up`` of a leg: ``LegAnswered``; other
  ``DialEnd`` statuses are kept for the leg's ``Hangup``, which ends it
  (:mod:`~drivers.asterisk.events.book`) and, with the call's last
  channel, the call;
- our click-to-dial calls' outcomes (``CallProgress``) from
  ``OriginateResponse`` and the phone channel's ``DialEnd``/``Hangup``
  (:mod:`~drivers.asterisk.manager.originated`);
- ``DeviceStateChange`` of a phone device: ``PhoneChanged``;
  ``FullyBooted`` with a small ``Uptime``: ``PbxBooted``.

Everything else (dialplan, bridges, queues, CDRs, ``ExtensionStatus``
which repeats the device states per hint) is ignored. An event that lacks
what it needs is dropped and reported once per kind (:class:`~drivers.events.ProblemLog`).
:func:`manager_snapshot` builds the resynchronisation from the answers to
``CoreShowChannels`` and ``DeviceStateList`` (or ``ExtensionStateList``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from drivers.asterisk.events.book import CallBook, Leg
from drivers.asterisk.events.states import (
    cause_of,
    clean,
    device_state,
    endpoint_of,
    extension_state,
    is_call_id,
    is_phone_device,
)
from drivers.asterisk.manager.originated import OriginateOutcomes
from drivers.asterisk.manager.protocol import Message
from drivers.events import (
    CallProgress,
    LegSnapshot,
    LegState,
    PbxBooted,
    PbxEvent,
    PhoneChanged,
    PhoneState,
    ProblemLog,
    Snapshot,
)

# For about this long after a boot every phone reads unavailable (FINDINGS-events.txt: ~6 s).
SETTLE_S = 6.0
# The dialed channel's application in CoreShowChannels: Dial()'s (AppDial), an Originate's (AppDial2).
DIALED_APPS = frozenset({"appdial", "appdial2"})


class MissingHeader(ValueError):
    """An event lacks a header it needs (it is dropped)."""


def need(event: Message, key: str) -> str:
    """The value of ``key``. :raises MissingHeader: absent or empty."""
    value = event.get(key)
    if not value:
        raise MissingHeader(key)
    return value


class ManagerTranslator:
    """Manager events -> neutral events, for one connection's events in order (see the module docstring)."""

    def __init__(self, problems: ProblemLog, label: str = "AMI") -> None:
        self.problems = problems
        self.label = label
        self.book = CallBook()
        self.outcomes = OriginateOutcomes(is_call_id)
        self._handlers: dict[str, Callable[[Message], list[PbxEvent]]] = {
            "newchannel": self._channel_event,
            "newstate": self._newstate,
            "dialbegin": self._dial_begin,
            "dialstate": self._dial_state,
            "dialend": self._dial_end,
            "hangup": self._hangup,
            "devicestatechange": self._device_state,
            "fullybooted": self._booted,
            "originateresponse": self._progress,
        }

    def translate(self, event: Message) -> list[PbxEvent]:
        """The neutral events ``event`` means (often none); never raises for a bad event."""
        if not event.is_event:
            if any(not key for key, _ in event.headers):
                self.problems.report("garbage", "%s: unreadable text from the PBX ignored", self.label)
            return []
        handler = self._handlers.get((event.event or "").lower())
        if handler is None:
            return []
        try:
            return handler(event)
        except MissingHeader as exc:
            self.problems.report(
                f"missing {exc}", "%s: %s event without %s ignored", self.label, event.event, exc
            )
        except ValueError as exc:
            self.problems.report("bad value", "%s: %s event ignored: %s", self.label, event.event, exc)
        return []

    def translate_all(self, events: Iterable[Message]) -> list[PbxEvent]:
        return [out for event in events for out in self.translate(event)]

    # --- channels

    def _channel_event(self, event: Message) -> list[PbxEvent]:
        self.book.channel(need(event, "Uniqueid"), need(event, "Linkedid"))
        return [*self._progress(event)]

    def _newstate(self, event: Message) -> list[PbxEvent]:
        uid, call_key = need(event, "Uniqueid"), need(event, "Linkedid")
        self.book.channel(uid, call_key)
        self.outcomes.feed(event)
        state = (event.get("ChannelStateDesc") or "").lower()
        at = _at(event)
        if state == "ringing":
            if uid not in self.book.legs:  # a ringing channel is a dialed phone, announced or not
                self.book.dialed(
                    Leg(uid, call_key, _endpoint(need(event, "Channel")),
                        clean(event.get("ConnectedLineNum")), clean(event.get("ConnectedLineName")),
                        uid if is_call_id(uid) else "")
                )  # fmt: skip
            return self.book.ringing(uid, at)
        if state == "up" and uid in self.book.legs:
            return self.book.answered(uid, at)
        return []

    def _dialed(self, event: Message) -> Leg:
        """The leg a Dial* event names (its Dest* headers), kept in the book."""
        uid = need(event, "DestUniqueid")
        dialing = event.get("Channel")
        if dialing:  # the caller: the dialing channel's caller ID
            self.book.channel(need(event, "Uniqueid"), need(event, "Linkedid"))
            number, name = clean(event.get("CallerIDNum")), clean(event.get("CallerIDName"))
        else:  # an originated call: no dialing channel; the phone is connected to the number we dial
            number, name = clean(event.get("DestConnectedLineNum")), clean(event.get("DestConnectedLineName"))
        call_id = uid if not dialing and is_call_id(uid) else ""
        leg = Leg(
            uid, need(event, "DestLinkedid"), _endpoint(need(event, "DestChannel")), number, name, call_id
        )
        return self.book.dialed(leg)

    def _dial_begin(self, event: Message) -> list[PbxEvent]:
        self._dialed(event)
        self.outcomes.feed(event)
        return []

    def _dial_state(self, event: Message) -> list[PbxEvent]:
        leg = self._dialed(event)
        if (event.get("DialStatus") or "").upper() == "RINGING":
            return self.book.ringing(leg.leg_key, _at(event))
        return []

    def _dial_end(self, event: Message) -> list[PbxEvent]:
        leg = self._dialed(event)
        status = need(event, "DialStatus").upper()
        events = self.book.answered(leg.leg_key, _at(event)) if status == "ANSWER" else []
        if status != "ANSWER":
            self.book.dial_ended(leg.leg_key, status)
        return [*events, *self._progress(event)]

    def _hangup(self, event: Message) -> list[PbxEvent]:
        uid, call_key = need(event, "Uniqueid"), event.get("Linkedid") or ""
        events = self.book.hung_up(uid, cause_of(event.get("Cause")), _at(event), call_key)
        return [*events, *self._progress(event)]

    # --- outcomes of our click-to-dial calls

    def _progress(self, event: Message) -> list[PbxEvent]:
        return [
            CallProgress(call_id=call_id, status=status, reason=reason, at=_at(event))
            for call_id, status, reason in self.outcomes.feed(event)
        ]

    # --- phones, the PBX

    def _device_state(self, event: Message) -> list[PbxEvent]:
        device = need(event, "Device")
        if not is_phone_device(device):
            return []
        return [PhoneChanged(endpoint=device, state=device_state(need(event, "State")), at=_at(event))]

    def _booted(self, event: Message) -> list[PbxEvent]:
        uptime = float(need(event, "Uptime"))
        if uptime >= SETTLE_S:
            return []
        return [PbxBooted(settle_s=SETTLE_S - uptime, at=_at(event))]

    # --- resynchronisation

    def seed(self, snapshot: Snapshot, channels: dict[str, str]) -> None:
        """Start again from a snapshot (after each (re)connection)."""
        self.book.seed(snapshot, channels)


def _endpoint(channel: str) -> str:
    endpoint = endpoint_of(channel)
    if not endpoint:
        raise MissingHeader("a channel name")
    return endpoint


def _at(event: Message) -> float:
    """The PBX's time of an event: its ``Timestamp`` (manager.conf ``timestampevents``), else 0."""
    try:
        return float(event.get("Timestamp") or 0.0)
    except ValueError:
        return 0.0


def manager_snapshot(
    channels: Iterable[Message],
    devices: Iterable[Message] = (),
    extensions: Iterable[Message] = (),
    *,
    booted: bool = False,
) -> tuple[Snapshot, dict[str, str]]:
    """The snapshot from ``CoreShowChannel`` items and ``DeviceStateChange`` (or ``ExtensionStatus``) items.

    :returns: the snapshot, and every channel's call (Uniqueid -> Linkedid) to seed the translator.
    """
    legs: list[LegSnapshot] = []
    members: dict[str, str] = {}
    for item in channels:
        uid, call_key = item.get("Uniqueid") or "", item.get("Linkedid") or ""
        if not uid or not call_key:
            continue
        members[uid] = call_key
        leg = _snapshot_leg(item, uid, call_key)
        if leg is not None:
            legs.append(leg)
    phones: dict[str, PhoneState] = {}
    for item in extensions:  # a hint on one device names its state (group hints are skipped)
        hint = item.get("Hint") or ""
        if is_phone_device(hint):
            phones[hint] = extension_state(item.get("Status") or "")
    for item in devices:
        device = item.get("Device") or ""
        if is_phone_device(device):
            phones[device] = device_state(item.get("State") or "")
    snapshot = Snapshot(
        legs=tuple(legs), calls=frozenset(members.values()), phones=phones, booted=booted, at=time.time()
    )
    return snapshot, members


def _snapshot_leg(item: Message, uid: str, call_key: str) -> LegSnapshot | None:
    state = (item.get("ChannelStateDesc") or "").lower()
    dialed = (item.get("Application") or "").lower() in DIALED_APPS
    if not (dialed or state == "ringing") or state not in ("ringing", "up"):
        return None
    endpoint = endpoint_of(item.get("Channel") or "")
    if not endpoint:
        return None
    return LegSnapshot(
        call_key=call_key,
        leg_key=uid,
        endpoint=endpoint,
        state=LegState.UP if state == "up" else LegState.RINGING,
        caller_number=clean(item.get("ConnectedLineNum")),
        caller_name=clean(item.get("ConnectedLineName")),
        call_id=uid if is_call_id(uid) else "",
    )
