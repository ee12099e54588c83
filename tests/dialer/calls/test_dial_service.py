"""The dial service with test drivers: the row before the driver, outcomes, errors, limits."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.contrib.auth import get_user_model
from django.db import OperationalError

from accounts.models import Extension
from dialer import errors, outcomes, services
from dialer.models import Call
from drivers.base import CallStatus, OriginateFailed, PbxAuthFailed, UnsafeValue
from drivers.models import PbxServer
from tests.dialer.calls.drivers import TEST_DRIVERS
from tests.phonebook.helpers import add

pytestmark = pytest.mark.django_db

LONDON = "+44 20 7946 0958"
LONDON_DIALED = "000442079460958"


@pytest.fixture(autouse=True)
def _test_drivers(settings):
    settings.ASTITRAY_DRIVERS = TEST_DRIVERS


def test_the_row_is_queued_before_the_driver_is_asked(alice, recording_pbx, driver):
    answer = services.dial(alice, LONDON)
    assert driver.rows_seen == [("queued", LONDON_DIALED)]
    assert answer["status"] == "queued"
    assert answer["reason"] == "queued by the test PBX"
    request = driver.requests[0]
    assert (request.channel, request.number, request.context) == ("PJSIP/1001", LONDON_DIALED, "outbound")
    assert request.ring_timeout_s == 20
    assert request.call_id == answer["call_id"]


def test_the_request_carries_the_extensions_settings(alice, recording_pbx, driver):
    Extension.objects.filter(user=alice).update(
        caller_id='"Alice Martin" <1001>', account_code="sales-7", auto_answer=True
    )
    services.dial(alice, "1002")
    request = driver.requests[0]
    assert request.number == "1002"
    assert request.caller_id == "<1002>"  # the caller's phone shows whom it calls
    assert request.account_code == "sales-7"
    assert request.auto_answer is True
    assert request.variables == {"ASTITRAY_EXTENSION": "1001", "ASTITRAY_CALLERID": '"Alice Martin" <1001>'}
    assert Call.objects.get().caller_id == "<1002>"


def test_without_a_caller_id_the_called_party_sees_the_extension(alice, recording_pbx, driver):
    services.dial(alice, "1002")
    assert driver.requests[0].variables["ASTITRAY_CALLERID"] == "<1001>"


def test_the_console_driver_answers_at_once(alice, caplog):
    with caplog.at_level(logging.INFO, logger="drivers.console"):
        answer = services.dial(alice, LONDON)
    assert answer["status"] == "answered"
    assert Call.objects.get().status == "answered"
    assert "channel=PJSIP/1001 number=000442079460958" in caplog.text


def test_an_outcome_reported_before_originate_returns_lands_on_the_row(alice, recording_pbx, driver):
    driver.outcome_now = (CallStatus.BUSY, "busy")
    answer = services.dial(alice, LONDON)
    assert services.call_status(alice, answer["call_id"])["status"] == "busy"


def test_a_driver_with_its_own_reference_reporting_early(alice, recording_pbx, driver):
    driver.reference = "pbx-call-77"
    driver.outcome_now = (CallStatus.NO_ANSWER, "no answer")
    answer = services.dial(alice, LONDON)
    call = Call.objects.get(call_id=answer["call_id"])
    assert (call.reference, call.status, call.reason) == ("pbx-call-77", "no_answer", "no answer")


def test_a_driver_with_its_own_reference_reporting_later(alice, recording_pbx, driver):
    driver.reference = "pbx-call-78"
    answer = services.dial(alice, LONDON)
    driver.report_outcome("pbx-call-78", CallStatus.ANSWERED, "answered")
    assert Call.objects.get(call_id=answer["call_id"]).status == "answered"


def test_a_final_status_is_never_overwritten(alice, recording_pbx, driver):
    answer = services.dial(alice, LONDON)
    outcomes.record_outcome(answer["call_id"], CallStatus.BUSY, "busy")
    outcomes.record_outcome(answer["call_id"], CallStatus.ANSWERED, "answered")
    outcomes.record_outcome(answer["call_id"], CallStatus.UNKNOWN, "lost")
    assert Call.objects.get().status == "busy"


def test_unknown_becomes_what_the_pbx_says_but_not_the_reverse(alice, recording_pbx, driver):
    answer = services.dial(alice, LONDON)
    outcomes.record_outcome(answer["call_id"], CallStatus.UNKNOWN, "the connection to the PBX was lost")
    assert Call.objects.get().status == "unknown"
    outcomes.record_outcome(answer["call_id"], CallStatus.ANSWERED, "answered")
    assert Call.objects.get().status == "answered"


def test_an_outcome_for_no_known_call_changes_nothing(alice, recording_pbx, driver):
    services.dial(alice, LONDON)
    outcomes.record_outcome("6d1e8f0c-2f5e-4a57-9b8e-3e8c9c1e2f00", CallStatus.BUSY, "busy")
    outcomes.record_outcome("someone-elses", CallStatus.BUSY, "busy")
    assert Call.objects.get().status == "queued"


@pytest.mark.parametrize(
    "case",
    [
        (PbxAuthFailed(), errors.PbxUnreachable, "the PBX refused the login"),
        (OriginateFailed(), errors.PbxRefused, "the PBX could not call the phone"),
        (
            UnsafeValue("number holds a control character"),
            errors.PbxRefused,
            "number holds a control character",
        ),
    ],
    ids=["auth", "rejected", "unsafe"],
)
def test_driver_errors_become_dialer_errors_and_failed_rows(alice, driver, case):
    driver.error, fault, reason = case
    with pytest.raises(fault):
        services.dial(alice, LONDON)
    call = Call.objects.get()
    assert (call.status, call.reason) == ("failed", reason)


def test_a_broken_driver_gives_pbx_error_and_never_leaves_the_row_queued(alice, recording_pbx, caplog):
    PbxServer.objects.filter(pk=recording_pbx.pk).update(driver="broken")
    with pytest.raises(errors.PbxRefused) as caught:
        services.dial(alice, LONDON)
    assert "exploded" not in caught.value.message
    call = Call.objects.get()
    assert (call.status, call.reason) == ("failed", "the PBX driver failed; see the server log")
    assert "exploded" in caplog.text  # the details are for the administrator


def test_a_pbx_naming_a_driver_that_is_not_installed(alice, recording_pbx):
    PbxServer.objects.filter(pk=recording_pbx.pk).update(driver="nonexistent")
    with pytest.raises(errors.PbxUnreachable):
        services.dial(alice, LONDON)
    assert Call.objects.get().status == "failed"


def test_an_extension_on_a_disabled_pbx(alice, recording_pbx):
    PbxServer.objects.filter(pk=recording_pbx.pk).update(enabled=False)
    with pytest.raises(errors.PbxUnreachable):
        services.dial(alice, LONDON)
    call = Call.objects.get()
    assert (call.status, call.reason, call.number) == (
        "failed",
        "no enabled PBX for this phone",
        LONDON_DIALED,
    )


def test_no_pbx_at_all(alice):
    PbxServer.objects.all().delete()
    with pytest.raises(errors.PbxUnreachable):
        services.dial(alice, LONDON)


def test_a_call_queued_past_its_ring_and_network_timeouts_reads_unknown(alice, recording_pbx, driver):
    old = services.dial(alice, LONDON)
    recent = services.dial(alice, "01 23 45 67 89")
    long_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=20 + 5 + 61)
    Call.objects.filter(call_id=old["call_id"]).update(created=long_ago)
    status = services.call_status(alice, old["call_id"])
    assert (status["status"], status["reason"]) == ("unknown", "the PBX never reported the outcome")
    assert Call.objects.get(call_id=old["call_id"]).status == "unknown"
    assert [h["status"] for h in services.history(alice)] == ["queued", "unknown"]
    assert Call.objects.get(call_id=recent["call_id"]).status == "queued"


def test_history_expires_stale_calls_too(alice, recording_pbx, driver):
    answer = services.dial(alice, LONDON)
    Call.objects.filter(call_id=answer["call_id"]).update(
        created=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    )
    assert services.history(alice)[0]["status"] == "unknown"


def test_the_rate_limit_is_a_setting(alice, recording_pbx, driver, settings):
    settings.ASTITRAY_RATE_LIMIT = 2
    services.dial(alice, "1002")
    services.dial(alice, "1003")
    with pytest.raises(errors.RateLimited):
        services.dial(alice, "1004")
    assert len(driver.requests) == 2


def test_a_rate_limit_of_zero_is_no_limit(alice, recording_pbx, driver, settings):
    settings.ASTITRAY_RATE_LIMIT = 0
    for n in range(15):
        services.dial(alice, f"10{n:02d}")
    assert len(driver.requests) == 15


def test_the_rate_limit_is_per_user(alice, recording_pbx, driver, settings):
    settings.ASTITRAY_RATE_LIMIT = 1
    carol = get_user_model().objects.create_user("carol")
    Extension.objects.create(user=carol, number="1003", channel="PJSIP/1003", pbx=recording_pbx)
    services.dial(alice, "1002")
    services.dial(carol, "1002")
    assert len(driver.requests) == 2


def test_denied_attempts_do_not_count_towards_the_rate_limit(alice, recording_pbx, driver, settings):
    from dialer.models import NumberRule

    settings.ASTITRAY_RATE_LIMIT = 1
    NumberRule.objects.create(pattern="^0089", action="deny")
    for _ in range(3):
        with pytest.raises(errors.NumberNotAllowed):
            services.dial(alice, "08 99 12 34 56")
    services.dial(alice, "1002")
    assert Call.objects.filter(status="denied").count() == 3


def test_the_guard_can_be_turned_off(alice, recording_pbx, driver, settings):
    settings.ASTITRAY_DIAL_GUARD_SECONDS = 0
    first = services.dial(alice, LONDON)
    second = services.dial(alice, LONDON)
    assert first["call_id"] != second["call_id"]
    assert len(driver.requests) == 2


def test_a_failed_call_does_not_hold_the_number(alice, recording_pbx, driver):
    driver.error = OriginateFailed()
    with pytest.raises(errors.PbxRefused):
        services.dial(alice, LONDON)
    driver.error = None
    answer = services.dial(alice, LONDON)
    assert answer["status"] == "queued"
    assert len(driver.requests) == 2


def test_a_double_click_of_a_denied_number_is_denied_again(alice, recording_pbx, driver):
    from dialer.models import NumberRule

    NumberRule.objects.create(pattern="^0089", action="deny")
    for _ in range(2):
        with pytest.raises(errors.NumberNotAllowed):
            services.dial(alice, "08 99 12 34 56")
    assert driver.requests == []


def test_the_callers_phone_shows_the_phonebook_name_of_the_number(alice, recording_pbx, driver):
    add("Hélène Dupont", "0044 20 7946 0958")
    add("Reception", "1002")
    services.dial(alice, LONDON)
    services.dial(alice, "1002")
    services.dial(alice, "+1 650 253 0000")
    assert [r.caller_id for r in driver.requests] == [
        '"Hélène Dupont" <000442079460958>',
        '"Reception" <1002>',
        "<00016502530000>",
    ]
    assert Call.objects.filter(number=LONDON_DIALED).get().caller_id == '"Hélène Dupont" <000442079460958>'


def test_names_cannot_break_the_caller_id(alice, recording_pbx, driver, settings):
    settings.ASTITRAY_CID_MAX_LENGTH = 30
    add('Bob "The Builder" <bob@example.org>\r\nAction: Command', "+44 20 7946 0958")
    services.dial(alice, LONDON)
    assert driver.requests[0].caller_id == "\"Bob 'The Builder' (bob@example\" <000442079460958>"


def test_numbers_without_a_country_code_are_read_in_the_pbxs_country(alice, recording_pbx, driver):
    add("London office", "+44 20 7946 0958")
    PbxServer.objects.filter(pk=recording_pbx.pk).update(country="GB", outside_prefix="9")
    services.dial(alice, "020 7946 0958")
    assert driver.requests[0].caller_id == '"London office" <902079460958>'


@pytest.mark.django_db(transaction=True)
def test_an_outcome_after_the_database_went_away_reconnects_once(
    alice, recording_pbx, driver, monkeypatch, caplog
):
    answer = services.dial(alice, LONDON)
    real = outcomes._record_outcome
    attempts: list[str] = []

    def flaky(reference, target, reason):
        attempts.append(reference)
        if len(attempts) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        real(reference, target, reason)

    monkeypatch.setattr(outcomes, "_record_outcome", flaky)
    outcomes.record_outcome(answer["call_id"], CallStatus.BUSY, "busy")
    assert Call.objects.get().status == "busy"
    assert len(attempts) == 2
    assert "the database connection failed; reconnecting" in caplog.text


@pytest.mark.parametrize(
    "text", ["Meeting at 10:30", "Meeting at 10:30 on 2024-05-12, room 4", "Invoice 2024"]
)
def test_prose_is_never_dialed(alice, recording_pbx, driver, text):
    with pytest.raises(errors.InvalidNumber):
        services.dial(alice, text)
    assert driver.requests == []
    assert not Call.objects.exists()


def test_a_signature_dials_the_phone_not_the_fax(alice, recording_pbx, driver):
    services.dial(alice, "Fax 01 42 68 53 01 - Tél 01 42 68 53 00")
    assert driver.requests[0].number == "00142685300"
