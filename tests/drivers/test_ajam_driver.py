"""The AJAM driver against the fake Asterisk HTTP server: forms, cookies, expiry, outcomes by polling."""

from __future__ import annotations

import logging
import time

import pytest

from drivers.asterisk.ajam import AjamTuning, AsteriskAjamDriver
from drivers.base import (
    CallStatus,
    OriginateOutcomeUnknown,
    PbxAuthFailed,
    PbxPermissionDenied,
    PbxUnavailable,
    UnknownExtension,
    UnsafeValue,
)
from testkit.fake_asterisk import FakeAsteriskHttp, Reason
from testkit.services import free_port
from tests.drivers.conftest import AMI_SECRET, ami_config, call


def test_a_dial_posts_exactly_the_expected_fields(http, make_ajam, outcomes, caplog):
    with caplog.at_level(logging.DEBUG):
        result = make_ajam().originate(call(account_code="sales", variables={"NOTE": "a,b"}))
    assert (result.reference, result.status) == ("call-1", CallStatus.QUEUED)
    login, originate = http.actions[:2]
    assert login.headers == (("Action", "Login"), ("Username", "astitray"), ("Secret", AMI_SECRET))
    assert originate.headers == (
        ("Action", "Originate"),
        ("Channel", "PJSIP/1001"),
        ("Context", "outbound"),
        ("Exten", "0044207946095"),
        ("Priority", "1"),
        ("Async", "true"),
        ("Timeout", "25000"),
        ("CallerID", '"Alice Martin" <1001>'),
        ("Account", "sales"),
        ("Variable", "NOTE=a\\,b"),
        ("Variable", "ASTITRAY_CALL_ID=call-1"),
        ("ChannelId", "call-1"),  # every event of the call carries it, the failure included
        ("ActionID", "call-1"),
    )
    assert outcomes.of("call-1") == (CallStatus.ANSWERED, "answered")
    # POST forms: nothing, the secret least of all, in a URL; the secret is masked in the log
    assert all(line.startswith("POST /rawman ") for line in http.request_lines)
    assert AMI_SECRET not in " ".join(http.request_lines)
    assert AMI_SECRET not in caplog.text


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        (Reason.NO_ANSWER, CallStatus.NO_ANSWER),
        (Reason.BUSY, CallStatus.BUSY),
        (Reason.FAILED, CallStatus.FAILED),
    ],
)
def test_outcomes_come_through_waitevent(http, make_ajam, outcomes, reason, status):
    http.outcomes["0044207946095"] = reason
    http.outcome_delay = 0.05
    driver = make_ajam()
    driver.originate(call())
    assert outcomes.of("call-1")[0] is status
    assert http.actions_named("WaitEvent")
    assert driver.awaiting == 0


def test_one_session_serves_many_calls(http, make_ajam, outcomes):
    driver = make_ajam()
    for n in range(5):
        driver.originate(call(call_id=f"c{n}"))
    outcomes.wait(5)
    assert len(http.actions_named("Login")) == 1
    assert http.sessions == 1


def test_the_url_prefix_is_used(make_ajam):
    with FakeAsteriskHttp(prefix="asterisk") as fake:
        make_ajam(fake, url_prefix="asterisk").originate(call())
        assert fake.request_lines[0].startswith("POST /asterisk/rawman ")
        with pytest.raises(PbxUnavailable, match="no AJAM"):
            make_ajam(fake).originate(call())  # /rawman is a 404 when http.conf sets a prefix


def test_an_expired_session_logs_in_again_and_retries_once(http, make_ajam, outcomes):
    driver = make_ajam()
    driver.originate(call(call_id="first"))
    outcomes.of("first")
    http.expire_sessions()  # Asterisk forgot the session after 60 s idle
    driver.originate(call(call_id="second"))
    assert outcomes.of("second")[0] is CallStatus.ANSWERED
    names = [(a.name, a.get("ActionID")) for a in http.actions if a.name != "WaitEvent"]
    assert names[-3:] == [("Originate", "second"), ("Login", None), ("Originate", "second")]


NOT_REGISTERED = "the phone is not registered or does not exist"


def test_a_phone_not_yet_registered_after_a_pbx_restart_says_the_pbx_had_just_restarted(
    http, make_ajam, outcomes
):
    driver = make_ajam()
    driver.originate(call(call_id="before"))
    assert outcomes.of("before")[0] is CallStatus.ANSWERED
    http.expire_sessions()  # Asterisk restarted: every session forgotten, the driver's in use
    http.outcomes["0044207946095"] = Reason.FAILED  # its phones not registered again yet
    driver.originate(call(call_id="after"))
    status, reason = outcomes.of("after")
    assert status is CallStatus.FAILED
    assert reason.startswith(NOT_REGISTERED + " (the PBX had just restarted: its phones may not have")


def test_a_call_during_a_restart_is_refused_and_one_just_after_it_explained(http, make_ajam, outcomes):
    driver = make_ajam(tuning=AjamTuning(session_idle_s=0))  # the session is renewed anyway: no other sign
    http.shut_down()  # core restart now: HTTP 503 "Shutdown in progress" (recorded)
    with pytest.raises(PbxUnavailable, match="the PBX is restarting"):
        driver.originate(call(call_id="during"))
    http.boot()
    http.outcomes["0044207946095"] = Reason.FAILED
    driver.originate(call(call_id="after"))
    assert outcomes.of("after")[1].startswith(NOT_REGISTERED + " (the PBX had just restarted")


