"""What the fake Asterisk knows and does, shared by the fake AMI and the fake HTTP server.

Mirrors ``../shared/asterisk/etc/`` (users, contexts) and the recorded
behaviour of Asterisk 22.10.1 (``../shared/asterisk/FINDINGS.txt``): which
Originate is refused with which message, and the events a call produces.
"""

from __future__ import annotations

import enum
import itertools
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

Header = tuple[str, str]
Fields = Sequence[Header]

BANNER = "Asterisk Call Manager/11.0.0"
SERVER = "Asterisk/22.10.1"
# Channel technologies the fake can "call"; anything else fails like "Nonsense/1001".
TECHNOLOGIES = frozenset({"PJSIP", "SIP", "IAX2", "DAHDI", "LOCAL"})


class Reason(enum.IntEnum):
    """OriginateResponse ``Reason`` values (Asterisk's control frame codes)."""

    FAILED = 0  # the channel could not be created or called
    HANGUP = 1
    NO_ANSWER = 3  # rang, nobody answered before the timeout
    ANSWERED = 4
    BUSY = 5
    CONGESTION = 8


@dataclass(frozen=True)
class ManagerUser:
    """A manager.conf user (AMI and AJAM): read and write event classes."""

    secret: str
    read: frozenset[str] = frozenset({"system", "call", "dialplan", "originate", "reporting"})
    write: frozenset[str] = frozenset({"system", "call", "originate", "reporting", "command"})

    @property
    def may_originate(self) -> bool:
        return "originate" in self.write


@dataclass(frozen=True)
class AriUser:
    """An ari.conf user."""

    password: str
    read_only: bool = False


def manager_users() -> dict[str, ManagerUser]:
    """The users of ``etc/manager.conf``: ``astitray`` may originate, ``readonly`` may not."""
    return {
        "astitray": ManagerUser("astitray-secret"),
        "readonly": ManagerUser(
            "readonly-secret", read=frozenset({"call", "reporting"}), write=frozenset({"reporting"})
        ),
    }


def ari_users() -> dict[str, AriUser]:
    return {"astitray": AriUser("astitray-ari-secret")}


@dataclass(frozen=True)
class RecordedAction:
    """One action the fake received, headers parsed as Asterisk parses them, in order."""

    name: str
    headers: tuple[Header, ...]
    connection: int = 0  # which TCP connection (AMI) or HTTP session (AJAM) sent it
    transport: str = "ami"  # "ami", "ajam" or "ari"
    username: str = ""  # who was logged in when it arrived ("" before login)
    at: float = field(default_factory=time.monotonic)

    def get(self, key: str, default: str | None = None) -> str | None:
        """First value of ``key`` (case-insensitive), as Asterisk's ``astman_get_header``."""
        for name, value in self.headers:
            if name.lower() == key.lower():
                return value
        return default

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def get_all(self, key: str) -> list[str]:
        return [value for name, value in self.headers if name.lower() == key.lower()]

    def keys(self) -> list[str]:
        return [name for name, _ in self.headers]


def first(fields: Fields, key: str) -> str:
    """Asterisk's ``astman_get_header``: the first value, blanks skipped, "" when absent."""
    for name, value in fields:
        if name.lower() == key.lower():
            return value
    return ""


_NUMBER_RE = re.compile(r"\+?[0-9].+", re.DOTALL)  # the _X. and _+X. patterns of etc/extensions.conf
_CALLERID_RE = re.compile(r'\s*"?([^"<]*?)"?\s*<([^>]*)>\s*\Z')


def parse_callerid(value: str) -> tuple[str, str]:
    """``"Alice" <1001>`` -> (name, number)."""
    match = _CALLERID_RE.match(value)
    if match:
        return (match.group(1).strip() or "<unknown>", match.group(2).strip() or "<unknown>")
    if value.strip():
        return ("<unknown>", value.strip())
    return ("<unknown>", "<unknown>")


class Scheduler:
    """One thread running delayed jobs in time order (outcome events, periodic drops)."""

    def __init__(self) -> None:
        self._jobs: list[tuple[float, int, Callable[[], None]]] = []
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="fake-asterisk-scheduler", daemon=True)
        self._thread.start()

    def call_later(self, delay: float, job: Callable[[], None]) -> None:
        with self._cond:
            self._jobs.append((time.monotonic() + max(delay, 0.0), next(self._counter), job))
            self._jobs.sort()
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._jobs.clear()
            self._cond.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._jobs or self._jobs[0][0] > time.monotonic()):
                    timeout = self._jobs[0][0] - time.monotonic() if self._jobs else None
                    self._cond.wait(timeout)
                if self._stopped:
                    return
                _, _, job = self._jobs.pop(0)
            try:
                job()
            except Exception:  # a fake must keep serving
                import traceback

                traceback.print_exc()


