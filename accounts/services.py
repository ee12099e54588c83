"""What the API says about the caller."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

import astitray
from accounts.models import Extension


def extension_of(user: AbstractBaseUser) -> Extension | None:
    """The user's Extension (enabled or not), or None."""
    try:
        return Extension.objects.select_related("pbx").get(user=user)
    except Extension.DoesNotExist:
        return None


def whoami(user: AbstractBaseUser) -> dict:
    """The answer of ``accounts.whoami`` (API.md)."""
    extension = extension_of(user)
    usable = extension is not None and extension.enabled
    return {
        "username": user.get_username(),
        "full_name": user.get_full_name() if hasattr(user, "get_full_name") else "",
        "extension": extension.number if extension is not None and usable else "",
        "extension_source": extension.source if extension is not None and usable else "",
        "can_dial": bool(usable and extension is not None and extension.effective_pbx() is not None),
        "server_version": astitray.__version__,
        "api_version": astitray.API_VERSION,
    }
