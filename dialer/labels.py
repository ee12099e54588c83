"""What the words around a number say it is: a work, mobile, home or fax number, an extension.

Pure functions over text already cleaned by :mod:`dialer.cleaning`. The
words are those of signatures and address books in English, French,
German, Spanish, Italian and Dutch. A fax label matters most: a fax is
never dialed when the text holds another number.
"""

from __future__ import annotations

import re
import unicodedata

FAX, MOBILE, HOME, WORK, OTHER = "fax", "mobile", "home", "work", "other"

_PRIORITY = (FAX, MOBILE, HOME, WORK, OTHER)
"""When several label words stand before a number ("Tel/Fax", "Fax (bureau)"), the first kind wins."""

_WORDS = {
    FAX: """fax faxe faxes telefax telecopie telecopieur telecopy facsimile facsimil fx faxnummer
        faxnr faxno""",
    MOBILE: """mobile mob mobil mobiel mobiltelefon cell cellular cellphone portable gsm handy
        movil celular cellulare cel natel""",
    HOME: """home domicile maison prive private privat casa particulier particular zuhause thuis""",
    WORK: """tel tele telephone telefon telefono tfno tlf tfn phone ph fon fone work office bureau
        business direct directe diretto standard switchboard buro dienstlich geschaftlich trabajo
        oficina lavoro ufficio werk kantoor ligne ext extn extension poste durchwahl dw nebenstelle
        interno interne interna anexo extensao""",
    OTHER: """other autre andere sonstige otro altro hotline call appel appelez appeler anrufen
        llame llamar chiamare chiama bellen""",
}
_KIND_OF_WORD = {word: kind for kind, words in _WORDS.items() for word in words.split()}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EXTENSION_WORDS = _words(
    "x ext extn extension poste durchwahl dw nebenstelle interno interne interna anexo extensao"
)
"""Words that make a short number an extension even glued to it ("x1234", "ext.12")."""

_DIAL_WORDS = _EXTENSION_WORDS | _words(
    """tel tele telephone telefon telefono tfno tlf tfn phone ph fon mobile mob mobil mobiel cell
    cellphone portable gsm handy movil celular cellulare natel fax telefax telecopie hotline call
    appel appelez appeler anrufen llame llamar chiamare chiama bellen"""
)
"""Words that say the next number is to be called, so that a short number after them is one.

Not "office", "bureau", "room", "standard", "ligne": "Office 12", "Bureau 214"
are rooms as often as phones.
"""

_LETTERS = {"f": FAX, "m": MOBILE, "h": HOME, "t": WORK, "p": WORK, "w": WORK, "o": WORK, "x": WORK}
"""One-letter labels, as in "T: +44 20 7946 0958 | F: +44 20 7946 0959": only right before the number."""

_WORD = re.compile(r"[^\W\d_]+")
_ONE_LETTER = re.compile(r"(?:^|[^\w])(?P<letter>[A-Za-z])\s*[:.]?\s*$")
_LOOK_BACK = 3
"""How many words before a number may label it ("Numéro de fax : …", "Mobile phone number: …")."""

_AFTER = re.compile(r"\s*[(\[]\s*(?P<word>[^\W\d_]+)\.?\s*[)\]]")


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _best(kinds: list[str]) -> str:
    for kind in _PRIORITY:
        if kind in kinds:
            return kind
    return ""


def label_before(segment: str) -> tuple[str, bool]:
    """The kind of number the words at the end of ``segment`` announce ("" if none), and whether
    they say it is to be called (a phone or extension word, which a short number needs).

    ``segment`` is the text between the previous number (or the start) and
    this one. Only its last few words count, so that a word far before the
    number labels nothing.
    """
    words = [_fold(word) for word in _WORD.findall(segment)[-_LOOK_BACK:]]
    kinds = [_KIND_OF_WORD[word] for word in words if word in _KIND_OF_WORD]
    dial = any(word in _DIAL_WORDS for word in words)
    one = _ONE_LETTER.search(segment)
    if one is not None:
        letter = one.group("letter").lower()
        if letter in _LETTERS:
            kinds.append(_LETTERS[letter])
    return _best(kinds), dial


def label_after(rest: str) -> str:
    """The kind a word in parentheses right after a number gives it ("… 01 42 68 53 01 (fax)"), or ""."""
    match = _AFTER.match(rest)
    if match is None:
        return ""
    return _KIND_OF_WORD.get(_fold(match.group("word")), "")


def trailing_label_length(rest: str) -> int:
    """How many characters of ``rest`` a label in parentheses right after a number takes (0: none)."""
    match = _AFTER.match(rest)
    return match.end() if match is not None and label_after(rest) else 0


def combine(before: str, after: str) -> str:
    """One kind from the words before and after a number."""
    return _best([kind for kind in (before, after) if kind])


def is_extension_word(word: str) -> bool:
    """Is ``word`` (letters glued before digits: "x", "ext", "poste") an extension label?"""
    return _fold(word) in _EXTENSION_WORDS
