"""A fast path to E.164 for plainly written numbers, giving exactly ``phonenumbers``' answers.

Quarantined here because it mirrors private helpers of ``phonenumbers``
(``_number_type_helper``, ``_is_number_matching_desc``,
``_region_code_for_number_from_list``, the national-prefix stripping of
``parse``): an upgrade of ``phonenumbers`` that changes them must be caught
by ``tests/phonebook/test_fast_e164.py``, which compares this path with
``phonebook.numbers.full_e164`` (the library's own ``parse`` and
``is_valid_number``) over tens of thousands of generated numbers.

Why it is kept (measured both ways, bench/README.md): it reads the numbers
of ``bench/phonebook.py``'s 100,000 entries in 0.7 s of CPU instead of 6 s
(5 against 45 µs a number), and the first import costs about a third less CPU
with it. Nothing here is a numbering table of ours: every pattern and
length comes from ``phonenumbers``' metadata. Anything this path cannot
prove valid gets ``""``, and the caller then asks the full parser.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import phonenumbers
from phonenumbers.phonemetadata import REGION_CODE_FOR_NON_GEO_ENTITY, PhoneMetadata

from phonebook.text import digits_of

# Numbers written with digits, spaces, dots, dashes or slashes only, maybe after a "+":
# by far the most common in directories, and read here without phonenumbers' full
# parser (ten times slower); anything else, or a number this path cannot prove
# valid, goes through phonenumbers.parse.
_PLAIN = re.compile(r"\+?[0-9][0-9 .\-/]*")
_PLAIN_PREFIX = re.compile(r"[0-9]+")
_MAX_NATIONAL_DIGITS = 17


def plain_e164(text: str, region: str) -> str:
    """E.164 of ``text`` (already cleaned) when it is written with digits, spaces, dots, dashes or
    slashes only, maybe after a "+", and is valid; else "" (then the full parser decides)."""
    if not _PLAIN.fullmatch(text):
        return ""
    return _fast_e164(digits_of(text), text[0] == "+", region)


def _split_country_code(digits: str) -> tuple[int, str] | None:
    for length in (1, 2, 3):  # country codes are prefix-free
        code = int(digits[:length] or "0")
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return code, digits[length:]
    return None


@cache
def _national_rule(region: str) -> tuple[int, str, str | None] | None:
    """For numbers written in ``region``: its country code, its international prefix when it is
    plain digits (else ""), and the national prefix to remove (None: none); None when the region
    reads national numbers in a way only the full parser handles."""
    metadata = PhoneMetadata.metadata_for_region(region) if region else None
    if metadata is None:
        return None
    international = metadata.international_prefix or ""
    if not _PLAIN_PREFIX.fullmatch(international):
        international = ""
    national_prefix = metadata.national_prefix_for_parsing
    if national_prefix is not None and not (
        _PLAIN_PREFIX.fullmatch(national_prefix)
        and national_prefix == metadata.national_prefix
        and metadata.national_prefix_transform_rule is None
    ):
        return None
    return metadata.country_code or 0, international, national_prefix


def _fast_e164(digits: str, international: bool, region: str) -> str:
    """E.164 for a plainly written number (its digits, and whether a "+" came first) when it is
    valid, else "" (then the full parser decides)."""
    split: tuple[int, str] | None
    if international:
        split = _split_country_code(digits)
    else:
        rule = _national_rule(region)
        if rule is None:
            return ""
        country_code, international_prefix, national_prefix = rule
        if international_prefix and digits.startswith(international_prefix):
            split = _split_country_code(digits[len(international_prefix) :])
        elif national_prefix is None:
            split = (country_code, digits)
        else:
            split = (country_code, digits.removeprefix(national_prefix))
    if split is None:
        return ""
    code, national = split
    # A leading zero of the national number (Italy...) needs the full parser's care.
    if not national or national[0] == "0" or len(national) > _MAX_NATIONAL_DIGITS:
        return ""
    return f"+{code}{national}" if is_valid(code, national) else ""


# --- validity, as phonenumbers.is_valid_number decides it, from its own metadata ---------------
#
# phonenumbers tries a number against each type of number of a region (fixed line, mobile, toll
# free...) one regular expression at a time: most of an import's time. The same expressions,
# joined into one per region and number length, give the same answer at once. Nothing here is
# a numbering table of ours: every pattern and length comes from phonenumbers' metadata, and a
# test compares the two over many generated numbers.

# The types _number_type_helper tries after the general description, in its order.
_TYPES = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail",
    "fixed_line", "mobile",
)  # fmt: skip


class _Plan:
    """One region's metadata compiled for ``known(national_number)``: the number's type is not
    UNKNOWN (phonenumbers' ``_number_type_helper(...) != PhoneNumberType.UNKNOWN``)."""

    def __init__(self, metadata: PhoneMetadata) -> None:
        self.metadata = metadata
        general = metadata.general_desc
        self.general = self._matcher([general]) if general is not None else None
        names = _TYPES[:-1] if metadata.same_mobile_and_fixed_line_pattern else _TYPES
        self.types = [getattr(metadata, name) for name in names]
        self.by_length: dict[int, Callable[[str], object] | None] = {}

    @staticmethod
    def _matcher(descs: list) -> Callable[[str], object] | None:
        patterns = [desc.national_number_pattern for desc in descs if desc.national_number_pattern]
        if not patterns:
            return None
        return re.compile("|".join(f"(?:{pattern})" for pattern in patterns)).fullmatch

    @staticmethod
    def _fits(desc, length: int) -> bool:
        """phonenumbers' _is_number_matching_desc, but for the pattern itself."""
        return (
            desc is not None
            and bool(desc.national_number_pattern)
            and (not desc.possible_length or length in desc.possible_length)
        )

    def known(self, national: str) -> bool:
        length = len(national)
        if length not in self.by_length:
            general = self.metadata.general_desc
            fitting = [desc for desc in self.types if self._fits(desc, length)]
            self.by_length[length] = (
                self._matcher(fitting) if self._fits(general, length) and fitting else None
            )
        types = self.by_length[length]
        return (
            types is not None
            and self.general is not None
            and bool(self.general(national))
            and bool(types(national))
        )


@cache
def _plan(region: str, code: int) -> _Plan | None:
    if region == REGION_CODE_FOR_NON_GEO_ENTITY:
        metadata = PhoneMetadata.metadata_for_nongeo_region(code)
    else:
        metadata = PhoneMetadata.metadata_for_region(region)
    return _Plan(metadata) if metadata is not None else None


@cache
def _leading_digits(pattern: str) -> Callable[[str], object]:
    return re.compile(pattern).match


def is_valid(code: int, national: str) -> bool:
    """``phonenumbers.is_valid_number`` for +``code`` ``national`` (digits, no leading zero)."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code)
    if not regions:
        return False
    region: str | None = regions[0]
    if len(regions) > 1:  # phonenumbers' _region_code_for_number_from_list
        region = None
        for candidate in regions:
            metadata = PhoneMetadata.metadata_for_region(candidate.upper(), None)
            if metadata is None:
                continue
            if metadata.leading_digits is not None:
                if _leading_digits(metadata.leading_digits)(national):
                    region = candidate
                    break
            elif (plan := _plan(candidate, code)) is not None and plan.known(national):
                region = candidate
                break
    if region is None:
        return False
    plan = _plan(region, code)
    # is_valid_number_for_region: the region's metadata, and its country code.
    if plan is None or (region != REGION_CODE_FOR_NON_GEO_ENTITY and plan.metadata.country_code != code):
        return False
    return plan.known(national)
