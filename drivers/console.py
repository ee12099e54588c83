"""The console driver: writes the originate to the log and reports the call answered.

Like Django's console e-mail backend, it is the default for demos and
development: nothing is dialed, everything else (rewriting, policy, call
log) happens as with a real PBX.
"""

from __future__ import annotations

import logging
import uuid

from drivers.base import CallStatus, CheckResult, Driver, OriginateRequest, OriginateResult

logger = logging.getLogger(__name__)


class ConsoleDriver(Driver):
    name = "console"
    label = "Console (log only, no PBX)"

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
        return CheckResult(
            reachable=True,
            login_ok=True,
            may_originate=True,
            messages=("Console driver: calls are written to the server log; no PBX is contacted.",),
        )
