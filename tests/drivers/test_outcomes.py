"""The table of calls awaiting their outcome (drivers/outcomes.py), and Driver.placing() around it."""

from __future__ import annotations

import time

import pytest

from drivers.base import (
    AnswerLost,
    CallStatus,
    CheckResult,
    Driver,
    OriginateOutcomeUnknown,
    OriginateRejected,
    OriginateRequest,
    OriginateResult,
    PbxConfig,
    RequestNotSent,
)
from drivers.outcomes import PendingOutcomes
from tests.drivers.conftest import Outcomes, call


@pytest.fixture
def table(outcomes: Outcomes) -> PendingOutcomes:
    return PendingOutcomes(outcomes, label="test pbx")


def test_a_registered_call_is_known_by_its_call_id_else_by_a_new_reference(table):
    assert table.register(call(call_id="c-1"), 5) == "c-1"
    second = table.register(call(call_id="c-1"), 5)  # the same id twice: the second gets its own
    third = table.register(call(call_id=""), 5)
    assert second != "c-1" and second.startswith("astitray-")
    assert third.startswith("astitray-") and third != second
    assert len(table) == 3


def test_an_outcome_is_reported_once(table, outcomes):
    table.register(call(call_id="c-1"), 5)
    assert table.settle("c-1", CallStatus.BUSY, "busy")
    assert not table.settle("c-1", CallStatus.ANSWERED, "answered")  # already reported
    assert not table.settle("someone-else", CallStatus.ANSWERED, "answered")
    assert outcomes.items == [("c-1", CallStatus.BUSY, "busy")]
    assert len(table) == 0


def test_a_lost_connection_reports_unknown_only_the_calls_it_had_accepted(table, outcomes):
    for name in ("on-1", "on-2", "in-flight"):
        table.register(call(call_id=name), 5)
    assert table.bind("on-1", 1)
    assert table.bind("on-2", 2)
    table.lose(1, "the connection to the PBX was lost")
    assert outcomes.items == [("on-1", CallStatus.UNKNOWN, "the connection to the PBX was lost")]
    table.lose(2, "gone")
    assert [item[0] for item in outcomes.items] == ["on-1", "on-2"]
    assert len(table) == 1  # not yet accepted: its answer binds it to a newer connection
    assert not table.bind("on-1", 3)  # reported: nothing to bind


def test_an_accepted_call_expires_after_its_ring_timeout_and_the_wait(table, outcomes):
    table.register(call(call_id="quick", ring_timeout_s=0), 0.05)
    table.register(call(call_id="unbound", ring_timeout_s=0), 0.05)
    table.register(call(call_id="slow", ring_timeout_s=60), 0.05)
    table.bind("quick", 1)
    table.bind("slow", 1)
    table.expire()
    assert outcomes.items == []
    time.sleep(0.1)
    table.expire()
    assert outcomes.items == [("quick", CallStatus.UNKNOWN, "the PBX never reported the outcome")]
    assert len(table) == 2  # the slow one, and the one the PBX has not accepted yet


def test_clearing_reports_the_accepted_calls_and_forgets_the_others(table, outcomes):
    table.register(call(call_id="accepted"), 5)
    table.register(call(call_id="sending"), 5)
    table.bind("accepted", 7)
    table.clear("the PBX driver was closed")
    assert outcomes.items == [("accepted", CallStatus.UNKNOWN, "the PBX driver was closed")]
    assert len(table) == 0


def test_a_failing_report_is_logged_and_the_next_calls_are_still_reported(caplog):
    heard = []

    def report(reference: str, status: CallStatus, reason: str) -> None:
        if reference == "bad":
            raise RuntimeError("the receiver broke")
        heard.append(reference)

    table = PendingOutcomes(report, label="test pbx")
    for name in ("bad", "good"):
        table.register(call(call_id=name), 5)
        table.bind(name, 1)
    table.lose(1, "gone")
    assert heard == ["good"]
    assert "test pbx: reporting the outcome of bad failed" in caplog.text


class PlacingDriver(Driver):
    """Raises what it is told to from inside placing()."""

    name = "placing"
    reports_outcome = True
    error: Exception | None = None

    def originate(self, request: OriginateRequest) -> OriginateResult:
        with self.placing(request) as reference:
            assert self.awaiting == 1  # registered before anything is sent
            if self.error is not None:
                raise self.error
        return OriginateResult(reference=reference)

    def check(self) -> CheckResult:
        return CheckResult.logged_in(None)


@pytest.mark.parametrize(
    ("error", "raised"),
    [
        (AnswerLost(), OriginateOutcomeUnknown),  # sent, perhaps placed: never send it again
        (RequestNotSent(), RequestNotSent),
        (OriginateRejected(), OriginateRejected),
        (RuntimeError("bug"), RuntimeError),
    ],
)
def test_placing_forgets_a_call_whose_sending_failed(error, raised):
    driver = PlacingDriver(PbxConfig(name="p"))
    driver.error = error
    with pytest.raises(raised):
        driver.originate(call())
    assert driver.awaiting == 0


def test_placing_keeps_a_sent_call_until_its_outcome(outcomes):
    driver = PlacingDriver(PbxConfig(name="p"), on_outcome=outcomes)
    assert driver.originate(call(call_id="c-9")).reference == "c-9"
    assert driver.awaiting == 1
    driver.pending.settle("c-9", CallStatus.ANSWERED, "answered")
    assert outcomes.items == [("c-9", CallStatus.ANSWERED, "answered")]
    assert driver.awaiting == 0


def test_a_driver_that_reports_no_outcome_keeps_nothing():
    class Quiet(PlacingDriver):
        reports_outcome = False

        def originate(self, request: OriginateRequest) -> OriginateResult:
            with self.placing(request) as reference:
                assert self.awaiting == 0
            return OriginateResult(reference=reference)

    driver = Quiet(PbxConfig(name="q"))
    assert driver.originate(call(call_id="c-1")).reference == "c-1"
    assert driver.originate(call(call_id="")).reference.startswith("astitray-")
    assert driver.awaiting == 0
