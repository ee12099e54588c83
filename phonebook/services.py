"""What the rest of Astitray asks the phonebook: search, reverse lookup, the API's shape of a contact.

``lookup`` (the ``phonebook.lookup`` procedure) and ``lookup_name`` (the
caller-ID endpoint ``/cid/`` and the ringing call) are one indexed exact
match on the canonical number.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch

from phonebook import search as search_module
from phonebook.models import Contact, PhoneNumber
from phonebook.numbers import to_e164
from phonebook.text import digits_of

__all__ = ["contact_as_dict", "lookup", "lookup_name", "search", "search_as_dicts"]

# A phone number is never longer than this; longer text is not looked up.
MAX_NUMBER_LENGTH = 64


def search(query: str, limit: int = 20, default_country: str | None = None) -> list[Contact]:
    """The best ``limit`` (1..200) contacts for ``query``, best first (see ``phonebook.search``)."""
    return search_module.search(query, limit, default_country)


def search_as_dicts(query: str, limit: int = 20, default_country: str | None = None) -> list[dict]:
    """:func:`search`, each contact as :func:`contact_as_dict` gives it: what ``phonebook.search`` answers.

    The contacts and their numbers are read in one statement, as plain rows:
    building model objects for them through the ORM cost several times what
    the ranking itself does.
    """
    found = search_module.search_ids(query, limit, default_country)
    if not found:
        return []
    quote = connection.ops.quote_name
    contact, number = Contact._meta.db_table, PhoneNumber._meta.db_table
    placeholders = ", ".join(["%s"] * len(found))
    sql = (
        f"SELECT c.id, c.name, c.company, c.department, c.title, c.email, n.label, n.raw, n.e164"  # noqa: S608
        f" FROM {quote(contact)} c LEFT JOIN {quote(number)} n ON n.contact_id = c.id"
        f" WHERE c.id IN ({placeholders}) ORDER BY n.id"
    )
    answers: dict[int, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, found)
        for pk, name, company, department, title, email, label, raw, e164 in cursor.fetchall():
            answer = answers.setdefault(
                pk,
                {
                    "id": pk,
                    "name": name,
                    "company": company,
                    "department": department,
                    "title": title,
                    "email": email,
                    "numbers": [],
                },
            )
            if label is not None:
                answer["numbers"].append({"label": label, "number": raw, "e164": e164})
    return [answers[pk] for pk in found if pk in answers]


def _owner(number: str, default_country: str | None) -> tuple[int, str, str] | None:
    """(id, name, company) of the contact owning ``number`` (see :func:`lookup`), or None; one statement.

    Hand-written: every dial and every ``/cid/`` request asks it, and the
    ORM's own query cost several times what the database does.
    """
    if not isinstance(number, str) or len(number) > MAX_NUMBER_LENGTH:
        return None
    e164 = to_e164(number, default_country or settings.ASTITRAY_DEFAULT_COUNTRY)
    if e164:
        condition, params = "n.e164 = %s", [e164]
    else:
        digits = digits_of(number)
        if not digits:
            return None
        condition, params = "n.digits = %s AND n.e164 = ''", [digits]
    quote = connection.ops.quote_name
    sql = (
        f"SELECT c.id, c.name, c.company FROM {quote(PhoneNumber._meta.db_table)} n"  # noqa: S608
        f" JOIN {quote(Contact._meta.db_table)} c ON c.id = n.contact_id WHERE {condition}"
        " ORDER BY CASE WHEN c.source = %s THEN 0 ELSE 1 END, n.contact_id LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, str(Contact.Source.MANUAL)])
        row = cursor.fetchone()
    return (row[0], row[1], row[2]) if row is not None else None


def lookup(number: str, default_country: str | None = None) -> Contact | None:
    """The contact owning ``number``, compared in canonical (E.164) form, or None.

    ``+44 20 7946 0958``, ``0044 20 7946 0958`` and, with country GB,
    ``020 7946 0958`` are the same number. A number that is not a valid
    number of any country (an internal extension such as ``1001``) matches
    numbers written with exactly the same digits that are not valid either.

    When several contacts share the number, the choice is deterministic:
    contacts entered by hand first, then the oldest contact.
    """
    owner = _owner(number, default_country)
    if owner is None:
        return None
    return (
        Contact.objects.prefetch_related(Prefetch("numbers", queryset=PhoneNumber.objects.order_by("id")))
        .filter(pk=owner[0])
        .first()
    )


def lookup_name(number: str, default_country: str | None = None) -> str:
    """The name (else the company) of ``lookup(number, default_country)``, or ""; in one query.

    For the caller ID of each dial and each ``/cid/`` request, which need
    the name only, not the contact with its numbers (three queries).
    """
    owner = _owner(number, default_country)
    if owner is None:
        return ""
    _pk, name, company = owner
    return name or company


def contact_as_dict(contact: Contact) -> dict:
    """A contact as the API answers it (docs/api.md): no None anywhere."""
    return {
        "id": contact.pk,
        "name": contact.name,
        "company": contact.company,
        "department": contact.department,
        "title": contact.title,
        "email": contact.email,
        "numbers": [
            {"label": number.label, "number": number.raw, "e164": number.e164}
            for number in contact.numbers.all()
        ],
    }
