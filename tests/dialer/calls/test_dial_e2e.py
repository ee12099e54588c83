"""Dialing end to end: real XML-RPC through Django, the AMI driver, the fake Asterisk on loopback."""

from __future__ import annotations

import xmlrpc.client

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.models import Extension
from dialer.models import Call, NumberRule
from testkit.fake_asterisk import FakeAmi, Reason
from testkit.known_secrets import AMI_READONLY_SECRET, WRONG_PASSWORDS
from testkit.rpc import basic, jsonrpc_call, xmlrpc_call, xmlrpc_post, xmlrpc_result
from testkit.services import free_port
from tests.conftest import ALICE_PASSWORD
from tests.dialer.calls.conftest import make_ami_pbx
from tests.phonebook.helpers import add

# The driver's reader thread writes outcomes through its own database connection: rows must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

LONDON = "+44 20 7946 0958"
LONDON_DIALED = "000442079460958"  # outside line 0, then 00 44 ...
PARIS = "01 23 45 67 89"
PARIS_DIALED = "00123456789"


def fault(client, method: str, *params, auth) -> xmlrpc.client.Fault:
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc_call(client, method, *params, auth=auth)
    return caught.value


def test_a_dial_rings_the_callers_phone_then_the_number_and_the_outcome_lands(
    client, alice_auth, ami, ami_pbx, wait_for
):
    Extension.objects.filter(user__username="alice").update(account_code="sales", auto_answer=True)
    add("Hélène Dupont", "+44 20 7946 0958")

    answer = xmlrpc_call(client, "dialer.dial", f"Call me: {LONDON}", auth=alice_auth)

    assert answer == {
        "call_id": answer["call_id"],
        "number": LONDON_DIALED,
        "extension": "1001",
        "status": "queued",
        "reason": "queued by the PBX",
    }
    originate = ami.wait_for_action("Originate")
    assert originate["Channel"] == "PJSIP/1001"
    assert originate["Exten"] == LONDON_DIALED
    assert originate["Context"] == "outbound"
    assert originate["Timeout"] == "25000"
    assert originate["ActionID"] == answer["call_id"]
    assert originate["CallerID"] == f'"Hélène Dupont" <{LONDON_DIALED}>'
    assert originate["Account"] == "sales"
    variables = originate.get_all("Variable")
    assert f"ASTITRAY_CALL_ID={answer['call_id']}" in variables
    assert "ASTITRAY_EXTENSION=1001" in variables
    assert any(v.startswith("PJSIP_HEADER(add,Call-Info)=") for v in variables)  # auto-answer

    assert wait_for(answer["call_id"]).status == "answered"
    status = xmlrpc_call(client, "dialer.call_status", answer["call_id"], auth=alice_auth)
    assert status["status"] == "answered"
    assert status["reason"] == "answered"
    assert status["number"] == LONDON_DIALED
    assert status["created"].endswith("Z") and status["updated"].endswith("Z")
    call = Call.objects.get(call_id=answer["call_id"])
    assert (call.username, call.extension, call.channel, call.pbx) == ("alice", "1001", "PJSIP/1001", ami_pbx)
    assert call.text == f"Call me: {LONDON}"


def test_call_status_is_queued_until_the_pbx_says(client, alice_auth, ami, ami_pbx, wait_for):
    ami.outcome_delay = 60  # the phone rings on
    answer = xmlrpc_call(client, "dialer.dial", LONDON, auth=alice_auth)
    ami.wait_for_action("Originate")
    status = xmlrpc_call(client, "dialer.call_status", answer["call_id"], auth=alice_auth)
    assert status["status"] == "queued"


@pytest.mark.usefixtures("ami_pbx")
@pytest.mark.parametrize(
    "case",
    [(Reason.BUSY, "busy", "busy"), (Reason.NO_ANSWER, "no_answer", "no answer")],
    ids=["busy", "no_answer"],
)
def test_busy_and_no_answer_outcomes(client, alice_auth, ami, wait_for, case):
    reason, status, why = case
    ami.outcomes[PARIS_DIALED] = reason
    answer = xmlrpc_call(client, "dialer.dial", PARIS, auth=alice_auth)
    assert wait_for(answer["call_id"]).status == status
    assert xmlrpc_call(client, "dialer.call_status", answer["call_id"], auth=alice_auth)["reason"] == why


def test_a_user_without_an_extension_gets_no_extension(client, bob_auth, ami, ami_pbx):
    assert fault(client, "dialer.dial", LONDON, auth=bob_auth).faultCode == -32089
    assert not Call.objects.exists()
    assert ami.originates == []


