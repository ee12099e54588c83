"""The FreeSWITCH Event Socket driver against the fake ESL server answering with the recorded bytes.

Each recorded click-to-dial (answered, busy, no answer, not registered,
unknown user) gives its outcome; what goes on the wire is exactly the
command the docs show; a wrong password, an ACL refusal, a PBX that is down
or silent, connections dropped before and after an originate (never
originated twice), a restart, and "Test connection".
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers import registry
from drivers.base import (
    CallStatus,
    OriginateOutcomeUnknown,
    OriginateRequest,
    PbxAuthFailed,
    PbxConfig,
    PbxUnavailable,
    UnsafeValue,
)
from drivers.freeswitch.esl import EslTuning, FreeSwitchEslDriver
from testkit.fake_asterisk import FakeAmi
from testkit.fake_freeswitch import FakeEsl
from testkit.known_secrets import ESL_PASSWORD, WRONG_PASSWORDS
from testkit.services import free_port
from tests.drivers.conftest import Outcomes

NUMBER = "0044207946095"


def esl_config(port: int, **changes: object) -> PbxConfig:
    fields: dict[str, object] = {
        "name": "test-fs",
        "host": "127.0.0.1",
        "port": port,
        "secret": ESL_PASSWORD,
        "context": "outbound",
        "timeout_s": 5.0,
    }
    fields.update(changes)
    return PbxConfig(**fields)  # type: ignore[arg-type]


def dial(**changes: object) -> OriginateRequest:
    fields: dict[str, object] = {
        "channel": "user/1001",
        "number": NUMBER,
        "context": "",
        "caller_id": f'"Alice Martin" <{NUMBER}>',
        "ring_timeout_s": 20,
        "call_id": str(uuid.uuid4()),
    }
    fields.update(changes)
    return OriginateRequest(**fields)  # type: ignore[arg-type]


@pytest.fixture
def esl() -> Iterator[FakeEsl]:
    with FakeEsl() as fake:
        yield fake


@pytest.fixture
def make(esl: FakeEsl, outcomes: Outcomes) -> Iterator:
    built: list[FreeSwitchEslDriver] = []

    def build(fake: FakeEsl | None = None, tuning: EslTuning | None = None, **changes: object):
        driver = FreeSwitchEslDriver(
            esl_config((fake or esl).port, **changes), on_outcome=outcomes, tuning=tuning
        )
        built.append(driver)
        return driver

    yield build
    for driver in built:
        driver.close()


def test_it_is_registered_as_freeswitch_esl_on_port_8021():
    cls = registry.load_driver_class("freeswitch_esl")
    assert cls is FreeSwitchEslDriver
    assert cls(PbxConfig(name="x")).port == 8021
    assert cls.reports_outcome


@pytest.mark.parametrize(
    "case",
    [
        ("answered", CallStatus.ANSWERED, "answered"),
        ("busy", CallStatus.BUSY, "busy"),
        ("no_answer", CallStatus.NO_ANSWER, "no answer"),
        ("unregistered", CallStatus.FAILED, "the phone is not registered (USER_NOT_REGISTERED)"),
        ("unknown_user", CallStatus.FAILED, "the PBX's directory has no such user (SUBSCRIBER_ABSENT)"),
    ],
)
def test_each_recorded_click_to_dial_gives_its_outcome(esl, make, outcomes, case):
    scenario, status, reason = case
    esl.outcomes[NUMBER] = scenario
    request = dial()
    result = make().originate(request)
    assert (result.reference, result.status) == (request.call_id, CallStatus.QUEUED)
    assert outcomes.of(request.call_id) == (status, reason)


def test_the_wire_carries_the_filter_then_the_originate_with_our_ids(esl, make):
    request = dial(account_code="sales", auto_answer=True, variables={"ASTITRAY_CALLERID": '"Alice" <1001>'})
    make().originate(request)
    (bgapi,) = esl.wait_for("bgapi")
    (added,) = esl.wait_for("filter Job-UUID")
    line, job_header, *rest = bgapi.decode().split("\n")
    assert rest == ["", ""]
    job = job_header.removeprefix("Job-UUID: ")
    assert added == f"filter Job-UUID {job}\n\n".encode()
    assert line == (
        f"bgapi originate {{origination_uuid={request.call_id},origination_caller_id_name='Alice Martin',"
        f"origination_caller_id_number={NUMBER},ignore_early_media=true,originate_timeout=20,"
        f"astitray_call_id={request.call_id},accountcode=sales,sip_auto_answer=true,"
        f"ASTITRAY_CALLERID='\"Alice\" <1001>'}}user/1001 {NUMBER} XML outbound"
    )
    # The subscription is BACKGROUND_JOB only, and the job's filter is deleted once it answered.
    assert esl.received[1] == b"event plain BACKGROUND_JOB\n\n"
    assert esl.wait_for(f"filter delete Job-UUID {job}") == [f"filter delete Job-UUID {job}\n\n".encode()]


def test_a_call_id_that_is_not_a_uuid_still_ties_the_outcome(esl, make, outcomes):
    request = dial(call_id="call-1")
    make().originate(request)
    assert outcomes.of("call-1") == (CallStatus.ANSWERED, "answered")
    (line,) = esl.originates
    assert "astitray_call_id=call-1}" in line and "origination_uuid=call-1" not in line


def test_a_comma_in_the_callers_name_is_not_another_variable(esl, make):
    # Recorded: the name "Evil,execute_on_answer=hangup" hung the call up on answer.
    make().originate(dial(caller_id=f'"Evil,execute_on_answer=hangup" <{NUMBER}>'))
    (line,) = esl.originates
    assert "origination_caller_id_name='Evil execute_on_answer-hangup'," in line
    assert ",execute_on_answer=" not in line


@pytest.mark.parametrize(
    "changes",
    [
        {"number": "0044111\n\napi system echo INJECTED"},
        {"number": "0044222\r\nJob-UUID: injected-job-uuid"},
        {"number": "0044 999"},
        {"channel": "user/1001,user/1002"},
        {"channel": "{execute_on_answer=hangup}user/1001"},
        {"context": "outbound ${system(id)}"},
        {"account_code": "a,execute_on_answer=hangup"},
        {"variables": {"X": "${system(id)}"}},
        {"variables": {"X,execute_on_answer": "hangup"}},
        {"call_id": "x}user/1002"},
    ],
)
def test_a_value_that_could_change_the_command_is_refused_before_the_wire(esl, make, changes):
    driver = make()
    with pytest.raises(UnsafeValue) as caught:
        driver.originate(dial(**changes))
    assert esl.connections == 0 and esl.received == []
    for value in changes.values():
        assert str(value) not in str(caught.value)


def test_a_wrong_password_is_pbx_unavailable_and_nothing_is_originated(esl, make, caplog):
    driver = make(secret=WRONG_PASSWORDS["pbx-wrong"])
    with pytest.raises(PbxAuthFailed):
        driver.originate(dial())
    assert esl.originates == []
    assert "password refused" in caplog.text
    assert WRONG_PASSWORDS["pbx-wrong"] not in caplog.text
    result = driver.check()
    assert (result.reachable, result.login_ok, result.ok) == (True, False, False)
    assert "The login was refused: check the password (event_socket.conf.xml)." in result.summary()


def test_an_address_the_acl_refuses_says_so(esl, make):
    esl.acl_refuses = True
    driver = make()
    with pytest.raises(PbxUnavailable) as caught:
        driver.originate(dial())
    assert "apply-inbound-acl" in str(caught.value)
    result = driver.check()
    assert (result.reachable, result.login_ok) == (True, False)
    assert "apply-inbound-acl" in result.summary()


def test_a_pbx_that_is_down_is_unavailable_then_backed_off(outcomes):
    driver = FreeSwitchEslDriver(esl_config(free_port()), tuning=EslTuning(backoff_s=30))
    with pytest.raises(PbxUnavailable, match="refused the connection"):
        driver.originate(dial())
    with pytest.raises(PbxUnavailable, match="next attempt in"):
        driver.originate(dial())
    result = driver.check()
    assert not result.reachable and "Cannot reach ESL" in result.summary()


def test_a_silent_server_fails_within_the_network_timeout(esl, make):
    esl.silent = True
    driver = make(timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(PbxUnavailable):
        driver.originate(dial())
    assert time.monotonic() - started < 3


def test_a_connection_dropped_before_the_reply_is_unknown_and_never_sent_again(esl, make, outcomes):
    esl.drop_on_originate = "before_reply"
    driver = make()
    request = dial()
    with pytest.raises(OriginateOutcomeUnknown):
        driver.originate(request)
    assert len(esl.originates) == 1
    assert outcomes.items == []  # nothing to report: the dialer marks it unknown itself
    # The next call connects again and goes through.
    esl.drop_on_originate = None
    other = dial()
    driver.originate(other)
    assert outcomes.of(other.call_id)[0] is CallStatus.ANSWERED
    assert len(esl.originates) == 2 and esl.connections == 2


def test_a_connection_dropped_after_the_reply_leaves_the_call_unknown(esl, make, outcomes):
    esl.drop_on_originate = "before_outcome"
    request = dial()
    make().originate(request)
    assert outcomes.of(request.call_id) == (CallStatus.UNKNOWN, "the connection to the PBX was lost")
    assert len(esl.originates) == 1


def test_a_connection_dropped_between_calls_is_opened_again(esl, make, outcomes):
    driver = make()
    driver.originate(dial())
    esl.restart()  # SHUTDOWN is not subscribed: the disconnect notice, then EOF
    assert driver.client.wait_closed(5)
    request = dial()
    driver.originate(request)
    assert outcomes.of(request.call_id)[0] is CallStatus.ANSWERED
    assert esl.connections == 2


def test_calls_from_many_threads_share_one_connection_and_each_gets_its_own_outcome(esl, make, outcomes):
    driver = make()
    esl.outcomes["0044207946096"] = "busy"
    requests = [dial(number=NUMBER if i % 2 else "0044207946096") for i in range(20)]
    threads = [threading.Thread(target=driver.originate, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for request in requests:
        expected = CallStatus.ANSWERED if request.number == NUMBER else CallStatus.BUSY
        assert outcomes.of(request.call_id)[0] is expected
    assert esl.connections == 1


def test_an_outcome_that_never_comes_is_unknown_after_its_grace(esl, make, outcomes):
    esl.outcome_delay = 60
    request = dial(ring_timeout_s=0)
    make(tuning=EslTuning(outcome_grace_s=0), timeout_s=0.5).originate(request)
    assert outcomes.of(request.call_id, timeout=10) == (
        CallStatus.UNKNOWN,
        "the PBX never reported the outcome",
    )


def test_test_connection_answers_ok_with_the_version(esl, make):
    result = make().check()
    assert result.ok and result.may_originate is True
    assert result.headline() == "reachable: yes, login accepted: yes, may originate calls: yes"
    assert "FreeSWITCH Version 1.10.12-release" in result.summary()
    assert "Logged in (password)." in result.summary()
    assert ESL_PASSWORD not in result.summary()
    # The check used its own connection and said goodbye; no call was placed.
    assert esl.originates == [] and b"exit\n\n" in esl.received


def test_test_connection_without_mod_commands_may_not_originate(esl, make):
    esl.commands_missing = True
    result = make().check()
    assert (result.login_ok, result.may_originate, result.ok) == (True, False, False)
    assert "mod_commands" in result.summary()


def test_the_bytes_docs_freeswitch_md_shows_are_what_the_driver_sends(esl, make, monkeypatch):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "freeswitch.md").read_text(encoding="utf-8")
    section = doc.split("## What a click does", 1)[1]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    job = shown.split("\n", 1)[0].removeprefix("filter Job-UUID ")
    monkeypatch.setattr("drivers.freeswitch.esl.uuid.uuid4", lambda: uuid.UUID(job))
    number = "000442079460958"
    request = dial(
        number=number,
        caller_id=f'"Hélène Dupont" <{number}>',
        ring_timeout_s=25,
        call_id="8d6e5855-4a16-4f6c-a856-c2b081a43f1e",
    )
    make().originate(request)
    (bgapi,) = esl.wait_for("bgapi")
    (added,) = esl.wait_for("filter Job-UUID")
    assert (added + bgapi).decode() == shown + "\n"


def test_an_extension_caller_id_with_a_comma_is_made_harmless_not_refused(esl, make, outcomes):
    request = dial(variables={"ASTITRAY_CALLERID": '"Martin, Alice" <1001>', "ASTITRAY_EXTENSION": "1001"})
    make().originate(request)
    assert outcomes.of(request.call_id)[0] is CallStatus.ANSWERED
    (line,) = esl.originates
    assert "ASTITRAY_CALLERID='\"Martin Alice\" <1001>',ASTITRAY_EXTENSION=1001}" in line


def test_a_port_where_asterisk_answers_is_not_an_event_socket():
    with FakeAmi() as ami:
        driver = FreeSwitchEslDriver(esl_config(ami.port, timeout_s=3.0))
        started = time.monotonic()
        with pytest.raises(PbxUnavailable, match="does not speak the Event Socket protocol"):
            driver.originate(dial())
        assert time.monotonic() - started < 2  # at once, not at the end of the timeout
        result = driver.check()
    assert (result.reachable, result.login_ok) == (True, False)
    assert "The login failed: the PBX does not speak the Event Socket protocol." in result.summary()
