"""Which phone numbers are colleagues' phones, and the presence of those phones, cheaply.

``phonebook.search`` and ``phonebook.lookup`` show ``presence`` for a contact
one of whose numbers is an enabled Extension's number (a colleague with a
phone). An answer may hold 200 contacts: it must cost neither a query per
contact nor a cache read per phone. So each process keeps a copy of the
enabled Extensions (number -> cache keys of the phone's states, read from the
database when it changes: a version in the cache, set by every change of an
Extension or a PBX server) and one answer is one ``get_many`` of the cache:
both versions and every state wanted at once.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from accounts.models import Extension
from drivers.default_pbx import default_pbx
from events import presence

VERSION_KEY = "astitray:colleagues-version"
# The default PBX's own version (drivers.default_pbx): a phone without a PBX of its own follows it.
_PBX_VERSION_KEY = "astitray:default-pbx-version"
# The longest a process trusts its copy (a per-process cache sees no other process's version).
MAX_AGE_S = 30.0
_NOT_DIGITS = re.compile(r"[^0-9]+")


class _Copy:
    """This process's copy: (versions, read at, {number digits: cache keys of the phone's states})."""

    def __init__(self) -> None:
        self.value: tuple[tuple[object, object], float, dict[str, list[str]]] | None = None
        self.lock = threading.Lock()


_copy = _Copy()


def digits(number: str) -> str:
    """The digits of a number as written ("10 01" -> "1001"): how colleagues' numbers are compared."""
    return _NOT_DIGITS.sub("", number)


def _read_phones() -> dict[str, list[str]]:
    """Every enabled Extension's number -> the cache keys of its phone's states (one query)."""
    phones: dict[str, list[str]] = {}
    default = default_pbx()
    for extension in (
        Extension.objects.filter(enabled=True).select_related("pbx").only("number", "channel", "pbx")
    ):
        pbx = extension.pbx if extension.pbx_id is not None else default
        keys = presence.phone_keys_on(pbx.pk if pbx is not None else None, extension.channel)
        number = digits(extension.number)
        if number and keys:
            phones.setdefault(number, keys)
    return phones


def presence_by_number(numbers: Iterable[str]) -> dict[str, str]:
    """For each of ``numbers`` that is a colleague's phone: its presence (``idle``, ...); others absent.

    One ``get_many`` of the cache in the usual case; the database only when
    an Extension or a PBX changed (or the copy is older than MAX_AGE_S).
    """
    wanted = {number: digits(number) for number in numbers}
    copy = _copy.value
    phones = copy[2] if copy is not None else {}
    keys_by_number = {number: phones[d] for number, d in wanted.items() if d in phones}
    state_keys = sorted({key for keys in keys_by_number.values() for key in keys})
    found = cache.get_many([VERSION_KEY, _PBX_VERSION_KEY, *state_keys])
    versions = (found.get(VERSION_KEY), found.get(_PBX_VERSION_KEY))
    if (
        copy is None
        or None in versions  # never set (or a dummy cache): nothing to compare with
        or copy[0] != versions
        or time.monotonic() - copy[1] > MAX_AGE_S
    ):
        versions = _versions()
        read_at = time.monotonic()
        phones = _read_phones()
        with _copy.lock:
            _copy.value = (versions, read_at, phones)
        keys_by_number = {number: phones[d] for number, d in wanted.items() if d in phones}
        found = cache.get_many(sorted({key for keys in keys_by_number.values() for key in keys}))
    now = time.time()
    return {
        number: presence.combine(presence.decode(found.get(key), now) for key in keys).value
        for number, keys in keys_by_number.items()
    }


def _versions() -> tuple[object, object]:
    """Both versions, set first when absent (as drivers.process_copy does)."""
    for key in (VERSION_KEY, _PBX_VERSION_KEY):
        cache.add(key, uuid.uuid4().hex, timeout=None)
    found = cache.get_many([VERSION_KEY, _PBX_VERSION_KEY])
    return (found.get(VERSION_KEY), found.get(_PBX_VERSION_KEY))


def changed(*args: object, **kwargs: object) -> None:
    """An Extension changed: every process reads the phones again (a signal receiver)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    transaction.on_commit(lambda: cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None))


def connect_signals() -> None:
    """Every save or deletion of an Extension sets a new version (``AccountsConfig.ready``)."""
    post_save.connect(changed, sender=Extension, dispatch_uid="colleagues.save")
    post_delete.connect(changed, sender=Extension, dispatch_uid="colleagues.delete")
