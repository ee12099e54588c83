"""The Asterisk Manager Interface driver (``asterisk_ami``): TCP, persistent, reports outcomes.

One logged-in connection per process, opened on first use and shared by
the threads of the process (:mod:`drivers.asterisk.manager.client`). A dial
sends an ``Async`` Originate whose ActionID and ``ChannelId`` are the
call's reference (Astitray's call id when given); ``Response: Success``
means "queued", and the ``OriginateResponse`` event with that ActionID,
with the phone channel's ``DialEnd``/``Hangup`` (a phone rejecting the
call gives Reason 0, not busy: :mod:`~drivers.asterisk.manager.originated`),
gives the outcome, reported through the driver's table of pending outcomes
(:mod:`drivers.outcomes`: answered, no answer, busy, failed).

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
  call`` and ``write = originate`` (docs/asterisk.md).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from drivers.asterisk.events.ami_stream import AmiEventStream
from drivers.asterisk.manager.client import AmiClient, AmiSettings
from drivers.asterisk.manager.originate import (
    listener_rights_note,
    originate_error,
    originate_headers,
    originate_right,
    right_probe,
)
from drivers.asterisk.manager.originated import OriginateOutcomes
from drivers.asterisk.manager.protocol import Message, check_headers
from drivers.base import (
    CallStatus,
    CheckProbe,
    Driver,
    OriginateRequest,
    OriginateResult,
    OutcomeCallback,
    PbxConfig,
)
from drivers.events import EventSource
from drivers.translation import gettext as _
from drivers.translation import gettext_noop

logger = logging.getLogger(__name__)

AUTH_METHODS = ("auto", "md5", "plain")


@dataclass(frozen=True)
class AmiTuning:
    """How the driver paces its connection; the defaults suit Asterisk's (tests and benches change them).

    ``auth``: ``auto`` (the MD5 challenge when the PBX offers it, else the
    plaintext secret), ``md5`` or ``plain``; ``events``: the Login's
    ``Events:`` (``call`` carries OriginateResponse); ``keepalive_s``: ping
    after this much silence; ``backoff_s``/``backoff_max_s``: wait before
    connecting again after failed attempts; ``outcome_grace_s``: how long
    after its ring and network timeouts an outcome is awaited.
    """

    auth: str = "auto"
    events: str = "call"
    keepalive_s: float = 20.0
    backoff_s: float = 0.5
    backoff_max_s: float = 10.0
    outcome_grace_s: float = 60.0

    def __post_init__(self) -> None:
        if self.auth not in AUTH_METHODS:
            raise ValueError(f"auth must be one of {', '.join(AUTH_METHODS)}")
        for name in ("keepalive_s", "backoff_s", "backoff_max_s", "outcome_grace_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")


class AsteriskAmiDriver(Driver, EventSource):
    name = "asterisk_ami"
    label = "Asterisk AMI (TCP; persistent connection; reports call outcomes)"
    protocol = "AMI"
    default_port = 5038
    tls_port = 5039
    reports_outcome = True
    login_hint = gettext_noop("check the username and secret (manager.conf) and its permit= lines")

    def __init__(
        self, config: PbxConfig, on_outcome: OutcomeCallback | None = None, *, tuning: AmiTuning | None = None
    ) -> None:
        super().__init__(config, on_outcome)
        self.tuning = tuning or AmiTuning()
        self.outcome_grace_s = self.tuning.outcome_grace_s
        self.outcomes = OriginateOutcomes(self.pending.awaits)
        self.client = AmiClient(
            self.ami_settings(),
            on_event=self._on_event,
            on_disconnect=self._on_disconnect,
            on_tick=self.pending.expire,
        )

    def ami_settings(self) -> AmiSettings:
        return AmiSettings(
            host=self.host,
            port=self.port or self.default_port,
            username=self.config.username,
            secret=self.config.secret,
            use_tls=self.config.use_tls,
            ca_file=self.config.ca_file,
            timeout_s=self.config.timeout_s,
            auth=self.tuning.auth,
            events=self.tuning.events,
            keepalive_s=self.tuning.keepalive_s,
            backoff_s=self.tuning.backoff_s,
            backoff_max_s=self.tuning.backoff_max_s,
            label=self.config.name,
        )

    # --- originate ---------------------------------------------------------------

    def originate(self, request: OriginateRequest) -> OriginateResult:
        # Refused before connecting (the reference is the call id, or a new safe one).
        check_headers(originate_headers(request, self.config.context, request.call_id))
        with self.placing(request) as reference:
            headers = originate_headers(request, self.config.context, channel_id=reference)
            reply = self.client.action(
                "Originate", headers, action_id=reference, on_reply=self._bind_when_queued(reference)
            )
            if not reply.ok:
                logger.warning("AMI %s: originate %s refused: %s", self.config.name, reference, reply.text)
                raise originate_error(reply)
        logger.info("AMI %s: call %s queued (%s)", self.config.name, reference, request.channel)
        return OriginateResult(reference=reference, status=CallStatus.QUEUED, reason="queued by the PBX")

    def _bind_when_queued(self, reference: str) -> Callable[[Message, int], None]:
        def on_reply(message: Message, generation: int) -> None:
            # Runs in the reader thread, before the events that follow this answer are read.
            if message.ok:
                self.pending.bind(reference, generation)

        return on_reply

    # --- outcomes ----------------------------------------------------------------

    def _on_event(self, message: Message, generation: int) -> None:
        # OriginateResponse, and the phone channel's DialEnd/Hangup (a rejected call's Reason is 0).
        for reference, status, reason in self.outcomes.feed(message):
            self.pending.settle(reference, status, reason)

    def _on_disconnect(self, generation: int, reason: str) -> None:
        # Events are not replayed on a new connection: the outcome of these calls is lost.
        self.pending.lose(generation, "the connection to the PBX was lost")

    # --- live events (the listener's own connection) ------------------------------------

    def event_stream(self) -> AmiEventStream:
        """The PBX's live events over a connection of their own (``events.ami_stream``)."""
        return AmiEventStream(self.config, self.ami_settings())

    # --- check, close --------------------------------------------------------------

    @contextlib.contextmanager
    def check_session(self) -> Iterator[AmiClient]:
        """A connection of its own: the shared one is left alone."""
        client = AmiClient(self.ami_settings())
        try:
            yield client
        finally:
            client.close()

    def check_login(self, probe: CheckProbe) -> str:
        client: AmiClient = probe.session
        try:
            client.connect()
        finally:
            if client.banner:  # the PBX answered, whatever came next
                probe.answered(client.banner)
        return client.login_method

    def check_may_originate(self, probe: CheckProbe) -> tuple[bool | None, str]:
        return originate_right(probe.session.action("Originate", right_probe(self.config.context)))

    def check_notes(self, probe: CheckProbe) -> list[str]:
        # CoreShowChannels is what the listener asks after each connection (its items are ignored here).
        listing = probe.session.action("CoreShowChannels")
        return [
            _("Call outcomes arrive as OriginateResponse events: the account needs 'call' in read=."),
            listener_rights_note(listing),
        ]

    def close(self) -> None:
        self.client.close()
