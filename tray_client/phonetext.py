"""Whether a copied text can hold a phone number, decided on the desktop before anything is sent.

The tray shows the clipboard's number in its menu, which needs the server
(``dialer.normalize``). Yet what people copy is mostly not for the server:
prose, passwords, bank details, amounts. This module is the gate: a
conservative, local check that lets through only texts shaped like a phone
number, a signature or a phone link, and keeps everything else on the
desktop. It errs towards keeping a text: a number it does not see is still
dialed when the user asks for it (``astitray-dial``, the search window), but
a text it lets through leaves the desktop without anyone asking.

What it refuses, each tested with a corpus (tests/tray_client/test_phonetext.py):
times (10:30, 9h15, 3 pm), dates (2026-11-26, 26/11/2026, 26.11.26),
versions (3.11.2, v2.0), amounts and prices (€1,299.00, 12,50 EUR, 45%),
IBANs and card-like digit blocks, six-digit codes (the usual one-time
passwords), short numbers inside prose ("Room 101 is on floor 3"), and any
text longer than an e-mail signature.
"""

from __future__ import annotations

import re

# A signature is a few short lines: anything longer is never sent.
MAX_CHARS = 600
MAX_LINES = 15
# Digits of a phone number as written: E.164 has at most 15, plus an international prefix (00, 011)
# and a "(0)"; a national number has at least 7 outside the smallest numbering plans.
MIN_DIGITS = 7
MAX_DIGITS = 18
# A short number is an extension (1002) when copied alone or announced ("ext. 12", "poste 1002");
# six digits only when announced (alone, six digits is the usual one-time password).
SHORT_ALONE = (2, 5)
SHORT_ANNOUNCED = (2, 6)
# As many digits as a payment card's, in a run that is no international number, passing Luhn's check.
CARD_DIGITS = (13, 19)

_LINK = re.compile(r"^\s*(?:tel|callto|sip|sips):", re.IGNORECASE)
_CURRENCY = r"(?:[€$£¥₣]|\b(?:EUR|USD|GBP|CHF|CAD|JPY|euros?|dollars?)\b)"
_AMOUNT = r"\d[\d \u00a0\u202f,.']*\d|\d"
# Things that hold digits and are no phone number, blanked out before looking for one.
_NOT_PHONES = [
    # IBAN: two letters, two check digits, then groups of letters and digits.
    re.compile(r"\b[A-Z]{2}\d{2}(?:[ \u00a0]?[A-Z0-9]{4}){2,7}(?:[ \u00a0]?[A-Z0-9]{1,4})?\b"),
    # ISO dates and date-times.
    re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"),
    # Dates: 26/11/2026, 26.11.26, 11-26-2026 (the same separator twice, nothing after).
    re.compile(r"(?<![\d.\-/])\d{1,2}([/.\-])\d{1,2}\1(?:\d{4}|\d{2})(?![\d.\-/]?\d)"),
    # Times: 10:30, 10:30:15, 9h15, 9 h 15, 3 pm, 10.30am.
    re.compile(r"(?<!\d)\d{1,2}\s?[:hH]\s?\d{2}(?::\d{2})?(?!\d)(?:\s?[aApP]\.?[mM]\.?)?"),
    re.compile(r"(?<!\d)\d{1,2}(?:[.:]\d{2})?\s?[aApP]\.?[mM]\b\.?"),
    # Versions: v2, v2.0.1, "version 10.0.19045", and dotted numbers with a one-digit part (3.11.2).
    re.compile(r"(?i)\b(?:v|version\s?|release\s?|build\s?)\d+(?:\.\d+)*\b"),
    re.compile(r"(?<![\d.])\d+(?:\.\d+)*\.\d(?:\.\d+)*(?![\d.]?\d)"),
    # Amounts: with a currency before or after, or a percentage.
    re.compile(rf"{_CURRENCY}\s?(?:{_AMOUNT})"),
    re.compile(rf"(?:{_AMOUNT})\s?{_CURRENCY}"),
    re.compile(rf"(?:{_AMOUNT})\s?%"),
    # Decimals with a comma or point and two places, alone (12,50 or 1 299.00).
    re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0,.]\d{3})*[.,]\d{2}(?![\d.,]?\d)"),
]
# A run of digits written as phone numbers are: + or (, digits, spaces, dots, dashes, slashes.
_RUN = re.compile(r"(?<![\w+])(?:\+|\(\+?)?\d[\d \u00a0\u202f.\-/()]*\d(?![\w])|(?<![\w+])\d(?![\w])")
# Words that announce a phone number (or an extension) in a text.
_CUE = re.compile(
    r"(?i)(?:\b(?:tel|t[ée]l[ée]phone|phone|fon|mobile?|mob|portable|cell|gsm|fixe|direct|"
    r"ext|extension|poste|durchwahl|call|appel(?:er|ez)?|rappel(?:er|ez)?|fax|office|bureau|work)\b"
    r"|\b[tmfpx]\b)\s*[.:]?\s*$"
)


def could_hold_number(text: str) -> bool:
    """True when ``text`` may hold a phone number that is worth asking the server about."""
    text = text.strip()
    if not text or len(text) > MAX_CHARS or text.count("\n") >= MAX_LINES:
        return False
    if not any(char.isdigit() for char in text):
        return False
    if _LINK.match(text):
        return True
    cleaned = text
    for pattern in _NOT_PHONES:
        cleaned = pattern.sub(_blank, cleaned)
    runs = list(_RUN.finditer(cleaned))
    if not runs:
        return False
    alone = cleaned.strip()
    for run in runs:
        digits = "".join(char for char in run.group() if char.isdigit())
        if MIN_DIGITS <= len(digits) <= MAX_DIGITS and not _card_like(run.group(), digits):
            return True
        if run.group().strip() == alone and SHORT_ALONE[0] <= len(digits) <= SHORT_ALONE[1]:
            return True
        if SHORT_ANNOUNCED[0] <= len(digits) <= SHORT_ANNOUNCED[1] and _CUE.search(cleaned[: run.start()]):
            return True
    return False


def _card_like(run: str, digits: str) -> bool:
    """A payment card's number: 13 to 19 digits, not written as an international number, Luhn-valid."""
    if not CARD_DIGITS[0] <= len(digits) <= CARD_DIGITS[1]:
        return False
    if run.lstrip("(").startswith(("+", "00", "011")):
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _blank(match: re.Match[str]) -> str:
    """What a refused match becomes: a character no number holds, so that numbers around it never join."""
    return "|" * len(match.group())
