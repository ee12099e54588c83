"""Phonebook fixtures: a real slapd holding a few hundred people, snapshots of the phonebook."""

from __future__ import annotations

import pytest

from phonebook.models import Contact, PhoneNumber
from testkit.services import require
from testkit.slapd import Slapd, slapd_binary

FIRST = ["Hélène", "Zoë", "Łukasz", "Øyvind", "José", "Anne-Marie", "Marc", "Ingrid", "François", "Ana"]
LAST = ["Dupont", "Müller", "Núñez", "O'Brien", "Lefèvre", "Smith", "García", "Nguyễn", "Dupond", "Kowalski"]
SIZE_LIMIT = 50


def person(i: int) -> dict[str, list[str]]:
    """Person number ``i``: every 7th has no phone, every 5th a mobile too, every 11th two desk lines."""
    first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
    attrs: dict[str, list[str]] = {
        "cn": [f"{first} {last} {i}"],
        "sn": [last],
        "givenName": [first],
        "o": ["Example Corp"],
        "ou": [["Sales", "Accounting", "Ingénierie"][i % 3]],
        "mail": [f"person{i}@example.org"],
    }
    if i % 7 != 0:
        attrs["telephoneNumber"] = [f"+33 1 42 68 {i // 100:02d} {i % 100:02d}"]
        if i % 11 == 0:
            attrs["telephoneNumber"].append(f"01 42 69 {i // 100:02d} {i % 100:02d}")
        if i % 5 == 0:
            attrs["mobile"] = [f"06 12 {i // 10000:02d} {i // 100 % 100:02d} {i % 100:02d}"]
    return attrs


def ldif_entry(dn: str, attrs: dict[str, list[str]], object_class: str = "inetOrgPerson") -> str:
    lines = [f"dn: {dn}", f"objectClass: {object_class}"]
    for name, values in attrs.items():
        lines.extend(f"{name}: {value}" for value in values)
    return "\n".join(lines) + "\n"


def people_ldif(base_dn: str, count: int, start: int = 0) -> str:
    return "\n".join(
        ldif_entry(f"uid=person{i},ou=people,{base_dn}", {"uid": [f"person{i}"], **person(i)})
        for i in range(start, start + count)
    )


def with_phone(count: int) -> int:
    return sum(1 for i in range(count) if i % 7 != 0)


@pytest.fixture
def directory():
    """A slapd with a size limit of 50 holding 260 people (222 with a phone)."""
    require(slapd_binary() is not None, "slapd is not installed (Debian package slapd)")
    with Slapd(size_limit=SIZE_LIMIT) as server:
        server.add_base()
        server.add(people_ldif(server.base_dn, 260))
        yield server


def snapshot() -> list[tuple]:
    """Everything in the phonebook, to compare before and after."""
    contacts = list(Contact.objects.order_by("id").values_list())
    numbers = list(PhoneNumber.objects.order_by("id").values_list())
    return contacts + numbers
