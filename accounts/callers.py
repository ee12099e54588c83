"""The caller of an API call: their user, Extension and PBX, kept in the shared cache between calls.

Every authenticated call needs the user (still active? same password?),
and most need their Extension and its PBX: rows that change a few times a
year, read on every call. With a cache every process shares (Redis in
production), one entry per user (``astitray:caller:<pk>``) holds the user's
and the Extension's values, tagged with the versions they were read under:

- the user's version (``astitray:caller-version:<pk>``), set anew by the
  signals of every save or delete of the user or of their Extension (also
  of the user an Extension is taken from), at once and again when the
  transaction commits (:func:`connect_signals`);
- the PBX servers' version (:data:`drivers.default_pbx.VERSION_KEY`), set
  anew by every change of any PBX server (save, delete, bulk update).

An entry whose versions are not the current ones is read again from the
database, in one query. The versions are read *before* the rows, so rows
read while a change commits are stored under a version the commit replaces.
The entry holds no secret: not the password hash (only its fingerprint,
:func:`password_fingerprint`; the user comes back with ``password``
deferred) and not the PBX (its secret): the PBX comes from this process's
copy of the PBX servers, under the same version (:func:`drivers.default_pbx.pbx_server`).

With a cache of each process's own (the embedded default: local memory), a
version set by one worker would never reach the others: the rows are then
read on every call. A change Django does not see (raw SQL, ``QuerySet.update()``
on users) is seen once the entry expires, after ``ASTITRAY_AUTH_CACHE_SECONDS``.
"""

from __future__ import annotations

import functools
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils.crypto import salted_hmac

from accounts.models import Extension
from drivers import process_copy
from drivers.default_pbx import VERSION_KEY as PBX_VERSION_KEY
from drivers.default_pbx import pbx_server
from drivers.process_copy import cache_is_shared

_ENTRY = "astitray:caller:"
_VERSION = "astitray:caller-version:"
# The user's reverse one-to-one relation to their Extension: where the ORM keeps the row it read.
_EXTENSION_REL = Extension._meta.get_field("user").remote_field
# Where a user from the cache keeps the fingerprint of the password hash it was read with.
_FINGERPRINT_ATTR = "_astitray_password_fingerprint"
# Where a caller keeps the Extension read with it: only these are trusted (a user object
# elsewhere may hold, in the ORM's own cache, an Extension it was given long ago).
_EXTENSION_ATTR = "_astitray_caller_extension"


def active_user(user_id: object) -> AbstractBaseUser | None:
    """The active user ``user_id``, their Extension (and its PBX) loaded with them; None if none.

    ``extension_of(user)`` then answers without a query.
    """
    if not cache_is_shared():
        return _read(user_id)
    keys = [f"{_VERSION}{user_id}", PBX_VERSION_KEY]
    entry_key = f"{_ENTRY}{user_id}"
    found = process_copy.get_many([*keys, entry_key])  # with the rules' version, for a dial
    versions = tuple(found.get(key) or _initial_version(key) for key in keys)
    entry = found.get(entry_key)
    if entry is not None and entry[0] == versions:
        return _from_values(entry[1], pbx_version=versions[1]) if entry[1] is not None else None
    user = _read(user_id)
    values = _values(user) if user is not None else None
    cache.set(entry_key, (versions, values), timeout=max(settings.ASTITRAY_AUTH_CACHE_SECONDS, 1))
    return user


def loaded_extension(user: AbstractBaseUser) -> tuple[bool, Extension | None]:
    """(whether ``user`` came from :func:`active_user` with their Extension, that Extension or None)."""
    known = getattr(user, _EXTENSION_ATTR, None)
    return (True, known[0]) if known is not None else (False, None)


def password_fingerprint(user: AbstractBaseUser) -> str:
    """A keyed hash of the user's password hash: changes whenever the password does."""
    known = getattr(user, _FINGERPRINT_ATTR, None)
    if known is not None:
        return known
    return salted_hmac("astitray.rpc-auth.pw", user.password or "", algorithm="sha256").hexdigest()[:16]


