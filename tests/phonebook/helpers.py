"""Building contacts for the tests, the way the admin does (numbers, then their search digits)."""

from __future__ import annotations

from phonebook.models import Contact, PhoneNumber


def add(name: str, *numbers: str, company: str = "", department: str = "", source: str = "manual") -> Contact:
    contact = Contact(name=name, company=company, department=department, source=source)
    if source != "manual":
        contact.source_name = source
        contact.source_hash = f"{name}-{Contact.objects.count()}"
    contact.save()
    for raw in numbers:
        PhoneNumber.objects.create(contact=contact, raw=raw)
    contact.refresh_search_digits()
    return contact
