"""What the fake AMI and the fake HTTP server share: users, recorded actions, the wire format.

Users mirror ``recorded/etc/manager.conf`` and ``ari.conf``; event
classes and ``Events:`` masks behave as in Asterisk 22.10.1
(``recorded/FINDINGS.txt``). The dialplan is in :mod:`testkit.fake_asterisk.dialplan`.
"""

from __future__ import annotations

import enum
import itertools
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from testkit.known_secrets import AMI_READONLY_SECRET, AMI_SECRET, ARI_SECRET

logger = logging.getLogger(__name__)

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
        "astitray": ManagerUser(AMI_SECRET),
        "readonly": ManagerUser(
            AMI_READONLY_SECRET, read=frozenset({"call", "reporting"}), write=frozenset({"reporting"})
        ),
    }


def ari_users() -> dict[str, AriUser]:
    return {"astitray": AriUser(ARI_SECRET)}


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
                logger.exception("fake Asterisk: a scheduled job failed")


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


def core_show_channels(user: ManagerUser, action_id: str) -> bytes:
    """``CoreShowChannels``: no channel and the end of the list (ami-35), or "Permission denied" (ami-33)."""
    if not ({"system", "reporting"} & user.write):
        return render(response("Error", action_id, ("Message", "Permission denied")))
    answer = response("Success", action_id, ("EventList", "start"), ("Message", "Channels will follow"))
    complete = [("Event", "CoreShowChannelsComplete"), ("ActionID", action_id), ("EventList", "Complete"),
                ("ListItems", "0")]  # fmt: skip
    return render(answer) + render(complete)
