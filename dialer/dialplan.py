"""Dial plans: how a PBX dials a phone number (pure functions, the ``phonenumbers`` library).

A :class:`DialPlan` is a PBX's country and prefixes. :func:`to_phone_number`
reads a number (digits, maybe a leading ``+``) in the plan's country;
:func:`dial_plan_form` writes it as the PBX dials it: same country ->
national prefix + national number, other country -> international prefix +
country code + national number (the outside-line prefix comes on top, in
:func:`dialer.rewrite.rewrite`). No numbering-plan tables here: the
``phonenumbers`` library knows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber
from phonenumbers import ValidationResult as Possible

DEFAULT_INTERNAL_PATTERN = r"^\d{2,5}$"

_DIAL_PREFIX = re.compile(r"[0-9*#]*")


class DialPlanError(ValueError):
    """Not a possible phone number; ``str(err)`` is one short sentence for a person."""


@dataclass(frozen=True)
class DialPlan:
    """How a PBX dials out.

    ``country`` is an ISO region (FR, GB, US); ``outside_prefix`` is dialed
    before every external number ("0", "9" or ""); ``international_prefix``
    before a country code ("00", "011"); ``national_prefix`` before a
    national number ("0", "1" or ""); ``internal_pattern`` is the regex of
    internal numbers ("" : none).
    """

    country: str
    outside_prefix: str = ""
    international_prefix: str = "00"
    national_prefix: str = "0"
    internal_pattern: str = DEFAULT_INTERNAL_PATTERN

    def __post_init__(self) -> None:
        if self.country not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown country {self.country!r}")
        for name in ("outside_prefix", "international_prefix", "national_prefix"):
            if not _DIAL_PREFIX.fullmatch(getattr(self, name)):
                raise ValueError(f"{name} may hold only digits, * and #")

    @classmethod
    def for_country(cls, country: str, internal_pattern: str = DEFAULT_INTERNAL_PATTERN) -> DialPlan:
        """The plan of ``country`` from the numbering-plan data, with no outside-line prefix."""
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(country)
        if metadata is None:
            raise ValueError(f"unknown country {country!r}")
        international = metadata.preferred_international_prefix or metadata.international_prefix or ""
        if not international.isdigit():  # a pattern such as "0(?:0|1[0-9])": no single prefix
            international = "00"
        return cls(
            country=country,
            outside_prefix="",
            international_prefix=international,
            national_prefix=metadata.national_prefix or "",
            internal_pattern=internal_pattern,
        )


def is_internal(number: str, plan: DialPlan) -> bool:
    """Does ``number`` match the plan's internal pattern? (An unusable pattern matches nothing.)"""
    if not plan.internal_pattern:
        return False
    try:
        return re.search(plan.internal_pattern, number) is not None
    except re.error:
        return False  # the admin validates the pattern on save


def parse(number: str, plan: DialPlan) -> PhoneNumber | None:
    """``number`` read in the plan's country (a leading ``+`` gives its own), or None."""
    try:
        return phonenumbers.parse(number, None if number.startswith("+") else plan.country)
    except NumberParseException:
        return None


_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "That number has an unknown country code.",
    NumberParseException.TOO_SHORT_AFTER_IDD: "That number is too short.",
    NumberParseException.TOO_SHORT_NSN: "That number is too short.",
    NumberParseException.TOO_LONG: "That number is too long.",
}


def possible(phone: PhoneNumber | None) -> bool:
    """Is ``phone`` a number of a possible length for its country (not a local-only one)?"""
    return phone is not None and phonenumbers.is_possible_number_with_reason(phone) == Possible.IS_POSSIBLE


def to_phone_number(number: str, plan: DialPlan) -> PhoneNumber:
    """The phone number meant by ``number`` (digits, maybe a leading ``+``) in ``plan``'s country.

    A leading ``00`` or the plan's international prefix is read as ``+``
    when the country's own rules do not make it a possible number (a
    "0044 ..." copied from a European signature on a US PBX). Raises
    :class:`DialPlanError` when the number is not a possible one.
    """
    error = "That is not a phone number."
    try:
        phone: PhoneNumber | None = phonenumbers.parse(
            number, None if number.startswith("+") else plan.country
        )
    except NumberParseException as exc:
        phone, error = None, _PARSE_ERRORS.get(exc.error_type, error)
    if not possible(phone) and not number.startswith("+"):
        for prefix in dict.fromkeys((plan.international_prefix, "00")):
            if prefix and number.startswith(prefix) and len(number) > len(prefix):
                other = parse("+" + number[len(prefix) :], plan)
                if possible(other):
                    phone = other
                    break
    if phone is None:
        raise DialPlanError(error)
    if possible(phone):
        return phone
    reason = phonenumbers.is_possible_number_with_reason(phone)
    if reason == Possible.INVALID_COUNTRY_CODE:
        raise DialPlanError("That number has an unknown country code.")
    if reason == Possible.IS_POSSIBLE_LOCAL_ONLY:
        raise DialPlanError("That number is incomplete: add the area code.")
    if reason == Possible.TOO_LONG:
        raise DialPlanError("That number is too long.")
    if reason == Possible.TOO_SHORT:
        raise DialPlanError("That number is too short.")
    raise DialPlanError("That number has the wrong length for its country.")


def dial_plan_form(phone: PhoneNumber, plan: DialPlan) -> tuple[str, str]:
    """How ``plan`` dials ``phone`` (before the outside-line prefix), and why."""
    national = phonenumbers.national_significant_number(phone)
    if phone.country_code == phonenumbers.country_code_for_region(plan.country):
        return (
            plan.national_prefix + national,
            f"Same country ({plan.country}): national prefix {plan.national_prefix or '(none)'} "
            "+ national number.",
        )
    region = phonenumbers.region_code_for_number(phone) or "?"
    return (
        plan.international_prefix + str(phone.country_code) + national,
        f"Other country ({region}): international prefix {plan.international_prefix} "
        f"+ country code {phone.country_code} + national number.",
    )


def is_short_number(number: str, plan: DialPlan) -> bool:
    """Is ``number`` a valid short number (emergency, service) of the plan's country?"""
    phone = parse(number, plan)
    return phone is not None and phonenumbers.is_valid_short_number_for_region(phone, plan.country)