def test_a_disabled_extension_gets_no_extension(client, alice_auth, ami, ami_pbx):
    Extension.objects.filter(user__username="alice").update(enabled=False)
    assert fault(client, "dialer.dial", LONDON, auth=alice_auth).faultCode == -32089
    assert ami.originates == []


def test_text_without_a_number_gets_invalid_number(client, alice_auth, ami, ami_pbx):
    assert fault(client, "dialer.dial", "call me maybe", auth=alice_auth).faultCode == -32088
    assert not Call.objects.exists()
    assert ami.originates == []


def test_a_denied_number_is_recorded_and_never_sent(client, alice, alice_auth, ami, ami_pbx):
    NumberRule.objects.create(position=10, pattern=r"^0089", action="deny", description="Premium rate")
    caught = fault(client, "dialer.dial", "08 99 12 34 56", auth=alice_auth)
    assert caught.faultCode == -32087
    assert "^0089" not in caught.faultString
    call = Call.objects.get()
    assert (call.status, call.number, call.user) == ("denied", "00899123456", alice)
    assert "Premium rate" in call.reason
    assert ami.originates == []
    [entry] = xmlrpc_call(client, "dialer.history", auth=alice_auth)
    assert entry["status"] == "denied"


def test_a_number_rule_for_a_group_denies_its_members_only(client, alice, alice_auth, ami, ami_pbx):
    interns = Group.objects.create(name="interns")
    rule = NumberRule.objects.create(position=10, pattern=r"^000", action="deny")
    rule.groups.add(interns)
    xmlrpc_call(client, "dialer.dial", LONDON, auth=alice_auth)
    alice.groups.add(interns)
    assert fault(client, "dialer.dial", "+1 650 253 0000", auth=alice_auth).faultCode == -32087
    assert len(ami.originates) == 1


def test_the_eleventh_call_in_a_minute_is_rate_limited(client, alice_auth, ami, ami_pbx):
    for n in range(10):
        xmlrpc_call(client, "dialer.dial", f"01 23 45 67 {n:02d}", auth=alice_auth)
    caught = fault(client, "dialer.dial", "01 23 45 67 99", auth=alice_auth)
    assert caught.faultCode == -32086
    assert ami.wait_for(lambda: len(ami.originates) == 10)
    assert Call.objects.count() == 10  # the refused attempt reached neither the log nor the PBX


def test_a_double_click_answers_the_call_already_placed(client, alice_auth, ami, ami_pbx, wait_for):
    first = xmlrpc_call(client, "dialer.dial", LONDON, auth=alice_auth)
    wait_for(first["call_id"])
    # Written differently, the same number: the same call.
    second = xmlrpc_call(client, "dialer.dial", "0044 20 7946 0958", auth=alice_auth)
    assert second["call_id"] == first["call_id"]
    assert second["status"] == "answered"
    assert len(ami.originates) == 1
    assert Call.objects.count() == 1
    # Another number is another call.
    assert xmlrpc_call(client, "dialer.dial", PARIS, auth=alice_auth)["call_id"] != first["call_id"]


def test_a_pbx_that_is_down_gives_pbx_unavailable_and_a_failed_row(client, alice, alice_auth):
    pbx = make_ami_pbx(free_port())  # nothing listens there
    Extension.objects.filter(user=alice).update(pbx=pbx)
    caught = fault(client, "dialer.dial", LONDON, auth=alice_auth)
    assert caught.faultCode == -32085
    assert "127.0.0.1" not in caught.faultString
    call = Call.objects.get()
    assert call.status == "failed"
    assert call.reason == "the PBX refused the connection"
    # Nothing rang: dialing again is not a double click, it tries again.
    assert fault(client, "dialer.dial", LONDON, auth=alice_auth).faultCode == -32085
    assert Call.objects.count() == 2


def test_a_silent_pbx_gives_pbx_unavailable_within_its_timeout(client, alice, alice_auth):
    with FakeAmi(silent=True) as silent:
        pbx = make_ami_pbx(silent.port, timeout_s=1.0)
        Extension.objects.filter(user=alice).update(pbx=pbx)
        assert fault(client, "dialer.dial", LONDON, auth=alice_auth).faultCode == -32085
    assert Call.objects.get().status == "failed"


def test_a_wrong_pbx_secret_gives_pbx_unavailable(client, alice, alice_auth):
    with FakeAmi(auth_fail_delay=0) as ami:
        pbx = make_ami_pbx(ami.port, secret=WRONG_PASSWORDS["pbx-wrong"])
        Extension.objects.filter(user=alice).update(pbx=pbx)
        caught = fault(client, "dialer.dial", LONDON, auth=alice_auth)
    assert caught.faultCode == -32085
    assert WRONG_PASSWORDS["pbx-wrong"] not in caught.faultString
    assert Call.objects.get().reason == "the PBX refused the login"


