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
  ActionID and ``ChannelId`` are the call's reference (Astitray's call id
  when given).
- "Permission denied" (expired session, or an account without the
  ``originate`` right): log in again and retry once: Asterisk executed
  nothing. A request that may have been executed (connection broken, no
  answer in time) is never retried: :class:`~drivers.base.OriginateOutcomeUnknown`.
- Outcomes: while calls are pending, a thread long-polls ``WaitEvent`` and
  reports each ``OriginateResponse`` with our ActionID (a Reason 0 decided
  by the phone channel's ``DialEnd``/``Hangup``: a rejected call is busy). Calls whose session
  was lost, or whose outcome did not come in time, are reported ``unknown``.
- Right after an Asterisk restart (seen as a 503 "Shutdown in progress", or
  a session forgotten while in use) Asterisk accepts an Originate before its
  phones have registered again (about 6 s after the boot), and the call
  fails "not registered": for ``starting_s`` (60) after such a restart the
  outcome says that the PBX had just restarted.

Tuning (:class:`AjamTuning`, for tests): ``wait_s`` (20: the WaitEvent
timeout), ``session_idle_s`` (50: log in again before Asterisk's 60 s
idle expiry), ``outcome_grace_s`` (60), ``starting_s`` (60).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import requests

from drivers.asterisk.events.ajam_stream import AjamEventStream
from drivers.asterisk.manager.originate import (
    listener_rights_note,
    originate_error,
    originate_headers,
    originate_right,
    right_probe,
)
from drivers.asterisk.manager.originated import STARTING_S, OriginateOutcomes, explained_after_restart
from drivers.asterisk.manager.protocol import Header, Message, check_headers, describe, parse_messages
from drivers.base import (
    AnswerLost,
    CallStatus,
    CheckProbe,
    DriverError,
    OriginateRequest,
    OriginateResult,
    OutcomeCallback,
    PbxAuthFailed,
    PbxConfig,
    PbxUnavailable,
)
from drivers.base_http import HttpDriver
from drivers.events import EventSource
from drivers.translation import gettext as _

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AjamTuning:
    """How the driver paces its session; the defaults suit Asterisk's (tests change them)."""

    wait_s: float = 20.0
    session_idle_s: float = 50.0
    outcome_grace_s: float = 60.0
    starting_s: float = STARTING_S

    def __post_init__(self) -> None:
        for name in ("wait_s", "session_idle_s", "outcome_grace_s", "starting_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")


def _denied(reply: Message) -> bool:
    return not reply.ok and reply.text.strip().lower() == "permission denied"


class AsteriskAjamDriver(HttpDriver, EventSource):
    name = "asterisk_ajam"
    label = "Asterisk AJAM (manager over HTTP; reports call outcomes by polling)"
    protocol = "AJAM"
    default_port = 8088
    tls_port = 8089
    api_path = "/rawman"
    reports_outcome = True
    login_hint = "check the username and secret (manager.conf) and its permit= lines"

    def __init__(
        self,
        config: PbxConfig,
        on_outcome: OutcomeCallback | None = None,
        *,
        tuning: AjamTuning | None = None,
    ) -> None:
        super().__init__(config, on_outcome)
        self.tuning = tuning or AjamTuning()
        self.outcome_grace_s = self.tuning.outcome_grace_s
        self._login_lock = threading.Lock()
        self._lock = threading.Lock()
        self._generation = 0  # increases at each successful login
        self._logged_in = False
        self._last_used = 0.0
        self._restarted_at = float("-inf")  # when a restart of the PBX was last seen (monotonic)
        self._poller: threading.Thread | None = None
        self._closing = threading.Event()
        self.outcomes = OriginateOutcomes(self.pending.awaits)

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
        answer = self.request("POST", session=http, data=params, timeout=timeout)
        if answer.status_code == 503:
            self._note_restart("HTTP 503 (shutting down)")
            raise PbxUnavailable("the PBX is restarting")
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

    def _login_params(self) -> list[Header]:
        return [("Action", "Login"), ("Username", self.config.username), ("Secret", self.config.secret)]

    def _login(self, deadline: float) -> None:
        """Log in (a new session). Callers hold ``_login_lock``."""
        try:
            reply = self._post(self.http, self._login_params(), deadline - time.monotonic())[0]
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
        self.pending.lose(old, "the PBX session ended before the outcome")

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
            if not self._logged_in or idle > self.tuning.session_idle_s:
                self._login(deadline)
            return self._generation

    def _action(self, params: list[Header], deadline: float) -> tuple[Message, int]:
        """The reply to one action and the session generation it ran in; logs in again once if denied."""
        generation = self._ensure_login(deadline)
        in_use = time.monotonic() - self._last_used < self.tuning.session_idle_s
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
            if reply.ok and in_use:
                # Not an idle expiry, nor a missing right (the retry worked): Asterisk lost every session.
                self._note_restart("a session in use was forgotten")
        self._last_used = time.monotonic()
        return reply, generation

    def _note_restart(self, sign: str) -> None:
        logger.info("AJAM %s: the PBX has restarted (%s)", self.config.name, sign)
        self._restarted_at = time.monotonic()

    def _explained(self, status: CallStatus, reason: str) -> str:
        """``reason``, with the PBX's recent restart when it explains a phone "not registered"."""
        since = time.monotonic() - self._restarted_at
        if since >= self.tuning.starting_s:
            return reason
        return explained_after_restart(status, reason, since)

    # --- originate ----------------------------------------------------------------------------

    def originate(self, request: OriginateRequest) -> OriginateResult:
        check_headers(originate_headers(request, self.config.context, request.call_id))
        deadline = time.monotonic() + self.config.timeout_s
        with self.placing(request) as reference:
            headers = originate_headers(request, self.config.context, channel_id=reference)
            params = check_headers([("Action", "Originate"), *headers, ("ActionID", reference)])
            reply, generation = self._action(params, deadline)
            if not reply.ok:
                logger.warning("AJAM %s: originate %s refused: %s", self.config.name, reference, reply.text)
                raise originate_error(reply)
        if self.pending.bind(reference, generation):
            with self._lock:
                self._ensure_poller()
        logger.info("AJAM %s: call %s queued (%s)", self.config.name, reference, request.channel)
        return OriginateResult(reference=reference, status=CallStatus.QUEUED, reason="queued by the PBX")

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
        wait_s = self.tuning.wait_s
        while not closing.is_set():
            with self._lock:
                if not self.pending:
                    self._poller = None
                    return
                generation = self._generation
            params = [("Action", "WaitEvent"), ("Timeout", str(int(wait_s)))]
            try:
                messages = self._post(self.http, params, wait_s + self.config.timeout_s)
            except DriverError as exc:
                failures += 1
                logger.warning("AJAM %s: waiting for events failed: %s", self.config.name, exc)
                if failures >= 3:
                    self.pending.lose(generation, "the PBX stopped answering before the outcome")
                closing.wait(min(0.5 * 2**failures, 5.0))
                continue
            failures = 0
            if _denied(messages[0]):
                self._note_restart("the event session was forgotten while polling")
                with self._lock:
                    if self._generation == generation:
                        self._logged_in = False
                self.pending.lose(generation, "the PBX session ended before the outcome")
            else:
                self._last_used = time.monotonic()
                for message in messages[1:]:
                    if message.is_event:
                        for reference, status, reason in self.outcomes.feed(message):
                            self.pending.settle(reference, status, self._explained(status, reason))
            self.pending.expire()

    # --- live events (the listener's own session) ------------------------------------------------------

    def event_stream(self) -> AjamEventStream:
        """The PBX's live events over a session of their own (:mod:`drivers.asterisk.events.ajam_stream`)."""

        def post(http: requests.Session, params: list[Header], timeout: float) -> requests.Response:
            return self.request("POST", session=http, data=params, timeout=timeout)

        return AjamEventStream(self.config, post, self.new_session, wait_s=self.tuning.wait_s)

    # --- check, close ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def check_session(self) -> Iterator[requests.Session]:
        """A session of its own (the shared one is left alone), logged off at the end."""
        with self.fresh_session() as http:
            try:
                yield http
            finally:
                if "mansession_id" in http.cookies:  # the PBX answered: a Logoff is quick
                    with contextlib.suppress(DriverError):  # the session expires anyway
                        self._post(http, [("Action", "Logoff")], self.config.timeout_s)

    def check_login(self, probe: CheckProbe) -> str:
        reply = self._post(probe.session, self._login_params(), self.config.timeout_s)[0]
        probe.answered()
        if not reply.ok:
            raise PbxAuthFailed()
        return ""

    def check_may_originate(self, probe: CheckProbe) -> tuple[bool | None, str]:
        params = [("Action", "Originate"), *right_probe(self.config.context)]
        return originate_right(self._post(probe.session, params, self.config.timeout_s)[0])

    def check_notes(self, probe: CheckProbe) -> list[str]:
        listing = self._post(probe.session, [("Action", "CoreShowChannels")], self.config.timeout_s)[0]
        return [
            _("Call outcomes are read with WaitEvent: the account needs 'call' in its read= line."),
            listener_rights_note(listing),
        ]

    def close(self) -> None:
        """Stop polling, report what is still pending as unknown, log off (briefly)."""
        self._closing.set()
        self._closing = threading.Event()
        with self._lock:
            self._poller = None
            logged_in, self._logged_in = self._logged_in, False
        self.pending.clear("the PBX driver was closed")
        if logged_in:
            with contextlib.suppress(DriverError):  # the session expires anyway
                self._post(self.http, [("Action", "Logoff")], min(1.0, self.config.timeout_s))
        super().close()
