"""phonebook/fast_e164.py gives exactly phonenumbers' own answers (else it must go).

The fast path mirrors private helpers of ``phonenumbers``: these tests
compare it with the library's ``parse`` and ``is_valid_number``
(``phonebook.numbers.full_e164``) over written numbers of many countries and
over tens of thousands of numbers generated around every example number of
the library's metadata. An upgrade of ``phonenumbers`` that changes its
rules fails them.
"""

from __future__ import annotations

import functools
import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType

from phonebook.fast_e164 import is_valid, plain_e164
from phonebook.numbers import full_e164, to_e164

NUMBERS = [
    "+44 20 7946 0958", "0044 20 7946 0958", "020 7946 0958", "01 42 68 53 00", "1001", "+1 212 555 0100",
    "011 44 20 7946 0958", "(212) 555-0100", "212-555-0100", "1 212 555 0100", "+39 06 6982 1234",
    "06 6982 1234", "+49 30 901820", "030 901820", "+33 6 12 34 56 78", "06.12.34.56.78", "33612345678",
    "+7 495 123 45 67", "8 495 123 45 67", "+54 11 4321 5678", "011 4321 5678", "+55 11 91234 5678",
    "(11) 91234-5678", "+41 44 668 18 00", "044 668 18 00", "+86 10 6552 9988", "03-1234-5678", "112",
    "0800 123 456", "00 33 1 42 68 53 00", "+999 123456", "+352 24 12 34", "0690 12 34 56",
]  # fmt: skip


@pytest.mark.parametrize("country", ["FR", "GB", "US", "IT", "DE", "RU", "AR", "BR", "CH", "CN", "JP", "LU"])
def test_the_fast_path_reads_numbers_exactly_as_phonenumbers_does(country):
    for raw in NUMBERS:
        assert to_e164.__wrapped__(raw, country) == full_e164(raw, country), raw


@functools.cache
def _generated_numbers(seed: int) -> list[tuple[int, str]]:
    """(country code, national number) pairs around every example number of phonenumbers'
    metadata: the examples, their neighbours, shorter and longer, and random digits after
    their first ones; about half valid."""
    rng = random.Random(seed)
    types = [value for name, value in vars(PhoneNumberType).items() if name.isupper()]
    examples = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        examples += [phonenumbers.example_number_for_type(region, kind) for kind in types]
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        examples.append(phonenumbers.example_number_for_non_geo_entity(code))
    found = []
    for example in filter(None, examples):
        national = str(example.national_number)
        variants = {national, national[:-1], national + "5", str(int(national) + 1), str(int(national) - 1)}
        for _ in range(12):
            keep = rng.randint(1, len(national))
            length = len(national) + rng.randint(-2, 2)
            variants.add(national[:keep] + "".join(rng.choices("0123456789", k=max(0, length - keep))))
        found += [(example.country_code or 0, v) for v in variants if v and v[0] != "0"]
    return found


def test_validity_is_exactly_phonenumbers_own_over_generated_numbers():
    generated = _generated_numbers(seed=7)
    assert len(generated) > 15_000
    valid = 0
    for code, national in generated:
        expected = phonenumbers.is_valid_number(
            phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
        )
        assert is_valid(code, national) == expected, (code, national)
        valid += expected
    assert 0.2 < valid / len(generated) < 0.8  # both answers are well represented


@pytest.mark.parametrize("country", ["FR", "GB", "US", "IT", "DE", "RU", "AR", "BR", "CH", "CN", "JP", "LU"])
def test_the_fast_path_reads_generated_numbers_exactly_as_phonenumbers_does(country):
    generated = _generated_numbers(seed=7)[::13]
    written = [f"+{code} {national[:3]} {national[3:]}" for code, national in generated]
    written += [f"00{code}{national}" for code, national in generated[::3]]
    written += [f"0{national}" for _code, national in generated[1::3]]
    written += [national for _code, national in generated[2::3]]
    for raw in written:
        assert to_e164.__wrapped__(raw, country) == full_e164(raw, country), raw


def test_it_leaves_what_it_cannot_prove_to_the_full_parser():
    assert plain_e164("+44 (0)20 7946 0958", "GB") == ""  # not plainly written
    assert plain_e164("+39 06 6982 1234", "IT") == ""  # a leading zero of the national number
    assert plain_e164("0690 12 34 56", "FR") == ""  # not a valid number: the full parser decides
    assert plain_e164("01 42 68 53 00", "FR") == "+33142685300"
