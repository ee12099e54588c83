"""PBX drivers for the dial service's tests, registered through ``ASTITRAY_DRIVERS``.

Each test gets the driver instance of its PBX with ``drivers.services.get_driver(pbx)``
(one per PBX and process) and reads what it recorded.
"""

from __future__ import annotations

import pytest

from accounts.models import Extension
from drivers import services
from drivers.base import (
    CallStatus,
    CheckResult,
    Driver,
    DriverError,
    OriginateRequest,
    OriginateResult,
    PbxConfig,
)
from drivers.models import PbxServer

TEST_DRIVERS = {
    "recording": "tests.dialer.calls.drivers.RecordingDriver",
    "broken": "tests.dialer.calls.drivers.BrokenDriver",
}


class RecordingDriver(Driver):
    """Records each request and the state of its Call row when the driver is asked.

    ``outcome_now`` is reported from inside ``originate`` (before it
    returns), ``reference`` replaces the call id as the driver's reference,
    ``error`` is raised instead of placing the call.
    """

    name = "recording"
    reports_outcome = True

    def __init__(self, config: PbxConfig, on_outcome=None) -> None:
        super().__init__(config, on_outcome)
        self.requests: list[OriginateRequest] = []
        self.rows_seen: list[tuple[str, str]] = []
        self.outcome_now: tuple[CallStatus, str] | None = None
        self.reference = ""
        self.error: DriverError | None = None

    def originate(self, request: OriginateRequest) -> OriginateResult:
        from dialer.models import Call

        row = Call.objects.get(call_id=request.call_id)
        self.rows_seen.append((row.status, row.number))
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        reference = self.reference or request.call_id
        if self.outcome_now is not None:
            self.report_outcome(reference, *self.outcome_now)
        return OriginateResult(reference=reference, status=CallStatus.QUEUED, reason="queued by the test PBX")

    def check(self) -> CheckResult:
        return CheckResult.logged_in(True)


class BrokenDriver(Driver):
    """A third-party driver with a bug."""

    name = "broken"

    def originate(self, request: OriginateRequest) -> OriginateResult:
        raise RuntimeError("secret-host.example.org:5038 exploded")

    def check(self) -> CheckResult:
        return CheckResult.unreachable()


# Fixtures shared by the dialing and hostile tests (imported by their conftest.py);
# they need ``ASTITRAY_DRIVERS = TEST_DRIVERS`` (an autouse fixture of each area).


@pytest.fixture
def recording_pbx(alice) -> PbxServer:
    """Alice's phone is on a PBX whose driver records every originate."""
    pbx = PbxServer.objects.create(name="Test PBX", driver="recording", context="outbound", ring_timeout_s=20)
    Extension.objects.filter(user=alice).update(pbx=pbx)
    return pbx


@pytest.fixture
def driver(recording_pbx) -> RecordingDriver:
    """The driver instance of ``recording_pbx``: what it was asked."""
    found = services.get_driver(recording_pbx)
    assert isinstance(found, RecordingDriver)
    return found
