"""``dialer.normalize`` over XML-RPC and JSON-RPC: whose dial plan, which rules, the answer's shape."""

from __future__ import annotations

import xmlrpc.client

import pytest
from django.contrib.auth.models import Group

from dialer.models import NumberRule, RewriteRule
from drivers.models import PbxServer
from testkit.rpc import basic, jsonrpc_call, xmlrpc_call, xmlrpc_fault, xmlrpc_post, xmlrpc_result
from tests.dialer.rules.cases import GB, US

pytestmark = pytest.mark.django_db

LONDON = "+44 20 7946 0958"


def normalize(client, auth, text=LONDON) -> dict:
    return xmlrpc_call(client, "dialer.normalize", text, auth=auth)


def test_the_answer_has_every_key_of_the_api_and_no_nil(client, alice_auth):
    answer = jsonrpc_call(client, "dialer.normalize", ["Tel: +33 (0)1 23 45 67 89 ext. 12"], auth=alice_auth)
    result = answer["result"]
    assert set(result) == {
        "input",
        "number",
        "e164",
        "extension_digits",
        "internal",
        "steps",
        "allowed",
        "display",
        "choices",
    }
    assert result["number"] == "00123456789"
    assert result["display"] == "01 23 45 67 89"
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
    assert result["choices"] == [
        {
            "number": "00123456789",
            "e164": "+33123456789",
            "display": "01 23 45 67 89",
            "extension_digits": "12",
            "label": "work",
            "text": "+33 (0)1 23 45 67 89 ext. 12",
        }
    ]


SIGNATURE = "Fax 01 42 68 53 01 - Tél 01 42 68 53 00\nMobile +44 7700 900123 — Invoice 2024"


def test_choices_list_every_dialable_number_the_chosen_first_and_faxes_last(client, alice_auth):
    for answer in (
        normalize(client, alice_auth, SIGNATURE),
        jsonrpc_call(client, "dialer.normalize", [SIGNATURE], auth=alice_auth)["result"],
    ):
        assert (answer["number"], answer["e164"], answer["display"]) == (
            "00142685300",
            "+33142685300",
            "01 42 68 53 00",
        )
        assert [(c["e164"], c["label"], c["display"], c["text"]) for c in answer["choices"]] == [
            ("+33142685300", "work", "01 42 68 53 00", "01 42 68 53 00"),
            ("+447700900123", "mobile", "+44 7700 900123", "+44 7700 900123"),
            ("+33142685301", "fax", "01 42 68 53 01", "01 42 68 53 01"),
        ]
        assert answer["choices"][0]["number"] == answer["number"]


def test_an_internal_number_has_no_display_and_one_choice(client, alice_auth):
    answer = normalize(client, alice_auth, "poste 1001")
    assert (answer["number"], answer["display"], answer["internal"]) == ("1001", "", True)
    assert answer["choices"] == [
        {"number": "1001", "e164": "", "display": "", "extension_digits": "", "label": "work", "text": "1001"}
    ]


def test_an_internal_number_has_an_empty_e164(client, alice_auth):
    answer = normalize(client, alice_auth, "1001")
    assert (answer["number"], answer["e164"], answer["extension_digits"], answer["internal"]) == (
        "1001",
        "",
        "",
        True,
    )


def test_it_needs_credentials(client, alice):
    response = xmlrpc_post(client, xmlrpc.client.dumps((LONDON,), "dialer.normalize"))
    assert (response.status_code, response["WWW-Authenticate"]) == (
        401,
        'Basic realm="Astitray", charset="UTF-8"',
    )
    assert xmlrpc_fault(response.content).faultCode == -32098


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


def test_the_steps_are_explained_in_the_requests_language(client, alice_auth):
    body = xmlrpc.client.dumps((LONDON,), "dialer.normalize").encode()
    french = xmlrpc_post(client, body, {**basic(*alice_auth), "HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"})
    english = xmlrpc_post(client, body, {**basic(*alice_auth), "HTTP_ACCEPT_LANGUAGE": "en-GB"})
    steps_fr, steps_en = (xmlrpc_result(answer.content)["steps"] for answer in (french, english))
    # The same steps and values: only the explanations are translated.
    assert [(s["step"], s["value"]) for s in steps_fr] == [(s["step"], s["value"]) for s in steps_en]
    assert steps_en[2]["detail"] == (
        "Other country (GB): international prefix 00 + country code 44 + national number."
    )
    assert steps_fr[2]["detail"] == (
        "Autre pays (GB)\N{NO-BREAK SPACE}: préfixe international 00 + indicatif 44 + numéro national."
    )
    assert steps_fr[-1]["detail"].startswith("Seulement des chiffres")
