"""Presence in the API: whoami's ``phone``, dials refused on an unavailable phone, colleagues' presence."""

from __future__ import annotations

import time
import xmlrpc.client

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import colleagues
from accounts.models import Extension
from dialer.models import Call
from drivers.events import PhoneState
from events.presence import set_phone_state
from testkit.rpc import basic, xmlrpc_call, xmlrpc_fault, xmlrpc_post
from tests.phonebook.helpers import add


def test_whoami_says_unknown_until_the_pbx_says(client, alice_auth, console_pbx):
    assert xmlrpc_call(client, "accounts.whoami", auth=alice_auth)["phone"] == "unknown"
    set_phone_state(console_pbx.pk, "PJSIP/1001", PhoneState.RINGING)
    assert xmlrpc_call(client, "accounts.whoami", auth=alice_auth)["phone"] == "ringing"
    set_phone_state(console_pbx.pk, "PJSIP/1001", PhoneState.UNAVAILABLE)
    assert xmlrpc_call(client, "accounts.whoami", auth=alice_auth)["phone"] == "unavailable"


def test_whoami_of_a_disabled_phone_is_unknown(client, alice, alice_auth, console_pbx):
    set_phone_state(console_pbx.pk, "PJSIP/1001", PhoneState.IDLE)
    alice.extension.enabled = False
    alice.extension.save()
    assert xmlrpc_call(client, "accounts.whoami", auth=alice_auth)["phone"] == "unknown"


def test_a_dial_from_an_unavailable_phone_is_refused_and_nothing_is_sent(
    client, alice_auth, console_pbx, caplog
):
    set_phone_state(console_pbx.pk, "PJSIP/1001", PhoneState.UNAVAILABLE)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        xmlrpc_call(client, "dialer.dial", "+44 20 7946 0958", auth=alice_auth)
    assert refused.value.faultCode == -32082
    assert "phone" in refused.value.faultString
    assert Call.objects.count() == 0
    assert "would originate" not in caplog.text  # the console PBX was never asked

    set_phone_state(console_pbx.pk, "PJSIP/1001", PhoneState.IDLE)
    answer = xmlrpc_call(client, "dialer.dial", "+44 20 7946 0958", auth=alice_auth)
    assert answer["status"] == "answered"
    assert "would originate" in caplog.text


def test_the_refusal_is_said_in_french(client, alice_auth, console_pbx):
    set_phone_state(console_pbx.pk, "PJSIP/1001", PhoneState.UNAVAILABLE)
    body = xmlrpc.client.dumps(("+44 20 7946 0958",), "dialer.dial")
    response = xmlrpc_post(client, body, {**basic(*alice_auth), "HTTP_ACCEPT_LANGUAGE": "fr"})
    fault = xmlrpc_fault(response.content)
    assert fault.faultCode == -32082
    assert "téléphone" in fault.faultString


@pytest.mark.parametrize(
    ("state", "settle_s"),
    [(None, 0), (PhoneState.UNKNOWN, 0), (PhoneState.UNAVAILABLE, 60), (PhoneState.IN_USE, 0)],
    ids=["never-said", "unknown", "unavailable-while-the-pbx-settles", "in-use"],
)
def test_a_dial_goes_ahead_when_the_phone_is_not_known_to_be_unavailable(
    client, alice_auth, console_pbx, state, settle_s
):
    if state is not None:
        set_phone_state(console_pbx.pk, "PJSIP/1001", state, settle_until=time.time() + settle_s)
    answer = xmlrpc_call(client, "dialer.dial", "+44 20 7946 0958", auth=alice_auth)
    assert answer["status"] == "answered"


@pytest.fixture
def colleagues_book(alice, console_pbx):
    """Alice (1001) and Chloé (1003, disabled phone) are colleagues in the phonebook; Hélène is not."""
    chloe = get_user_model().objects.create_user("chloe")
    Extension.objects.create(user=chloe, number="1003", channel="PJSIP/1003", enabled=False)
    add("Alice Martin", "+33 1 42 68 53 00", "10 01", company="Astitray")
    add("Chloé Roux", "1003", company="Astitray")
    add("Hélène Dupont", "+44 20 7946 0958", company="ACME Corp")
    set_phone_state(console_pbx.pk, "PJSIP/1001", PhoneState.IN_USE)
    set_phone_state(console_pbx.pk, "PJSIP/1003", PhoneState.IDLE)


def test_search_shows_the_presence_of_colleagues_only(client, alice_auth, colleagues_book):
    found = {c["name"]: c["presence"] for c in xmlrpc_call(client, "phonebook.search", "a", auth=alice_auth)}
    # Chloé's phone is disabled: not a colleague with a phone.
    assert found == {"Alice Martin": "in_use", "Chloé Roux": "", "Hélène Dupont": ""}


def test_lookup_shows_the_presence_too(client, alice_auth, colleagues_book, console_pbx):
    assert xmlrpc_call(client, "phonebook.lookup", "+33142685300", auth=alice_auth)["presence"] == "in_use"
    assert xmlrpc_call(client, "phonebook.lookup", "+442079460958", auth=alice_auth)["presence"] == ""
    assert xmlrpc_call(client, "phonebook.lookup", "0600000000", auth=alice_auth) == {}


def test_a_colleague_never_seen_by_the_pbx_reads_unknown(client, alice_auth, colleagues_book):
    add("Bruno Petit", "1002", company="Astitray")
    bruno = get_user_model().objects.create_user("bruno")
    Extension.objects.create(user=bruno, number="1002", channel="PJSIP/1002")  # a new phone: seen at once
    found = xmlrpc_call(client, "phonebook.search", "bru", auth=alice_auth)
    assert {c["name"]: c["presence"] for c in found} == {"Bruno Petit": "unknown"}


def test_presence_costs_one_cache_read_and_no_query_per_contact(alice, console_pbx, monkeypatch):
    for i in range(30):
        user = get_user_model().objects.create_user(f"user{i}")
        Extension.objects.create(user=user, number=str(2000 + i), channel=f"PJSIP/{2000 + i}")
        set_phone_state(console_pbx.pk, f"PJSIP/{2000 + i}", PhoneState.IDLE)
    numbers = [f"+33 1 42 68 {i:02d} 00" for i in range(30)] + [str(2000 + i) for i in range(30)]
    colleagues.presence_by_number(numbers)  # the process's copy is read once

    reads = []
    real = colleagues.cache.get_many

    def counted(keys):
        reads.append(keys)
        return real(keys)

    monkeypatch.setattr(colleagues.cache, "get_many", counted)
    with CaptureQueriesContext(connection) as queries:
        found = colleagues.presence_by_number(numbers)
    assert found == {str(2000 + i): "idle" for i in range(30)}
    assert len(reads) == 1
    assert len(queries) == 0
