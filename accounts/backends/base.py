"""What every outside source does alike: refuse local accounts, provision the user, explain refusals."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts import audit
from accounts.errors import Refused
from accounts.provisioning import Identity, provision_user

logger = logging.getLogger(__name__)


def is_local_account(username: str, case_insensitive: bool = False) -> bool:
    """Whether ``username`` is a Django account with a usable local password.

    Such an account (an admin's, typically) belongs to Django: an outside
    source never logs into it nor changes it, even if it knows the same
    login. To hand an account over to a source, turn its password-based
    authentication off in the admin (or delete it).
    """
    user_model = get_user_model()
    lookup = f"{user_model.USERNAME_FIELD}__iexact" if case_insensitive else user_model.USERNAME_FIELD
    user = user_model._default_manager.filter(**{lookup: username}).only("password").first()
    return user is not None and user.has_usable_password()


def check_username(username: str) -> None:
    """Refused unless ``username`` can be a Django username (length, allowed characters)."""
    user_model = get_user_model()
    field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    if len(username) > (getattr(field, "max_length", None) or 150):
        raise Refused("login too long for a Django username")
    try:
        for validator in field.validators:
            validator(username)
    except ValidationError:
        raise Refused("login not usable as a Django username") from None


class ExternalBackend(BaseBackend):
    """Base of the password-file and SQL backends: subclasses implement :meth:`identify`."""

    #: The backend's name in ASTITRAY_AUTH_BACKENDS, the audit log and ``Extension.source``.
    name: ClassVar[str]

    def identify(self, request: HttpRequest | None, username: str, password: str) -> Identity:
        """The identity of a login whose password the source accepts; raises :class:`Refused`."""
        raise NotImplementedError

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> AbstractBaseUser | None:
        if not username or not password:
            return None
        try:
            if is_local_account(username):
                raise Refused("local Django account")
            identity = self.identify(request, username, password)
            if identity.username != username and is_local_account(identity.username):
                raise Refused("local Django account")
            user = provision_user(identity, self.name)
            if not getattr(user, "is_active", True):
                raise Refused("inactive user")
        except Refused as refusal:
            audit.note(request, self.name, str(refusal))
            return None
        return user

    def get_user(self, user_id: Any) -> AbstractBaseUser | None:
        user_model = get_user_model()
        try:
            return user_model._default_manager.get(pk=user_id)
        except user_model.DoesNotExist:
            return None
