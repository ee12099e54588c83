"""Is a user still allowed by the source their account comes from? (for API tokens)

A token carries no password, so no backend checks it: this module asks the
outside sources, without a password, whether the person is still there and
still allowed. The answer is remembered for
``ASTITRAY_TOKEN_SOURCE_CHECK_SECONDS`` (at most five minutes) in Django's
cache, shared by every process; only a "yes" is remembered, so a refusal is
asked again at the next call.

- A Django account with a usable local password belongs to Django: its
  ``is_active`` (read on every call) says it all.
- Otherwise the account came from an outside source: allowed while one of
  the configured sources (password file, SQL table, LDAP directory) still
  knows the login. LDAP also applies ``AUTH_LDAP_REQUIRE_GROUP`` and
  ``AUTH_LDAP_DENY_GROUP``; it needs the service account
  (``AUTH_LDAP_BIND_DN``) to look people up without their password.
- A source that cannot be asked (directory down, table unreachable) counts
  as a refusal for that call (fail closed), not remembered.
"""

from __future__ import annotations

import logging

import ldap
from django.conf import settings
from django.contrib.auth import load_backend
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import Error as DatabaseError
from django_auth_ldap.backend import _LDAPUser

from accounts.backends import htpasswd, sql
from accounts.backends.ldap import LdapBackend
from accounts.errors import Refused, SourceUnavailable

logger = logging.getLogger(__name__)

_CACHE_PREFIX = "astitray:token-source:"


def still_allowed(user: AbstractBaseUser) -> bool:
    """Whether ``user``'s source still lets them in (an active Django user is assumed).

    Raises SourceUnavailable when the sources could not be asked: an outage is no refusal.
    """
    if user.has_usable_password():
        return True
    ttl = settings.ASTITRAY_TOKEN_SOURCE_CHECK_SECONDS
    key = f"{_CACHE_PREFIX}{user.pk}"
    if ttl and cache.get(key):
        return True
    allowed = _asked(user.get_username())
    if allowed and ttl:
        cache.set(key, True, timeout=ttl)
    return allowed


def forget(user_pk: object) -> None:
    """Ask the sources again at the next call of this user (an admin revoked or changed something)."""
    cache.delete(f"{_CACHE_PREFIX}{user_pk}")


def _asked(username: str) -> bool:
    """Whether a source allows ``username``; raises SourceUnavailable if none did and one could not tell."""
    unasked = []
    for name in settings.ASTITRAY_AUTH_BACKENDS:
        path = settings.ASTITRAY_AUTH_BACKEND_PATHS.get(name, "")
        if name == "django" or not path:
            continue
        try:
            if _knows(load_backend(path), username):
                return True
        except Refused as refusal:
            logger.warning("is %r still allowed? %s could not be asked (%s)", username, name, refusal)
            unasked.append(name)
    if unasked:
        raise SourceUnavailable(f"{', '.join(unasked)} could not be asked")
    return False


def _knows(backend: object, username: str) -> bool:
    """Whether ``backend``'s source knows ``username`` and allows them; raises Refused if it cannot tell."""
    if isinstance(backend, htpasswd.HtpasswdBackend):
        return htpasswd.knows(username)
    if isinstance(backend, sql.SqlBackend):
        try:
            return sql.knows(username)
        except (DatabaseError, ValueError, ImproperlyConfigured) as exc:
            raise Refused(f"user table unreachable ({type(exc).__name__})") from None
    if isinstance(backend, LdapBackend):
        return _ldap_knows(backend, username)
    return False


def _ldap_knows(backend: LdapBackend, username: str) -> bool:
    """The person's entry exists (found with the service account) and passes the group rules."""
    if not settings.AUTH_LDAP_BIND_DN:
        # Not an outage but the configuration: such tokens are refused (docs/authentication.md).
        logger.warning("is %r still allowed? no LDAP service account (AUTH_LDAP_BIND_DN) to ask", username)
        return False
    # django-auth-ldap's user object: the same search and group rules as a login, minus the bind.
    # (its populate_user() would skip the group rules, so they are checked here as authenticate() does).
    ldap_user = _LDAPUser(backend, username=username)
    try:
        if ldap_user.attrs is None:
            return False
        ldap_user._check_requirements()
    except ldap_user.AuthenticationFailed:
        return False
    except ldap.LDAPError as exc:
        raise Refused(f"directory error ({type(exc).__name__})") from None
    return True
