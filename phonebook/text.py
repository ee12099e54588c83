"""Folding text for search: accents, case and punctuation ignored (pure functions).

The same folding is applied to what is stored (``Contact.sort_name``,
``Contact.search_org``) and to what people type, so that "Hélène" finds
"HELENE", "o'brien" finds "O-Brien" and "jean-m" finds "Jean-Marc".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Letters that Unicode does not decompose into a base letter and a mark.
_SPECIAL = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
        "\u0131": "i",
        "ħ": "h",
        "ŧ": "t",
    }
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_SPACES = re.compile(r"\s+")
_NOT_DIGITS = re.compile(r"[^0-9]+")
_TRUNK_ZERO = re.compile(r"(?<=\d)\s*\(0\)")
_ASCII_SEPARATORS = re.compile(r"[^a-z0-9]+")
# What may stand between the digits of a number someone types: "+44 (0)20 7946-0958".
_NUMBER_TOKEN = re.compile(r"^\+?[0-9().\-/]*[0-9][0-9().\-/]*$")


def clean(value: str) -> str:
    """One line of text: control characters and runs of white space become one space."""
    if value.isprintable() and "  " not in value and value == value.strip():
        return value  # already clean: the common case, checked in C
    return _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()


def fold(value: str) -> str:
    """Lower case, no accents, words of letters and digits separated by one space.

    >>> fold("  Hélène  DUPONT-Lefèvre ")
    'helene dupont lefevre'
    """
    if value.isascii():
        return " ".join(_ASCII_SEPARATORS.sub(" ", value.lower()).split())
    decomposed = unicodedata.normalize("NFKD", value.casefold().translate(_SPECIAL))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.translate(_SPECIAL)
    return " ".join("".join(ch if ch.isalnum() else " " for ch in plain).split())


def digits_of(value: str) -> str:
    """The ASCII digits of ``value``, in order ("+44 (0)20" -> "44020")."""
    return _NOT_DIGITS.sub("", value)


@dataclass(frozen=True)
class Query:
    """What someone typed, split for searching.

    ``words``: folded words, each must start a word of the name, company or
    department; ``numbers``: digit strings, each must occur in one of the
    contact's numbers; ``text``: the words joined, for exact and prefix name
    matches (empty when the query holds digits).
    """

    words: tuple[str, ...]
    numbers: tuple[str, ...]

    @property
    def text(self) -> str:
        return "" if self.numbers else " ".join(self.words)

    def __bool__(self) -> bool:
        return bool(self.words or self.numbers)


def parse_query(value: str) -> Query:
    """Split a search into words and numbers.

    Consecutive tokens made of digits and number punctuation form one number
    ("01 42 68 53 00" is one number, not five), so that a number is found
    whatever the spacing someone typed.
    """
    words: list[str] = []
    numbers: list[str] = []
    pending = ""
    # "+44 (0)20 7946 0958": the "(0)" after a country code is not dialed, nor stored.
    for token in _TRUNK_ZERO.sub(" ", clean(value)).split():
        if token and _NUMBER_TOKEN.match(token):
            pending += digits_of(token)
            continue
        if pending:
            numbers.append(pending)
            pending = ""
        words.extend(fold(token).split())
    if pending:
        numbers.append(pending)
    return Query(words=tuple(dict.fromkeys(words)), numbers=tuple(dict.fromkeys(numbers)))
