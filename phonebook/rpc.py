"""``phonebook.*`` procedures (search, lookup)."""

from __future__ import annotations

from modernrpc import RpcNamespace

from accounts.colleagues import presence_by_number
from astitray.faults import require_int, require_str
from phonebook import services

phonebook = RpcNamespace()

MAX_QUERY_LENGTH = 200


def with_presence(contacts: list[dict]) -> list[dict]:
    """The contacts with ``presence``: their phone's state for colleagues, "" for others (one cache read)."""
    numbers = [number["number"] for contact in contacts for number in contact["numbers"]]
    found = presence_by_number(numbers) if numbers else {}
    for contact in contacts:
        states = [found[number["number"]] for number in contact["numbers"] if number["number"] in found]
        contact["presence"] = states[0] if states else ""
    return contacts


@phonebook.register_procedure(name="search")
def search(query: str, limit: int = 20) -> list:
    """
    Search the phonebook.

    Words match the start of words of the name, company and department, in
    any order, accents and case ignored ("hel dup" finds "Hélène Dupont");
    digits match anywhere in a number, whatever its formatting ("0958" finds
    "+44 20 7946 0958"). Best matches first.

    :param query: what to look for (at most 200 characters)
    :param limit: how many contacts at most, 1..200 (default 20)
    :return: [{"id", "name", "company", "department", "title", "email",
        "numbers": [{"label", "number", "e164"}], "presence"}]; presence is the
        phone's state (idle, ringing, in_use, unavailable, unknown) of a
        colleague (a contact with an enabled phone's number), "" for others
    """
    query = require_str(query, "query", MAX_QUERY_LENGTH)
    limit = require_int(limit, "limit", 1, 200)
    return with_presence(services.search_as_dicts(query, limit))


@phonebook.register_procedure(name="lookup")
def lookup(number: str) -> dict:
    """
    The contact owning a phone number, compared in canonical form.

    :param number: a phone number as written anywhere ("+44 20 7946 0958", "020 7946 0958")
    :return: the contact as in phonebook.search (with "presence"), or {} when nobody has that number
    """
    number = require_str(number, "number", services.MAX_NUMBER_LENGTH)
    contact = services.lookup(number)
    return with_presence([services.contact_as_dict(contact)])[0] if contact is not None else {}
