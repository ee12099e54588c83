"""``dialer.normalize`` over XML-RPC and JSON-RPC: whose dial plan, which rules, the answer's shape."""

from __future__ import annotations

import xmlrpc.client

import pytest
from django.contrib.auth.models import Group

from dialer.models import NumberRule, RewriteRule
from drivers.models import PbxServer
from tests.dialer.cases import GB, US
from tests.rpc import jsonrpc_call, xmlrpc_call

pytestmark = pytest.mark.django_db

LONDON = "+44 20 7946 0958"


def normalize(client, auth, text=LONDON) -> dict:
    return xmlrpc_call(client, "dialer.normalize", text, auth=auth)


def test_the_answer_has_every_key_of_the_api_and_no_nil(client, alice_auth):
    answer = jsonrpc_call(client, "dialer.normalize", ["Tel: +33 (0)1 23 45 67 89 ext. 12"], auth=alice_auth)
    result = answer["result"]
    assert set(result) == {"input", "number", "e164", "extension_digits", "internal", "steps", "allowed"}
    assert result["number"] == "00123456789"
    assert result["e164"] == "+33123456789"
    assert result["extension_digits"] == "12"
    assert result["internal"] is False
    assert result["allowed"] is True
    assert [step["step"] for step in result["steps"]] == [
        "extract",
        "extension",
        "e164",
        "dialplan",
        "outside_prefix",
        "validate",
    ]
    for step in result["steps"]:
        assert set(step) == {"step", "value", "detail"}
        assert all(isinstance(value, str) and value for value in step.values())


def test_an_internal_number_has_an_empty_e164(client, alice_auth):
    answer = normalize(client, alice_auth, "1001")
    assert (answer["number"], answer["e164"], answer["extension_digits"], answer["internal"]) == (
        "1001",
        "",
        "",
        True,
    )


def test_it_needs_credentials(client, alice):
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc_call(client, "dialer.normalize", LONDON)
    assert caught.value.faultCode == -32098


def test_it_is_listed_and_documented(client):
    assert "dialer.normalize" in xmlrpc_call(client, "system.listMethods")
    help_text = xmlrpc_call(client, "system.methodHelp", "dialer.normalize")
    assert "Nothing is dialed" in help_text


def test_the_callers_extension_pbx_gives_the_dial_plan(client, alice_auth, alice_on, make_pbx):
    assert normalize(client, alice_auth)["number"] == "000442079460958"  # the default PBX: FR, outside 0
    alice_on(make_pbx(GB))
    assert normalize(client, alice_auth)["number"] == "902079460958"
    alice_on(make_pbx(US))
    assert normalize(client, alice_auth)["number"] == "9011442079460958"


def test_a_disabled_pbx_still_gives_its_dial_plan(client, alice_auth, alice_on, make_pbx):
    alice_on(make_pbx(GB, enabled=False))
    assert normalize(client, alice_auth)["number"] == "902079460958"


def test_without_an_extension_the_default_pbx_is_used(client, bob_auth, console_pbx, make_pbx):
    make_pbx(GB)  # not the default
    assert normalize(client, bob_auth)["number"] == "000442079460958"
    gb = make_pbx(GB, name="London", is_default=True)
    assert PbxServer.objects.default() == gb
    assert normalize(client, bob_auth)["number"] == "902079460958"


def test_without_any_pbx_the_default_country_is_used_with_no_outside_line(client, bob_auth, settings):
    PbxServer.objects.all().delete()  # the demo PBX of the migrations, too
    assert normalize(client, bob_auth)["number"] == "00442079460958"
    settings.ASTITRAY_DEFAULT_COUNTRY = "US"
    assert normalize(client, bob_auth)["number"] == "011442079460958"
    assert normalize(client, bob_auth, "(650) 253-0000")["number"] == "16502530000"


def test_rules_of_the_pbx_and_of_every_pbx_run_by_position(client, alice_auth, console_pbx, make_pbx):
    other = make_pbx(GB)
    RewriteRule.objects.create(pbx=None, position=20, name="every PBX", pattern=r"^0", replacement="8")
    RewriteRule.objects.create(
        pbx=console_pbx, position=10, name="this PBX", pattern=r"^(1\d{3})$", replacement=r"0\1"
    )
    RewriteRule.objects.create(pbx=other, position=15, name="other PBX", pattern=r"^", replacement="7")
    RewriteRule.objects.create(
        pbx=None, position=1, name="disabled", pattern=r"^", replacement="6", enabled=False
    )
    answer = normalize(client, alice_auth, "1001")
    assert answer["number"] == "81001"
    assert [step["step"] for step in answer["steps"]] == [
        "extract",
        "internal",
        "this PBX",
        "every PBX",
        "validate",
    ]
    assert [step["value"] for step in answer["steps"]] == ["1001", "1001", "01001", "81001", "81001"]

    RewriteRule.objects.filter(name="every PBX").update(position=5)  # now first: "^0" no longer matches
    assert normalize(client, alice_auth, "1001")["number"] == "01001"


def test_allowed_says_whether_the_number_rules_let_the_caller_dial(client, alice, alice_auth, bob_auth):
    premium = NumberRule.objects.create(position=10, pattern=r"^0089", action="deny")
    assert normalize(client, alice_auth, "08 99 12 34 56")["allowed"] is False
    assert normalize(client, alice_auth, "01 23 45 67 89")["allowed"] is True
    managers = Group.objects.create(name="managers")
    NumberRule.objects.create(position=5, pattern=r"^0089", action="allow").groups.add(managers)
    assert normalize(client, alice_auth, "08 99 12 34 56")["allowed"] is False
    alice.groups.add(managers)
    assert normalize(client, alice_auth, "08 99 12 34 56")["allowed"] is True
    assert normalize(client, bob_auth, "08 99 12 34 56")["allowed"] is False
    premium.delete()
    assert normalize(client, bob_auth, "08 99 12 34 56")["allowed"] is True


def test_jsonrpc_takes_the_text_by_name_too(client, alice_auth):
    answer = jsonrpc_call(client, "dialer.normalize", {"text": "06 12 34 56 78"}, auth=alice_auth)
    assert answer["result"]["number"] == "00612345678"
