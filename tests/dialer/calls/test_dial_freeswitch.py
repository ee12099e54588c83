"""Dialing end to end through FreeSWITCH: real XML-RPC through Django, the ESL driver, the fake Event Socket.

Each recorded click-to-dial gives the right Call row; a wrong password,
a dropped connection and a hostile caller-ID name behave as the issue says.
"""

from __future__ import annotations

import xmlrpc.client
from collections.abc import Iterator

import pytest

from accounts.models import Extension
from dialer.models import Call
from drivers.models import PbxServer
from testkit.fake_freeswitch import FakeEsl
from testkit.known_secrets import ESL_PASSWORD, WRONG_PASSWORDS
from testkit.rpc import xmlrpc_call
from tests.dialer.calls.conftest import make_ami_pbx
from tests.phonebook.helpers import add

pytestmark = pytest.mark.django_db(transaction=True)

LONDON = "+44 20 7946 0958"
LONDON_DIALED = "000442079460958"


@pytest.fixture
def esl() -> Iterator[FakeEsl]:
    with FakeEsl() as fake:
        yield fake


def make_fs_pbx(port: int, **changes: object) -> PbxServer:
    fields: dict[str, object] = {
        "name": "FreeSWITCH",
        "driver": "freeswitch_esl",
        "username": "",
        "secret": ESL_PASSWORD,
    }
    fields.update(changes)
    return make_ami_pbx(port, **fields)


@pytest.fixture
def fs_pbx(esl: FakeEsl, alice) -> PbxServer:
    pbx = make_fs_pbx(esl.port)
    Extension.objects.filter(user=alice).update(pbx=pbx, channel="user/1001")
    return pbx


def fault(client, method: str, *params, auth) -> xmlrpc.client.Fault:
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc_call(client, method, *params, auth=auth)
    return caught.value


@pytest.mark.usefixtures("fs_pbx")
@pytest.mark.parametrize(
    "case",
    [
        ("answered", "answered", "answered"),
        ("busy", "busy", "busy"),
        ("no_answer", "no_answer", "no answer"),
        ("unregistered", "failed", "the phone is not registered (USER_NOT_REGISTERED)"),
        ("unknown_user", "failed", "the PBX's directory has no such user (SUBSCRIBER_ABSENT)"),
    ],
)
def test_each_recorded_click_to_dial_gives_its_call_row(client, alice_auth, esl, wait_for, case):
    scenario, status, reason = case
    esl.outcomes[LONDON_DIALED] = scenario
    answer = xmlrpc_call(client, "dialer.dial", LONDON, auth=alice_auth)
    assert (answer["status"], answer["reason"]) == ("queued", "queued by the PBX")
    call = wait_for(answer["call_id"])
    assert call.status == status
    shown = xmlrpc_call(client, "dialer.call_status", answer["call_id"], auth=alice_auth)
    assert (shown["status"], shown["reason"]) == (status, reason)
    (line,) = esl.originates
    assert f"origination_uuid={answer['call_id']}," in line
    assert line.endswith(f"}}user/1001 {LONDON_DIALED} XML outbound")


def test_the_callers_phone_shows_the_callee_and_a_comma_adds_no_variable(
    client, alice_auth, esl, fs_pbx, wait_for
):
    Extension.objects.filter(user__username="alice").update(auto_answer=True, account_code="sales")
    add("Dupont, Jean,execute_on_answer=hangup", LONDON)
    answer = xmlrpc_call(client, "dialer.dial", LONDON, auth=alice_auth)
    assert wait_for(answer["call_id"]).status == "answered"
    (line,) = esl.originates
    block = line[line.index("{") + 1 : line.index("}")]
    names = [item.split("=", 1)[0] for item in block.split(",")]
    assert names == [
        "origination_uuid",
        "origination_caller_id_name",
        "origination_caller_id_number",
        "ignore_early_media",
        "originate_timeout",
        "astitray_call_id",
        "accountcode",
        "sip_auto_answer",
        "ASTITRAY_EXTENSION",
        "ASTITRAY_CALLERID",
    ]
    assert "origination_caller_id_name='Dupont Jean execute_on_answer-hangup'" in block
    assert "originate_timeout=25" in block


def test_a_wrong_esl_password_gives_pbx_unavailable_and_a_failed_row(client, alice, alice_auth, esl):
    pbx = make_fs_pbx(esl.port, secret=WRONG_PASSWORDS["pbx-wrong"])
    Extension.objects.filter(user=alice).update(pbx=pbx, channel="user/1001")
    caught = fault(client, "dialer.dial", LONDON, auth=alice_auth)
    assert caught.faultCode == -32085
    assert WRONG_PASSWORDS["pbx-wrong"] not in caught.faultString
    assert Call.objects.get().reason == "the PBX refused the login"
    assert esl.originates == []


@pytest.mark.usefixtures("fs_pbx")
def test_an_originate_whose_reply_is_lost_is_unknown_and_never_sent_again(client, alice_auth, esl):
    esl.drop_on_originate = "before_reply"
    answer = xmlrpc_call(client, "dialer.dial", LONDON, auth=alice_auth)
    assert answer["status"] == "unknown"
    esl.drop_on_originate = None
    assert xmlrpc_call(client, "dialer.dial", LONDON, auth=alice_auth)["call_id"] == answer["call_id"]
    assert len(esl.originates) == 1


@pytest.mark.usefixtures("fs_pbx")
def test_a_connection_lost_before_the_outcome_leaves_the_call_unknown(client, alice_auth, esl, wait_for):
    esl.drop_on_originate = "before_outcome"
    answer = xmlrpc_call(client, "dialer.dial", LONDON, auth=alice_auth)
    call = wait_for(answer["call_id"])
    assert (call.status, call.reason) == ("unknown", "the connection to the PBX was lost")
    assert len(esl.originates) == 1
