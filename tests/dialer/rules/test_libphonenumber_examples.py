"""Every example number of libphonenumber's metadata round-trips, written as people write it.

``phonenumbers`` ships, for every region, an example number of each type
(fixed line, mobile, toll free, premium rate, shared cost, VoIP, personal,
pager, UAN, voicemail) and one per non-geographic entity (+800, +882 ...).
Each is written in national format and dialed from its own country, and in
international and E.164 format from another country: the E.164 form must
come back, or, from abroad, the clear refusal of a number that can only be
called from within its country.
"""

from __future__ import annotations

from functools import cache

import phonenumbers
import pytest
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberType
from phonenumbers import PhoneNumberFormat as Format

from dialer import dialplan
from dialer.rewrite import DialPlan, RewriteError, rewrite

TYPES = [
    value
    for name, value in vars(PhoneNumberType).items()
    if name.isupper() and name not in ("UNKNOWN", "FIXED_LINE_OR_MOBILE")
]


@cache
def examples() -> list[tuple[str, PhoneNumber]]:
    """(region, example number) for every region and type, and every non-geographic entity ("001")."""
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                found.append((region, example))
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            found.append(("001", example))
    return found


def local_only(example: PhoneNumber) -> bool:
    """libphonenumber's own verdict: possible only as a local number (Canada's 310-xxxx)."""
    reason = phonenumbers.is_possible_number_with_reason(example)
    return reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY


def check(text: str, plan: DialPlan, example: PhoneNumber) -> str:
    """ "" when ``text`` dials ``example`` on ``plan`` as it should, else what went wrong."""
    e164 = phonenumbers.format_number(example, Format.E164)
    abroad = example.country_code != phonenumbers.country_code_for_region(plan.country)
    try:
        result = rewrite(text, plan)
    except RewriteError as exc:
        if abroad and not phonenumbers.can_be_internationally_dialled(example):
            expected = f"This number can only be called from within {dialplan.country_name(example)}."
            return "" if exc.message == expected else f"{text!r} on {plan.country}: {exc.message}"
        if local_only(example) and exc.message == "That number is incomplete: add the area code.":
            return ""
        return f"{text!r} on {plan.country}: refused: {exc.message}"
    form = Format.INTERNATIONAL if abroad else Format.NATIONAL
    if (result.e164, result.display) != (e164, phonenumbers.format_number(example, form)):
        return f"{text!r} on {plan.country}: {result.e164} {result.display!r}"
    return ""


def test_the_corpus_is_the_whole_metadata():
    assert len(examples()) > 1000
    assert len({region for region, _ in examples()}) == len(phonenumbers.SUPPORTED_REGIONS) + 1


def test_every_example_round_trips_in_national_format_from_its_own_country():
    failures = []
    for region, example in examples():
        if region != "001":
            # No internal pattern here: many islands have 4- and 5-digit numbers.
            plan = DialPlan.for_country(region, internal_pattern="")
            failures.append(check(phonenumbers.format_number(example, Format.NATIONAL), plan, example))
            failures.append(check(phonenumbers.format_number(example, Format.INTERNATIONAL), plan, example))
    assert [failure for failure in failures if failure] == []


@pytest.mark.parametrize("home", ["FR", "US", "JP"])
def test_every_example_round_trips_from_abroad_or_is_refused_clearly(home):
    failures, refused = [], 0
    for region, example in examples():
        plan = DialPlan.for_country("GB" if region == home else home, internal_pattern="")
        for form in (Format.INTERNATIONAL, Format.E164):
            failures.append(check(phonenumbers.format_number(example, form), plan, example))
        refused += not phonenumbers.can_be_internationally_dialled(example)
    assert [failure for failure in failures if failure] == []
    assert refused > 30  # the refusals above were really exercised


def test_a_number_that_cannot_be_dialed_from_abroad_is_refused_with_its_country():
    with pytest.raises(RewriteError) as caught:
        rewrite("+61 1800 123 456", DialPlan("FR", outside_prefix="0"))
    assert caught.value.message == "This number can only be called from within Australia."
    assert [step.step for step in caught.value.steps] == ["extract", "e164"]
    at_home = rewrite("1800 123 456", DialPlan.for_country("AU"))
    assert (at_home.number, at_home.display) == ("1800123456", "1800 123 456")


def test_every_country_with_numbers_not_dialable_from_abroad_has_a_name():
    regions = {
        region
        for region in phonenumbers.SUPPORTED_REGIONS
        if (metadata := PhoneMetadata.metadata_for_region(region)) is not None
        and metadata.no_international_dialling is not None
        and metadata.no_international_dialling.national_number_pattern
    }
    nameless = {
        region
        for region in regions
        if "its own country" in dialplan.country_name(phonenumbers.example_number(region) or PhoneNumber())
    }
    assert regions and nameless == set()
