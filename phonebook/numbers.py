"""Phone numbers in the three forms the phonebook keeps (pure functions).

``raw`` as the source wrote it, ``e164`` (``+442079460958``, or empty when the
number cannot be read as a valid number of a country: never a guess) and
``digits`` (the bare digits, for "digits anywhere" searches).
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from phonebook.fast_e164 import plain_e164
from phonebook.text import clean, digits_of

# Longer text is not a phone number; parsing it would only cost time.
_MAX_PARSE_LENGTH = 64


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
    # Most numbers of a directory are written plainly: read them without the full parser when
    # that proves them valid (ten times faster; see phonebook/fast_e164.py).
    return plain_e164(text, region) or (full_e164(text, region) if digits_of(text) else "")


def full_e164(text: str, region: str) -> str:
    """E.164 of ``text`` as ``phonenumbers`` reads and validates it, or "" (``region``: national numbers')."""
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def search_digits(raw: str, e164: str) -> list[str]:
    """The digit strings a number is found by: its own digits, and its E.164 digits when different."""
    found = [digits_of(raw)]
    if e164 and e164[1:] not in found:
        found.append(e164[1:])
    return [value for value in found if value]
