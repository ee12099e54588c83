"""The interface every PBX driver implements, the values it works with, and its one error tree.

A driver only needs a way to originate a call: subclass :class:`Driver`
(or :class:`drivers.base_http.HttpDriver` for a PBX with an HTTP API),
fill in :meth:`Driver.originate` and the three small hooks of
:meth:`Driver.check`, and register the class (docs/writing-a-driver.md).
What every driver shares lives here once: the port (plain or TLS), the
"Test connection" template, the rule that an originate whose answer was
lost is never sent again, and the table of calls awaiting their outcome
(:mod:`drivers.outcomes`). Nothing here imports Django: a driver is a plain
object built from a :class:`PbxConfig`, testable alone.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import time
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from drivers.translation import gettext as _
from drivers.translation import gettext_noop

logger = logging.getLogger(__name__)

# --- Errors -------------------------------------------------------------------
#
# DriverError
# ├── PbxUnavailable            nothing was done: the PBX cannot be used now
# │   ├── PbxAuthFailed         the login was refused
# │   ├── RequestNotSent        a request never reached the PBX (safe to send again)
# │   └── AnswerLost            a request was sent, perhaps executed, and its answer never came
# ├── PbxPermissionDenied       logged in, but this account may not originate
# ├── OriginateRejected         the PBX refused this call
# │   ├── UnknownExtension
# │   └── OriginateFailed
# ├── OriginateOutcomeUnknown   an originate was sent and its answer lost: never send it again
# └── UnsafeValue               a control character: nothing was sent


class DriverError(Exception):
    """Base of every driver error. ``str(err)`` is short and free of secrets."""

    default_message = gettext_noop("the PBX driver failed")

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _(self.default_message))


class PbxUnavailable(DriverError):
    """The PBX cannot be reached: refused, timed out, dropped, or not answering."""

    default_message = gettext_noop("the PBX cannot be reached")


class PbxAuthFailed(PbxUnavailable):
    """The PBX refused our login (wrong username or secret)."""

    default_message = gettext_noop("the PBX refused the login")


class RequestNotSent(PbxUnavailable):
    """A request never reached the PBX (refused, no route, connect timeout, connection already gone)."""

    default_message = gettext_noop("the PBX cannot be reached")


class AnswerLost(PbxUnavailable):
    """A request was sent (perhaps executed) but its answer never came: connection lost or timed out.

    For an originate this becomes :class:`OriginateOutcomeUnknown` (see :meth:`Driver.placing`).
    """

    default_message = gettext_noop("the PBX did not answer")


class PbxPermissionDenied(DriverError):
    """Logged in, but the account may not do this (e.g. no ``originate`` right)."""

    default_message = gettext_noop("the PBX account may not originate calls")


class OriginateRejected(DriverError):
    """The PBX refused this call (unknown context or extension, bad channel, ...)."""

    default_message = gettext_noop("the PBX refused the call")


class UnknownExtension(OriginateRejected):
    """The PBX's dialplan has no such number in the context (AMI: "Extension does not exist.")."""

    default_message = gettext_noop("the PBX has no such number in its dialplan context")


class OriginateFailed(OriginateRejected):
    """The PBX tried and could not call the caller's phone (AMI: "Originate failed")."""

    default_message = gettext_noop("the PBX could not call the phone")


class OriginateOutcomeUnknown(DriverError):
    """The originate was sent but its answer never came: it must not be sent again."""

    default_message = gettext_noop("the PBX did not confirm the call")


class UnsafeValue(DriverError, ValueError):
    """A value holds a control character (CR, LF, NUL, ...) and was not sent."""

    default_message = gettext_noop("a value holds a control character")


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
    """What happened to a call, as the API reports it (the call statuses of docs/api.md)."""

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
    """What a driver knows of its PBX: the admin's ``drivers.PbxServer`` row, and ``options``.

    ``options`` are what the server (never the admin) gives a driver for its
    deployment, such as the console PBX's spool directory (drivers/console_events.py).
    """

    name: str
    host: str = ""
    port: int | None = None
    use_tls: bool = False
    # The PEM file of the CA that signed the PBX's certificate ("": the system's trust store).
    ca_file: str = ""
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
    """What :meth:`Driver.check` found, in words an admin understands.

    Build one with :meth:`unreachable`, :meth:`login_refused` or :meth:`logged_in`.
    """

    reachable: bool
    login_ok: bool
    may_originate: bool | None  # None: the driver cannot tell without placing a call
    messages: tuple[str, ...] = ()
    banner: str = ""

    @classmethod
    def unreachable(cls, *messages: str) -> CheckResult:
        """The PBX could not be reached (so nothing else is known)."""
        return cls(reachable=False, login_ok=False, may_originate=False, messages=messages)

    @classmethod
    def login_refused(cls, *messages: str, banner: str = "") -> CheckResult:
        """The PBX answered, and refused the login (or the login failed)."""
        return cls(reachable=True, login_ok=False, may_originate=False, messages=messages, banner=banner)

    @classmethod
    def logged_in(cls, may_originate: bool | None, *messages: str, banner: str = "") -> CheckResult:
        """Logged in; ``may_originate``: whether this account may place calls (None: cannot tell)."""
        return cls(
            reachable=True, login_ok=True, may_originate=may_originate, messages=messages, banner=banner
        )

    @property
    def ok(self) -> bool:
        return self.reachable and self.login_ok and self.may_originate is not False

    def summary(self) -> str:
        """The driver's sentences, in order."""
        return " ".join(self.messages)

    def headline(self) -> str:
        """The three answers in words: "reachable: yes, login accepted: yes, may originate calls: no"."""

        def word(value: bool | None) -> str:
            return _("cannot tell") if value is None else (_("yes") if value else _("no"))

        parts = [_("reachable: %(answer)s") % {"answer": word(self.reachable)}]
        if self.reachable:
            parts.append(_("login accepted: %(answer)s") % {"answer": word(self.login_ok)})
        if self.reachable and self.login_ok:
            parts.append(_("may originate calls: %(answer)s") % {"answer": word(self.may_originate)})
        return ", ".join(parts)


