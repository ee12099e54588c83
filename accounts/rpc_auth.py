"""HTTP Basic authentication of RPC calls, with a short-lived cache.

``authenticate()`` runs over every configured backend (Django users,
htpasswd, LDAP, SQL): a real LDAP bind or a slow password hash on every call
would make the API slow, so a successful check is remembered for
``ASTITRAY_AUTH_CACHE_SECONDS`` in Django's cache (Redis in production, so
every process shares it). The cache key is a keyed hash of the credentials,
never the password; the value is the user id plus a fingerprint of the user's
local password hash, so that changing a Django password ends the cached
credential at once. The user is checked on every call (``accounts.callers``:
from the shared cache, which every change of the user ends), so an inactive
or deleted user is refused even while cached. A lockout
(``accounts.lockout``) is checked on every call too, cached or not.
``Authorization: Bearer`` API tokens are checked by :mod:`accounts.tokens` instead.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from accounts import audit, callers, lockout, tokens

logger = logging.getLogger(__name__)

_CACHE_PREFIX = "astitray:rpc-auth:"
# Where the outcome for this HTTP request is kept: system.multicall and
# JSON-RPC batches authenticate once per request, not once per inner call.
_REQUEST_ATTR = "_astitray_rpc_user"
_FAILED = object()
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    """(username, password) of an ``Authorization: Basic`` header, or None if absent or malformed.

    The password may contain colons; the username may not (RFC 7617). Both are
    UTF-8, without control characters.
    """
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    username, sep, password = decoded.partition(":")
    if not sep or not username or not password or len(decoded) > 1024:
        return None
    if _CONTROL.search(decoded):
        # RFC 7617 forbids them; a NUL would even fail the lookup on PostgreSQL (an error, not a refusal).
        return None
    return username, password


def _cache_key(username: str, password: str) -> str:
    digest = salted_hmac("astitray.rpc-auth", f"{username}\0{password}", algorithm="sha256").hexdigest()
    return _CACHE_PREFIX + digest


def _from_cache(key: str, entry: tuple | None) -> AbstractBaseUser | None:
    """The user of the cached credential ``entry`` (what the cache held under ``key``), if still valid."""
    if not entry:
        return None
    user_id, fingerprint = entry
    user = callers.active_user(user_id)
    if user is None or callers.password_fingerprint(user) != fingerprint:
        cache.delete(key)
        return None
    return user


def rpc_user(request: HttpRequest) -> AbstractBaseUser | None:
    """The active user named by the request's Basic credentials or API token, or None.

    This is the auth predicate of every procedure that needs a caller.
    """
    known = getattr(request, _REQUEST_ATTR, None)
    if known is not None:
        return None if known is _FAILED else known

    user = _authenticate(request)
    setattr(request, _REQUEST_ATTR, user if user is not None else _FAILED)
    return user


def _authenticate(request: HttpRequest) -> AbstractBaseUser | None:
    token = tokens.bearer_token(request)
    if token is not None:
        return tokens.authenticate(request, token)
    credentials = basic_credentials(request)
    if credentials is None:
        return None
    username, password = credentials
    ttl = settings.ASTITRAY_AUTH_CACHE_SECONDS
    key = _cache_key(username, password)
    if ttl:
        # The cached credential and the lockout's marks of recent failures: one round trip.
        found = cache.get_many([key, *lockout.mark_keys(request, username)])
        user = _from_cache(key, found.get(key))
        if user is not None:
            # Without this, a locked-out guesser would still be let in by the
            # cache as soon as they tried the right password.
            if lockout.is_locked_out(request, username, marks=found):
                audit.log_locked_out_cached(request, username)
                return None
            return user

    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        return None
    audit.log_success(request, user)
    if ttl:
        cache.set(key, (user.pk, callers.password_fingerprint(user)), timeout=ttl)
    return user
