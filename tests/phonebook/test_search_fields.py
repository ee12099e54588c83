"""A contact's search digits stay right whatever path saves or deletes a number (no admin involved)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from phonebook.models import Contact, PhoneNumber
from phonebook.services import search

pytestmark = pytest.mark.django_db(transaction=True)  # MariaDB's FULLTEXT index sees committed rows


def found(query: str) -> list[str]:
    return [contact.name for contact in search(query)]


def stored(contact: Contact) -> str:
    return Contact.objects.get(pk=contact.pk).search_digits


def test_a_number_created_through_the_orm_is_found():
    ann = Contact.objects.create(name="Ann Lee")
    PhoneNumber.objects.create(contact=ann, raw="+44 20 7946 0958")
    assert found("7946 0958") == ["Ann Lee"]
    ann.numbers.create(raw="01 42 68 53 00")
    assert found("0142") == ["Ann Lee"]


def test_a_changed_number_is_found_by_its_new_digits_only():
    ann = Contact.objects.create(name="Ann Lee")
    number = PhoneNumber.objects.create(contact=ann, raw="+44 20 7946 0958")
    number.raw = "+44 20 7946 0123"
    number.save()
    assert found("0123") == ["Ann Lee"]
    assert found("0958") == []


def test_deleted_numbers_are_no_longer_found_whichever_way_they_go():
    ann = Contact.objects.create(name="Ann Lee")
    one = ann.numbers.create(raw="0142685300")
    ann.numbers.create(raw="0142685301")
    ann.numbers.create(raw="0142685302")
    ann.refresh_search_digits()  # as the admin always did: all three searchable
    assert found("0142685300") == found("0142685301") == found("0142685302") == ["Ann Lee"]
    one.delete()
    assert found("0142685300") == []
    PhoneNumber.objects.filter(raw="0142685301").delete()
    assert found("0142685301") == []
    ann.numbers.all().delete()
    assert stored(ann) == ""


def test_a_number_moved_to_another_contact_leaves_the_first():
    ann = Contact.objects.create(name="Ann Lee")
    bob = Contact.objects.create(name="Bob Stone")
    number = ann.numbers.create(raw="0142685300")
    ann.refresh_search_digits()
    assert found("0142685300") == ["Ann Lee"]
    number.contact = bob
    number.save()
    assert found("0142685300") == ["Bob Stone"]
    assert stored(ann) == ""


def test_a_stale_contact_saved_after_its_numbers_changed_keeps_them_searchable():
    ann = Contact.objects.create(name="Ann Lee")
    stale = Contact.objects.get(pk=ann.pk)  # read before the number exists
    PhoneNumber.objects.create(contact=ann, raw="0142685300")
    ann.refresh_search_digits()
    stale.title = "Engineer"
    stale.save()
    assert found("2685300") == ["Ann Lee"]  # digits inside a number: the search digits, not the numbers


def test_a_shell_script_adding_a_number_leaves_it_searchable():
    Contact.objects.create(name="Ann Lee")
    script = (
        "from phonebook.models import Contact, PhoneNumber; "
        "PhoneNumber.objects.create(contact=Contact.objects.get(name='Ann Lee'), raw='+33 1 42 68 53 00')"
    )
    call_command("shell", "-c", script, stdout=StringIO())
    assert found("68 53 00") == ["Ann Lee"]