def test_an_account_without_the_originate_right_gives_pbx_error(client, alice, alice_auth, ami):
    pbx = make_ami_pbx(ami.port, username="readonly", secret=AMI_READONLY_SECRET)
    Extension.objects.filter(user=alice).update(pbx=pbx)
    assert fault(client, "dialer.dial", LONDON, auth=alice_auth).faultCode == -32084
    call = Call.objects.get()
    assert (call.status, call.reason) == ("failed", "the PBX account may not originate calls")


def test_an_unknown_context_gives_pbx_error(client, alice, alice_auth, ami):
    pbx = make_ami_pbx(ami.port, context="nowhere")
    Extension.objects.filter(user=alice).update(pbx=pbx)
    assert fault(client, "dialer.dial", LONDON, auth=alice_auth).faultCode == -32084
    assert Call.objects.get().status == "failed"


def test_an_originate_whose_answer_is_lost_is_unknown_and_never_sent_again(client, alice_auth, ami, ami_pbx):
    ami.drop_on_originate = "before_answer"
    answer = xmlrpc_call(client, "dialer.dial", LONDON, auth=alice_auth)
    assert answer["status"] == "unknown"
    assert "may still ring" in answer["reason"]
    assert Call.objects.get(call_id=answer["call_id"]).status == "unknown"
    # A retry right away is a double click of that call: still one originate.
    ami.drop_on_originate = None
    assert xmlrpc_call(client, "dialer.dial", LONDON, auth=alice_auth)["call_id"] == answer["call_id"]
    assert len(ami.originates) == 1


def test_a_connection_lost_before_the_outcome_leaves_the_call_unknown(
    client, alice_auth, ami, ami_pbx, wait_for
):
    ami.drop_on_originate = "before_outcome"
    answer = xmlrpc_call(client, "dialer.dial", LONDON, auth=alice_auth)
    assert answer["status"] == "queued"
    call = wait_for(answer["call_id"])
    assert (call.status, call.reason) == ("unknown", "the connection to the PBX was lost")
    assert len(ami.originates) == 1


def test_alice_cannot_see_bobs_call(client, alice_auth, bob_auth, ami, ami_pbx):
    bob = get_user_model().objects.get(username=bob_auth[0])
    Extension.objects.create(user=bob, number="1002", channel="PJSIP/1002", pbx=ami_pbx)
    bobs = xmlrpc_call(client, "dialer.dial", LONDON, auth=bob_auth)
    assert ami.wait_for_action("Originate")["Channel"] == "PJSIP/1002"
    caught = fault(client, "dialer.call_status", bobs["call_id"], auth=alice_auth)
    assert caught.faultCode == -32083
    unknown = fault(client, "dialer.call_status", "6d1e8f0c-2f5e-4a57-9b8e-3e8c9c1e2f00", auth=alice_auth)
    assert caught.faultString == unknown.faultString  # nothing tells "not yours" from "no such call"
    assert xmlrpc_call(client, "dialer.history", auth=alice_auth) == []
    assert (
        xmlrpc_call(client, "dialer.call_status", bobs["call_id"], auth=bob_auth)["call_id"]
        == bobs["call_id"]
    )


def test_the_client_cannot_choose_the_phone_context_or_pbx(client, alice_auth, ami, ami_pbx):
    caught = fault(client, "dialer.dial", LONDON, "PJSIP/6666", auth=alice_auth)
    assert caught.faultCode == -32602
    answer = xmlrpc_call(client, "dialer.dial", "tel:+442079460958;phone-context=evil", auth=alice_auth)
    assert ami.wait_for_action("Originate")["Channel"] == "PJSIP/1001"
    assert ami.originates[0]["Context"] == "outbound"
    assert answer["extension"] == "1001"


