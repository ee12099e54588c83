"""Find phone numbers in free text: pure functions, no database, no numbering plan.

People copy numbers from anywhere: e-mail signatures, web pages,
spreadsheets, ``tel:`` links. This module turns such text into candidate
numbers made of ASCII digits (with a leading ``+`` when one was written),
each with the extension digits found after it, kept apart. Which candidate
is a phone number of which country is decided later, by
:mod:`dialer.rewrite` with the ``phonenumbers`` library.

What it understands:

- ``tel:``, ``callto:``, ``sip:``/``sips:`` URIs (RFC 3966): percent-decoding,
  visual separators, ``;ext=``, ``;phone-context=``;
- separators inside a number: spaces (also non-breaking, thin and
  ideographic spaces), dots, dashes, slashes, parentheses; invisible format
  characters (zero-width spaces, direction marks) are ignored;
- a "(0)" after a country code ("+44 (0)20 7946 0958") is dropped;
- any Unicode decimal digits (full-width, Arabic-Indic, ...) and full-width
  ``+``, ``#`` and letters;
- an extension after the number: ``ext``, ``ext.``, ``extn``, ``extension``,
  ``x``, ``#``, ``poste``, ``;ext=``;
- a whole text that is a feature code made of digits, ``*`` and ``#``
  ("*61", "#31#") is kept as it is.

A number never spans two lines or two tab-separated cells. Text holding
control characters other than line breaks and tabs (binary junk, NUL) is
refused with :class:`TextError`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

MAX_TEXT_LENGTH = 4096
"""Longest text accepted (characters): a whole e-mail signature fits many times."""

MAX_CANDIDATES = 20
"""At most this many numbers are collected from one text."""

MAX_EXTENSION_LENGTH = 10


class TextError(ValueError):
    """The text cannot hold a number. ``str(err)`` is one short sentence for a person."""


@dataclass(frozen=True)
class Candidate:
    """A number found in the text.

    ``number`` holds ASCII digits, with a leading ``+`` when the text had one
    (or a ``tel:`` URI's phone-context gave the country), or a feature code
    of digits, ``*`` and ``#``. ``extension`` holds the extension digits or
    ``""``. ``source`` says where it came from, for the explanation of the
    steps ("tel: URI", "text", "feature code"); ``raw`` is the piece of text
    it was read from (separators included, at most one line).
    """

    number: str
    extension: str = ""
    source: str = "text"
    raw: str = ""


# --- Characters ------------------------------------------------------------------

# What separators, plus and hash signs look like in the wild.
_SPACES = " "  # every Unicode space separator (Zs) becomes this
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d")
_DOTS = frozenset(".\u2024\uff0e\u3002")
_SLASHES = frozenset("/\u2215\uff0f")
_OPENING = frozenset("(\uff08")
_CLOSING = frozenset(")\uff09")
_PLUSES = frozenset("+\ufe62\uff0b")
_HASHES = frozenset("#\ufe5f\uff03")
_STARS = frozenset("*\ufe61\uff0a\u2217")
_BREAK = "\n"  # line breaks, tabs and other whitespace controls: a number never crosses one


class _Refused(Exception):
    """A character that must not be in the text."""


@lru_cache(maxsize=4096)
def _map_char(char: str) -> str:
    """The character as the scanner sees it ("" to drop it); raises ``_Refused`` for junk."""
    if "0" <= char <= "9" or "a" <= char <= "z" or "A" <= char <= "Z":
        return char
    digit = unicodedata.decimal(char, None)
    if digit is not None:
        return str(digit)
    category = unicodedata.category(char)
    if category == "Cc":
        if char.isspace():  # \t \n \v \f \r, the separators \x1c-\x1f, NEL
            return _BREAK
        raise _Refused(char)
    if category in ("Zl", "Zp"):
        return _BREAK
    if category == "Zs":
        return _SPACES
    if category == "Cf":  # zero-width spaces, direction marks, soft hyphens: invisible
        return ""
    if category in ("Cs", "Co"):  # lone surrogates, private use: not text
        raise _Refused(char)
    for group, mapped in (
        (_DASHES, "-"),
        (_DOTS, "."),
        (_SLASHES, "/"),
        (_OPENING, "("),
        (_CLOSING, ")"),
        (_PLUSES, "+"),
        (_HASHES, "#"),
        (_STARS, "*"),
    ):
        if char in group:
            return mapped
    if "\uff01" <= char <= "\uff5e":  # full-width ASCII letters and signs
        return chr(ord(char) - 0xFEE0)
    return char


def clean_text(text: str) -> str:
    """``text`` with digits in ASCII, separators unified, line breaks as ``\\n``, format characters gone.

    Raises :class:`TextError` for text that is empty, too long, or holds
    control characters other than line breaks and tabs.
    """
    if not isinstance(text, str):
        raise TextError("The text must be a string.")
    if len(text) > MAX_TEXT_LENGTH:
        raise TextError(f"The text is too long (at most {MAX_TEXT_LENGTH} characters).")
    if not text.strip():
        raise TextError("The text is empty.")
    try:
        return "".join(_map_char(char) for char in text)
    except _Refused:
        raise TextError(
            "The text holds control characters (binary data?); copy just the phone number."
        ) from None


# --- Free text -------------------------------------------------------------------

# A number is digit groups separated by one space (two at most), one dot, dash
# or slash, or parentheses; " - " or " / " ends it, so that two numbers on one
# line are not glued together.
_TOKEN = re.compile(r"(?P<digits>\d+)|(?P<sep>[ ()./-]+)|(?P<plus>\+)|(?P<other>.)", re.DOTALL)
_GAP = re.compile(r" {0,2}|[./-]")
_EXTENSION = re.compile(
    rf"""
    [ )]* [,;]? [ ]*
    (?: ;?ext= | ext(?:ension|n)?(?![a-z])\.? | poste(?![a-z]) | x | \# )
    [ ]* [:.]? [ ]*
    (?P<ext>\d{{1,{MAX_EXTENSION_LENGTH}}}) (?!\d)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_FEATURE_CODE = re.compile(r"[*#][0-9*#]{0,31}")


def _gap_ok(gap: str) -> bool:
    """Can ``gap`` separate two digit groups of one number?"""
    if gap.count("(") > 1 or gap.count(")") > 1:
        return False
    return _GAP.fullmatch(gap.replace("(", "").replace(")", "")) is not None


def _line_candidates(line: str) -> list[Candidate]:
    """Every number of one line, in order."""
    tokens = [(match.lastgroup, match.group(), match.start(), match.end()) for match in _TOKEN.finditer(line)]
    count = len(tokens)

    def is_sep(index: int, test) -> bool:
        return 0 <= index < count and tokens[index][0] == "sep" and test(tokens[index][1])

    found: list[Candidate] = []
    index = 0
    while index < count and len(found) < MAX_CANDIDATES:
        kind, _value, start, _end = tokens[index]
        before = line[start - 1] if start else " "
        first, plus = (index - 1 if is_sep(index - 1, lambda sep: sep.endswith("(")) else index), False
        if kind == "plus":
            # "+33", "+ 33", "+(33)"; not "1+1" or "C++11".
            digits_at = index + 2 if is_sep(index + 1, lambda sep: sep in (" ", "(", " (")) else index + 1
            if before.isalnum() or before == "+" or digits_at >= count or tokens[digits_at][0] != "digits":
                index += 1
                continue
            plus, index = True, digits_at
        elif kind != "digits" or before.isalpha():
            # Digits glued to a letter (A320, ID12, FR76) are not a phone number.
            index += 1
            continue

        groups: list[str] = []
        while True:
            group = tokens[index][1]
            international = plus or (bool(groups) and groups[0].startswith("00"))
            in_parentheses = is_sep(index - 1, lambda sep: sep.endswith("(")) and is_sep(
                index + 1, lambda sep: sep.startswith(")")
            )
            if not (group == "0" and in_parentheses and international and groups):
                groups.append(group)  # else: the "(0)" after a country code is not dialed
            end = tokens[index][3]
            if index + 2 < count and tokens[index + 2][0] == "digits" and is_sep(index + 1, _gap_ok):
                index += 2
                continue
            index += 1
            break

        extension = ""
        match = _EXTENSION.match(line, end)
        if match:
            extension, end = match.group("ext"), match.end()
            while index < count and tokens[index][2] < end:
                index += 1
        found.append(
            Candidate(
                number=("+" if plus else "") + "".join(groups),
                extension=extension,
                source="text",
                raw=line[tokens[first][2] : end].strip(" -./)"),
            )
        )
    return found


def find_in_text(cleaned: str) -> list[Candidate]:
    """Every number of the text (already passed through :func:`clean_text`), in order."""
    stripped = cleaned.strip()
    if _FEATURE_CODE.fullmatch(stripped):
        return [Candidate(number=stripped, source="feature code", raw=stripped)]
    found: list[Candidate] = []
    for line in cleaned.split(_BREAK):
        if any(char.isdigit() for char in line):
            found.extend(_line_candidates(line))
        if len(found) >= MAX_CANDIDATES:
            break
    return found[:MAX_CANDIDATES]


# --- URIs (RFC 3966 tel:, callto:, sip:) -------------------------------------------

_URI = re.compile(r"(?<![a-z0-9+.-])(?P<scheme>tel|callto|sips?):(?P<body>[^\s<>\"'\]},]+)", re.IGNORECASE)
_VISUAL_SEPARATORS = re.compile(r"[ ()./-]")
_URI_NUMBER = re.compile(r"\+?[0-9*#]+")


def _decode(part: str) -> str:
    """Percent-decoded, then cleaned like any text; a decoded control character (%0D, %00) is refused."""
    decoded = unquote(part, errors="replace")
    try:
        if any(unicodedata.category(char) == "Cc" for char in decoded):
            raise _Refused(decoded)
        return "".join(_map_char(char) for char in decoded)
    except _Refused:
        raise TextError("The link holds control characters; copy just the phone number.") from None


def _subscriber(scheme: str, body: str) -> str:
    """The telephone-subscriber part of a URI body (number and its ``;`` parameters)."""
    if scheme == "callto":
        return body.lstrip("/").split("?", 1)[0]
    if scheme in ("sip", "sips"):
        if "@" not in body:
            return body.split(";", 1)[0].split("?", 1)[0]
        user = body.split("@", 1)[0]
        return user.split(":", 1)[0]  # drop a password
    return body.split("?", 1)[0]


def parse_uri(scheme: str, body: str) -> Candidate | None:
    """The number of one ``tel:``/``callto:``/``sip:`` URI, or None if it holds none.

    ``;ext=`` gives the extension; a ``;phone-context=`` made of a global
    number ("+33") is put in front of a local number, as libphonenumber does;
    a domain context is ignored (the number is then local to the PBX).
    """
    scheme = scheme.lower()
    subscriber = _subscriber(scheme, body)
    number_part, *parameters = subscriber.split(";")
    number = _VISUAL_SEPARATORS.sub("", _decode(number_part))
    if not _URI_NUMBER.fullmatch(number):
        return None
    number = re.sub(r"^(\+\d{1,3})\(0\)", r"\1", number)
    extension = ""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        name = name.strip().lower()
        value = _VISUAL_SEPARATORS.sub("", _decode(value))
        if name == "ext":
            if not value.isdigit() or len(value) > MAX_EXTENSION_LENGTH:
                raise TextError("The extension in the link is not a short number.")
            extension = value
        elif name == "phone-context" and value.startswith("+") and not number.startswith("+"):
            if not value[1:].isdigit():
                raise TextError("The phone-context of the link is not a number.")
            number = value + number
    raw = f"{scheme}:{body}"
    return Candidate(number=number, extension=extension, source=f"{scheme}: URI", raw=raw[:200])


def find_numbers(text: str) -> list[Candidate]:
    """Every number of ``text``, in order; only the number of the first URI if it has a dialable one.

    Raises :class:`TextError` for text that is empty, too long, or holds
    control characters other than line breaks and tabs.
    """
    cleaned = clean_text(text)
    for match in _URI.finditer(text):
        after = text[match.end() : match.end() + 3].lstrip("(")
        if after[:1].isspace() and after[1:2].isdigit():
            continue  # "Tel:+33 1 23 45 67 89": a label before a number, not a link
        candidate = parse_uri(match.group("scheme"), match.group("body"))
        if candidate is not None:
            return [candidate]  # a link says exactly which number is meant
    return find_in_text(cleaned)
