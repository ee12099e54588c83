"""A value read from the database once per process and kept until it changes.

Tables that change a few times a year (the rules, the PBX servers) are read
on every dial. Each process keeps what it read, tagged with a version kept
in Django's cache. Whoever changes the table calls :meth:`ProcessCopy.changed`
(from signals), which sets a new version, so every process reads again at
its next use: at once when the cache is shared (Redis), within
:data:`MAX_AGE_S` seconds with a per-process cache.

Within one API call (:func:`one_read_per_call`, opened around each
procedure), each version is read from the cache once, and
:func:`get_many` reads those not read yet in the same round trip as other
keys: a dial needs the rules and the PBX servers several times, and it
asked the cache for their versions four times. A change committed during a
call is used from the next call on, as it was before.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

T = TypeVar("T")

# The longest a process trusts its copy without seeing a new version (per-process caches).
MAX_AGE_S = 5.0

# The version key of every ProcessCopy of the process.
_version_keys: set[str] = set()
# The versions read during the current API call, by key (None outside a call).
_this_call: ContextVar[dict[str, str] | None] = ContextVar("astitray_versions_this_call", default=None)


@contextlib.contextmanager
def one_read_per_call() -> Iterator[None]:
    """Within the block (one procedure call), each copy's version is read from the cache at most once."""
    token = _this_call.set({})
    try:
        yield
    finally:
        _this_call.reset(token)


def get_many(keys: Iterable[str]) -> dict[str, Any]:
    """``cache.get_many(keys)``, reading in the same round trip the versions not read yet in this call.

    The answer may hold those versions too; within :func:`one_read_per_call`
    they are kept for the rest of the call. Outside one, it is ``cache.get_many``.
    """
    keys = list(keys)
    known = _this_call.get()
    if known is None:
        return cache.get_many(keys)
    found = cache.get_many([*keys, *(key for key in _version_keys if key not in known and key not in keys)])
    _remember(known, found)
    return found


def _remember(known: dict[str, str], found: dict[str, Any]) -> None:
    for key in _version_keys:
        if found.get(key):
            known[key] = found[key]


def cache_is_shared() -> bool:
    """Whether Django's cache is one for every process (Redis, memcached, files, a table).

    The embedded default (local memory) is each process's own: a version set
    there never reaches the other workers, so it must never be what decides
    that a copy is still current.
    """
    return not isinstance(caches["default"], LocMemCache | DummyCache)


class ProcessCopy(Generic[T]):
    """The value ``read()`` returns, read again when the version under ``version_key`` changes.

    The value is shared by the process's threads: it must be treated as read-only.
    """

    def __init__(self, version_key: str, read: Callable[[], T]) -> None:
        self.version_key = version_key
        self.read = read
        self._copy: tuple[str, float, T] | None = None  # (version, read at, value), replaced whole
        self._lock = threading.Lock()
        _version_keys.add(version_key)

    def get(self, version: str | None = None) -> T:
        """The value, from this process's copy while it is current, else read afresh.

        ``version``: what the cache holds under ``version_key``, when the caller
        has just read it (with other keys, in one round trip); read here otherwise.
        """
        version = version or self._version()
        copy = self._copy
        if (
            copy is not None
            and version  # "" with a dummy cache: never trusted, always read
            and copy[0] == version
            and time.monotonic() - copy[1] < MAX_AGE_S
        ):
            return copy[2]
        read_at = time.monotonic()
        value = self.read()
        with self._lock:
            self._copy = (version, read_at, value)
        return value

    def changed(self, *args: object, **kwargs: object) -> None:
        """Tell every process to read again (also once the current transaction commits); a signal receiver."""
        cache.set(self.version_key, uuid.uuid4().hex, timeout=None)
        known = _this_call.get()
        if known is not None:  # a call that changes a table reads it afresh afterwards
            known.pop(self.version_key, None)
        # A reader between our change and its commit may have kept the old value under the new version.
        transaction.on_commit(lambda: cache.set(self.version_key, uuid.uuid4().hex, timeout=None))

    def _version(self) -> str:
        known = _this_call.get()
        if known is not None and self.version_key in known:
            return known[self.version_key]
        version = cache.get(self.version_key)
        if version is None:
            cache.add(self.version_key, uuid.uuid4().hex, timeout=None)
            version = cache.get(self.version_key)
        if known is not None and version:
            known[self.version_key] = version
        return version or ""
