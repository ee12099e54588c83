"""The Asterisk Manager Interface driver (``asterisk_ami``): TCP, persistent, reports outcomes.

One logged-in connection per process, opened on first use and shared by
the threads of the process (:mod:`drivers.ami.client`). A dial sends an
``Async`` Originate whose ActionID is the call's reference (Astitray's call
id when given); ``Response: Success`` means "queued", and the
``OriginateResponse`` event with that ActionID gives the outcome, passed on
through :meth:`~drivers.base.Driver.report_outcome` (answered, no answer,
busy, failed).

- The outcome may be reported from the reader thread before
  :meth:`AsteriskAmiDriver.originate` has returned: the reference is known
  before the call is sent (it is the call id when one is given).
- An originate whose answer never came (connection lost, no answer in
  time) raises :class:`~drivers.base.OriginateOutcomeUnknown` and is never
  sent again. A queued call whose connection is lost, or whose outcome has
  not come ``outcome_grace_s`` after its ring timeout, is reported
  ``unknown``.
- The login asks for ``call`` events only (``Events: call``): the
  OriginateResponse event is one; the manager.conf user needs ``read =
  call`` and ``write = originate`` (README).

Tuning, through ``PbxConfig.options`` (all optional): ``auth`` (``auto``,
``md5``, ``plain``), ``events`` (``call``), ``keepalive_s`` (20),
``backoff_s`` (0.5), ``backoff_max_s`` (10), ``outcome_grace_s`` (60).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from drivers.ami.client import AmiClient, AmiSettings
from drivers.ami.originate import originate_error, originate_headers, outcome_of
from drivers.ami.pending import ResponseLost
from drivers.ami.protocol import Message, check_headers
from drivers.base import (
    CallStatus,
    CheckResult,
    Driver,
    DriverError,
    OriginateOutcomeUnknown,
    OriginateRequest,
    OriginateResult,
    OutcomeCallback,
    PbxAuthFailed,
    PbxConfig,
)

logger = logging.getLogger(__name__)

AUTH_METHODS = ("auto", "md5", "plain")


@dataclass
class _QueuedCall:
    """A call sent to the PBX whose outcome is awaited."""

    reference: str
    expires: float
    generation: int | None = None  # the connection that queued it (None: answer not yet read)


def option_float(options: Mapping[str, str], name: str, default: float) -> float:
    raw = options.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"driver option {name} must be a number") from None
    if value < 0:
        raise ValueError(f"driver option {name} must not be negative")
    return value


class AsteriskAmiDriver(Driver):
    name = "asterisk_ami"
    label = "Asterisk AMI (TCP; persistent connection; reports call outcomes)"
    default_port = 5038
    tls_port = 5039
    reports_outcome = True

    def __init__(self, config: PbxConfig, on_outcome: OutcomeCallback | None = None) -> None:
        super().__init__(config, on_outcome)
        options = dict(config.options)
        self.outcome_grace_s = option_float(options, "outcome_grace_s", 60.0)
        self.client = AmiClient(
            self.ami_settings(),
            on_event=self._on_event,
            on_disconnect=self._on_disconnect,
            on_tick=self._expire_calls,
        )
        self._calls: dict[str, _QueuedCall] = {}
        self._lock = threading.Lock()

    @property
    def port(self) -> int | None:
        return self.config.port or (self.tls_port if self.config.use_tls else self.default_port)

    def ami_settings(self) -> AmiSettings:
        options = dict(self.config.options)
        auth = options.get("auth", "auto")
        if auth not in AUTH_METHODS:
            raise ValueError(f"driver option auth must be one of {', '.join(AUTH_METHODS)}")
        return AmiSettings(
            host=self.config.host or "127.0.0.1",
            port=self.port or self.default_port,
            username=self.config.username,
            secret=self.config.secret,
            use_tls=self.config.use_tls,
            timeout_s=self.config.timeout_s,
            auth=auth,
            events=options.get("events", "call"),
            keepalive_s=option_float(options, "keepalive_s", 20.0),
            backoff_s=option_float(options, "backoff_s", 0.5),
            backoff_max_s=option_float(options, "backoff_max_s", 10.0),
            label=self.config.name,
        )

    # --- originate ---------------------------------------------------------------

    def originate(self, request: OriginateRequest) -> OriginateResult:
        headers = originate_headers(request, self.config.context)
        check_headers([*headers, ("ActionID", request.call_id)])  # refused before connecting
        call = self._register(request)
        try:
            reply = self.client.action(
                "Originate", headers, action_id=call.reference, on_reply=self._make_reply_hook(call)
            )
        except ResponseLost as exc:
            self._forget(call.reference)
            logger.warning(
                "AMI %s: originate %s sent, answer lost: %s", self.config.name, call.reference, exc
            )
            raise OriginateOutcomeUnknown() from exc
        except DriverError:
            self._forget(call.reference)
            raise
        if not reply.ok:
            self._forget(call.reference)
            logger.warning("AMI %s: originate %s refused: %s", self.config.name, call.reference, reply.text)
            raise originate_error(reply)
        logger.info("AMI %s: call %s queued (%s)", self.config.name, call.reference, request.channel)
        return OriginateResult(reference=call.reference, status=CallStatus.QUEUED, reason="queued by the PBX")

    def _register(self, request: OriginateRequest) -> _QueuedCall:
        expires = time.monotonic() + request.ring_timeout_s + self.config.timeout_s + self.outcome_grace_s
        with self._lock:
            reference = request.call_id
            if not reference or reference in self._calls:
                reference = f"astitray-{uuid.uuid4().hex}"
            call = self._calls[reference] = _QueuedCall(reference, expires)
        return call

    def _forget(self, reference: str) -> None:
        with self._lock:
            self._calls.pop(reference, None)

    def _make_reply_hook(self, call: _QueuedCall) -> Callable[[Message, int], None]:
        def on_reply(message: Message, generation: int) -> None:
            # Runs in the reader thread, before the events that follow this answer are read.
            if message.ok:
                with self._lock:
                    call.generation = generation

        return on_reply

    # --- outcomes ----------------------------------------------------------------

    def _on_event(self, message: Message, generation: int) -> None:
        if message.event != "OriginateResponse" or message.action_id is None:
            return
        with self._lock:
            call = self._calls.pop(message.action_id, None)
        if call is None:
            return  # another client's call, or one already reported
        status, reason = outcome_of(message)
        logger.info("AMI %s: call %s ended %s (%s)", self.config.name, call.reference, status, reason)
        self._report(call.reference, status, reason)

    def _on_disconnect(self, generation: int, reason: str) -> None:
        # Events are not replayed on a new connection: the outcome of these calls is lost.
        with self._lock:
            lost = [c for c in self._calls.values() if c.generation == generation]
            for call in lost:
                del self._calls[call.reference]
        for call in lost:
            self._report(call.reference, CallStatus.UNKNOWN, "the connection to the PBX was lost")

    def _expire_calls(self) -> None:
        now = time.monotonic()
        with self._lock:
            expired = [c for c in self._calls.values() if c.generation is not None and c.expires < now]
            for call in expired:
                del self._calls[call.reference]
        for call in expired:
            self._report(call.reference, CallStatus.UNKNOWN, "the PBX never reported the outcome")

    def _report(self, reference: str, status: CallStatus, reason: str) -> None:
        try:
            self.report_outcome(reference, status, reason)
        except Exception:  # runs in the reader or monitor thread: it must survive
            logger.exception("AMI %s: reporting the outcome of %s failed", self.config.name, reference)

    @property
    def awaiting(self) -> int:
        """How many queued calls still wait for their outcome."""
        with self._lock:
            return len(self._calls)

    # --- check, close --------------------------------------------------------------

    def check(self) -> CheckResult:
        """A fresh connection: reachable? login accepted? may this account originate?"""
        s = self.ami_settings()
        where = f"{s.host}:{s.port}"
        probe = AmiClient(s)
        try:
            try:
                banner = probe.connect()
            except PbxAuthFailed:
                return CheckResult(
                    True,
                    False,
                    False,
                    (
                        f"Reached {where} ({probe.banner}).",
                        f"The login as {s.username!r} was refused: check the username and secret "
                        "(manager.conf) and its permit= lines.",
                    ),
                    banner=probe.banner,
                )
            except DriverError as exc:
                if probe.banner:
                    return CheckResult(
                        True,
                        False,
                        False,
                        (f"Reached {where} ({probe.banner}), but the login failed: {exc}.",),
                    )
                return CheckResult(False, False, False, (f"Cannot reach the AMI at {where}: {exc}.",))
            messages = [
                f"Reached {where} ({banner}).",
                f"Logged in as {s.username!r} ({probe.login_method}).",
            ]
            started = time.monotonic()
            probe.action("Ping")
            messages.append(f"The PBX answers in {(time.monotonic() - started) * 1000:.0f} ms.")
            may_originate = self._probe_originate(probe, messages)
            messages.append(
                "Call outcomes arrive as OriginateResponse events: the account needs 'call' in read=."
            )
            return CheckResult(True, True, may_originate, tuple(messages), banner=banner)
        except DriverError as exc:
            return CheckResult(True, True, None, (f"Logged in, then the PBX stopped answering: {exc}.",))
        finally:
            probe.close()

    def _probe_originate(self, probe: AmiClient, messages: list[str]) -> bool | None:
        # An Originate without a Channel is refused before anything is dialed: "Permission
        # denied" without the originate right, "Channel not specified" with it.
        reply = probe.action(
            "Originate",
            [("Context", self.config.context), ("Exten", "s"), ("Priority", "1"), ("Async", "true")],
        )
        text = reply.text.lower()
        if "permission denied" in text:
            messages.append("This account may NOT originate calls: add 'originate' to its write= line.")
            return False
        if "channel not specified" in text:
            messages.append("This account may originate calls.")
            return True
        messages.append(
            f"Could not tell whether this account may originate calls (the PBX said {reply.text!r})."
        )
        return None

    def close(self) -> None:
        self.client.close()
