"""The hostile corpus (tests/hostile) thrown at the user page's search, preview, dial and link page."""

from __future__ import annotations

import re

import pytest

from accounts.models import Extension
from dialer.models import Call
from tests.hostile.conftest import API_FAULTS, assert_clean_message
from tests.hostile.test_rpc import STRING_CORPUS

pytestmark = pytest.mark.django_db

DIALED = re.compile(r"^[0-9*#+]{1,40}$")


def checked(answer) -> dict:
    """A JSON-RPC answer: a result, or one of the API's faults with a clean sentence (never a 500)."""
    assert isinstance(answer, dict), answer
    if "error" in answer:
        assert answer["error"]["code"] in API_FAULTS, answer
        assert_clean_message(answer["error"]["message"])
    return answer


@pytest.mark.parametrize("method", ["phonebook.search", "dialer.normalize"])
@pytest.mark.parametrize("text", STRING_CORPUS)
def test_hostile_text_in_the_search_box_gets_a_clean_answer(alice_page, method, text):
    answer = checked(alice_page.rpc(method, text))
    if "result" in answer:
        assert "Traceback" not in repr(answer["result"])


@pytest.mark.parametrize("text", STRING_CORPUS)
def test_hostile_text_dials_only_digits_from_alices_phone(alice_page, alice, recording_pbx, driver, text):
    Extension.objects.filter(user=alice).update(pbx=recording_pbx)
    answer = checked(alice_page.rpc("dialer.dial", text))
    if "error" in answer:
        assert driver.requests == [] and not Call.objects.exists()
        return
    (request,) = driver.requests
    assert DIALED.match(request.number) and request.channel == "PJSIP/1001"


@pytest.mark.parametrize("text", STRING_CORPUS)
def test_hostile_links_are_shown_as_text(alice_page, text):
    response = alice_page.client.get("/me/call/", {"uri": text.encode("utf-8", "surrogatepass")})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert" not in body


@pytest.mark.parametrize("params", [[], [1], [["a"]], [{"x": 1}], [None], ["a", "b", "c"]])
def test_wrong_parameters_are_refused_cleanly(alice_page, params):
    answer = checked(alice_page.rpc("phonebook.search", *params))
    assert answer["error"]["code"] in (-32602,)
