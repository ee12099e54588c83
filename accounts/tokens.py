"""API tokens: made, listed and revoked by their user; checked on every call that carries one.

A token is ``astk_`` and 43 URL-safe characters (256 random bits). Only its
SHA-256 is stored: the check is one indexed lookup by that hash (with the
user, in the same query), so a revoked token (its row deleted) or a
deactivated or deleted user is refused at the next call, on every server.
An account from an outside source is also asked about at most every
``ASTITRAY_TOKEN_SOURCE_CHECK_SECONDS`` (:mod:`accounts.sources`).

Failed token checks count towards the same lockout as passwords: a token
whose user is known counts for that user (and the address), an unknown
token for the address only, under a name no user can have.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest
from django.utils import timezone

from accounts import audit, lockout, sources
from accounts.errors import TokenNotFound
from accounts.models import ApiToken

logger = logging.getLogger(__name__)

PREFIX = "astk_"
_FORMAT = re.compile(r"astk_[A-Za-z0-9_-]{43}")
# The lockout's name for failures of tokens that belong to nobody (not a possible Django username).
UNKNOWN_TOKEN_USER = "(unknown API token)"  # noqa: S105 (a name, not a secret)
# last_used and last_address are written at most this often per token (not on every call).
_TOUCH_EVERY = timedelta(minutes=1)
LABEL_MAX = 100


def digest(token: str) -> str:
    """The hex SHA-256 of ``token``: what is stored and looked up."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer`` header, '' if malformed, None if the scheme is another."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    value = value.strip()
    return value if _FORMAT.fullmatch(value) else ""


def clean_label(label: str) -> str:
    """A token's label with its blanks tidied; ValueError unless 1 to LABEL_MAX characters on one line."""
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in label):
        raise ValueError("control, format or surrogate characters")
    cleaned = " ".join(label.split())
    if not cleaned or len(cleaned) > LABEL_MAX:
        raise ValueError("length")
    return cleaned


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else ""


def entry(row: ApiToken) -> dict:
    """A token as the API shows it (never the token): id, label, created, last_used, last_address."""
    return {
        "id": row.pk,
        "label": row.label,
        "created": _iso(row.created),
        "last_used": _iso(row.last_used),
        "last_address": row.last_address or "",
    }


def create(user: AbstractBaseUser, label: str) -> tuple[ApiToken, str]:
    """A new token of ``user``: the row and the token itself (to be shown once, never stored)."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(user=user, label=label, key_hash=digest(token))
    logger.info("API token %d (%r) created for %r", row.pk, label, user.get_username())
    return row, token


def of_user(user: AbstractBaseUser) -> list[ApiToken]:
    """The user's tokens, newest first."""
    return list(ApiToken.objects.filter(user=user))


def revoke(user: AbstractBaseUser, token_id: int) -> None:
    """Delete one of ``user``'s tokens; raises :class:`TokenNotFound` for anyone else's id."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise TokenNotFound()
    logger.info("API token %d of %r revoked", token_id, user.get_username())


def revoke_all(user: AbstractBaseUser) -> int:
    """Delete every token of ``user`` (an admin's action); how many there were."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    sources.forget(user.pk)
    logger.info("all %d API tokens of %r revoked", deleted, user.get_username())
    return deleted


def authenticate(request: HttpRequest, token: str) -> AbstractBaseUser | None:
    """The user of a valid ``token`` (from :func:`bearer_token`), else None with the failure counted.

    Raises SourceUnavailable (nothing counted) while the user's source cannot be asked.
    """
    if not token:
        return None  # not even shaped like a token: no source was asked, nothing to count (as for Basic)
    row = ApiToken.objects.select_related("user").filter(key_hash=digest(token)).first()
    if row is None:
        _failed(request, UNKNOWN_TOKEN_USER, "unknown or revoked API token")
        return None
    user = row.user
    username = user.get_username()
    if lockout.is_locked_out(request, username):
        audit.log_locked_out_cached(request, username)
        return None
    if not user.is_active:
        _failed(request, username, f"API token {row.pk} of an inactive user")
        return None
    if not sources.still_allowed(user):
        _failed(request, username, f"API token {row.pk}: the user's source no longer allows them")
        return None
    _touch(row, lockout.client_address(request))
    return user


def _touch(row: ApiToken, address: str | None) -> None:
    now = timezone.now()
    if row.last_used is not None and now - row.last_used < _TOUCH_EVERY and row.last_address == address:
        return
    ApiToken.objects.filter(pk=row.pk).update(last_used=now, last_address=address)


def _failed(request: HttpRequest, username: str, reason: str) -> None:
    """Count and log a refused token as a failed login of ``username`` (the lockout's rules)."""
    audit.note(request, audit.TOKEN, reason)
    if not lockout.is_locked_out(request, username):
        user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
    else:
        audit.log_locked_out_cached(request, username)
