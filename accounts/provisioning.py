"""The Django user and the Extension of a person an outside source vouched for.

A source (password file, LDAP directory, SQL table) says who the person is
and, when it knows, which phone is theirs. The phone is decided here, at
login, from the source: never by the client. An Extension an admin set by
hand (source ``manual``) is never changed by a source; an Extension from a
source follows the source (updated, or removed when the source no longer
gives a phone).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from accounts.models import Extension
from drivers.validators import validate_channel

logger = logging.getLogger(__name__)

# What people type between digits in a directory: "+33 (0)1 23-45.67/89".
_SEPARATORS = re.compile(r"[\s().\-/]+")
_NUMBER = re.compile(r"[0-9*#+]{1,32}")


@dataclass(frozen=True)
class Phone:
    """The phone a source gives: its internal number and the dial string that rings it."""

    number: str
    channel: str


@dataclass(frozen=True)
class Identity:
    """What a source says about someone whose password it accepted.

    A name or e-mail of ``None`` means the source says nothing about it (the
    Django user keeps what it has). ``manages_phone`` is False when the source
    is not configured to give phones: the user's Extension is left alone.
    """

    username: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    manages_phone: bool = False
    phone: Phone | None = None


def extension_number(raw: str, pattern: str = "") -> str | None:
    """The internal number in a directory value, or None.

    Separators (spaces, dots, dashes, slashes, parentheses) are dropped first;
    then ``pattern``, if given, is searched in what is left and keeps its
    group ``extension``, else its first group, else the whole match
    (``(\\d{4})$`` keeps the last four digits of a full number).
    """
    value = _SEPARATORS.sub("", raw)
    if pattern:
        match = re.search(pattern, value)
        if match is None:
            return None
        if "extension" in match.re.groupindex:
            value = match.group("extension") or ""
        elif match.re.groups:
            value = match.group(1) or ""
        else:
            value = match.group(0)
    return value if _NUMBER.fullmatch(value) else None


def channel_for(template: str, number: str, username: str) -> str | None:
    """The dial string from a template such as ``PJSIP/{extension}``, or None if it is not one."""
    channel = template.format(extension=number, username=username)
    try:
        validate_channel(channel)
    except ValidationError:
        return None
    return channel


def phone_from_values(
    values: list[str], pattern: str, template: str, username: str, origin: str
) -> Phone | None:
    """The first of a source's values that gives a valid phone; ``origin`` names it in the log."""
    for raw in values:
        number = extension_number(raw, pattern)
        if number is None:
            logger.warning("%s of %r: %r gives no internal number", origin, username, raw)
            continue
        channel = channel_for(template, number, username)
        if channel is None:
            logger.warning("%s of %r: the channel template gives no valid dial string", origin, username)
            continue
        return Phone(number=number, channel=channel)
    return None


def fixed_phone(raw_number: str, channel: str, username: str, origin: str) -> Phone | None:
    """A phone whose dial string the source gives as is (``SIP/alice``), or None if either is invalid."""
    number = extension_number(raw_number)
    if number is None:
        logger.warning("%s of %r: %r is not an internal number", origin, username, raw_number)
        return None
    try:
        validate_channel(channel)
    except ValidationError:
        logger.warning("%s of %r: %r is not a dial string", origin, username, channel)
        return None
    return Phone(number=number, channel=channel)


def split_full_name(full_name: str) -> tuple[str, str]:
    """("Jean", "Pierre Dupont") from "Jean Pierre Dupont": Django keeps two fields."""
    first, _, last = full_name.strip().partition(" ")
    return first, last.strip()


def provision_user(identity: Identity, source: str) -> AbstractBaseUser:
    """The Django user of ``identity``, created (unusable local password) or updated; and its phone."""
    user_model = get_user_model()
    user, created = user_model._default_manager.get_or_create(
        **{user_model.USERNAME_FIELD: identity.username},
        defaults={"password": make_password(None)},
    )
    if created:
        logger.info("created user %r from %s", identity.username, source)
    changed = []
    for field in ("first_name", "last_name", "email"):
        value = getattr(identity, field)
        if value is None or not hasattr(user, field):
            continue
        value = value.strip()[: user_model._meta.get_field(field).max_length]
        if getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    if changed:
        user.save(update_fields=changed)
    if identity.manages_phone:
        sync_extension(user, source, identity.phone)
    return user


def sync_extension(user: AbstractBaseUser, source: str, phone: Phone | None) -> Extension | None:
    """Make the user's Extension what the source says; an admin's (manual) Extension is never touched."""
    extension = Extension.objects.filter(user=user).first()
    if extension is not None and extension.source == Extension.Source.MANUAL:
        return extension
    if phone is None:
        if extension is not None:
            logger.info("removed extension %s of %r: %s gives no phone", extension.number, user, source)
            extension.delete()
        return None
    if extension is not None and (extension.number, extension.channel, extension.source) == (
        phone.number,
        phone.channel,
        source,
    ):
        return extension
    extension, _ = Extension.objects.update_or_create(
        user=user, defaults={"number": phone.number, "channel": phone.channel, "source": source}
    )
    logger.info("extension of %r is now %s (%s) from %s", user, phone.number, phone.channel, source)
    return extension
