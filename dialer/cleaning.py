"""Text as the number scanner sees it: ASCII digits, one kind of each separator, no invisible characters.

Pure functions. :func:`clean_text` maps the text character by character,
and :func:`clean_with_origins` also says where each cleaned character came
from, so that the part of the input a number was read from can be quoted
exactly as the user wrote it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from dialer.phrases import _

MAX_TEXT_LENGTH = 4096
"""Longest text accepted (characters): a whole e-mail signature fits many times."""

BREAK = "\n"
"""Line breaks, tabs and other whitespace controls become this: a number never crosses one."""


class TextError(ValueError):
    """The text cannot hold a number. ``str(err)`` is one short sentence for a person."""


class Refused(Exception):
    """A character that must not be in the text."""


# What separators, plus and hash signs look like in the wild.
_SPACE = " "  # every Unicode space separator (Zs) becomes this
_GROUPS = (
    (frozenset("-\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d"), "-"),
    (frozenset(".\u2024\uff0e\u3002"), "."),
    (frozenset("/\u2215\uff0f"), "/"),
    (frozenset("(\uff08"), "("),
    (frozenset(")\uff09"), ")"),
    (frozenset("+\ufe62\uff0b"), "+"),
    (frozenset("#\ufe5f\uff03"), "#"),
    (frozenset("*\ufe61\uff0a\u2217"), "*"),
)


@lru_cache(maxsize=4096)
def map_char(char: str) -> str:
    """The character as the scanner sees it ("" to drop it); raises :class:`Refused` for junk."""
    if "0" <= char <= "9" or "a" <= char <= "z" or "A" <= char <= "Z":
        return char
    digit = unicodedata.decimal(char, None)
    if digit is not None:
        return str(digit)
    category = unicodedata.category(char)
    if category == "Cc":
        if char.isspace():  # \t \n \v \f \r, the separators \x1c-\x1f, NEL
            return BREAK
        raise Refused(char)
    if category in ("Zl", "Zp"):
        return BREAK
    if category == "Zs":
        return _SPACE
    if category == "Cf":  # zero-width spaces, direction marks, soft hyphens: invisible
        return ""
    if category in ("Cs", "Co"):  # lone surrogates, private use: not text
        raise Refused(char)
    for group, mapped in _GROUPS:
        if char in group:
            return mapped
    if "\uff01" <= char <= "\uff5e":  # full-width ASCII letters and signs
        return chr(ord(char) - 0xFEE0)
    return char


def _check(text: str) -> None:
    if not isinstance(text, str):
        raise TextError(_("The text must be a string."))
    if len(text) > MAX_TEXT_LENGTH:
        raise TextError(_("The text is too long (at most %(length)s characters).", length=MAX_TEXT_LENGTH))
    if not text.strip():
        raise TextError(_("The text is empty."))


def _refused() -> TextError:
    return TextError(_("The text holds control characters (binary data?); copy just the phone number."))


def clean_text(text: str) -> str:
    """``text`` with digits in ASCII, separators unified, line breaks as ``\\n``, format characters gone.

    Raises :class:`TextError` for text that is empty, too long, or holds
    control characters other than line breaks and tabs.
    """
    _check(text)
    try:
        return "".join(map_char(char) for char in text)
    except Refused:
        raise _refused() from None


_ASCII_JUNK = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
_ASCII_BREAKS = dict.fromkeys((9, 11, 12, 13, 28, 29, 30, 31), BREAK)


def clean_with_origins(text: str) -> tuple[str, Sequence[int]]:
    """:func:`clean_text` of ``text``, and for each cleaned character the index of its original one.

    Raises :class:`TextError` as :func:`clean_text` does.
    """
    _check(text)
    if text.isascii():  # the common case, in C: only whitespace controls change, one for one
        if _ASCII_JUNK.search(text):
            raise _refused()
        return text.translate(_ASCII_BREAKS), range(len(text))
    parts: list[str] = []
    origins: list[int] = []
    try:
        for index, char in enumerate(text):
            mapped = map_char(char)
            if mapped:
                parts.append(mapped)
                origins.extend([index] * len(mapped))
    except Refused:
        raise _refused() from None
    return "".join(parts), origins
