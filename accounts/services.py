"""What the API says about the caller."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from accounts.callers import loaded_extension
from accounts.models import Extension
from drivers.events import PhoneState
from events.presence import phone_state_on


def extension_of(user: AbstractBaseUser) -> Extension | None:
    """The user's Extension (enabled or not), or None.

    Without a query when ``user`` came with it (the API's caller: :mod:`accounts.callers`).
    """
    loaded, extension = loaded_extension(user)
    if loaded:
        return extension
    try:
        return Extension.objects.select_related("pbx").get(user=user)
    except Extension.DoesNotExist:
        return None


def whoami(user: AbstractBaseUser) -> dict:
    """Who ``user`` is and whether they can dial: ``accounts.whoami``'s answer (docs/api.md), no versions."""
    extension = extension_of(user)
    usable = extension is not None and extension.enabled
    # The PBX the phone is on, asked once (its copy's version is one cache read).
    pbx = extension.pbx_of_phone() if usable and extension is not None else None
    # The PBX's word on the phone (events/presence.py); "unknown" without an enabled phone.
    phone = phone_state_on(pbx, extension) if usable and extension is not None else PhoneState.UNKNOWN
    return {
        "username": user.get_username(),
        "full_name": user.get_full_name() if hasattr(user, "get_full_name") else "",
        "extension": extension.number if extension is not None and usable else "",
        "extension_source": extension.source if extension is not None and usable else "",
        # Extension.effective_pbx(): the PBX the phone is on, when enabled.
        "can_dial": bool(usable and pbx is not None and pbx.enabled),
        "phone": phone.value,
    }
