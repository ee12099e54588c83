"""The Asterisk AJAM driver (``asterisk_ajam``): manager actions over HTTP, outcomes by polling.

AJAM is the AMI over Asterisk's HTTP server (manager.conf ``webenabled =
yes``, http.conf ``enabled = yes``). Requests go to ``/rawman`` (or
``/<prefix>/rawman`` when http.conf sets ``prefix``) as POST forms, so the
secret never appears in a URL. The session is the ``mansession_id`` cookie
(kept by a ``requests.Session``); Asterisk forgets it after ``httptimeout``
(60 s) idle and then answers "Permission denied". Every answer is HTTP 200:
the body (the same text as the AMI) says whether it worked.

- Originate: the same fields as the AMI driver (``Async``, ``Timeout`` in
  ms, one ``Variable`` per variable, ``Account``, auto-answer headers); the
  ActionID is the call's reference (Astitray's call id when given).
- "Permission denied" (expired session, or an account without the
  ``originate`` right): log in again and retry once: Asterisk executed
  nothing. A request that may have been executed (connection broken, no
  answer in time) is never retried: :class:`~drivers.base.OriginateOutcomeUnknown`.
- Outcomes: while calls are pending, a thread long-polls ``WaitEvent`` and
  reports each ``OriginateResponse`` with our ActionID. Calls whose session
  was lost, or whose outcome did not come in time, are reported ``unknown``.

Tuning, through ``PbxConfig.options``: ``wait_s`` (20: the WaitEvent
timeout), ``session_idle_s`` (50: log in again before Asterisk's 60 s
idle expiry), ``outcome_grace_s`` (60).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import requests

from drivers.ami.originate import originate_error, originate_headers, outcome_of
from drivers.ami.protocol import Header, Message, check_headers, describe, parse_messages
from drivers.asterisk_ami import option_float
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
    PbxUnavailable,
)
from drivers.http_transport import AnswerLost, base_url, request_error

logger = logging.getLogger(__name__)


@dataclass
class _QueuedCall:
    reference: str
    expires: float
    session: int | None = None  # the login generation that queued it (None: answer not read yet)


def _denied(reply: Message) -> bool:
    return not reply.ok and reply.text.strip().lower() == "permission denied"


class AsteriskAjamDriver(Driver):
    name = "asterisk_ajam"
    label = "Asterisk AJAM (manager over HTTP; reports call outcomes by polling)"
    default_port = 8088
    tls_port = 8089
    reports_outcome = True

    def __init__(self, config: PbxConfig, on_outcome: OutcomeCallback | None = None) -> None:
        super().__init__(config, on_outcome)
        options = config.options
        self.wait_s = option_float(options, "wait_s", 20.0)
        self.session_idle_s = option_float(options, "session_idle_s", 50.0)
        self.outcome_grace_s = option_float(options, "outcome_grace_s", 60.0)
        self.url = base_url(config, self.default_port, self.tls_port) + "/rawman"
        self.http = self._new_session()
        self._login_lock = threading.Lock()
        self._lock = threading.Lock()
        self._generation = 0  # increases at each successful login
        self._logged_in = False
        self._last_used = 0.0
        self._calls: dict[str, _QueuedCall] = {}
        self._poller: threading.Thread | None = None
        self._closing = threading.Event()

    @property
    def port(self) -> int | None:
        return self.config.port or (self.tls_port if self.config.use_tls else self.default_port)

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        session.headers["User-Agent"] = "Astitray"
        return session

    # --- the wire ------------------------------------------------------------------------

    def _post(self, http: requests.Session, params: list[Header], timeout: float) -> list[Message]:
        """POST one action; the messages of the answer (the reply first, then any events).

        :raises UnsafeValue: a control character in a parameter: nothing was sent.
        :raises RequestNotSent: the PBX was not reached. :raises AnswerLost: sent, no answer.
        :raises PbxUnavailable: an answer that is not AJAM's (wrong URL or prefix).
        """
        params = check_headers(params)
        where = f"AJAM {self.config.name} ({self.url})"
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s -> %s", where, describe(params))
        try:
            answer = http.post(self.url, data=params, timeout=max(timeout, 0.1))
        except requests.RequestException as exc:
            raise request_error(exc, where) from exc
        if answer.status_code == 404:
            logger.warning("%s: HTTP 404 (URL prefix? webenabled=yes in manager.conf?)", where)
            raise PbxUnavailable("the PBX has no AJAM at this address")
        content_type = answer.headers.get("Content-Type", "")
        if answer.status_code != 200 or not content_type.startswith("text/plain"):
            logger.warning("%s: unexpected answer: HTTP %s %s", where, answer.status_code, content_type)
            raise PbxUnavailable("the PBX gave an answer that is not AJAM's")
        messages = parse_messages(answer.content)
        if not messages:
            raise PbxUnavailable("the PBX gave an empty answer")
        if logger.isEnabledFor(logging.DEBUG):
            for message in messages:
                logger.debug("%s <- %s", where, message.describe())
        return messages

    def _login(self, deadline: float) -> None:
        """Log in (a new session). Callers hold ``_login_lock``."""
        params = [("Action", "Login"), ("Username", self.config.username), ("Secret", self.config.secret)]
        try:
            reply = self._post(self.http, params, deadline - time.monotonic())[0]
        except AnswerLost as exc:
            raise PbxUnavailable("the PBX did not answer the login in time") from exc
        if not reply.ok:
            logger.warning(
                "AJAM %s: login as %s refused: %s", self.config.name, self.config.username, reply.text
            )
            self._logged_in = False
            raise PbxAuthFailed()
        with self._lock:
            old = self._generation
            self._generation += 1
            self._logged_in = True
            self._last_used = time.monotonic()
        # Events queued in the old session are gone with it.
        self._session_lost(old, "the PBX session ended before the outcome")

    @contextlib.contextmanager
    def _logging_in(self, deadline: float) -> Iterator[None]:
        """Hold the login lock, waiting no longer than ``deadline`` (another thread may be logging in)."""
        if not self._login_lock.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
            raise PbxUnavailable("the PBX did not answer the login in time")
        try:
            yield
        finally:
            self._login_lock.release()

    def _ensure_login(self, deadline: float) -> int:
        with self._logging_in(deadline):
            idle = time.monotonic() - self._last_used
            if not self._logged_in or idle > self.session_idle_s:
                self._login(deadline)
            return self._generation

    def _action(self, params: list[Header], deadline: float) -> tuple[Message, int]:
        """The reply to one action and the session generation it ran in; logs in again once if denied."""
        generation = self._ensure_login(deadline)
        reply = self._post(self.http, params, deadline - time.monotonic())[0]
        if _denied(reply):
            # The session expired (or the account lacks the right): Asterisk executed nothing,
            # so one new login and one retry are safe.
            logger.info("AJAM %s: permission denied: logging in again", self.config.name)
            with self._logging_in(deadline):
                if self._generation == generation:
                    self._logged_in = False
                    self._login(deadline)
                generation = self._generation
            reply = self._post(self.http, params, deadline - time.monotonic())[0]
        self._last_used = time.monotonic()
        return reply, generation

    # --- originate ----------------------------------------------------------------------------

    def originate(self, request: OriginateRequest) -> OriginateResult:
        headers = originate_headers(request, self.config.context)
        deadline = time.monotonic() + self.config.timeout_s
        call = self._register(request)
        params = [("Action", "Originate"), *headers, ("ActionID", call.reference)]
        try:
            check_headers(params)
            reply, generation = self._action(params, deadline)
        except AnswerLost as exc:
            self._forget(call.reference)
            logger.warning("AJAM %s: originate %s sent, answer lost", self.config.name, call.reference)
            raise OriginateOutcomeUnknown() from exc
        except DriverError:
            self._forget(call.reference)
            raise
        if not reply.ok:
            self._forget(call.reference)
            logger.warning("AJAM %s: originate %s refused: %s", self.config.name, call.reference, reply.text)
            raise originate_error(reply)
        with self._lock:
            if call.reference in self._calls:
                call.session = generation
                self._ensure_poller()
        logger.info("AJAM %s: call %s queued (%s)", self.config.name, call.reference, request.channel)
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

    # --- outcomes --------------------------------------------------------------------------------

    def _ensure_poller(self) -> None:
        """Start the WaitEvent thread unless it runs (callers hold ``_lock``)."""
        if self._poller is not None and self._poller.is_alive():
            return
        self._poller = threading.Thread(
            target=self._poll_loop, args=(self._closing,), name="ajam-waitevent", daemon=True
        )
        self._poller.start()

    def _poll_loop(self, closing: threading.Event) -> None:
        failures = 0
        while not closing.is_set():
            with self._lock:
                if not self._calls:
                    self._poller = None
                    return
                generation = self._generation
            params = [("Action", "WaitEvent"), ("Timeout", str(int(self.wait_s)))]
            try:
                messages = self._post(self.http, params, self.wait_s + self.config.timeout_s)
            except DriverError as exc:
                failures += 1
                logger.warning("AJAM %s: waiting for events failed: %s", self.config.name, exc)
                if failures >= 3:
                    self._session_lost(generation, "the PBX stopped answering before the outcome")
                closing.wait(min(0.5 * 2**failures, 5.0))
                continue
            failures = 0
            if _denied(messages[0]):
                with self._lock:
                    if self._generation == generation:
                        self._logged_in = False
                self._session_lost(generation, "the PBX session ended before the outcome")
            else:
                self._last_used = time.monotonic()
                for message in messages[1:]:
                    if message.is_event and message.event == "OriginateResponse":
                        self._on_outcome(message)
            self._expire_calls()

    def _on_outcome(self, message: Message) -> None:
        with self._lock:
            call = self._calls.pop(message.action_id or "", None)
        if call is None:
            return
        status, reason = outcome_of(message)
        logger.info("AJAM %s: call %s ended %s (%s)", self.config.name, call.reference, status, reason)
        self._report(call.reference, status, reason)

    def _session_lost(self, generation: int, reason: str) -> None:
        with self._lock:
            lost = [c for c in self._calls.values() if c.session is not None and c.session <= generation]
            for call in lost:
                del self._calls[call.reference]
        for call in lost:
            self._report(call.reference, CallStatus.UNKNOWN, reason)

    def _expire_calls(self) -> None:
        now = time.monotonic()
        with self._lock:
            expired = [c for c in self._calls.values() if c.session is not None and c.expires < now]
            for call in expired:
                del self._calls[call.reference]
        for call in expired:
            self._report(call.reference, CallStatus.UNKNOWN, "the PBX never reported the outcome")

    def _report(self, reference: str, status: CallStatus, reason: str) -> None:
        try:
            self.report_outcome(reference, status, reason)
        except Exception:  # runs in the polling thread: it must survive
            logger.exception("AJAM %s: reporting the outcome of %s failed", self.config.name, reference)

    @property
    def awaiting(self) -> int:
        with self._lock:
            return len(self._calls)

    # --- check, close ---------------------------------------------------------------------------------

    def check(self) -> CheckResult:
        """A fresh session: reachable? login accepted? may this account originate?"""
        http = self._new_session()
        timeout = self.config.timeout_s
        try:
            try:
                reply = self._post(
                    http,
                    [("Action", "Login"), ("Username", self.config.username), ("Secret", self.config.secret)],
                    timeout,
                )[0]
            except DriverError as exc:
                return CheckResult(False, False, False, (f"Cannot use AJAM at {self.url}: {exc}.",))
            reached = f"Reached AJAM at {self.url}."
            if not reply.ok:
                return CheckResult(
                    True,
                    False,
                    False,
                    (
                        reached,
                        f"The login as {self.config.username!r} was refused: check the username and "
                        "secret (manager.conf) and its permit= lines.",
                    ),
                )
            messages = [reached, f"Logged in as {self.config.username!r}."]
            probe = [
                ("Action", "Originate"),
                ("Context", self.config.context),
                ("Exten", "s"),
                ("Priority", "1"),
                ("Async", "true"),
            ]
            text = self._post(http, probe, timeout)[0].text.lower()
            may: bool | None = None
            if "permission denied" in text:
                messages.append("This account may NOT originate calls: add 'originate' to its write= line.")
                may = False
            elif "channel not specified" in text:
                messages.append("This account may originate calls.")
                may = True
            else:
                messages.append("Could not tell whether this account may originate calls.")
            messages.append(
                "Call outcomes are read with WaitEvent: the account needs 'call' in its read= line."
            )
            with contextlib.suppress(DriverError):  # the session expires anyway
                self._post(http, [("Action", "Logoff")], timeout)
            return CheckResult(True, True, may, tuple(messages))
        except DriverError as exc:
            return CheckResult(True, True, None, (f"Logged in, then the PBX stopped answering: {exc}.",))
        finally:
            http.close()

    def close(self) -> None:
        """Stop polling, report what is still pending as unknown, log off (briefly)."""
        self._closing.set()
        self._closing = threading.Event()
        with self._lock:
            pending = list(self._calls.values())
            self._calls.clear()
            self._poller = None
            logged_in, self._logged_in = self._logged_in, False
        for call in pending:
            if call.session is not None:
                self._report(call.reference, CallStatus.UNKNOWN, "the PBX driver was closed")
        if logged_in:
            with contextlib.suppress(DriverError):  # the session expires anyway
                self._post(self.http, [("Action", "Logoff")], min(1.0, self.config.timeout_s))
        self.http.close()
        self.http = self._new_session()