# A driver calls this with (reference, final status, reason) when it learns a call's outcome.
OutcomeCallback = Callable[[str, CallStatus, str], None]


# --- The driver ---------------------------------------------------------------


class Driver(ABC):
    """A PBX driver: originates calls, checks its PBX for the admin, reports outcomes.

    Subclasses set ``name`` (the short name admins choose) and, when the PBX
    listens on well-known ports, ``default_port`` and ``tls_port``. One
    instance serves every call of a process, from several threads.
    """

    name: ClassVar[str]
    label: ClassVar[str] = ""
    # What the driver talks to, in the admin's messages ("AMI", "ARI"); empty: the name.
    protocol: ClassVar[str] = ""
    default_port: ClassVar[int | None] = None
    # The usual port with TLS; None: the same as default_port.
    tls_port: ClassVar[int | None] = None
    # False for drivers that only learn "queued" and never the outcome.
    reports_outcome: ClassVar[bool] = False
    # How long after its ring and network timeouts a queued call's outcome is awaited.
    outcome_grace_s: float = 60.0
    # What to check when the PBX refuses the login, after "The login as 'user' was refused: ".
    login_hint: ClassVar[str] = gettext_noop("check the username and secret")

    def __init__(self, config: PbxConfig, on_outcome: OutcomeCallback | None = None) -> None:
        from drivers.outcomes import PendingOutcomes  # a sibling module built on this one

        self.config = config
        self.on_outcome = on_outcome
        # Calls whose outcome is awaited (drivers that learn outcomes asynchronously).
        self.pending = PendingOutcomes(
            self.report_outcome, label=f"{self.protocol or self.name} {config.name}"
        )

    # --- where the PBX is ---------------------------------------------------------

    @property
    def host(self) -> str:
        return self.config.host or "127.0.0.1"

    @property
    def port(self) -> int | None:
        """The admin's port, else the usual one (with TLS: ``tls_port`` when the driver has one)."""
        if self.config.port:
            return self.config.port
        if self.config.use_tls and self.tls_port is not None:
            return self.tls_port
        return self.default_port

    @property
    def where(self) -> str:
        """``host:port`` (IPv6 in brackets), for messages and logs."""
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"{host}:{self.port}" if self.port else host

    # --- calls ----------------------------------------------------------------------

    @abstractmethod
    def originate(self, request: OriginateRequest) -> OriginateResult:
        """Ask the PBX to place the call.

        :returns: the driver's reference for the call and its first status.
        :raises PbxUnavailable: the PBX cannot be reached or refused the login.
        :raises PbxPermissionDenied, OriginateRejected: the PBX refused the call.
        :raises OriginateOutcomeUnknown: sent, but no answer came (never re-send).
        """

    @contextlib.contextmanager
    def placing(self, request: OriginateRequest) -> Iterator[str]:
        """Send the originate of ``request`` inside this block; it yields the call's reference.

        The reference is the request's ``call_id`` (a new one if it has none).
        A driver that reports outcomes has the call registered in
        :attr:`pending` first (its outcome may come before ``originate``
        returns), and forgotten again if the block raises. An
        :class:`AnswerLost` raised inside becomes
        :class:`OriginateOutcomeUnknown`: the PBX may have placed the call,
        so it is never sent again.
        """
        if self.reports_outcome:
            reference = self.pending.register(request, self.config.timeout_s + self.outcome_grace_s)
        else:
            reference = request.call_id or self.pending.new_reference()
        try:
            yield reference
        except AnswerLost as exc:
            self.pending.forget(reference)
            logger.warning("%s: originate %s sent, answer lost: %s", self.pending.label, reference, exc)
            raise OriginateOutcomeUnknown() from exc
        except BaseException:
            self.pending.forget(reference)
            raise

    def report_outcome(self, reference: str, status: CallStatus, reason: str = "") -> None:
        """Pass a call's outcome to the registered callback, if any."""
        if self.on_outcome is not None:
            self.on_outcome(reference, status, reason)

    @property
    def awaiting(self) -> int:
        """How many queued calls still wait for their outcome."""
        return len(self.pending)

    def close(self) -> None:  # noqa: B027  (optional hook: most drivers hold nothing open)
        """Release connections; the driver may be used again afterwards."""

    # --- "Test connection": a template, and its hooks -------------------------------

    def check(self) -> CheckResult:
        """Reach the PBX, log in, ask whether this account may originate; never raises for PBX problems.

        A template: :meth:`check_login` (reach and log in), then
        :meth:`check_may_originate` and :meth:`check_notes`, sharing a
        :class:`CheckProbe` around what :meth:`check_session` opens (a fresh
        connection: the driver's own is left alone). A hook raises a
        :class:`DriverError` when its step fails; the template says it in the
        admin's words.
        """
        with self.check_session() as session:
            return self._run_check(CheckProbe(session))

    def _run_check(self, probe: CheckProbe) -> CheckResult:
        protocol = self.protocol or self.name
        try:
            how = self.check_login(probe)
        except DriverError as exc:
            if not probe.reached:
                return CheckResult.unreachable(
                    _("Cannot reach %(protocol)s at %(where)s: %(error)s.")
                    % {"protocol": protocol, "where": self.where, "error": exc}
                )
            if isinstance(exc, PbxAuthFailed) and not self.config.username:
                # A PBX logged in to with a password alone (FreeSWITCH's Event Socket).
                failed = _("The login was refused: %(hint)s.") % {"hint": _(self.login_hint)}
            elif isinstance(exc, PbxAuthFailed):
                failed = _("The login as %(username)r was refused: %(hint)s.") % {
                    "username": self.config.username,
                    "hint": _(self.login_hint),
                }
            else:
                failed = _("The login failed: %(error)s.") % {"error": exc}
            return CheckResult.login_refused(self._reached(probe), failed, banner=probe.banner)
        reached = self._reached(probe)
        if self.config.username:
            logged_in = (
                _("Logged in as %(username)r (%(how)s).") if how else _("Logged in as %(username)r.")
            ) % {"username": self.config.username, "how": how}
        else:
            logged_in = (_("Logged in (%(how)s).") % {"how": how}) if how else _("Logged in.")
        try:
            started = time.monotonic()
            may_originate, said = self.check_may_originate(probe)
            answers = _("The PBX answers in %(ms).0f ms.") % {"ms": (time.monotonic() - started) * 1000}
            notes = self.check_notes(probe)
        except DriverError as exc:
            stopped = _("Logged in, then the PBX stopped answering: %(error)s.") % {"error": exc}
            return CheckResult.logged_in(None, reached, logged_in, stopped, banner=probe.banner)
        return CheckResult.logged_in(
            may_originate, reached, logged_in, said, answers, *notes, banner=probe.banner
        )

    def _reached(self, probe: CheckProbe) -> str:
        where = {"protocol": self.protocol or self.name, "where": self.where, "banner": probe.banner}
        if probe.banner:
            return _("Reached %(protocol)s at %(where)s (%(banner)s).") % where
        return _("Reached %(protocol)s at %(where)s.") % where

    def check_session(self) -> contextlib.AbstractContextManager[Any]:
        """What the hooks of one :meth:`check` share (:attr:`CheckProbe.session`), closed afterwards.

        The default shares nothing (``None``).
        """
        return contextlib.nullcontext()

    def check_login(self, probe: CheckProbe) -> str:
        """Reach the PBX and log in; how (e.g. "MD5 challenge"), or "".

        Call ``probe.answered(banner)`` as soon as the PBX answered: a
        failure after it reads "reachable: yes, login accepted: no".

        :raises PbxAuthFailed: the login was refused. :raises DriverError: any other failure.
        """
        raise NotImplementedError(f"{type(self).__name__} must fill in check_login() or check()")

    def check_may_originate(self, probe: CheckProbe) -> tuple[bool | None, str]:
        """Whether this account may originate (None: cannot tell), and a sentence saying so.

        Ask without placing a call. The default cannot tell.
        """
        return (None, _("Could not tell whether this account may originate calls."))

    def check_notes(self, probe: CheckProbe) -> list[str]:
        """What else the admin should know or check (sentences); none by default."""
        return []


@dataclass
class CheckProbe:
    """One run of :meth:`Driver.check`: the session its hooks share, and whether the PBX answered."""

    session: Any = None
    reached: bool = False
    banner: str = ""  # what the PBX says it is (an AMI banner, an HTTP Server header)

    def answered(self, banner: str = "") -> None:
        """The PBX answered (it is reachable), saying it is ``banner``."""
        self.reached = True
        self.banner = banner
