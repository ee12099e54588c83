"""The console driver: writes the originate to the log and reports the call answered.

Like Django's console e-mail backend, it is the default for demos and
development: nothing is dialed, everything else (rewriting, policy, call
log) happens as with a real PBX.
"""

from __future__ import annotations

import logging
import uuid

from drivers.base import CallStatus, CheckResult, Driver, OriginateRequest, OriginateResult
from drivers.console_events import ConsoleEventStream
from drivers.events import EventSource, EventStream
from drivers.translation import gettext as _

logger = logging.getLogger(__name__)


class ConsoleDriver(EventSource, Driver):
    name = "console"
    label = "Console (log only, no PBX)"

    def event_stream(self) -> EventStream:
        """Simulated calls and phone states (``manage.py simulate_call``): drivers/console_events.py."""
        return ConsoleEventStream(self.config)

    def originate(self, request: OriginateRequest) -> OriginateResult:
        reference = f"console-{uuid.uuid4()}"
        logger.info(
            "console PBX %s would originate: channel=%s number=%s context=%s caller_id=%r "
            "ring_timeout=%ss account=%r auto_answer=%s variables=%s call_id=%s",
            self.config.name,
            request.channel,
            request.number,
            request.context,
            request.caller_id,
            request.ring_timeout_s,
            request.account_code,
            request.auto_answer,
            dict(request.variables),
            request.call_id,
        )
        return OriginateResult(reference=reference, status=CallStatus.ANSWERED, reason="console driver")

    def check(self) -> CheckResult:
        """Always fine: there is no PBX to reach."""
        return CheckResult.logged_in(
            True, _("Console driver: calls are written to the server log; no PBX is contacted.")
        )
