"""A search split by the first letters of an attribute, for servers whose size limit caps paging.

A stock OpenLDAP (``sizelimit 500`` and no ``limits`` for the reading
account) stops any search, paged or not, after 500 entries. The import then
reads the same entries in searches that each stay under the limit: entries
without the attribute, then ``(cn=a*)``, ``(cn=b*)``, … ``(cn=9*)``, each
split again (``(cn=aa*)``, …) when it still hits the limit, and, at every
level, the entries whose value goes on with another character (an accent,
a space, punctuation: ``(&(cn=a*)(!(|(cn=aa*)…(cn=a9*))))``). Every entry
is in at least one of them; an entry in several (a multi-valued attribute)
is read once, by its DN (:func:`phonebook.importers.ldap.read_entries`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import ldap

Entry = tuple[str, dict[str, list[bytes]]]
Search = Callable[[str], Iterator[Entry]]

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
# Prefixes longer than this still over the limit: the directory's admin must lift it.
MAX_PREFIX = 5
ATTRIBUTE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")


def _and(base: str, *parts: str) -> str:
    wrapped = base if base.startswith("(") else f"({base})"
    return f"(&{wrapped}{''.join(parts)})"


def split_search(search: Search, base_filter: str, attribute: str) -> Iterator[Entry]:
    """Every entry of ``base_filter``, through ``search`` calls that each stay under the size limit.

    :raises ldap.SIZELIMIT_EXCEEDED: a part over the limit even at :data:`MAX_PREFIX` characters.
    """
    yield from search(_and(base_filter, f"(!({attribute}=*))"))
    yield from _by_prefix(search, base_filter, attribute, "")


def _by_prefix(search: Search, base_filter: str, attribute: str, prefix: str) -> Iterator[Entry]:
    for char in ALPHABET:
        narrower = prefix + char
        try:
            yield from search(_and(base_filter, f"({attribute}={narrower}*)"))
        except ldap.SIZELIMIT_EXCEEDED:
            if len(narrower) >= MAX_PREFIX:
                raise
            yield from _by_prefix(search, base_filter, attribute, narrower)
    others = "".join(f"({attribute}={prefix}{char}*)" for char in ALPHABET)
    yield from search(_and(base_filter, f"({attribute}={prefix}*)", f"(!(|{others}))"))