def test_a_phone_not_registered_long_after_a_restart_reads_as_usual(http, make_ajam, outcomes):
    driver = make_ajam(tuning=AjamTuning(starting_s=0))
    driver.originate(call(call_id="before"))
    outcomes.of("before")
    http.expire_sessions()
    http.outcomes["0044207946095"] = Reason.FAILED
    driver.originate(call(call_id="after"))
    assert outcomes.of("after") == (CallStatus.FAILED, NOT_REGISTERED)


def test_a_phone_not_registered_without_a_restart_reads_as_usual(http, make_ajam, outcomes):
    http.outcomes["0044207946095"] = Reason.FAILED
    make_ajam().originate(call(call_id="alone"))
    assert outcomes.of("alone") == (CallStatus.FAILED, NOT_REGISTERED)


def test_a_long_idle_session_is_renewed_before_use(http, make_ajam):
    driver = make_ajam(tuning=AjamTuning(session_idle_s=0))
    driver.originate(call(call_id="a"))
    driver.originate(call(call_id="b"))
    assert [a.name for a in http.actions if a.name != "WaitEvent"] == [
        "Login",
        "Originate",
        "Login",
        "Originate",
    ]


def test_an_account_without_originate_right_is_denied_after_one_retry(http, make_ajam):
    with pytest.raises(PbxPermissionDenied):
        make_ajam(username="readonly", secret="readonly-secret").originate(call())
    assert [a.name for a in http.actions] == ["Login", "Originate", "Login", "Originate"]


def test_a_wrong_secret_is_refused(http, make_ajam):
    with pytest.raises(PbxAuthFailed) as caught:
        make_ajam(secret="WRONG").originate(call())
    assert "WRONG" not in str(caught.value)
    assert http.originates == []


def test_an_unknown_context_is_refused(http, make_ajam):
    with pytest.raises(UnknownExtension):
        make_ajam(context="nosuchcontext").originate(call(context=""))


def test_a_pbx_that_is_down_is_unavailable():
    driver = AsteriskAjamDriver(ami_config(None, port=free_port(), name="down"))
    with pytest.raises(PbxUnavailable):
        driver.originate(call())
    driver.close()


def test_a_silent_pbx_does_not_hang_the_caller(make_ajam):
    with FakeAsteriskHttp(silent=True) as fake:
        started = time.monotonic()
        with pytest.raises(PbxUnavailable):
            make_ajam(fake, timeout_s=0.5).originate(call())
        assert time.monotonic() - started < 3


def test_a_drop_while_the_originate_is_pending_is_reported_not_resent(http, make_ajam, outcomes):
    driver = make_ajam()
    http.drop_on_originate = "before_answer"
    with pytest.raises(OriginateOutcomeUnknown):
        driver.originate(call(call_id="lost"))
    http.drop_on_originate = None
    driver.originate(call(call_id="next"))
    assert outcomes.of("next")[0] is CallStatus.ANSWERED
    assert [a["ActionID"] for a in http.originates] == ["lost", "next"]
    assert "lost" not in [ref for ref, _, _ in outcomes.items]


def test_a_session_lost_before_the_outcome_reports_it_unknown(http, make_ajam, outcomes):
    http.drop_on_originate = "before_outcome"
    http.outcome_delay = 0.2
    assert make_ajam().originate(call(call_id="q")).status is CallStatus.QUEUED
    assert outcomes.of("q") == (CallStatus.UNKNOWN, "the PBX session ended before the outcome")


@pytest.mark.parametrize("changes", [{"context": "x\r\ny"}, {"username": "a\nb"}, {"secret": "s\r\nx"}])
def test_control_characters_send_nothing(http, make_ajam, changes):
    with pytest.raises(UnsafeValue):
        make_ajam(**changes).originate(call(context=""))
    assert http.request_lines == []


def test_a_forged_number_with_crlf_sends_nothing(http, make_ajam):
    request = call()
    object.__setattr__(request, "number", "0044555\r\nApplication: System")
    with pytest.raises(UnsafeValue):
        make_ajam().originate(request)
    assert http.request_lines == []


def test_check_says_reachable_login_accepted_may_originate(http, make_ajam):
    result = make_ajam().check()
    assert result.headline() == "reachable: yes, login accepted: yes, may originate calls: yes"
    assert http.actions[-1].name == "Logoff"


def test_check_explains_what_is_wrong(http, make_ajam):
    assert (
        make_ajam(username="readonly", secret="readonly-secret").check().headline()
        == "reachable: yes, login accepted: yes, may originate calls: no"
    )
    assert make_ajam(secret="WRONG").check().headline() == "reachable: yes, login accepted: no"
    assert (
        AsteriskAjamDriver(ami_config(None, port=free_port(), name="down")).check().headline()
        == "reachable: no"
    )


def test_closing_reports_pending_calls_unknown(http, make_ajam, outcomes):
    http.outcome_delay = 30  # the outcome would come much later
    driver = make_ajam()
    driver.originate(call(call_id="pending"))
    driver.close()
    assert outcomes.of("pending") == (CallStatus.UNKNOWN, "the PBX driver was closed")
    assert http.actions_named("Logoff")


def test_the_url_comes_from_the_pbx_settings():
    driver = AsteriskAjamDriver(ami_config(None, use_tls=True, url_prefix="/asterisk/", host="pbx"))
    assert driver.url == "https://pbx:8089/asterisk/rawman"
    assert AsteriskAjamDriver(ami_config(None, host="::1")).url == "http://[::1]:8088/rawman"
    assert AsteriskAjamDriver(ami_config(None, host="pbx", port=8080)).url == "http://pbx:8080/rawman"