class FakeDialplan:
    """Contexts, outcomes per dialed number, and the events of a call.

    ``contexts``: the contexts that exist (an Originate into another one is
    refused "Extension does not exist."). ``outcomes``: dialed number ->
    :class:`Reason` (``default_reason`` otherwise). ``outcome_delay``: seconds
    between the "queued" answer and the OriginateResponse event.
    """

    def __init__(
        self,
        contexts: Sequence[str] = ("outbound", "phones", "from-internal"),
        outcomes: dict[str, Reason] | None = None,
        default_reason: Reason = Reason.ANSWERED,
        outcome_delay: float = 0.003,
    ) -> None:
        self.contexts = set(contexts)
        self.outcomes: dict[str, Reason] = dict(outcomes or {})
        self.default_reason = default_reason
        self.outcome_delay = outcome_delay
        self._ids = itertools.count(1)

    def originate_error(self, fields: Fields, *, sync: bool) -> str | None:
        """Asterisk's synchronous refusal of this Originate, or None when it is accepted."""
        if not first(fields, "Channel"):
            return "Channel not specified"
        priority, timeout = first(fields, "Priority"), first(fields, "Timeout")
        if priority and not priority.lstrip("-").isdigit():
            return "Invalid priority"
        if timeout and not timeout.lstrip("-").isdigit():
            return "Invalid timeout"
        exten, context = first(fields, "Exten"), first(fields, "Context")
        if sync and exten and not (context and priority):
            return "Originate with 'Exten' requires 'Context' and 'Priority'"
        if exten and context and (context not in self.contexts or not _NUMBER_RE.fullmatch(exten)):
            return "Extension does not exist."
        return None

    def reason_for(self, fields: Fields) -> Reason:
        channel = first(fields, "Channel")
        tech, _, resource = channel.partition("/")
        if tech.upper() not in TECHNOLOGIES or not resource:
            return Reason.FAILED
        if tech.upper() == "LOCAL" and resource.partition("@")[2] not in self.contexts:
            return Reason.FAILED
        return self.outcomes.get(first(fields, "Exten"), self.default_reason)

    def call(self, fields: Fields, action_id: str) -> tuple[list[list[Header]], list[list[Header]]]:
        """The events of this call: (sent with the answer, sent ``outcome_delay`` later).

        The second list starts with the OriginateResponse event, followed by
        the hang-up events, as recorded from Asterisk.
        """
        n = next(self._ids)
        channel = first(fields, "Channel")
        context, exten = first(fields, "Context"), first(fields, "Exten")
        cid_name, cid_num = parse_callerid(first(fields, "CallerID"))
        reason = self.reason_for(fields)
        tech = channel.partition("/")[0].upper()
        uid = f"1795699235.{2 * n}"
        if tech not in TECHNOLOGIES:
            # Nonsense/1001: no channel at all, only the failure.
            return (
                [],
                [
                    self._originate_response(
                        action_id, channel, context, exten, reason, "<unknown>", ("<unknown>", "<unknown>")
                    )
                ],
            )
        if tech == "LOCAL":
            names = [f"{channel}-{n:08x};1", f"{channel}-{n:08x};2"]
        else:
            names = [f"{channel}-{n:08x}"]
        local_ctx = channel.partition("@")[2] or "default"
        early = [
            self._channel_event("Newchannel", name, "Down", local_ctx, uid, ("<unknown>", "<unknown>"))
            for name in names
        ]
        early.append(
            [
                *self._channel_event(
                    "Newexten",
                    names[0],
                    "Down",
                    local_ctx,
                    uid,
                    ("<unknown>", "<unknown>"),
                    privilege="dialplan,all",
                ),
                ("Extension", local_ctx),
                ("Application", "AppDial2"),
                ("AppData", "(Outgoing Line)"),
            ]
        )
        if reason == Reason.FAILED:
            late = [
                self._originate_response(
                    action_id, channel, context, exten, reason, "<unknown>", ("<unknown>", "<unknown>")
                ),
                *[
                    [
                        *self._channel_event(
                            "Hangup", name, "Down", local_ctx, uid, ("<unknown>", "<unknown>")
                        ),
                        ("Cause", "0"),
                        ("Cause-txt", "Unknown"),
                    ]
                    for name in names
                ],
                [
                    ("Event", "DeviceStateChange"),
                    ("Privilege", "call,all"),
                    ("Device", channel),
                    ("State", "INVALID"),
                ],
            ]
            return (early, late)
        early.append(
            [
                *self._channel_event("NewCallerid", names[0], "Down", local_ctx, uid, (cid_name, cid_num)),
                ("CID-CallingPres", "0 (Presentation Allowed, Not Screened)"),
            ]
        )
        early.append(
            [
                ("Event", "DialBegin"),
                ("Privilege", "call,all"),
                ("DestChannel", names[0]),
                ("DestChannelState", "0"),
                ("DestChannelStateDesc", "Down"),
                ("DialString", channel.partition("/")[2]),
            ]
        )
        dial_status, cause = {
            Reason.ANSWERED: ("ANSWER", "16"),
            Reason.NO_ANSWER: ("NOANSWER", "19"),
            Reason.BUSY: ("BUSY", "17"),
            Reason.CONGESTION: ("CONGESTION", "34"),
            Reason.HANGUP: ("CANCEL", "16"),
        }[reason]
        state = "Up" if reason == Reason.ANSWERED else "Down"
        late = [
            self._originate_response(
                action_id,
                names[0] if reason == Reason.ANSWERED else channel,
                context,
                exten,
                reason,
                uid,
                (cid_name, cid_num),
            )
        ]
        late.append([*self._channel_event("Newstate", names[0], state, local_ctx, uid, (cid_name, cid_num))])
        late.append(
            [
                ("Event", "DialEnd"),
                ("Privilege", "call,all"),
                ("DestChannel", names[0]),
                ("DestChannelState", "6" if state == "Up" else "0"),
                ("DestChannelStateDesc", state),
                ("DialStatus", dial_status),
            ]
        )
        if reason == Reason.ANSWERED:
            late.append(
                [
                    *self._channel_event(
                        "Newexten",
                        names[0],
                        "Up",
                        context,
                        uid,
                        (cid_name, cid_num),
                        exten=exten,
                        privilege="dialplan,all",
                    ),
                    ("Extension", exten),
                    ("Application", "Verbose"),
                    ("AppData", f"1,outbound: dialing {exten}"),
                ]
            )
        late += [
            [
                *self._channel_event("Hangup", name, state, local_ctx, uid, (cid_name, cid_num)),
                ("Cause", cause),
                ("Cause-txt", "Normal Clearing" if cause == "16" else "User busy"),
            ]
            for name in names
        ]
        return (early, late)

    @staticmethod
    def _channel_event(  # noqa: PLR0917  (one argument per field of the event)
        event: str,
        channel: str,
        state: str,
        context: str,
        uid: str,
        cid: tuple[str, str],
        *,
        exten: str = "",
        privilege: str = "call,all",
    ) -> list[Header]:
        state_num = {"Down": "0", "Ring": "4", "Up": "6"}[state]
        local_exten = exten or channel.partition("/")[2].partition("@")[0]
        return [
            ("Event", event),
            ("Privilege", privilege),
            ("Channel", channel),
            ("ChannelState", state_num),
            ("ChannelStateDesc", state),
            ("CallerIDNum", cid[1]),
            ("CallerIDName", cid[0]),
            ("ConnectedLineNum", "<unknown>"),
            ("ConnectedLineName", "<unknown>"),
            ("Language", "en"),
            ("AccountCode", ""),
            ("Context", context),
            ("Exten", local_exten),
            ("Priority", "1"),
            ("Uniqueid", uid),
            ("Linkedid", uid),
        ]

    @staticmethod
    def _originate_response(  # noqa: PLR0917  (one argument per field of the event)
        action_id: str, channel: str, context: str, exten: str, reason: Reason, uid: str, cid: tuple[str, str]
    ) -> list[Header]:
        headers: list[Header] = [("Event", "OriginateResponse"), ("Privilege", "call,all")]
        if action_id:
            headers.append(("ActionID", action_id))
        headers += [
            ("Response", "Success" if reason == Reason.ANSWERED else "Failure"),
            ("Channel", channel),
            ("Context", context),
            ("Exten", exten),
            ("Reason", str(int(reason))),
            ("Uniqueid", uid),
            ("CallerIDNum", cid[1]),
            ("CallerIDName", cid[0]),
        ]
        return headers


