"""Validators for what admins type into PBX and extension settings.

Everything typed here ends up on the PBX's wire: a control character would
let a value add headers to an AMI action (see testkit/fake_asterisk/recorded/FINDINGS.txt).
"""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from drivers.base import is_safe_text


def validate_no_control_characters(value: str) -> None:
    if not is_safe_text(value):
        raise ValidationError("Control characters (line breaks, tabs, NUL, ...) are not allowed here.")


def validate_no_whitespace(value: str) -> None:
    validate_no_control_characters(value)
    if any(char.isspace() for char in value):
        raise ValidationError("Spaces are not allowed here.")


validate_dial_prefix = RegexValidator(
    r"^[0-9*#]*\Z", "Only digits, * and # (or nothing) are allowed in a dial prefix."
)

validate_channel = RegexValidator(
    # TECH/resource: PJSIP/1001, SIP/alice, Local/1001@from-internal, IAX2/peer/1001, user/1001 (FreeSWITCH)
    r"^[A-Za-z][A-Za-z0-9_-]*/[^\s\x00-\x1f\x7f]+\Z",
    "Enter a dial string such as PJSIP/1001, SIP/alice, Local/1001@from-internal or user/1001 (no spaces).",
)


def validate_region(value: str) -> None:
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(
            f"{value!r} is not a country code known to the numbering plan (e.g. FR, GB, US)."
        )


def validate_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(f"Not a valid regular expression: {exc}") from None
