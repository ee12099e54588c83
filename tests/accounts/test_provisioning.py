"""From a source's values to a phone, and the rules of who may change an Extension."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Extension
from accounts.provisioning import (
    Identity,
    Phone,
    channel_for,
    extension_number,
    phone_from_values,
    provision_user,
    split_full_name,
    sync_extension,
)


@pytest.mark.parametrize(
    ("raw", "pattern", "expected"),
    [
        ("2001", "", "2001"),
        (" 20-01 ", "", "2001"),
        ("+33 1 23 45 67 89", "", "+33123456789"),
        ("+33 (0)1 23.45.67/89", "", "+330123456789"),
        ("+33 1 23 45 67 89", r"(\d{4})$", "6789"),
        ("+33 1 23 45 67 89", r"^\+331234(?P<extension>\d+)$", "56789"),
        ("+33 1 23 45 67 89", r"\d{3}$", "789"),  # no group: the whole match
        ("+33 1 23 45 67 89", r"^\+44(\d+)$", None),  # no match
        ("ext. 12", "", None),
        ("", "", None),
        ("1" * 33, "", None),  # longer than an Extension number may be
        ("*97#", "", "*97#"),
    ],
)
def test_extension_number(raw, pattern, expected):
    assert extension_number(raw, pattern) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("PJSIP/{extension}", "PJSIP/2001"),
        ("Local/{extension}@from-internal", "Local/2001@from-internal"),
        ("SIP/{username}", "SIP/carol"),
        ("{extension}", None),  # not a dial string
    ],
)
def test_channel_for(template, expected):
    assert channel_for(template, "2001", "carol") == expected


def test_phone_from_values_takes_the_first_usable_value():
    phone = phone_from_values(
        ["reception", "+33 1 23 45 20 01"], r"(\d{4})$", "PJSIP/{extension}", "carol", "t"
    )
    assert phone == Phone("2001", "PJSIP/2001")
    assert phone_from_values(["n/a"], "", "PJSIP/{extension}", "carol", "t") is None
    assert phone_from_values(["2001"], "", "PJSIP/{username}", "a b", "t") is None  # space in the channel


@pytest.mark.parametrize(
    ("full_name", "expected"),
    [
        ("Ivan Petrov", ("Ivan", "Petrov")),
        ("Jean Pierre Dupont", ("Jean", "Pierre Dupont")),
        ("Cher", ("Cher", "")),
    ],
)
def test_split_full_name(full_name, expected):
    assert split_full_name(full_name) == expected


@pytest.mark.django_db
def test_provisioning_creates_then_updates_the_user_and_phone(console_pbx):
    user = provision_user(
        Identity("pat", first_name="Pat", last_name="Lee", email="pat@example.org", manages_phone=True,
                 phone=Phone("5001", "PJSIP/5001")),
        "sql",
    )  # fmt: skip
    assert not user.has_usable_password()
    assert (user.extension.number, user.extension.source) == ("5001", "sql")
    password = user.password
    user = provision_user(Identity("pat", first_name="Patricia", manages_phone=True, phone=None), "sql")
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.password) == ("Patricia", "Lee", password)
    assert not Extension.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_a_source_takes_over_another_sources_phone_but_never_a_manual_one():
    user = get_user_model().objects.create_user("pat")
    Extension.objects.create(user=user, number="5001", channel="PJSIP/5001", source="htpasswd")
    taken = sync_extension(user, "ldap", Phone("5002", "PJSIP/5002"))
    assert taken is not None and taken.source == "ldap"
    Extension.objects.filter(user=user).update(source="manual")
    for phone in (Phone("5003", "PJSIP/5003"), None):
        kept = sync_extension(user, "ldap", phone)
        assert kept is not None and (kept.number, kept.source) == ("5002", "manual")
