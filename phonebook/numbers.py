"""Phone numbers in the three forms the phonebook keeps (pure functions).

``raw`` as the source wrote it, ``e164`` (``+442079460958``, or empty when the
number cannot be read as a valid number of a country: never a guess) and
``digits`` (the bare digits, for "digits anywhere" searches).
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers.phonemetadata import PhoneMetadata

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
    "ext."; the extension is not part of the E.164 form.
    """
    text = clean(raw)
    if text.lower().startswith("tel:"):
        text = text[4:].split(";", 1)[0]
    if not text or len(text) > _MAX_PARSE_LENGTH or not digits_of(text):
        return ""
    region = country.upper()
    return _fast_e164(text, region) or _full_e164(text, region)


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


def _fast_e164(text: str, region: str) -> str:
    """E.164 for a plainly written number when it is valid, else "" (then the full parser decides)."""
    if not _PLAIN.fullmatch(text):
        return ""
    digits = digits_of(text)
    split: tuple[int, str] | None
    if text.startswith("+"):
        split = _split_country_code(digits)
    else:
        metadata = PhoneMetadata.metadata_for_region(region) if region else None
        if metadata is None:
            return ""
        international = metadata.international_prefix or ""
        if _PLAIN_PREFIX.fullmatch(international) and digits.startswith(international):
            split = _split_country_code(digits[len(international) :])
        else:
            national_prefix = metadata.national_prefix_for_parsing
            if national_prefix is None:
                national = digits
            elif (
                _PLAIN_PREFIX.fullmatch(national_prefix)
                and national_prefix == metadata.national_prefix
                and metadata.national_prefix_transform_rule is None
            ):
                national = digits.removeprefix(national_prefix)
            else:
                return ""
            split = (metadata.country_code or 0, national)
    if split is None:
        return ""
    code, national = split
    # A leading zero of the national number (Italy...) needs the full parser's care.
    if not national or national[0] == "0" or len(national) > _MAX_NATIONAL_DIGITS:
        return ""
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    return f"+{code}{national}" if phonenumbers.is_valid_number(number) else ""


def search_digits(raw: str, e164: str) -> list[str]:
    """The digit strings a number is found by: its own digits, and its E.164 digits when different."""
    found = [digits_of(raw)]
    if e164 and e164[1:] not in found:
        found.append(e164[1:])
    return [value for value in found if value]
