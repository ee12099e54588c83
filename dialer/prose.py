"""Digits in prose that are not phone numbers: times, dates, addresses, amounts, quantities.

Pure functions over text already cleaned by :mod:`dialer.cleaning`. A time,
a date or an IP address is never a phone number: :func:`is_never_a_number`
drops it. An amount or a quantity ("1500 EUR", "4 kg") may hold digits of a
possible number, but a short internal number is never taken from one
(:func:`is_amount`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_CURRENCIES = "eur euro euros usd dollar dollars gbp chf cad aud jpy yen cny sek nok dkk pln czk inr rs"
_UNITS = """kg mg lb lbs oz km cm mm mi ft ml cl hr hrs min mins sec ms kb mb gb tb
    kw mhz ghz hz pcs pc pce pieces piece pièces pièce stück stk units unit items item
    people persons personnes personen times fois mal days jours tage years ans jahre months mois
    weeks semaines hours heures minutes seconds secondes pages pts points pax"""

_SIGNS = "€$£¥₹%‰°²³"


def _alternatives(words: str) -> str:
    """A regex alternation of ``words``, longest first (so that "mins" is tried before "min")."""
    return "|".join(sorted(set(words.split()), key=len, reverse=True))


_AMOUNT_AFTER = re.compile(
    rf"\s?(?:[{_SIGNS}]|(?:{_alternatives(_CURRENCIES + ' ' + _UNITS)})(?![^\W\d_]))", re.IGNORECASE
)
_AMOUNT_BEFORE = re.compile(rf"(?:[{_SIGNS}]|(?<![^\W\d_])(?:{_alternatives(_CURRENCIES)}))\s?$", re.I)
_TIME_BEFORE = re.compile(r"\d[:h]$", re.IGNORECASE)
_TIME_AFTER = re.compile(r"(?::\d|h\d|h(?![^\W\d_])|\s?(?:am|pm|a\.m\.|p\.m\.|uhr)(?![^\W\d_]))", re.I)


def _date_parts(groups: Sequence[str]) -> bool:
    """Could three digit groups be a day, a month and a year, in some order?"""
    lengths = [len(group) for group in groups]
    values = [int(group) for group in groups]

    def day_month(day: int, month: int) -> bool:
        return 1 <= day <= 31 and 1 <= month <= 12

    if lengths[0] == 4 and lengths[1] <= 2 and lengths[2] <= 2:  # 2024-05-12
        return 1900 <= values[0] <= 2099 and day_month(values[2], values[1])
    if lengths[0] <= 2 and lengths[1] <= 2 and lengths[2] == 4:  # 12/05/2024, 05/12/2024
        # Not with a two-digit year: "20.12.34" is how New Caledonia writes its phone numbers.
        return 1900 <= values[2] <= 2099 and (
            day_month(values[0], values[1]) or day_month(values[1], values[0])
        )
    return False


def is_date(groups: Sequence[str], gaps: Sequence[str]) -> bool:
    """Are these digit groups, joined by these gaps, a date with its century (12/05/2024, 2024-05-12)?"""
    return len(groups) == 3 and len(set(gaps)) == 1 and gaps[0] in ("/", "-", ".") and _date_parts(groups)


def is_ip_address(groups: Sequence[str], gaps: Sequence[str]) -> bool:
    """Are these groups an IPv4 address (192.168.1.10; a phone number's groups start with 0)?"""
    return (
        len(groups) == 4
        and all(gap == "." for gap in gaps)
        and all(len(group) <= 3 and not (len(group) > 1 and group[0] == "0") for group in groups)
        and all(int(group) <= 255 for group in groups)
    )


def is_time(before: str, after: str) -> bool:
    """Is a number with ``before`` just before it and ``after`` just after it part of a time (10:30, 10h)?"""
    return _TIME_BEFORE.search(before) is not None or _TIME_AFTER.match(after) is not None


def is_never_a_number(groups: Sequence[str], gaps: Sequence[str], before: str, after: str) -> bool:
    """Is this run of digits a time, a date or an IP address, which no phone number ever is?"""
    return is_date(groups, gaps) or is_ip_address(groups, gaps) or is_time(before, after)


def is_amount(before: str, after: str) -> bool:
    """Is a number with ``before``/``after`` around it an amount or a quantity (1500 EUR, $12, 4 kg, 50 %)?"""
    return _AMOUNT_BEFORE.search(before) is not None or _AMOUNT_AFTER.match(after) is not None
