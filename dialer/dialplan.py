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
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat
from phonenumbers import ValidationResult as Possible

from dialer.phrases import _

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


@lru_cache(maxsize=4096)
def _parsed(number: str, region: str | None) -> tuple[PhoneNumber | None, int | None]:
    """``phonenumbers.parse`` of ``number``: the phone, or None and the error type. Cached: a text's
    numbers are read again to rank them, and clients ask for the same numbers again and again
    (callers never change the PhoneNumber they get)."""
    try:
        return phonenumbers.parse(number, region), None
    except NumberParseException as exc:
        return None, exc.error_type


def parse(number: str, plan: DialPlan) -> PhoneNumber | None:
    """``number`` read in the plan's country (a leading ``+`` gives its own), or None."""
    return _parsed(number, None if number.startswith("+") else plan.country)[0]


_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: _("That number has an unknown country code."),
    NumberParseException.TOO_SHORT_AFTER_IDD: _("That number is too short."),
    NumberParseException.TOO_SHORT_NSN: _("That number is too short."),
    NumberParseException.TOO_LONG: _("That number is too long."),
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
    error: str = _("That is not a phone number.")
    phone, error_type = _parsed(number, None if number.startswith("+") else plan.country)
    if error_type is not None:
        error = _PARSE_ERRORS.get(error_type, error)
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
        raise DialPlanError(_("That number has an unknown country code."))
    if reason == Possible.IS_POSSIBLE_LOCAL_ONLY:
        raise DialPlanError(_("That number is incomplete: add the area code."))
    if reason == Possible.TOO_LONG:
        raise DialPlanError(_("That number is too long."))
    if reason == Possible.TOO_SHORT:
        raise DialPlanError(_("That number is too short."))
    raise DialPlanError(_("That number has the wrong length for its country."))


def national_format(phone: PhoneNumber) -> str:
    """``phone`` in its country's national format ("01 42 68 53 00", "1800 123 456")."""
    return phonenumbers.format_number(phone, PhoneNumberFormat.NATIONAL)


def _takes_national_prefix(phone: PhoneNumber, written: str) -> bool:
    """Is ``phone`` dialed with the national prefix within its country?

    Not when libphonenumber writes it (``written``: its :func:`national_format`)
    without one (Australia's 1800 and 13 numbers, the UAE's 800 numbers);
    always in the North American plan, whose "1" is dialed though never written.
    """
    if phone.country_code == 1:
        return True
    # The country code's main region: its regions share their national prefix (and this is cheap).
    region = phonenumbers.region_code_for_country_code(phone.country_code or 0)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    national = phonenumbers.national_significant_number(phone)
    if metadata is None or not metadata.national_prefix:
        return True
    return phonenumbers.normalize_digits_only(written) != national


def dial_plan_form(phone: PhoneNumber, plan: DialPlan, written: str = "") -> tuple[str, str]:
    """How ``plan`` dials ``phone`` (before the outside-line prefix), and why.

    ``written``: the :func:`national_format` of ``phone``, when the caller has it.
    """
    national = phonenumbers.national_significant_number(phone)
    if phone.country_code == phonenumbers.country_code_for_region(plan.country):
        if not _takes_national_prefix(phone, written or national_format(phone)):
            return national, _(
                "Same country (%(country)s): national number, dialed without a prefix.", country=plan.country
            )
        return (
            plan.national_prefix + national,
            _(
                "Same country (%(country)s): national prefix %(prefix)s + national number.",
                country=plan.country,
                prefix=plan.national_prefix or _("(none)"),
            ),
        )
    region = phonenumbers.region_code_for_number(phone) or "?"
    return (
        plan.international_prefix + str(phone.country_code) + national,
        _(
            "Other country (%(region)s): international prefix %(prefix)s "
            "+ country code %(code)s + national number.",
            region=region,
            prefix=plan.international_prefix,
            code=phone.country_code,
        ),
    )


def is_short_number(number: str, plan: DialPlan) -> bool:
    """Is ``number`` a valid short number (emergency, service) of the plan's country?"""
    phone = parse(number, plan)
    return phone is not None and phonenumbers.is_valid_short_number_for_region(phone, plan.country)


# Regions whose numbering plan has numbers that cannot be dialed from abroad (libphonenumber's
# "noInternationalDialling"); a test checks that every such region of the installed metadata is here.
_COUNTRY_NAMES = {
    "AD": _("Andorra"),
    "AR": _("Argentina"),
    "AU": _("Australia"),
    "BO": _("Bolivia"),
    "BR": _("Brazil"),
    "BY": _("Belarus"),
    "CL": _("Chile"),
    "CN": _("China"),
    "EE": _("Estonia"),
    "FI": _("Finland"),
    "GE": _("Georgia"),
    "GH": _("Ghana"),
    "HN": _("Honduras"),
    "HU": _("Hungary"),
    "ID": _("Indonesia"),
    "IE": _("Ireland"),
    "IL": _("Israel"),
    "IN": _("India"),
    "IR": _("Iran"),
    "IT": _("Italy"),
    "JP": _("Japan"),
    "KP": _("North Korea"),
    "KR": _("South Korea"),
    "KZ": _("Kazakhstan"),
    "MC": _("Monaco"),
    "ML": _("Mali"),
    "NL": _("the Netherlands"),
    "PF": _("French Polynesia"),
    "SK": _("Slovakia"),
    "SZ": _("Eswatini"),
    "TR": _("Turkey"),
    "TZ": _("Tanzania"),
    "VN": _("Vietnam"),
}


def country_name(phone: PhoneNumber) -> str:
    """The English name of ``phone``'s country, for a message ("Australia", else "its own country (+61)")."""
    region = phonenumbers.region_code_for_number(phone) or ""
    return _COUNTRY_NAMES.get(region) or _("its own country (+%(code)s)", code=phone.country_code)


def check_reachable(phone: PhoneNumber, plan: DialPlan) -> None:
    """Raises :class:`DialPlanError` when ``phone`` cannot be dialed from ``plan``'s country.

    Some numbers (toll-free and shared-cost numbers of many countries) can
    only be called from within their own country; libphonenumber knows which.
    """
    if phone.country_code == phonenumbers.country_code_for_region(plan.country):
        return
    if not phonenumbers.can_be_internationally_dialled(phone):
        raise DialPlanError(
            _("This number can only be called from within %(country)s.", country=country_name(phone))
        )


def display_form(phone: PhoneNumber, plan: DialPlan, written: str = "") -> str:
    """``phone`` as people write it: national format in the plan's country (``written``, when the
    caller has it), international otherwise."""
    if phone.country_code == phonenumbers.country_code_for_region(plan.country):
        return written or national_format(phone)
    return phonenumbers.format_number(phone, PhoneNumberFormat.INTERNATIONAL)