def test_a_multicall_of_several_dials(client, alice_auth, ami, ami_pbx, wait_for):
    calls = [
        {"methodName": "dialer.dial", "params": [LONDON]},
        {"methodName": "dialer.dial", "params": [PARIS]},
        {"methodName": "dialer.dial", "params": [LONDON]},  # a double click inside the batch
        {"methodName": "dialer.dial", "params": ["no number here"]},
    ]
    body = xmlrpc.client.dumps((calls,), "system.multicall")
    results = xmlrpc_result(xmlrpc_post(client, body, basic(*alice_auth)).content)
    (london,), (paris,), (again,), failed = results
    assert (london["number"], paris["number"]) == (LONDON_DIALED, PARIS_DIALED)
    assert again["call_id"] == london["call_id"]
    assert failed["faultCode"] == -32088
    assert ami.wait_for(lambda: len(ami.originates) == 2)
    for answer in (london, paris):
        assert wait_for(answer["call_id"]).status == "answered"
    assert sorted(a["Exten"] for a in ami.originates) == sorted([LONDON_DIALED, PARIS_DIALED])


def test_history_lists_the_callers_calls_newest_first(client, alice_auth, ami, ami_pbx):
    placed = [xmlrpc_call(client, "dialer.dial", f"01 23 45 67 {n:02d}", auth=alice_auth) for n in range(3)]
    history = xmlrpc_call(client, "dialer.history", auth=alice_auth)
    assert [h["call_id"] for h in history] == [p["call_id"] for p in reversed(placed)]
    assert set(history[0]) == {
        *("call_id", "input", "number", "status", "reason", "created", "updated"),
        *("direction", "name"),
    }
    assert history[0]["input"] == "01 23 45 67 02"
    assert (history[0]["direction"], history[0]["name"]) == ("out", "")
    assert len(xmlrpc_call(client, "dialer.history", 2, auth=alice_auth)) == 2
    for bad in (0, 201, "5", True):
        assert fault(client, "dialer.history", bad, auth=alice_auth).faultCode == -32602


def test_history_shows_the_callees_name_and_incoming_calls(client, alice, alice_auth, ami, ami_pbx):
    add("Hélène Dupont", "+44 20 7946 0958")
    placed = xmlrpc_call(client, "dialer.dial", LONDON, auth=alice_auth)
    missed = Call.objects.create(
        user=alice, username="alice", extension="1001", pbx=ami_pbx, direction="in",
        number="0142685300", name="Marie Dubois", status="missed", call_key="1764000000.1",
    )  # fmt: skip
    newest, oldest = xmlrpc_call(client, "dialer.history", auth=alice_auth)
    assert (oldest["call_id"], oldest["direction"], oldest["name"]) == (
        placed["call_id"],
        "out",
        "Hélène Dupont",
    )
    assert (newest["call_id"], newest["direction"]) == (str(missed.call_id), "in")
    assert (newest["status"], newest["number"], newest["name"]) == ("missed", "0142685300", "Marie Dubois")
    status = xmlrpc_call(client, "dialer.call_status", str(missed.call_id), auth=alice_auth)
    assert (status["direction"], status["status"]) == ("in", "missed")


def test_bad_parameters_are_refused(client, alice_auth, ami, ami_pbx):
    for method, params in [
        ("dialer.dial", ()),
        ("dialer.dial", (42,)),
        ("dialer.dial", ("1" * 4097,)),
        ("dialer.call_status", ("not-a-call-id",)),
        ("dialer.call_status", (12,)),
    ]:
        assert fault(client, method, *params, auth=alice_auth).faultCode == -32602, (method, params)
    assert ami.originates == []
    assert not Call.objects.exists()


def test_a_wrong_password_is_refused_before_anything(client, alice, ami, ami_pbx):
    assert fault(client, "dialer.dial", LONDON, auth=("alice", "wrong")).faultCode == -32098
    assert ami.originates == []
    assert ALICE_PASSWORD != "wrong"


def test_the_procedures_over_json_rpc_with_named_parameters(client, alice_auth, ami, ami_pbx):
    answer = jsonrpc_call(client, "dialer.dial", {"text": LONDON}, auth=alice_auth)["result"]
    assert answer["number"] == LONDON_DIALED
    status = jsonrpc_call(client, "dialer.call_status", {"call_id": answer["call_id"]}, auth=alice_auth)
    assert status["result"]["call_id"] == answer["call_id"]
    history = jsonrpc_call(client, "dialer.history", {"limit": 1}, auth=alice_auth)["result"]
    assert [h["call_id"] for h in history] == [answer["call_id"]]
    refused = jsonrpc_call(client, "dialer.dial", {"text": LONDON, "channel": "PJSIP/6666"}, auth=alice_auth)
    assert refused["error"]["code"] == -32602


def test_the_procedures_explain_themselves(client):
    help_text = xmlrpc_call(client, "system.methodHelp", "dialer.dial")
    assert "Ring your own phone" in help_text
    assert {"dialer.dial", "dialer.call_status", "dialer.history"} <= set(
        xmlrpc_call(client, "system.listMethods")
    )
