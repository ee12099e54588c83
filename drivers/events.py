"""Live PBX events: the PBX-neutral vocabulary, and the event stream a driver offers.

A driver that can tell what happens on its PBX (phones ringing, calls
answered and ended, phone states) adds :class:`EventSource` to its bases
and returns an :class:`EventStream` from :meth:`EventSource.event_stream`.
The stream translates its PBX's own events (AMI, AJAM, ARI, ESL, ...) into
the small vocabulary below, at the level of **one phone leg**; everything
else (which user a phone belongs to, missed calls, ring groups, the call
log, presence, the events users receive) is done once for every PBX by the
listener (``manage.py pbx_events``). Nothing here imports Django.

The vocabulary (all frozen dataclasses, all with ``at``: when the PBX said
it, seconds since the epoch, 0 when the PBX gave no time):

- :class:`LegRinging`: a phone (``endpoint``, e.g. ``PJSIP/1001``,
  ``user/1001``) starts ringing for a call (``call_key``: the PBX-wide key
  of the whole call, Asterisk's Linkedid; ``leg_key``: this phone's leg,
  Asterisk's Uniqueid) from ``caller_number``/``caller_name``. A leg placed
  by one of our click-to-dial calls carries our ``call_id``.
- :class:`LegAnswered`, :class:`LegEnded` (with a :class:`LegEnd` reason),
  :class:`CallEnded` (every leg of ``call_key`` is gone).
- :class:`CallProgress`: one of our click-to-dial calls, keyed by OUR call
  id (the drivers put it on the call: AMI ``ChannelId``, ARI ``channelId``,
  ESL ``origination_uuid``), reached a :class:`~drivers.base.CallStatus`.
- :class:`PhoneChanged`: a phone's :class:`PhoneState`.
- :class:`PbxBooted`: the PBX has just started; for ``settle_s`` seconds
  its phone states are not to be trusted (every phone reads unavailable
  until it is qualified again).

A stream is used by one thread: :meth:`EventStream.open`, then
:meth:`EventStream.snapshot` (what is going on now, to resynchronise after
every (re)connection: PBXs replay nothing), then :meth:`EventStream.read`
in a loop (it returns at the latest after ``timeout`` so the listener can
stop, renew its lease and sweep), and :meth:`EventStream.close`. A dropped
connection raises :class:`StreamLost`; the listener reconnects with
back-off, so a stream never retries by itself.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import queue
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from drivers.base import CallStatus, PbxConfig, PbxUnavailable

# --- States and reasons --------------------------------------------------------


class PhoneState(enum.StrEnum):
    """What a phone is doing, as the API reports it (``accounts.whoami``'s ``phone``)."""

    IDLE = "idle"
    RINGING = "ringing"
    IN_USE = "in_use"
    UNAVAILABLE = "unavailable"  # not registered, or unreachable
    UNKNOWN = "unknown"  # the PBX's state is not known


class LegEnd(enum.StrEnum):
    """Why one phone's leg ended."""

    ANSWERED = "answered"  # it was answered on this phone (then hung up)
    ANSWERED_ELSEWHERE = "answered_elsewhere"  # another phone of the group/queue took the call
    CALLER_CANCELLED = "caller_cancelled"  # the caller hung up while it rang
    NOT_ANSWERED = "not_answered"  # it rang until the ring timeout
    BUSY = "busy"  # the phone rejected the call (SIP 486, "decline" key)
    FAILED = "failed"  # anything else: unreachable, congestion, unknown cause


# --- Events --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PbxEvent:
    """Base of every event; ``at`` is the PBX's time of the event (epoch seconds, 0: unknown)."""

    kind: ClassVar[str] = ""
    at: float = 0.0


@dataclass(frozen=True, kw_only=True)
class LegRinging(PbxEvent):
    """``endpoint`` started ringing for the call ``call_key``; its leg is ``leg_key``.

    ``caller_number``/``caller_name`` are who calls, as the PBX gave them
    (Asterisk: the dialing channel's CallerIDNum/Name, or the phone
    channel's ConnectedLine; never the phone's own caller ID). ``call_id``
    is our call id when this leg is the first leg of one of our
    click-to-dial calls (the user's own phone ringing: not an incoming call).
    """

    kind = "leg_ringing"
    call_key: str
    leg_key: str
    endpoint: str
    caller_number: str = ""
    caller_name: str = ""
    call_id: str = ""


@dataclass(frozen=True, kw_only=True)
class LegAnswered(PbxEvent):
    """The phone ``endpoint`` answered its leg ``leg_key`` of ``call_key``."""

    kind = "leg_answered"
    call_key: str
    leg_key: str
    endpoint: str


@dataclass(frozen=True, kw_only=True)
class LegEnded(PbxEvent):
    """The leg ``leg_key`` of ``endpoint`` ended, for ``reason``.

    A stream may send it twice (Asterisk's queues end a cancelled member's
    leg twice): the listener ignores repeats.
    """

    kind = "leg_ended"
    call_key: str
    leg_key: str
    endpoint: str
    reason: LegEnd


@dataclass(frozen=True, kw_only=True)
class CallEnded(PbxEvent):
    """Every leg of the call ``call_key`` is gone (the caller's channel hung up)."""

    kind = "call_ended"
    call_key: str


@dataclass(frozen=True, kw_only=True)
class CallProgress(PbxEvent):
    """Our click-to-dial call ``call_id`` reached ``status`` (final, or ``queued`` while ringing)."""

    kind = "call_progress"
    call_id: str
    status: CallStatus
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class PhoneChanged(PbxEvent):
    """The phone ``endpoint`` is now ``state``."""

    kind = "phone_changed"
    endpoint: str
    state: PhoneState


@dataclass(frozen=True, kw_only=True)
class PbxBooted(PbxEvent):
    """The PBX has just (re)started: phone states read unavailable for about ``settle_s`` seconds."""

    kind = "pbx_booted"
    settle_s: float = 6.0


# --- Snapshot ------------------------------------------------------------------


class LegState(enum.StrEnum):
    RINGING = "ringing"
    UP = "up"


@dataclass(frozen=True, kw_only=True)
class LegSnapshot:
    """One phone leg that exists now (Asterisk: a CoreShowChannel of a dialed phone)."""

    call_key: str
    leg_key: str
    endpoint: str
    state: LegState
    caller_number: str = ""
    caller_name: str = ""
    call_id: str = ""


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """What the PBX says is going on now, for resynchronising after a (re)connection.

    ``legs``: every phone leg that exists (a call whose legs are all
    absent has ended). ``calls``: the keys of every call with a channel
    left (a call ringing nobody yet, a click-to-dial leg); a call listed in
    neither has ended. ``phones``: the state of the phones the PBX knows;
    ``others`` is the state of any phone not listed (``UNKNOWN`` for a real
    PBX; the console PBX says ``IDLE``). ``booted``: the PBX started less
    than its settle time ago (its phone states are not to be trusted yet).
    """

    legs: tuple[LegSnapshot, ...] = ()
    calls: frozenset[str] = frozenset()
    phones: Mapping[str, PhoneState] = field(default_factory=dict)
    others: PhoneState = PhoneState.UNKNOWN
    booted: bool = False
    at: float = 0.0

    def call_ids(self) -> frozenset[str]:
        """Our call ids of the click-to-dial legs that still exist."""
        return frozenset(leg.call_id for leg in self.legs if leg.call_id)

    def live_calls(self) -> frozenset[str]:
        """Every call key with a leg or a channel left."""
        return self.calls | frozenset(leg.call_key for leg in self.legs)


# --- Errors ----------------------------------------------------------------------


class StreamLost(PbxUnavailable):
    """The event connection dropped (or the PBX restarted): reconnect, then resynchronise."""

    default_message = "the PBX event connection was lost"


# --- The interface ------------------------------------------------------------------


class EventStream(ABC):
    """One connection to a PBX's events, used by one thread (see the module's docstring)."""

    def __init__(self, config: PbxConfig) -> None:
        self.config = config

    @abstractmethod
    def open(self) -> None:
        """Connect, log in and subscribe.

        :raises PbxUnavailable: the PBX cannot be reached (``PbxAuthFailed``: login refused).
        """

    @abstractmethod
    def read(self, timeout: float) -> Sequence[PbxEvent]:
        """The next events, in the PBX's order, waiting at most ``timeout`` seconds for one.

        :returns: the events (possibly several), or ``[]`` when none came in time.
        :raises StreamLost: the connection dropped; the stream must be opened again.
        """

    @abstractmethod
    def snapshot(self) -> Snapshot:
        """What the PBX says is going on now (channels, device states); between reads only.

        :raises StreamLost: the connection dropped while asking.
        """

    def close(self) -> None:  # noqa: B027  (optional: a stream holding nothing open)
        """Close the connection; never raises."""

    def __enter__(self) -> EventStream:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventSource(ABC):
    """Mixed into a :class:`~drivers.base.Driver` whose PBX can tell what happens on it."""

    config: PbxConfig

    @abstractmethod
    def event_stream(self) -> EventStream:
        """A new stream on this driver's PBX, not opened yet."""


def offers_events(driver: object) -> bool:
    """Whether ``driver`` (an instance or a class) has an event stream."""
    cls = driver if isinstance(driver, type) else type(driver)
    return issubclass(cls, EventSource)


# --- Helpers for streams and their tests ------------------------------------------------


def endpoint_key(endpoint: str) -> str:
    """A phone's name compared as PBXs do: the technology's case ignored (``pjsip/1001`` = ``PJSIP/1001``)."""
    tech, sep, resource = endpoint.strip().partition("/")
    return f"{tech.lower()}/{resource}" if sep else endpoint.strip()


def endpoints_of(dial_string: str) -> tuple[str, ...]:
    """The phones a dial string rings: ``PJSIP/1001&PJSIP/1002`` -> both; ``user/1001@dom`` -> ``user/1001``.

    FreeSWITCH's ``sofia/internal/1001@dom`` is ``user/1001`` too (a gateway's is kept as it is).

    A ``Local/1001@context`` string rings whatever its dialplan says: it is
    kept whole (see :func:`match_keys`).
    """
    found = []
    for part in dial_string.split("&"):
        tech, sep, resource = part.strip().partition("/")
        if not sep or not resource:
            continue
        profile, slash, user = resource.partition("/")
        if tech.lower() == "sofia" and slash and user and profile.lower() != "gateway":
            # FreeSWITCH's sofia/<profile>/1001@domain rings directory user 1001 (its streams say user/1001).
            found.append(f"user/{user.split('@', 1)[0]}")
            continue
        if tech.lower() != "local":
            resource = resource.split("/", 1)[0]
            if tech.lower() == "user":
                resource = resource.split("@", 1)[0]
        found.append(f"{tech}/{resource}")
    return tuple(found)


def match_keys(endpoint: str) -> tuple[str, ...]:
    """The keys under which a phone (or an Extension's channel) is matched to the other side.

    A real phone ``PJSIP/1001`` is found under ``pjsip/1001`` and under
    ``exten:1001``; an Extension whose channel is ``Local/1001@ctx`` only
    under ``exten:1001`` (the phone its dialplan rings for number 1001).
    """
    tech, sep, resource = endpoint.strip().partition("/")
    if not sep:
        return ()
    if tech.lower() == "local":
        return (f"exten:{resource.split('@', 1)[0]}",)
    return (endpoint_key(endpoint), f"exten:{resource.split('@', 1)[0]}")


_EVENT_TYPES: dict[str, type[PbxEvent]] = {
    cls.kind: cls
    for cls in (LegRinging, LegAnswered, LegEnded, CallEnded, CallProgress, PhoneChanged, PbxBooted)
}
_ENUM_FIELDS: dict[str, type[enum.StrEnum]] = {
    "reason": LegEnd,
    "status": CallStatus,
    "state": PhoneState,
}


def event_to_dict(event: PbxEvent) -> dict[str, Any]:
    """``event`` as plain JSON-able values, with its ``kind``."""
    data = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    return {"kind": event.kind, **{k: (str(v) if isinstance(v, enum.Enum) else v) for k, v in data.items()}}


def event_from_dict(data: Mapping[str, Any]) -> PbxEvent:
    """The event :func:`event_to_dict` wrote.

    :raises ValueError: unknown kind, missing or unknown fields, bad values.
    """
    cls = _EVENT_TYPES.get(str(data.get("kind", "")))
    if cls is None:
        raise ValueError(f"unknown event kind {data.get('kind')!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, raw in data.items():
        if key == "kind":
            continue
        if key not in names:
            raise ValueError(f"{cls.kind}: unknown field {key!r}")
        values[key] = _field_value(cls, key, raw)
    try:
        return cls(**values)
    except TypeError as exc:
        raise ValueError(f"{cls.kind}: {exc}") from None


def _field_value(cls: type[PbxEvent], key: str, raw: Any) -> Any:
    if key in _ENUM_FIELDS and not (key == "reason" and cls is CallProgress):
        return _ENUM_FIELDS[key](raw)
    if key in ("at", "settle_s"):
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ValueError(f"{cls.kind}: {key} must be a number")
        return float(raw)
    if not isinstance(raw, str):
        raise ValueError(f"{cls.kind}: {key} must be text")
    return raw


class ProblemLog:
    """Logs the first problem of each kind, then counts the repeats (a flood logs once).

    ``problems.report("unknown channel", "AMI %s: Hangup of unknown channel %s", pbx, name)``;
    :meth:`summary` says how many of each were seen since the last summary.
    """

    def __init__(self, logger: logging.Logger, every_s: float = 300.0) -> None:
        self.logger = logger
        self.every_s = every_s
        self._counts: dict[str, int] = {}
        self._logged_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def report(self, kind: str, message: str, *args: object) -> None:
        """Log ``message`` if no problem of ``kind`` was logged in the last ``every_s`` seconds."""
        now = time.monotonic()
        with self._lock:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            last = self._logged_at.get(kind)
            if last is not None and now - last < self.every_s:
                return
            self._logged_at[kind] = now
        self.logger.warning(message, *args)

    def summary(self) -> dict[str, int]:
        """How many problems of each kind were reported since the last call (and forget them)."""
        with self._lock:
            counts, self._counts = self._counts, {}
        return counts


class QueueStream(EventStream):
    """A stream fed by the program itself: the base of the console PBX's stream and of test streams.

    :meth:`push` (any thread) adds events; :meth:`drop` makes the next read
    raise :class:`StreamLost`, as a dropped connection would.
    """

    def __init__(self, config: PbxConfig) -> None:
        super().__init__(config)
        self._queue: queue.Queue[PbxEvent | None] = queue.Queue()
        self._opened = False

    def open(self) -> None:
        self._opened = True

    def push(self, events: Iterable[PbxEvent]) -> None:
        for event in events:
            self._queue.put(event)

    def drop(self) -> None:
        self._queue.put(None)

    def read(self, timeout: float) -> list[PbxEvent]:
        if not self._opened:
            raise StreamLost("the stream is not open")
        events: list[PbxEvent] = []
        try:
            item = self._queue.get(timeout=max(timeout, 0.0))
            while True:
                if item is None:
                    self._opened = False  # the next read raises StreamLost
                    if events:
                        return events  # what came before the drop is handed over first
                    raise StreamLost()
                events.append(item)
                item = self._queue.get_nowait()
        except queue.Empty:
            return events

    def snapshot(self) -> Snapshot:
        return Snapshot(at=time.time())

    def close(self) -> None:
        self._opened = False
