"""Bad input gets a clear error and changes nothing; no control character ever reaches a number."""

from __future__ import annotations

import random
import re
import unicodedata
import xmlrpc.client

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.models import RewriteRule
from dialer.rewrite import RewriteError, Rule, rewrite
from testkit.rpc import jsonrpc_call, xmlrpc_call
from tests.dialer.rules.cases import FR

pytestmark = pytest.mark.django_db

INVALID_NUMBER, INVALID_PARAMS, PARSE_ERROR = -32088, -32602, -32700
DIALABLE = re.compile(r"\+?[0-9*#]{1,32}")
BINARY = random.Random(3).randbytes(300).decode("latin-1")

# (text, message of INVALID_NUMBER)
BAD_TEXTS = [
    ("", "The text is empty."),
    ("   \t  ", "The text is empty."),
    (BINARY, "The text holds control characters (binary data?); copy just the phone number."),
    ("01 23 45 67 89\x00", "The text holds control characters (binary data?); copy just the phone number."),
    ("\x1b[31m0123456789", "The text holds control characters (binary data?); copy just the phone number."),
    ("0123\x7f456789", "The text holds control characters (binary data?); copy just the phone number."),
    ("01 23 45 67 89\ud800", "The text holds control characters (binary data?); copy just the phone number."),
    ("x" * 4097, "The text is too long (at most 4096 characters)."),
    ("hello", "No phone number was found in that text."),
]


@pytest.mark.parametrize(("text", "message"), BAD_TEXTS)
def test_the_pure_functions_refuse(text, message):
    with pytest.raises(RewriteError) as caught:
        rewrite(text, FR)
    assert caught.value.message == message


@pytest.mark.parametrize(("text", "message"), BAD_TEXTS[:-2])
def test_jsonrpc_answers_invalid_number_and_changes_nothing(client, alice_auth, snapshot, text, message):
    before = snapshot()
    answer = jsonrpc_call(client, "dialer.normalize", [text], auth=alice_auth)
    assert answer["error"]["code"] == INVALID_NUMBER
    assert answer["error"]["message"] == message
    assert snapshot() == before


def test_100_kb_of_text_is_a_parameter_error(client, alice_auth, snapshot):
    before = snapshot()
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc_call(client, "dialer.normalize", "0123456789 " * 9310, auth=alice_auth)
    assert caught.value.faultCode == INVALID_PARAMS
    assert caught.value.faultString == "Invalid parameters: text is longer than 4096 characters"
    assert snapshot() == before


@pytest.mark.parametrize(
    "params", [[], [None], [42], [["0123456789"]], [{"text": "1"}], ["0123456789", "extra"]]
)
def test_wrong_parameters_are_refused(client, alice_auth, params):
    answer = jsonrpc_call(client, "dialer.normalize", params, auth=alice_auth)
    assert answer["error"]["code"] == INVALID_PARAMS


def test_a_wrong_type_is_named_in_the_fault(client, alice_auth):
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc_call(client, "dialer.normalize", 123, auth=alice_auth)
    assert (caught.value.faultCode, caught.value.faultString) == (
        INVALID_PARAMS,
        "Invalid parameters: text must be a string",
    )


def test_xmlrpc_cannot_even_carry_a_nul(client, alice_auth):
    # XML 1.0 has no NUL: the request is refused as unparsable before normalize runs.
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc_call(client, "dialer.normalize", "0123456789\x00", auth=alice_auth)
    assert caught.value.faultCode == PARSE_ERROR


def test_a_line_break_never_reaches_the_number(client, alice_auth):
    for text in ("+44 20 7946 0958\r\nApplication: System", "0123456789\nAction: Originate", "\r\n1001\r\n"):
        answer = jsonrpc_call(client, "dialer.normalize", [text], auth=alice_auth)["result"]
        assert DIALABLE.fullmatch(answer["number"])
        assert answer["input"] == text


def test_an_invalid_regex_stored_behind_the_admins_back_refuses_every_number(client, alice_auth, console_pbx):
    # bulk_create skips save(): as raw SQL or a restored dump would.
    RewriteRule.objects.bulk_create(
        [RewriteRule(pbx=console_pbx, name="broken", pattern=r"^(3\d{3}$", replacement=r"0\1")]
    )
    answer = jsonrpc_call(client, "dialer.normalize", ["01 23 45 67 89"], auth=alice_auth)
    assert answer["error"] == {
        "code": INVALID_NUMBER,
        "message": "The rewrite rule 'broken' is invalid; ask your administrator.",
    }


def test_a_rule_producing_letters_stored_behind_the_admins_back_is_refused(client, alice_auth, console_pbx):
    RewriteRule.objects.bulk_create([RewriteRule(name="letters", pattern=r"^(\d+)$", replacement=r"\1abc")])
    answer = jsonrpc_call(client, "dialer.normalize", ["1001"], auth=alice_auth)
    assert answer["error"]["code"] == INVALID_NUMBER
    assert "letters" in answer["error"]["message"]


# (A browser cannot send a lone surrogate: that case is for the API only.)
@pytest.mark.parametrize(("text", "message"), [case for case in BAD_TEXTS if "\ud800" not in case[0]])
def test_the_admin_page_shows_the_same_refusals(admin_client, console_pbx, snapshot, text, message):
    before = snapshot()
    response = admin_client.post(
        reverse("admin:dialer_rewriterule_try"), {"text": text, "pbx": console_pbx.pk}
    )
    assert response.status_code == 200
    if text:
        assert response.context["error"] == message
    else:  # an empty form field is refused by the form itself
        assert "This field is required." in response.content.decode()
    assert snapshot() == before


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
    | st.builds(
        lambda a, b, c: a + b + c,
        st.text(alphabet="0123456789 +()-./#x", max_size=25),
        st.sampled_from(["", "\r\n", "\n", "\x00", "\t", "\u2028", "\x1b", "%0D%0A", "tel:", ";ext=", "(0)"]),
        st.text(alphabet="0123456789 +()-./#xAB:", max_size=25),
    )
)
def test_any_text_gives_a_dialable_number_or_a_clear_refusal(text):
    rules = [Rule("service", r"^(3\d{3})$", r"0\1", final=True)]
    try:
        result = rewrite(text, FR, rules)
    except RewriteError as exc:
        assert exc.message.endswith(".")
        assert len(exc.message) < 100
        return
    assert DIALABLE.fullmatch(result.number)
    assert result.extension_digits == "" or result.extension_digits.isdigit()
    for step in result.steps:
        assert not any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in step.value + step.detail)
