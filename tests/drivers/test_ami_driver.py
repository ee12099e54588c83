"""The AMI driver against the fake AMI: fields on the wire, outcomes, faults, the shared connection."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import pytest

from drivers.asterisk.ami import AmiTuning, AsteriskAmiDriver
from drivers.base import (
    CallStatus,
    DriverError,
    OriginateOutcomeUnknown,
    OriginateRequest,
    PbxAuthFailed,
    PbxPermissionDenied,
    PbxUnavailable,
    UnknownExtension,
    UnsafeValue,
)
from testkit.fake_asterisk import FakeAmi, Reason
from testkit.services import free_port
from tests.drivers.conftest import AMI_SECRET, Outcomes, ami_config, call


def test_a_dial_reaches_the_pbx_with_exactly_the_expected_fields(ami, make_ami, outcomes):
    driver = make_ami()
    request = call(
        account_code="sales",
        variables={"CDR(userfield)": "astitray", "NOTE": 'a,b "c" \\d'},
    )
    result = driver.originate(request)
    assert (result.reference, result.status) == ("call-1", CallStatus.QUEUED)
    (originate,) = ami.originates
    assert originate.headers == (
        ("Action", "Originate"),
        ("Channel", "PJSIP/1001"),
        ("Context", "outbound"),
        ("Exten", "0044207946095"),
        ("Priority", "1"),
        ("Async", "true"),
        ("Timeout", "25000"),  # milliseconds
        ("CallerID", '"Alice Martin" <1001>'),
        ("Account", "sales"),
        ("Variable", "CDR(userfield)=astitray"),
        # Asterisk splits a Variable value on commas and drops quotes and backslashes: escaped
        ("Variable", 'NOTE=a\\,b \\"c\\" \\\\d'),
        ("Variable", "ASTITRAY_CALL_ID=call-1"),
        ("ChannelId", "call-1"),  # the channel's Uniqueid: every event of the call carries it
        ("ActionID", "call-1"),
    )
    assert outcomes.of("call-1") == (CallStatus.ANSWERED, "answered")


def test_the_login_asks_for_call_events_and_never_sends_the_secret(ami, make_ami, caplog):
    with caplog.at_level(logging.DEBUG):
        make_ami().originate(call())
    names = [a.name for a in ami.actions]
    assert names[:3] == ["Challenge", "Login", "Originate"]
    login = ami.actions_named("Login")[0]
    assert login["AuthType"] == "MD5"
    assert login["Events"] == "call"
    assert login.get("Secret") is None
    assert AMI_SECRET.encode() not in ami.received
    assert AMI_SECRET not in caplog.text
    assert "Action: Originate" in caplog.text  # the wire text is logged at DEBUG


def test_a_plaintext_login_is_masked_in_the_log(ami, make_ami, caplog):
    with caplog.at_level(logging.DEBUG):
        make_ami(tuning=AmiTuning(auth="plain")).originate(call())
    assert ami.actions_named("Login")[0]["Secret"] == AMI_SECRET
    assert AMI_SECRET not in caplog.text
    assert "Secret: ********" in caplog.text


OUTCOMES = [
    (Reason.ANSWERED, CallStatus.ANSWERED, "answered"),
    (Reason.NO_ANSWER, CallStatus.NO_ANSWER, "no answer"),
    (Reason.BUSY, CallStatus.BUSY, "busy"),
    (Reason.CONGESTION, CallStatus.FAILED, "congestion"),
    (Reason.FAILED, CallStatus.FAILED, "the phone is not registered or does not exist"),
    (Reason.HANGUP, CallStatus.FAILED, "hung up"),
]


@pytest.mark.parametrize("outcome", OUTCOMES, ids=[reason.name for reason, _, _ in OUTCOMES])
def test_the_originate_response_gives_the_outcome(ami, make_ami, outcomes, outcome):
    reason, status, words = outcome
    ami.outcomes["0033123456789"] = reason
    make_ami().originate(call(number="0033123456789", call_id=f"r-{int(reason)}"))
    assert outcomes.of(f"r-{int(reason)}") == (status, words)


def test_a_channel_that_cannot_be_called_fails_after_queued(ami, make_ami, outcomes):
    result = make_ami().originate(call(channel="Nonsense/1001", call_id="bad-tech"))
    assert result.status is CallStatus.QUEUED
    assert outcomes.of("bad-tech") == (CallStatus.FAILED, "the phone is not registered or does not exist")


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        (
            "PJSIP/1001",
            [
                "PJSIP_HEADER(add,Alert-Info)=<http://127.0.0.1>;info=alert-autoanswer;delay=0",
                "PJSIP_HEADER(add,Call-Info)=<sip:127.0.0.1>;answer-after=0",
            ],
        ),
        (
            "SIP/alice",
            [
                "SIPADDHEADER51=Alert-Info: <http://127.0.0.1>;info=alert-autoanswer;delay=0",
                "SIPADDHEADER52=Call-Info: <sip:127.0.0.1>;answer-after=0",
            ],
        ),
        ("Local/1001@originate-skipvm", ["__ASTITRAY_AUTOANSWER=yes"]),
    ],
)
def test_auto_answer_adds_the_headers_of_the_technology(ami, make_ami, channel, expected):
    make_ami().originate(call(channel=channel, auto_answer=True))
    assert ami.originates[0].get_all("Variable") == [*expected, "ASTITRAY_CALL_ID=call-1"]


def test_without_call_id_the_reference_is_still_unique(ami, make_ami, outcomes):
    driver = make_ami()
    first = driver.originate(call(call_id=""))
    second = driver.originate(call(call_id=""))
    assert first.reference != second.reference
    assert [a["ActionID"] for a in ami.originates] == [first.reference, second.reference]
    assert outcomes.of(second.reference)[0] is CallStatus.ANSWERED


def test_one_connection_is_shared_by_many_threads(ami, make_ami, outcomes):
    driver = make_ami()
    ami.outcome_delay = 0.01
    errors: list[BaseException] = []

    def dial(thread: int) -> None:
        try:
            for n in range(5):
                driver.originate(call(call_id=f"t{thread}-{n}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=dial, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert {ref for ref, status, _ in outcomes.wait(40) if status is CallStatus.ANSWERED} == {
        f"t{t}-{n}" for t in range(8) for n in range(5)
    }
    assert ami.connections == 1
    assert len(ami.actions_named("Login")) == 1
    assert driver.awaiting == 0


def test_a_pbx_that_is_down_is_unavailable_at_once():
    driver = AsteriskAmiDriver(ami_config(None, port=free_port()), tuning=AmiTuning(backoff_s=60))
    started = time.monotonic()
    with pytest.raises(PbxUnavailable) as caught:
        driver.originate(call())
    assert time.monotonic() - started < 3
    assert "refused the connection" in str(caught.value)
    # while backing off, the next dial fails fast without knocking again
    with pytest.raises(PbxUnavailable, match="next attempt"):
        driver.originate(call())
    driver.close()


def test_a_silent_pbx_does_not_hang_the_caller():
    with FakeAmi(silent=True) as ami:
        driver = AsteriskAmiDriver(ami_config(ami, timeout_s=0.5))
        started = time.monotonic()
        with pytest.raises(PbxUnavailable, match="did not answer"):
            driver.originate(call())
        assert time.monotonic() - started < 3
        assert ami.connections == 1
        driver.close()


def test_an_originate_without_answer_is_unknown_and_never_sent_again(make_ami, outcomes):
    with FakeAmi(ignore_actions={"Originate"}) as ami:
        driver = make_ami(ami, timeout_s=1.0)
        with pytest.raises(OriginateOutcomeUnknown):
            driver.originate(call(call_id="stuck"))
        ami.ignore_actions.clear()
        driver.originate(call(call_id="next"))
        assert outcomes.of("next")[0] is CallStatus.ANSWERED
        assert [a["ActionID"] for a in ami.originates] == ["stuck", "next"]
        assert ami.connections == 2  # the stuck connection was given up
    assert [ref for ref, _, _ in outcomes.items] == ["next"]


def test_the_next_dial_reconnects_after_a_drop_between_calls(ami, make_ami, outcomes):
    driver = make_ami()
    driver.originate(call(call_id="before"))
    outcomes.of("before")
    ami.drop_connections()
    assert driver.client.wait_disconnected(10)
    driver.originate(call(call_id="after"))
    assert outcomes.of("after")[0] is CallStatus.ANSWERED
    assert ami.connections == 2


def test_a_drop_while_the_originate_is_pending_is_reported_not_resent(ami, make_ami, outcomes):
    driver = make_ami()
    ami.drop_on_originate = "before_answer"
    with pytest.raises(OriginateOutcomeUnknown):
        driver.originate(call(call_id="lost"))
    ami.drop_on_originate = None
    driver.originate(call(call_id="next"))
    assert outcomes.of("next")[0] is CallStatus.ANSWERED
    assert [a["ActionID"] for a in ami.originates] == ["lost", "next"]
    assert "lost" not in [ref for ref, _, _ in outcomes.items]


def test_a_drop_before_the_outcome_reports_it_unknown(ami, make_ami, outcomes):
    ami.drop_on_originate = "before_outcome"
    result = make_ami().originate(call(call_id="queued-then-lost"))
    assert result.status is CallStatus.QUEUED
    assert outcomes.of("queued-then-lost") == (CallStatus.UNKNOWN, "the connection to the PBX was lost")
    assert len(ami.originates) == 1


def test_a_pbx_dropping_connections_again_and_again_never_gets_a_call_twice(make_ami):
    with FakeAmi(drop_every=0.3) as ami:
        driver = make_ami(ami, tuning=AmiTuning(backoff_s=0.05))
        placed = []
        for n in range(4):
            if n:
                assert driver.client.wait_disconnected(10)
            with contextlib.suppress(DriverError):  # a drop may land mid-dial: reported, never re-sent
                placed.append(driver.originate(call(call_id=f"d{n}")).reference)
        sent = [a["ActionID"] for a in ami.originates]
        assert len(sent) == len(set(sent))
        assert set(placed) <= set(sent) and placed
        assert ami.connections >= 2


def test_a_wrong_secret_is_refused_after_a_second_then_backs_off(ami, make_ami):
    driver = make_ami(secret="WRONG", tuning=AmiTuning(backoff_s=60))
    started = time.monotonic()
    with pytest.raises(PbxAuthFailed) as caught:
        driver.originate(call())
    assert time.monotonic() - started >= 0.9  # Asterisk takes its time with bad logins
    assert "WRONG" not in str(caught.value)
    assert ami.wait_for(lambda: ami.open_connections == 0)  # and closes the connection
    with pytest.raises(PbxUnavailable, match="next attempt"):
        driver.originate(call())
    assert ami.connections == 1
    assert ami.originates == []


def test_an_account_without_originate_right_is_denied(ami, make_ami):
    with pytest.raises(PbxPermissionDenied):
        make_ami(username="readonly", secret="readonly-secret").originate(call())
    assert ami.originates[0].username == "readonly"


def test_an_unknown_context_is_refused(ami, make_ami, outcomes):
    driver = make_ami(context="nosuchcontext")
    with pytest.raises(UnknownExtension):
        driver.originate(call(context=""))  # the PBX's context is used
    assert ami.originates[0]["Context"] == "nosuchcontext"
    assert driver.awaiting == 0


def forged(field: str, value: str) -> OriginateRequest:
    """A request whose field was changed after its own checks (defence in depth)."""
    request = call(variables={"X": "1"})
    if field == "variable":
        object.__setattr__(request, "variables", {"X": value})
    elif field == "variable name":
        object.__setattr__(request, "variables", {value: "1"})
    else:
        object.__setattr__(request, field, value)
    return request


FIELDS = ["channel", "number", "context", "caller_id", "account_code", "call_id", "variable", "variable name"]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value", ["1\r\nApplication: System", "1\nData: x", "1\x00", "1\r"])
def test_a_control_character_in_any_field_sends_nothing(ami, make_ami, field, value):
    with pytest.raises(UnsafeValue):
        make_ami().originate(forged(field, value))
    assert ami.connections == 0
    assert ami.received == b""


@pytest.mark.parametrize("name", ["A,B", 'A"B', "A B", "1ABC", "F(x)(y)"])
def test_a_variable_name_asterisk_would_split_is_refused(ami, make_ami, name):
    with pytest.raises(UnsafeValue):
        make_ami().originate(call(variables={name: "1"}))
    assert ami.connections == 0


@pytest.mark.parametrize(
    "changes", [{"context": "x\r\ny"}, {"username": "a\nb"}, {"secret": "s\r\nEvents: on"}]
)
def test_control_characters_in_the_pbx_settings_send_nothing(ami, make_ami, changes):
    with pytest.raises(UnsafeValue):
        make_ami(**changes).originate(call(context=""))
    assert ami.received == b""


def test_keepalive_pings_a_quiet_line_and_drops_a_dead_one(ami, make_ami):
    driver = make_ami(tuning=AmiTuning(keepalive_s=0.2), timeout_s=1.0)
    driver.originate(call())
    ami.wait_for_action("Ping")
    ami.ignore_actions.add("ping")
    assert driver.client.wait_disconnected(10)  # an unanswered ping closes the connection
    ami.ignore_actions.clear()
    driver.originate(call(call_id="again"))
    assert ami.connections == 2


def test_an_outcome_that_never_comes_is_reported_unknown(ami, make_ami, outcomes):
    driver = make_ami(tuning=AmiTuning(events="off", outcome_grace_s=0), timeout_s=0.5)
    driver.originate(call(ring_timeout_s=0, call_id="silent"))
    assert ami.actions_named("Login")[0]["Events"] == "off"
    assert outcomes.of("silent") == (CallStatus.UNKNOWN, "the PBX never reported the outcome")


def test_a_failing_outcome_handler_does_not_stop_the_driver(ami):
    heard = Outcomes()

    def handler(reference: str, status: CallStatus, reason: str) -> None:
        heard(reference, status, reason)
        if reference == "first":
            raise RuntimeError("the handler failed")

    driver = AsteriskAmiDriver(ami_config(ami), on_outcome=handler)
    driver.originate(call(call_id="first"))
    heard.of("first")
    driver.originate(call(call_id="second"))
    assert heard.of("second")[0] is CallStatus.ANSWERED
    driver.close()


def test_close_logs_off_and_the_driver_works_again(ami, make_ami, outcomes):
    driver = make_ami()
    driver.originate(call(call_id="one"))
    outcomes.of("one")
    driver.close()
    assert ami.wait_for_action("Logoff")
    driver.originate(call(call_id="two"))
    assert outcomes.of("two")[0] is CallStatus.ANSWERED
    assert ami.connections == 2


def test_the_banner_is_kept_whatever_it_says(make_ami):
    with FakeAmi(banner="PBX Call Manager/1.2") as ami:
        driver = make_ami(ami)
        driver.originate(call())
        assert driver.client.banner == "PBX Call Manager/1.2"
        assert driver.check().banner == "PBX Call Manager/1.2"


def test_check_says_reachable_login_accepted_may_originate(ami, make_ami):
    result = make_ami().check()
    assert result.ok
    assert result.headline() == "reachable: yes, login accepted: yes, may originate calls: yes"
    assert "Asterisk Call Manager/11.0.0" in result.summary()
    assert "MD5" in result.summary()
    probe = ami.originates[0]
    assert probe.get("Channel") is None  # refused before anything is dialed
    assert ami.actions[-1].name == "Logoff"


def test_check_says_when_the_account_may_not_originate(make_ami):
    result = make_ami(username="readonly", secret="readonly-secret").check()
    assert not result.ok
    assert result.headline() == "reachable: yes, login accepted: yes, may originate calls: no"
    assert "write=" in result.summary()


def test_check_says_when_the_login_is_refused(make_ami):
    result = make_ami(secret="WRONG").check()
    assert result.headline() == "reachable: yes, login accepted: no"
    assert "WRONG" not in result.summary()


def test_check_says_when_the_pbx_is_down_or_silent():
    result = AsteriskAmiDriver(ami_config(None, port=free_port())).check()
    assert result.headline() == "reachable: no"
    with FakeAmi(silent=True) as ami:
        result = AsteriskAmiDriver(ami_config(ami, timeout_s=0.5)).check()
    assert result.headline() == "reachable: no"
    assert "did not answer" in result.summary()
