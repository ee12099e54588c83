"""The console PBX's live events: simulated calls and phone states, so that a demo needs no PBX.

``manage.py simulate_call`` writes a *script* (events, each with a delay)
as a JSON file into the console PBX's spool directory
(``PbxConfig.options["spool_dir"]``); the console stream of the listener
picks each file up, plays its events at their time, and keeps the state a
real PBX would have (the phones' states, the legs that exist) for its
snapshot. Phones it never heard of are idle. Django-free, like every driver.

Script files are claimed by renaming them, so two streams on one spool (two
listeners during a takeover) never play a script twice.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from drivers.base import PbxConfig
from drivers.events import (
    CallEnded,
    LegAnswered,
    LegEnd,
    LegEnded,
    LegRinging,
    LegSnapshot,
    LegState,
    PbxEvent,
    PhoneChanged,
    PhoneState,
    ProblemLog,
    QueueStream,
    Snapshot,
    endpoint_key,
    event_from_dict,
    event_to_dict,
)

logger = logging.getLogger(__name__)

SPOOL_OPTION = "spool_dir"
_POLL_S = 0.05
_SCRIPT_SUFFIX = ".json"


@dataclass(frozen=True)
class Step:
    """One event of a script, ``after`` seconds after the script starts."""

    after: float
    event: PbxEvent


# --- Scripts ---------------------------------------------------------------------------


def incoming_call(
    endpoints: Sequence[str],
    caller_number: str,
    caller_name: str = "",
    *,
    answered_by: str = "",
    ring_s: float = 3.0,
    talk_s: float = 5.0,
    cancelled: bool = True,
    call_key: str = "",
) -> list[Step]:
    """An outside call ringing ``endpoints`` together (one phone, or a ring group).

    ``answered_by`` (one of ``endpoints``) answers after ``ring_s`` and hangs
    up ``talk_s`` later, the others of the group end "answered elsewhere";
    without it nobody answers: the caller gives up after ``ring_s``
    (``cancelled``) or the ring timeout ends every leg (``not cancelled``).

    :raises ValueError: no endpoint, or ``answered_by`` is not one of them.
    """
    if not endpoints:
        raise ValueError("a call rings at least one phone")
    if answered_by and answered_by not in endpoints:
        raise ValueError(f"{answered_by} is not one of the phones that ring")
    key = call_key or f"console-{time.time():.0f}.{secrets.token_hex(4)}"
    legs = {endpoint: f"{key}-{n}" for n, endpoint in enumerate(endpoints, 1)}
    steps = [
        Step(0.0, LegRinging(call_key=key, leg_key=legs[e], endpoint=e, caller_number=caller_number,
                             caller_name=caller_name))
        for e in endpoints
    ]  # fmt: skip
    if answered_by:
        steps.append(Step(ring_s, LegAnswered(call_key=key, leg_key=legs[answered_by], endpoint=answered_by)))
        elsewhere = LegEnd.ANSWERED_ELSEWHERE
        steps += [
            Step(ring_s, LegEnded(call_key=key, leg_key=legs[e], endpoint=e, reason=elsewhere))
            for e in endpoints
            if e != answered_by
        ]
        end = ring_s + talk_s
        steps.append(
            Step(end, LegEnded(call_key=key, leg_key=legs[answered_by], endpoint=answered_by,
                               reason=LegEnd.ANSWERED))
        )  # fmt: skip
    else:
        end = ring_s
        reason = LegEnd.CALLER_CANCELLED if cancelled else LegEnd.NOT_ANSWERED
        steps += [
            Step(end, LegEnded(call_key=key, leg_key=legs[e], endpoint=e, reason=reason)) for e in endpoints
        ]
    steps.append(Step(end, CallEnded(call_key=key)))
    return steps


def phone_state(endpoint: str, state: PhoneState) -> list[Step]:
    """A script that sets the console phone ``endpoint`` to ``state`` now."""
    return [Step(0.0, PhoneChanged(endpoint=endpoint, state=state))]


def write_script(spool_dir: str | os.PathLike[str], steps: Sequence[Step]) -> Path:
    """Put a script in the spool for the console stream; the file written."""
    directory = Path(spool_dir)
    directory.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"steps": [{"after": s.after, "event": event_to_dict(s.event)} for s in steps]})
    name = f"{time.time_ns():020d}-{secrets.token_hex(4)}"
    partial = directory / f".{name}.partial"
    partial.write_text(body, encoding="utf-8")
    final = directory / f"{name}{_SCRIPT_SUFFIX}"
    partial.rename(final)  # atomic: a stream never reads half a script
    return final


def read_script(text: str) -> list[Step]:
    """The steps of a script file.

    :raises ValueError: not JSON, or not a list of {"after", "event"} with valid events.
    """
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise ValueError('a script is {"steps": [...]}')
    steps = []
    for item in data["steps"]:
        if not isinstance(item, dict) or not isinstance(item.get("event"), dict):
            raise ValueError('a step is {"after": seconds, "event": {...}}')
        after = float(item.get("after", 0.0))
        if not 0.0 <= after <= 3600.0:
            raise ValueError("a step's delay is 0 to 3600 seconds")
        steps.append(Step(after, event_from_dict(item["event"])))
    return steps


# --- The stream ----------------------------------------------------------------------------


class ConsoleEventStream(QueueStream):
    """The console PBX's events: scripts from the spool, played on time, and the state they leave."""

    def __init__(self, config: PbxConfig) -> None:
        super().__init__(config)
        spool = config.options.get(SPOOL_OPTION, "")
        self.spool = Path(spool) if spool else None
        self._due: list[tuple[float, int, PbxEvent]] = []
        self._order = 0
        self._legs: dict[str, LegSnapshot] = {}
        self._phones: dict[str, PhoneState] = {}
        self._set_phones: dict[str, PhoneState] = {}  # states set by hand (unavailable, ...)
        self.problems = ProblemLog(logger)

    def read(self, timeout: float) -> list[PbxEvent]:
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            events = super().read(0.0)
            self._load_scripts()
            events += self._pop_due()
            if events or time.monotonic() >= deadline:
                return self._played(events)
            time.sleep(min(_POLL_S, max(deadline - time.monotonic(), 0.0)))

    def snapshot(self) -> Snapshot:
        return Snapshot(
            legs=tuple(self._legs.values()),
            phones={**self._phones, **self._set_phones},
            others=PhoneState.IDLE,
            at=time.time(),
        )

    # --- scripts

    def _load_scripts(self) -> None:
        if self.spool is None or not self.spool.is_dir():
            return
        for path in sorted(self.spool.glob(f"*{_SCRIPT_SUFFIX}")):
            claimed = path.with_name(f".{path.name}.{os.getpid()}.taken")
            try:
                path.rename(claimed)  # only one stream gets it
            except OSError:
                continue
            try:
                steps = read_script(claimed.read_text(encoding="utf-8"))
            except (OSError, ValueError, UnicodeDecodeError) as exc:
                self.problems.report("bad script", "console PBX: script %s ignored: %s", path.name, exc)
                steps = []
            finally:
                claimed.unlink(missing_ok=True)
            start = time.monotonic()
            for step in steps:
                self._order += 1
                self._due.append((start + step.after, self._order, step.event))
        self._due.sort(key=lambda item: (item[0], item[1]))

    def _pop_due(self) -> list[PbxEvent]:
        now = time.monotonic()
        count = 0
        while count < len(self._due) and self._due[count][0] <= now:
            count += 1
        due, self._due = self._due[:count], self._due[count:]
        return [event for _, _, event in due]

    # --- the state a real PBX would keep

    def _played(self, events: list[PbxEvent]) -> list[PbxEvent]:
        """``events`` with the phone states they cause, the stream's state updated."""
        played: list[PbxEvent] = []
        for event in events:
            played.append(event)
            change = self._apply(event)
            if change is not None:
                played.append(change)
        return played

    def _apply(self, event: PbxEvent) -> PbxEvent | None:
        if isinstance(event, PhoneChanged):
            self._set_phones[endpoint_key(event.endpoint)] = event.state
            if event.state in (PhoneState.IDLE, PhoneState.UNKNOWN):
                self._set_phones.pop(endpoint_key(event.endpoint), None)
            return None
        if isinstance(event, LegRinging):
            self._legs[event.leg_key] = LegSnapshot(
                call_key=event.call_key,
                leg_key=event.leg_key,
                endpoint=event.endpoint,
                state=LegState.RINGING,
                caller_number=event.caller_number,
                caller_name=event.caller_name,
                call_id=event.call_id,
            )
            return self._phone(event.endpoint, PhoneState.RINGING, event.at)
        if isinstance(event, LegAnswered):
            leg = self._legs.get(event.leg_key)
            if leg is not None:
                self._legs[event.leg_key] = LegSnapshot(**{**leg.__dict__, "state": LegState.UP})
            return self._phone(event.endpoint, PhoneState.IN_USE, event.at)
        if isinstance(event, LegEnded):
            self._legs.pop(event.leg_key, None)
            if any(endpoint_key(leg.endpoint) == endpoint_key(event.endpoint) for leg in self._legs.values()):
                return None
            return self._phone(event.endpoint, PhoneState.IDLE, event.at)
        if isinstance(event, CallEnded):
            for key in [k for k, leg in self._legs.items() if leg.call_key == event.call_key]:
                del self._legs[key]
        return None

    def _phone(self, endpoint: str, state: PhoneState, at: float) -> PhoneChanged | None:
        key = endpoint_key(endpoint)
        if key in self._set_phones:  # an unavailable console phone stays so
            return None
        if state == PhoneState.IDLE:
            self._phones.pop(key, None)
        else:
            self._phones[key] = state
        return PhoneChanged(endpoint=endpoint, state=state, at=at)
