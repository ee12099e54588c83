"""The phonebook in the admin: numbers inline, the phonebook's search, imported contacts read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from phonebook.models import Contact
from tests.phonebook.helpers import add

pytestmark = pytest.mark.django_db(transaction=True)  # the admin's search uses FULLTEXT on MariaDB


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "root-Password-1")
    client.force_login(user)
    return client


def test_it_adds_a_contact_with_its_numbers(admin_client):
    response = admin_client.post(
        "/admin/phonebook/contact/add/",
        {
            "name": "Hélène Dupont",
            "company": "ACME",
            "department": "",
            "title": "",
            "email": "",
            "numbers-TOTAL_FORMS": "2",
            "numbers-INITIAL_FORMS": "0",
            "numbers-0-label": "work",
            "numbers-0-raw": "+44 20 7946 0958",
            "numbers-1-label": "mobile",
            "numbers-1-raw": "06 12 34 56 78",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    contact = Contact.objects.get()
    assert contact.source == "manual"
    assert contact.sort_name == "helene dupont"
    assert [(n.label, n.e164, n.digits) for n in contact.numbers.all()] == [
        ("work", "+442079460958", "442079460958"),
        ("mobile", "+33612345678", "0612345678"),
    ]
    assert contact.search_digits == "442079460958 0612345678 33612345678"


def test_its_search_box_uses_the_phonebook_search_and_filters_by_source(admin_client):
    add("Hélène Dupont", "+44 20 7946 0958")
    add("Imported Person", "01 42 68 53 00", source="ldap")
    page = admin_client.get("/admin/phonebook/contact/", {"q": "dupont hel"}).content.decode()
    assert "Hélène Dupont" in page and "Imported Person" not in page
    page = admin_client.get("/admin/phonebook/contact/", {"q": "0958"}).content.decode()
    assert "Hélène Dupont" in page and "Imported Person" not in page
    page = admin_client.get("/admin/phonebook/contact/", {"source__exact": "ldap"}).content.decode()
    assert "Imported Person" in page and "Hélène Dupont" not in page
    assert "imported (LDAP directory: ldap)" in page


def test_imported_contacts_are_marked_and_read_only(admin_client):
    imported = add("Imported Person", "01 42 68 53 00", source="ldap")
    page = admin_client.get(f"/admin/phonebook/contact/{imported.pk}/change/").content.decode()
    assert "imported (LDAP directory: ldap)" in page
    assert 'name="name"' not in page  # shown, not editable
    assert 'name="numbers-0-raw"' not in page
    by_hand = add("By Hand", "01 42 68 53 01")
    page = admin_client.get(f"/admin/phonebook/contact/{by_hand.pk}/change/").content.decode()
    assert 'name="name"' in page and "entered by hand" in page
