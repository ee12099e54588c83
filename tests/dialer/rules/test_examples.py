"""Every example of issue 3 holds: pure functions, real XML-RPC, the admin's "try a number"."""

from __future__ import annotations

import xmlrpc.client

import pytest
from django.urls import reverse

from dialer.rewrite import RewriteError, rewrite
from testkit.rpc import xmlrpc_call
from tests.dialer.rules.cases import EXAMPLES, INVALID_EXAMPLES, Example

pytestmark = pytest.mark.django_db

TRY = "admin:dialer_rewriterule_try"
PARAMS = [pytest.param(example, id=str(example)) for example in EXAMPLES]


@pytest.mark.parametrize("example", PARAMS)
def test_the_pure_functions(example: Example):
    result = rewrite(example.text, example.plan, example.rules)
    assert (result.number, result.extension_digits, result.internal) == example[3:]
    assert result.steps[-1].step == "validate"
    assert result.steps[-1].value == example.number


@pytest.mark.parametrize("example", PARAMS)
def test_over_xmlrpc(client, alice_auth, alice_on, make_pbx, example: Example):
    alice_on(make_pbx(example.plan, example.rules))
    answer = xmlrpc_call(client, "dialer.normalize", example.text, auth=alice_auth)
    assert answer["input"] == example.text.replace("\r\n", "\n")  # XML parsers normalize line ends
    assert (answer["number"], answer["extension_digits"], answer["internal"]) == example[3:]
    assert answer["allowed"] is True
    assert "\r" not in answer["number"] and "\n" not in answer["number"]
    assert answer["steps"][0]["step"] == "extract"


@pytest.mark.parametrize("example", PARAMS)
def test_in_the_admin(admin_client, make_pbx, example: Example):
    pbx = make_pbx(example.plan, example.rules)
    response = admin_client.post(reverse(TRY), {"text": example.text, "pbx": pbx.pk})
    assert response.status_code == 200
    answer = response.context["answer"]
    assert (answer["number"], answer["extension_digits"], answer["internal"]) == example[3:]
    assert f"<strong><code>{example.number}</code></strong>" in response.content.decode()


@pytest.mark.parametrize("invalid", INVALID_EXAMPLES)
def test_invalid_examples_over_xmlrpc(client, alice_auth, alice_on, make_pbx, invalid):
    plan, text = invalid
    with pytest.raises(RewriteError, match="No phone number"):
        rewrite(text, plan)
    alice_on(make_pbx(plan))
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc_call(client, "dialer.normalize", text, auth=alice_auth)
    assert caught.value.faultCode == -32088
    assert caught.value.faultString == "No phone number was found in that text."


@pytest.mark.parametrize(("plan", "text"), INVALID_EXAMPLES)
def test_invalid_examples_in_the_admin(admin_client, make_pbx, plan, text):
    response = admin_client.post(reverse(TRY), {"text": text, "pbx": make_pbx(plan).pk})
    assert response.context["error"] == "No phone number was found in that text."
    assert "INVALID_NUMBER: No phone number was found" in response.content.decode()
