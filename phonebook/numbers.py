"""Phone numbers in the three forms the phonebook keeps (pure functions).

``raw`` as the source wrote it, ``e164`` (``+442079460958``, or empty when the
number cannot be read as a valid number of a country: never a guess) and
``digits`` (the bare digits, for "digits anywhere" searches).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache

import phonenumbers
from phonenumbers.phonemetadata import REGION_CODE_FOR_NON_GEO_ENTITY, PhoneMetadata

from phonebook.text import clean, digits_of

# Longer text is not a phone number; parsing it would only cost time.
_MAX_PARSE_LENGTH = 64


# Numbers written with digits, spaces, dots, dashes or slashes only, maybe after a "+":
# by far the most common in directories, and read here without phonenumbers' full
# parser (ten times slower); anything else, or a number this path cannot prove
# valid, goes through phonenumbers.parse.
_PLAIN = re.compile(r"\+?[0-9][0-9 .\-/]*")
_PLAIN_PREFIX = re.compile(r"[0-9]+")
_MAX_NATIONAL_DIGITS = 17


@lru_cache(maxsize=4096)
def to_e164(raw: str, country: str) -> str:
    """The number in E.164 form with ``country`` for numbers without a country code, or ``""``.

    Accepts what people write: "+44 (0)20 7946 0958", "0044 20 7946 0958",
    "020 7946 0958" (with country GB), "tel:+33612345678", an extension after
    "ext."; the extension is not part of the E.164 form. (Cached: searches
    and lookups ask for the same numbers again and again.)
    """
    return e164_of(raw, country)


def e164_of(raw: str, country: str) -> str:
    """``to_e164`` without its cache, for imports: their numbers come once each."""
    text = clean(raw)
    if text.lower().startswith("tel:"):
        text = text[4:].split(";", 1)[0]
    if not text or len(text) > _MAX_PARSE_LENGTH:
        return ""
    region = country.upper()
    if _PLAIN.fullmatch(text):
        return _fast_e164(digits_of(text), text[0] == "+", region) or _full_e164(text, region)
    return _full_e164(text, region) if digits_of(text) else ""


def _full_e164(text: str, region: str) -> str:
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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


def search_digits(raw: str, e164: str) -> list[str]:
    """The digit strings a number is found by: its own digits, and its E.164 digits when different."""
    found = [digits_of(raw)]
    if e164 and e164[1:] not in found:
        found.append(e164[1:])
    return [value for value in found if value]