def _read(user_id: object) -> AbstractBaseUser | None:
    users = get_user_model().objects.select_related("extension__pbx")
    user = users.filter(pk=user_id, is_active=True).first()
    if user is not None:
        setattr(user, _EXTENSION_ATTR, (_EXTENSION_REL.get_cached_value(user, default=None),))
    return user


@functools.cache
def _user_fields() -> tuple[str, ...]:
    return tuple(f.attname for f in get_user_model()._meta.concrete_fields if f.attname != "password")


@functools.cache
def _extension_fields() -> tuple[str, ...]:
    return tuple(f.attname for f in Extension._meta.concrete_fields)


def _values(user: AbstractBaseUser) -> dict:
    """What the cache keeps of ``user`` (read with their Extension): plain values, no secret."""
    _loaded, extension = loaded_extension(user)
    return {
        "user": [getattr(user, name) for name in _user_fields()],
        "fingerprint": password_fingerprint(user),
        "extension": [getattr(extension, name) for name in _extension_fields()] if extension else None,
    }


def _from_values(values: dict, pbx_version: str) -> AbstractBaseUser:
    """The user (``password`` deferred) with their Extension and its PBX, as :func:`_read` gives them.

    ``pbx_version``: the PBX servers' version, just read with the entry (no second read for the PBX).
    """
    user = get_user_model().from_db(DEFAULT_DB_ALIAS, _user_fields(), values["user"])
    setattr(user, _FINGERPRINT_ATTR, values["fingerprint"])
    extension = None
    if values["extension"] is not None:
        extension = Extension.from_db(DEFAULT_DB_ALIAS, _extension_fields(), values["extension"])
        Extension.user.field.set_cached_value(extension, user)
        if extension.pbx_id is not None:
            Extension.pbx.field.set_cached_value(extension, pbx_server(extension.pbx_id, pbx_version))
    _EXTENSION_REL.set_cached_value(user, extension)
    setattr(user, _EXTENSION_ATTR, (extension,))
    return user


def _initial_version(key: str) -> str:
    """The version under ``key``, set to a new one when the cache has none (first use, eviction)."""
    cache.add(key, uuid.uuid4().hex, timeout=None)
    return cache.get(key) or ""


def user_changed(user_id: object) -> None:
    """Every process reads user ``user_id`` (and their Extension) again: now, and once this commits."""
    key = f"{_VERSION}{user_id}"
    cache.set(key, uuid.uuid4().hex, timeout=None)
    # A reader between the change and its commit may have kept the old rows under the new version.
    transaction.on_commit(lambda: cache.set(key, uuid.uuid4().hex, timeout=None))


def _user_saved_or_deleted(sender: object, instance: AbstractBaseUser, **kwargs: object) -> None:
    user_changed(instance.pk)


def _extension_saved_or_deleted(sender: object, instance: Extension, **kwargs: object) -> None:
    user_changed(instance.user_id)


def _extension_moving(sender: object, instance: Extension, **kwargs: object) -> None:
    """An Extension given to another user: the one who had it is read again too."""
    if instance.pk is None:
        return
    previous = Extension.objects.filter(pk=instance.pk).values_list("user_id", flat=True).first()
    if previous is not None and previous != instance.user_id:
        user_changed(previous)


def connect_signals() -> None:
    """Saving or deleting a user or an Extension sets a new version of its user (``AccountsConfig.ready``)."""
    user_model = get_user_model()
    post_save.connect(_user_saved_or_deleted, sender=user_model, dispatch_uid="callers.user_save")
    post_delete.connect(_user_saved_or_deleted, sender=user_model, dispatch_uid="callers.user_delete")
    post_save.connect(_extension_saved_or_deleted, sender=Extension, dispatch_uid="callers.ext_save")
    post_delete.connect(_extension_saved_or_deleted, sender=Extension, dispatch_uid="callers.ext_delete")
    pre_save.connect(_extension_moving, sender=Extension, dispatch_uid="callers.ext_moving")
