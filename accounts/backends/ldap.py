"""Logins from an LDAP directory (django-auth-ldap), the phone taken from the person's entry.

django-auth-ldap does the LDAP part, configured with its own ``AUTH_LDAP_*``
settings (read from the environment in ``astitray/settings.py``; its objects
built by :mod:`accounts.backends.ldap_config`): direct bind
with a DN template or search-then-bind, StartTLS or ``ldaps://``, flags from
group membership. On top of it, at every login that reaches the directory:

- the Extension follows the attribute ``ASTITRAY_LDAP_EXTENSION_ATTR``
  (``telephoneNumber``, ``ipPhone``, ...), cut by
  ``ASTITRAY_LDAP_EXTENSION_REGEX`` and dialed through
  ``ASTITRAY_LDAP_CHANNEL_TEMPLATE``; an Extension an admin set by hand is
  never touched (see :mod:`accounts.provisioning`);
- a Django account with a usable local password is never logged into
  through the directory, and the directory is not even asked (so Django users
  still log in at once when the directory hangs);
- a directory that cannot be reached refuses the login (the RPC answers
  ``AUTHENTICATION_FAILED``) within ``ASTITRAY_LDAP_TIMEOUT``.
"""

from __future__ import annotations

import logging
from typing import Any

import ldap
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django_auth_ldap.backend import LDAPBackend, ldap_error

from accounts import audit
from accounts.backends import ldap_config
from accounts.backends.base import is_local_account
from accounts.models import Extension
from accounts.provisioning import phone_from_values, sync_extension

logger = logging.getLogger(__name__)

_UNREACHABLE = (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.CONNECT_ERROR)


class LdapBackend(LDAPBackend):
    """django-auth-ldap's backend, plus the phone from the directory."""

    name = "ldap"

    @property
    def default_settings(self) -> dict[str, Any]:
        """The searches, group type and connection options, built from the plain settings."""
        return ldap_config.default_settings()

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> AbstractBaseUser | None:
        if not username or not password:
            return None
        if is_local_account(username.strip(), case_insensitive=True):
            audit.note(request, self.name, "local Django account")
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            if self.name not in audit.reasons(request):
                audit.note(request, self.name, "wrong password, unknown user or not allowed")
            return None
        if not user.is_active:
            audit.note(request, self.name, "inactive user")
            return None
        self.sync_phone(user)
        return user

    def sync_phone(self, user: Any) -> Extension | None:
        """The user's Extension from their entry's phone attribute (nothing if no attribute is set)."""
        attribute = ldap_config.extension_attribute()
        if not attribute:
            return None
        attrs = user.ldap_user.attrs or {}
        phone = phone_from_values(
            [str(value) for value in attrs.get(attribute, [])],
            settings.ASTITRAY_LDAP_EXTENSION_REGEX,
            settings.ASTITRAY_LDAP_CHANNEL_TEMPLATE,
            user.get_username(),
            f"LDAP attribute {attribute}",
        )
        return sync_extension(user, self.name, phone)


def _note_ldap_error(
    sender: object, context: str, user: Any, request: HttpRequest | None, exception: Exception, **kwargs: Any
) -> None:
    reason = "directory unreachable" if isinstance(exception, _UNREACHABLE) else "directory error"
    audit.note(request, LdapBackend.name, f"{reason} ({type(exception).__name__})")


ldap_error.connect(_note_ldap_error, sender=LdapBackend, dispatch_uid="astitray-ldap-error")