def event_classes(event: Fields) -> set[str]:
    """The classes of an event, from its ``Privilege`` header (``call,all`` -> {"call"})."""
    return {c for c in first(event, "Privilege").split(",") if c and c != "all"}


def parse_eventmask(value: str | None) -> set[str] | None:
    """A Login's ``Events:`` header: None = every event, empty set = none, else the classes."""
    if value is None or value.strip() == "":
        return None
    lowered = value.strip().lower()
    if lowered in ("on", "yes", "true", "y", "t", "1"):
        return None
    if lowered in ("off", "no", "false", "n", "f", "0"):
        return set()
    return {part.strip() for part in lowered.split(",") if part.strip()}


def wants(eventmask: set[str] | None, read: frozenset[str], event: Fields) -> bool:
    classes = event_classes(event)
    if not classes & read:
        return False
    return eventmask is None or bool(classes & eventmask)


def render(headers: Fields) -> bytes:
    """Headers as AMI wire text: ``Key: value\\r\\n`` lines and the empty line."""
    return "".join(f"{key}: {value}\r\n" for key, value in headers).encode() + b"\r\n"


def response(kind: str, action_id: str, *rest: Header) -> list[Header]:
    """``Response: kind``, the ActionID when the action had one (2nd line), then ``rest``."""
    headers: list[Header] = [("Response", kind)]
    if action_id:
        headers.append(("ActionID", action_id))
    headers += rest
    return headers
