"""phonebook.lookup (canonical numbers, a deterministic owner); both procedures over XML-RPC and JSON-RPC."""

from __future__ import annotations

import pytest

from phonebook.services import lookup, lookup_name
from testkit.rpc import jsonrpc_call, jsonrpc_post, xmlrpc_call
from tests.phonebook.helpers import add

pytestmark = pytest.mark.django_db


@pytest.fixture
def helene():
    return add("Hélène Dupont", "+44 20 7946 0958", "06 12 34 56 78", company="ACME Corp")


@pytest.mark.parametrize(
    ("number", "country"),
    [
        ("+44 20 7946 0958", None),
        ("0044 20 7946 0958", None),
        ("+44 (0)20 7946 0958", None),
        ("tel:+442079460958", None),
        ("020 7946 0958", "GB"),
        ("0612345678", None),
        ("+33 6 12 34 56 78", None),
    ],
)
def test_lookup_compares_numbers_in_canonical_form(helene, number, country):
    assert lookup(number, country) == helene
    assert lookup_name(number, country) == "Hélène Dupont"


@pytest.mark.parametrize("number", ["020 7946 0958", "2079460958", "0958", "", "abc", "+", "9" * 65])
def test_lookup_never_guesses(helene, number):
    assert lookup(number) is None  # FR default: 020… is not that London number
    assert lookup_name(number) == ""


def test_lookup_of_a_number_that_no_country_knows_matches_the_same_digits(db):
    switchboard = add("Switchboard", "1001")
    assert lookup("1001") == switchboard
    assert lookup("10 01") == switchboard
    assert lookup("1002") is None
    assert lookup_name("10 01") == "Switchboard"
    assert lookup_name("1002") == ""


def test_a_shared_number_goes_to_the_hand_entered_contact_then_the_oldest(db):
    older = add("Imported Older", "01 42 68 53 00", source="ldap")
    add("Imported Newer", "+33 1 42 68 53 00", source="ldap")
    assert lookup("0142685300") == older
    assert lookup_name("0142685300") == "Imported Older"
    by_hand = add("Reception", "0142685300")
    assert lookup("+33142685300") == by_hand
    assert lookup_name("+33142685300") == "Reception"


def test_lookup_name_is_one_query_and_falls_back_to_the_company(db, django_assert_num_queries):
    add("", "+44 20 7946 0958", company="ACME Corp")
    with django_assert_num_queries(1):  # each dial and each /cid/ request asks it
        assert lookup_name("+442079460958") == "ACME Corp"
    with django_assert_num_queries(1):
        assert lookup_name("+442079460959") == ""
    with django_assert_num_queries(0):  # not a number: not asked
        assert lookup_name("abc") == ""


@pytest.mark.django_db(transaction=True)  # MariaDB's FULLTEXT index only sees committed rows
def test_search_and_lookup_over_xmlrpc(client, alice_auth, helene):
    found = xmlrpc_call(client, "phonebook.search", "hel dup", auth=alice_auth)
    assert found == [
        {
            "id": helene.pk,
            "name": "Hélène Dupont",
            "company": "ACME Corp",
            "department": "",
            "title": "",
            "email": "",
            "numbers": [
                {"label": "work", "number": "+44 20 7946 0958", "e164": "+442079460958"},
                {"label": "work", "number": "06 12 34 56 78", "e164": "+33612345678"},
            ],
            "presence": "",  # not a colleague (tests/events/test_presence_api.py)
        }
    ]
    assert xmlrpc_call(client, "phonebook.lookup", "0044 20 7946 0958", auth=alice_auth) == found[0]
    assert xmlrpc_call(client, "phonebook.lookup", "+1 202 555 0100", auth=alice_auth) == {}
    assert xmlrpc_call(client, "phonebook.search", "nobody", auth=alice_auth) == []


def test_search_and_lookup_over_jsonrpc(client, bob_auth, helene):
    answer = jsonrpc_call(client, "phonebook.search", {"query": "0958", "limit": 1}, auth=bob_auth)
    assert [c["name"] for c in answer["result"]] == ["Hélène Dupont"]
    answer = jsonrpc_call(client, "phonebook.lookup", ["+442079460958"], auth=bob_auth)
    assert answer["result"]["id"] == helene.pk


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("phonebook.search", ["x", 0]),
        ("phonebook.search", ["x", 201]),
        ("phonebook.search", ["x", "20"]),
        ("phonebook.search", [42]),
        ("phonebook.search", ["x" * 201]),
        ("phonebook.lookup", [33142685300]),
        ("phonebook.lookup", ["1" * 65]),
    ],
)
def test_bad_parameters_are_refused(client, alice_auth, method, params):
    answer = jsonrpc_call(client, method, params, auth=alice_auth)
    assert answer["error"]["code"] == -32602


def test_the_phonebook_needs_credentials(client, helene):
    for method, params in (("phonebook.search", ["hel"]), ("phonebook.lookup", ["0612345678"])):
        payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        response = jsonrpc_post(client, payload)  # no credentials at all: challenged
        assert (response.status_code, response.json()["error"]["code"]) == (401, -32098)
        assert jsonrpc_call(client, method, params, auth=("alice", "wrong"))["error"]["code"] == -32098
