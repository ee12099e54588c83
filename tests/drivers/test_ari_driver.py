"""The ARI driver against the fake Asterisk HTTP server: the JSON body, Basic auth, HTTP errors."""

from __future__ import annotations

import pytest

from drivers.asterisk.ari import AsteriskAriDriver
from drivers.base import (
    CallStatus,
    OriginateFailed,
    OriginateOutcomeUnknown,
    OriginateRejected,
    PbxAuthFailed,
    PbxPermissionDenied,
    PbxUnavailable,
    UnsafeValue,
)
from testkit.fake_asterisk import AriUser, FakeAsteriskHttp
from testkit.services import free_port
from tests.drivers.conftest import ARI_SECRET, ami_config, call


def test_a_dial_posts_exactly_the_expected_json(http, make_ari, outcomes):
    result = make_ari().originate(call(account_code="sales", auto_answer=True, variables={"NOTE": "a,b"}))
    assert result.reference == "call-1"  # the channel id is Astitray's call id
    assert result.status is CallStatus.QUEUED
    (request,) = http.ari_requests
    assert (request.method, request.path, request.username, request.query) == (
        "POST",
        "/ari/channels",
        "astitray",
        (),
    )
    assert request.body == {
        "endpoint": "PJSIP/1001",
        "extension": "0044207946095",
        "context": "outbound",
        "priority": 1,
        "timeout": 25,  # seconds here
        "callerId": '"Alice Martin" <1001>',
        "channelId": "call-1",
        "variables": {
            "NOTE": "a,b",  # JSON: no escaping needed
            "PJSIP_HEADER(add,Alert-Info)": "<http://127.0.0.1>;info=alert-autoanswer;delay=0",
            "PJSIP_HEADER(add,Call-Info)": "<sip:127.0.0.1>;answer-after=0",
            "ASTITRAY_CALL_ID": "call-1",
            "CHANNEL(accountcode)": "sales",
        },
    }
    assert outcomes.items == []  # ARI reports no outcome
    assert not AsteriskAriDriver.reports_outcome


def test_without_call_id_the_reference_is_the_pbx_channel_id(http, make_ari):
    result = make_ari().originate(call(call_id=""))
    assert result.reference.startswith("1795699295.")
    assert "channelId" not in http.ari_requests[0].body


def test_an_unknown_context_is_not_checked_by_ari(http, make_ari):
    assert make_ari(context="nosuchcontext").originate(call(context="")).status is CallStatus.QUEUED
    assert http.ari_requests[0].body["context"] == "nosuchcontext"


@pytest.mark.parametrize(
    ("changes", "request_changes", "error"),
    [
        ({"secret": "WRONG"}, {}, PbxAuthFailed),  # 401
        ({}, {"channel": "Nonsense/1001"}, OriginateFailed),  # 500 Allocation failed
    ],
)
def test_http_errors_map_to_the_error_tree(make_ari, changes, request_changes, error):
    with pytest.raises(error):
        make_ari(**changes).originate(call(**request_changes))


def test_a_missing_endpoint_is_a_bad_request(make_ari):
    request = call()
    object.__setattr__(request, "channel", "")  # a request that skipped its own checks
    with pytest.raises(OriginateRejected):
        make_ari().originate(request)


def test_a_read_only_account_may_not_originate(make_ari):
    with FakeAsteriskHttp(ari_accounts={"viewer": AriUser("pw", read_only=True)}) as fake:
        driver = make_ari(fake, username="viewer", secret="pw")
        with pytest.raises(PbxPermissionDenied):
            driver.originate(call())
        assert driver.check().headline() == "reachable: yes, login accepted: yes, may originate calls: no"


def test_a_dropped_request_is_unknown_not_resent(http, make_ari):
    http.drop_on_originate = "before_answer"
    with pytest.raises(OriginateOutcomeUnknown):
        make_ari().originate(call())
    assert len(http.ari_requests) == 1


def test_a_pbx_that_is_down_is_unavailable():
    driver = AsteriskAriDriver(ami_config(None, port=free_port(), secret=ARI_SECRET))
    with pytest.raises(PbxUnavailable):
        driver.originate(call())
    assert driver.check().headline() == "reachable: no"


def test_no_ari_at_that_address_is_unavailable(make_ari):
    with FakeAsteriskHttp(prefix="asterisk") as fake, pytest.raises(PbxUnavailable, match="no ARI"):
        make_ari(fake).originate(call())  # the prefix is missing from the settings


@pytest.mark.parametrize("field", ["number", "caller_id", "context", "call_id"])
def test_a_control_character_sends_nothing(http, make_ari, field):
    request = call()
    object.__setattr__(request, field, "1\r\nX: y")
    with pytest.raises(UnsafeValue):
        make_ari().originate(request)
    assert http.request_lines == []


def test_check_says_what_it_found_and_that_ari_does_not_check_the_context(http, make_ari):
    result = make_ari().check()
    assert result.headline() == "reachable: yes, login accepted: yes, may originate calls: yes"
    assert "does not check the dialplan context" in result.summary()
    assert "'outbound'" in result.summary()
    assert [(r.method, r.path, r.body) for r in http.ari_requests] == [
        ("GET", "/ari/asterisk/info", None),
        ("POST", "/ari/channels", {}),  # no endpoint: refused, nothing dialed
    ]
    assert make_ari(secret="WRONG").check().headline() == "reachable: yes, login accepted: no"
