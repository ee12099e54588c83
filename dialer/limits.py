"""Per-user limits of the dial service, kept in Django's cache so that every process shares them.

With ``CACHE_URL=redis://...`` they hold across every worker and host; the
default local-memory cache holds them per process only. Both use only the
cache's atomic ``add`` (Redis ``SET NX``), never a read-then-write.

- :func:`take_rate_slot`: at most ``ASTITRAY_RATE_LIMIT`` calls per user in
  any 60 seconds (a sliding window, not minutes of the clock).
- :func:`claim_number` / :func:`release_number`: the double-click guard:
  the same user dialing the same number within
  ``ASTITRAY_DIAL_GUARD_SECONDS`` gets the call already placed.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.cache import cache

RATE_WINDOW_S = 60
# Random slots tried before all are read: a user far below the limit costs one round trip.
_RANDOM_PROBES = 2

_RATE_PREFIX = "astitray:dial-rate:"
_GUARD_PREFIX = "astitray:dial-guard:"


def _slot_key(user_pk: object, slot: int) -> str:
    return f"{_RATE_PREFIX}{user_pk}:{slot}"


def take_rate_slot(user_pk: object, limit: int | None = None) -> bool:
    """True if the user may place one more call now (and count it), False if over the limit.

    The limit is ``limit`` calls (default ``ASTITRAY_RATE_LIMIT``; 0: no
    limit) in any 60 seconds. Each allowed call holds one of ``limit``
    slots for 60 seconds (an atomic ``add`` with that timeout): a call is
    allowed exactly when a slot is free. Usually one cache round trip: a
    few random slots first; only when they are taken are all slots read.
    """
    limit = settings.ASTITRAY_RATE_LIMIT if limit is None else limit
    if limit <= 0:
        return True
    for _probe in range(min(limit, _RANDOM_PROBES)):
        if cache.add(_slot_key(user_pk, secrets.randbelow(limit)), 1, timeout=RATE_WINDOW_S):
            return True
    keys = [_slot_key(user_pk, slot) for slot in range(limit)]
    taken = cache.get_many(keys)
    # Another process may take a free slot between the read and our add: try every free one.
    return any(cache.add(key, 1, timeout=RATE_WINDOW_S) for key in keys if key not in taken)


def _guard_key(user_pk: object, number: str) -> str:
    return f"{_GUARD_PREFIX}{user_pk}:{number}"


def claim_number(user_pk: object, number: str, call_id: str) -> str | None:
    """Claim ``number`` for the user's new call ``call_id``: None if claimed, else the call id holding it.

    The claim lasts ``ASTITRAY_DIAL_GUARD_SECONDS`` (0: never claimed,
    always None).
    """
    seconds = settings.ASTITRAY_DIAL_GUARD_SECONDS
    if seconds <= 0:
        return None
    key = _guard_key(user_pk, number)
    for _attempt in range(3):
        if cache.add(key, call_id, timeout=seconds):
            return None
        holder = cache.get(key)
        if holder is not None:
            return str(holder)
        # The claim ended between our add and our get: try again.
    return None  # never seen in practice; a double click then places a second call


def release_number(user_pk: object, number: str, call_id: str) -> None:
    """End the user's claim on ``number`` if ``call_id`` holds it (the call was never placed)."""
    key = _guard_key(user_pk, number)
    if cache.get(key) == call_id:
        cache.delete(key)
