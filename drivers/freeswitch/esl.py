"""The FreeSWITCH Event Socket driver (``freeswitch_esl``): TCP, persistent, reports call outcomes.

One authenticated connection per process (:mod:`drivers.freeswitch.client`),
subscribed to ``BACKGROUND_JOB`` only. A dial sends, in one write::

    filter Job-UUID J
    bgapi originate {origination_uuid=U,...}user/1001 0044207946095 XML outbound
    Job-UUID: J

``+OK Job-UUID: J`` only means "queued" (a synchronous ``api originate``
would block the connection until the phone answers). The phone's channel
carries ``U`` (the call id when it is a UUID: the dialer's are), so every
channel event ties back to the call; the ``BACKGROUND_JOB`` event of ``J``
gives the outcome: ``+OK <uuid>`` answered, ``-ERR USER_BUSY`` busy,
``-ERR NO_ANSWER`` no answer, ``-ERR USER_NOT_REGISTERED`` /
``SUBSCRIBER_ABSENT`` failed with the reason (:mod:`~drivers.freeswitch.originate`).
The filter keeps other clients' jobs off this connection (once a
connection has a filter, only matching events reach it); it is deleted by
the monitor thread once the job answered.

- An originate whose reply never came raises
  :class:`~drivers.base.OriginateOutcomeUnknown` and is never sent again;
  a queued call whose connection is lost, or whose outcome is overdue, is
  reported ``unknown``.
- ESL has no per-command rights: its password opens every command to any
  address its ACL allows (docs/freeswitch.md). "Test connection" asks
  ``api version`` (mod_commands, which provides ``originate``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from drivers.base import (
    CallStatus,
    CheckProbe,
    Driver,
    DriverError,
    OriginateRejected,
    OriginateRequest,
    OriginateResult,
    OutcomeCallback,
    PbxConfig,
)
from drivers.events import EventSource
from drivers.freeswitch.client import ACL_REFUSED, EslClient, EslSettings, PbxAddressRefused
from drivers.freeswitch.originate import job_outcome, originate_command, origination_uuid
from drivers.freeswitch.protocol import EslMessage, parse_event
from drivers.freeswitch.stream import EslEventStream
from drivers.translation import gettext as _
from drivers.translation import gettext_noop

logger = logging.getLogger(__name__)

# Job filters deleted per second at most (one write, their replies read together).
UNFILTER_BATCH = 500


@dataclass(frozen=True)
class EslTuning:
    """How the driver paces its connection; the defaults suit FreeSWITCH (tests and benches change them).

    ``keepalive_s``: ask ``api status`` after this much silence;
    ``backoff_s``/``backoff_max_s``: wait before connecting again after
    failed attempts; ``outcome_grace_s``: how long after its ring and
    network timeouts an outcome is awaited; ``filter_jobs``: add a
    ``filter Job-UUID`` per call (False: every job's event reaches us).
    """

    keepalive_s: float = 20.0
    backoff_s: float = 0.5
    backoff_max_s: float = 10.0
    outcome_grace_s: float = 60.0
    filter_jobs: bool = True

    def __post_init__(self) -> None:
        for name in ("keepalive_s", "backoff_s", "backoff_max_s", "outcome_grace_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")


class FreeSwitchEslDriver(Driver, EventSource):
    name = "freeswitch_esl"
    label = "FreeSWITCH Event Socket (TCP; persistent connection; reports call outcomes)"
    protocol = "ESL"
    default_port = 8021
    reports_outcome = True
    login_hint = gettext_noop("check the password (event_socket.conf.xml)")

    def __init__(
        self, config: PbxConfig, on_outcome: OutcomeCallback | None = None, *, tuning: EslTuning | None = None
    ) -> None:
        super().__init__(config, on_outcome)
        self.tuning = tuning or EslTuning()
        self.outcome_grace_s = self.tuning.outcome_grace_s
        self._jobs: dict[str, str] = {}  # Job-UUID -> call reference
        self._unfilter: list[str] = []  # Job-UUIDs whose filter is to be deleted
        self._lock = threading.Lock()
        self.client = EslClient(
            self.esl_settings(),
            on_event=self._on_event,
            on_disconnect=self._on_disconnect,
            on_tick=self._on_tick,
        )

    def esl_settings(self, events: str = "BACKGROUND_JOB") -> EslSettings:
        return EslSettings(
            host=self.host,
            port=self.port or 8021,
            password=self.config.secret,
            use_tls=self.config.use_tls,
            ca_file=self.config.ca_file,
            timeout_s=self.config.timeout_s,
            events=events,
            keepalive_s=self.tuning.keepalive_s,
            backoff_s=self.tuning.backoff_s,
            backoff_max_s=self.tuning.backoff_max_s,
            label=self.config.name,
        )

    # --- originate ---------------------------------------------------------------

    def originate(self, request: OriginateRequest) -> OriginateResult:
        context = request.context or self.config.context
        # Refused before connecting (checked with the reference it will carry).
        originate_command(request, context, request.call_id or "astitray", origination_uuid(request.call_id))
        with self.placing(request) as reference:
            job = str(uuid.uuid4())
            line = originate_command(request, context, reference, origination_uuid(reference))
            with self._lock:
                self._jobs[job] = reference
            try:
                before = [f"filter Job-UUID {job}"] if self.tuning.filter_jobs else []
                reply = self.client.command(
                    line, [("Job-UUID", job)], before=before, on_reply=self._bind_when_queued(reference)
                )
            except BaseException:
                self._forget_job(job)
                raise
            if not reply.ok:
                self._forget_job(job)
                logger.warning(
                    "ESL %s: originate %s refused: %s", self.config.name, reference, reply.reply_text
                )
                raise OriginateRejected(
                    _("the PBX refused the call: %(reason)s") % {"reason": reply.reply_text}
                )
        logger.info("ESL %s: call %s queued (%s, job %s)", self.config.name, reference, request.channel, job)
        return OriginateResult(reference=reference, status=CallStatus.QUEUED, reason="queued by the PBX")

    def _bind_when_queued(self, reference: str) -> Callable[[EslMessage, int], None]:
        def on_reply(message: EslMessage, generation: int) -> None:
            # Runs in the reader thread, before the BACKGROUND_JOB that may follow in the same read.
            if message.ok:
                self.pending.bind(reference, generation)

        return on_reply

    def _forget_job(self, job: str) -> None:
        with self._lock:
            self._jobs.pop(job, None)
            if self.tuning.filter_jobs:
                self._unfilter.append(job)

    # --- outcomes ----------------------------------------------------------------

    def _on_event(self, message: EslMessage, generation: int) -> None:
        event = parse_event(message)
        if event is None or event.name != "BACKGROUND_JOB":
            return
        job = event.get("Job-UUID")
        with self._lock:
            reference = self._jobs.pop(job, None)
            if reference is not None and self.tuning.filter_jobs:
                self._unfilter.append(job)
        if reference is None:
            return  # another client's job, or one already reported
        status, reason = job_outcome(event.body)
        self.pending.settle(reference, status, reason)

    def _on_disconnect(self, generation: int, reason: str) -> None:
        # Events are not replayed on a new connection: the outcome of these calls is lost.
        self.pending.lose(generation, "the connection to the PBX was lost")
        with self._lock:
            self._unfilter.clear()  # the connection's filters went with it
            self._jobs = {job: ref for job, ref in self._jobs.items() if self.pending.awaits(ref)}

    def _on_tick(self) -> None:
        """Once a second (monitor thread): overdue outcomes, then finished jobs' filters in one write."""
        self.pending.expire()
        with self._lock:
            stale = [job for job, ref in self._jobs.items() if not self.pending.awaits(ref)]
            for job in stale:
                del self._jobs[job]
            if self.tuning.filter_jobs:
                self._unfilter += stale
            jobs, self._unfilter = self._unfilter[:UNFILTER_BATCH], self._unfilter[UNFILTER_BATCH:]
        if not jobs or not self.client.connected:
            return
        lines = [f"filter delete Job-UUID {job}" for job in jobs]
        try:
            self.client.command(lines[-1], before=lines[:-1])
        except DriverError as exc:
            logger.info("ESL %s: deleting %s job filters failed: %s", self.config.name, len(jobs), exc)

    # --- live events (the listener's own connection) ------------------------------------

    def event_stream(self) -> EslEventStream:
        """The PBX's live events over a connection of their own (:mod:`drivers.freeswitch.stream`)."""
        return EslEventStream(self.config, self.esl_settings())

    # --- check, close --------------------------------------------------------------

    @contextlib.contextmanager
    def check_session(self) -> Iterator[EslClient]:
        """A connection of its own, subscribed to nothing: the shared one is left alone."""
        client = EslClient(self.esl_settings(events=""))
        try:
            yield client
        finally:
            client.close()

    def check_login(self, probe: CheckProbe) -> str:
        client: EslClient = probe.session
        try:
            client.connect()
        except PbxAddressRefused:
            # Not the password: the template's "check the password" would mislead.
            raise DriverError(_(ACL_REFUSED)) from None
        finally:
            if client.answered:  # it sent auth/request (or its ACL refusal): reachable
                probe.answered("FreeSWITCH Event Socket")
        return _("password")

    def check_may_originate(self, probe: CheckProbe) -> tuple[bool | None, str]:
        reply = probe.session.command("api version")
        text = reply.reply_text.strip()
        if text.startswith("-ERR"):
            return (
                False,
                _(
                    "FreeSWITCH has no 'version' command: mod_commands (which provides originate) "
                    "is not loaded."
                ),
            )
        return (
            True,
            _("%(version)s; the Event Socket password allows every command, originate included.")
            % {"version": text.splitlines()[0] if text else "FreeSWITCH"},
        )

    def check_notes(self, probe: CheckProbe) -> list[str]:
        return [
            _(
                "Call outcomes arrive as BACKGROUND_JOB events; the second leg runs the number in "
                "context %(context)r (the XML dialplan)."
            )
            % {"context": self.config.context}
        ]

    def close(self) -> None:
        self.client.close()
        with self._lock:
            self._jobs.clear()
            self._unfilter.clear()
