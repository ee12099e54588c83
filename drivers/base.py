"""The interface every PBX driver implements, and the values it works with.

A driver only needs a way to originate a call: subclass :class:`Driver`,
fill in :meth:`Driver.originate` and :meth:`Driver.check`, and register the
class (README, "Writing a driver"). Nothing here imports Django: a driver is
a plain object built from a :class:`PbxConfig`, testable alone.
"""

from __future__ import annotations

import enum
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import ClassVar

# --- Errors -------------------------------------------------------------------


class DriverError(Exception):
    """Base of every driver error. ``str(err)`` is short and free of secrets."""

    default_message = "the PBX driver failed"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)


class PbxUnavailable(DriverError):
    """The PBX cannot be reached: refused, timed out, dropped, or not answering."""

    default_message = "the PBX cannot be reached"


class PbxAuthFailed(PbxUnavailable):
    """The PBX refused our login (wrong username or secret)."""

    default_message = "the PBX refused the login"


class PbxPermissionDenied(DriverError):
    """Logged in, but the account may not do this (e.g. no ``originate`` right)."""

    default_message = "the PBX account may not originate calls"


class OriginateRejected(DriverError):
    """The PBX refused this call (unknown context or extension, bad channel, ...)."""

    default_message = "the PBX refused the call"


class UnknownExtension(OriginateRejected):
    """The PBX's dialplan has no such number in the context (AMI: "Extension does not exist.")."""

    default_message = "the PBX has no such number in its dialplan context"


class OriginateFailed(OriginateRejected):
    """The PBX tried and could not call the caller's phone (AMI: "Originate failed")."""

    default_message = "the PBX could not call the phone"


class OriginateOutcomeUnknown(DriverError):
    """The originate was sent but its answer never came: it must not be sent again."""

    default_message = "the PBX did not confirm the call"


class UnsafeValue(DriverError, ValueError):
    """A value holds a control character (CR, LF, NUL, ...) and was not sent."""

    default_message = "a value holds a control character"


# --- Values -------------------------------------------------------------------


def is_safe_text(value: str) -> bool:
    """True if ``value`` holds no control or format character (CR, LF, NUL, DEL, U+2028, ...).

    A lone surrogate (JSON's ``"\\ud800"``) is refused too: it is not text
    and cannot be encoded for the wire.
    """
    return not any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp") for char in value)


def ensure_safe(name: str, value: str) -> str:
    """``value`` itself, or :class:`UnsafeValue` naming the field (never the value)."""
    if not isinstance(value, str):
        raise UnsafeValue(f"{name} must be text")
    if not is_safe_text(value):
        raise UnsafeValue(f"{name} holds a control character")
    return value


class CallStatus(enum.StrEnum):
    """What happened to a call, as the API reports it (API.md, "Call statuses")."""

    QUEUED = "queued"
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        return self is not CallStatus.QUEUED


@dataclass(frozen=True)
class PbxConfig:
    """What a driver knows of its PBX (built from a ``drivers.PbxServer`` row)."""

    name: str
    host: str = ""
    port: int | None = None
    use_tls: bool = False
    username: str = ""
    secret: str = field(default="", repr=False)
    url_prefix: str = ""
    context: str = "from-internal"
    ring_timeout_s: int = 30
    timeout_s: float = 5.0
    options: Mapping[str, str] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, f.name) for f in fields(self) if f.name != "options"))


@dataclass(frozen=True)
class OriginateRequest:
    """One call to place: ring ``channel``, then dial ``number`` in ``context``.

    Building one checks every text field: a control character anywhere raises
    :class:`UnsafeValue` before any driver sees it.
    """

    channel: str
    number: str
    context: str
    caller_id: str = ""
    ring_timeout_s: int = 30
    account_code: str = ""
    variables: Mapping[str, str] = field(default_factory=dict)
    auto_answer: bool = False
    # Astitray's own reference of the call (dialer.Call.call_id), for logs and correlation.
    call_id: str = ""

    def __post_init__(self) -> None:
        for name in ("channel", "number", "context", "caller_id", "account_code", "call_id"):
            ensure_safe(name, getattr(self, name))
        for key, value in self.variables.items():
            ensure_safe("variable name", key)
            ensure_safe(f"variable {key}", value)
            if "=" in key or not key:
                raise UnsafeValue("a variable name must be non-empty and hold no '='")
        if not self.channel or not self.number:
            raise UnsafeValue("channel and number are required")


@dataclass(frozen=True)
class OriginateResult:
    """The PBX accepted the call: the driver's reference for it, and its first status."""

    reference: str
    status: CallStatus = CallStatus.QUEUED
    reason: str = ""


@dataclass(frozen=True)
class CheckResult:
    """What :meth:`Driver.check` found, in words an admin understands."""

    reachable: bool
    login_ok: bool
    may_originate: bool | None  # None: the driver cannot tell without placing a call
    messages: tuple[str, ...] = ()
    banner: str = ""

    @property
    def ok(self) -> bool:
        return self.reachable and self.login_ok and self.may_originate is not False

    def summary(self) -> str:
        """The driver's sentences, in order."""
        return " ".join(self.messages)

    def headline(self) -> str:
        """The three answers in words: "reachable: yes, login accepted: yes, may originate calls: no"."""

        def word(value: bool | None) -> str:
            return "cannot tell" if value is None else ("yes" if value else "no")

        parts = [f"reachable: {word(self.reachable)}"]
        if self.reachable:
            parts.append(f"login accepted: {word(self.login_ok)}")
        if self.reachable and self.login_ok:
            parts.append(f"may originate calls: {word(self.may_originate)}")
        return ", ".join(parts)


# A driver calls this with (reference, final status, reason) when it learns a call's outcome.
OutcomeCallback = Callable[[str, CallStatus, str], None]


class Driver(ABC):
    """A PBX driver: originates calls and reports their outcome.

    Subclasses set ``name`` (the short name admins choose) and, when the PBX
    listens on a well-known port, ``default_port``.
    """

    name: ClassVar[str]
    label: ClassVar[str] = ""
    default_port: ClassVar[int | None] = None
    # False for drivers that only learn "queued" and never the outcome.
    reports_outcome: ClassVar[bool] = False

    def __init__(self, config: PbxConfig, on_outcome: OutcomeCallback | None = None) -> None:
        self.config = config
        self.on_outcome = on_outcome

    @property
    def port(self) -> int | None:
        return self.config.port or self.default_port

    @abstractmethod
    def originate(self, request: OriginateRequest) -> OriginateResult:
        """Ask the PBX to place the call.

        :returns: the driver's reference for the call and its first status.
        :raises PbxUnavailable: the PBX cannot be reached or refused the login.
        :raises PbxPermissionDenied, OriginateRejected: the PBX refused the call.
        :raises OriginateOutcomeUnknown: sent, but no answer came (never re-send).
        """

    @abstractmethod
    def check(self) -> CheckResult:
        """Connect, log in, and say what was found; never raises for PBX problems."""

    def report_outcome(self, reference: str, status: CallStatus, reason: str = "") -> None:
        """Pass a call's outcome to the registered callback, if any."""
        if self.on_outcome is not None:
            self.on_outcome(reference, status, reason)

    def close(self) -> None:  # noqa: B027  (optional hook: most drivers hold nothing open)
        """Release connections; the driver may be used again afterwards."""
