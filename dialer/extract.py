"""Find phone numbers in free text: pure functions, no database, no numbering plan.

People copy numbers from anywhere: e-mail signatures, web pages,
spreadsheets, ``tel:`` links. This module turns such text into candidate
numbers made of ASCII digits (with a leading ``+`` when one was written),
each with the extension digits found after it, kept apart, and what the
text says around it. Which candidate is a phone number of which country,
and which one is meant, is decided later, by :mod:`dialer.rewrite` with the
``phonenumbers`` library.

What it understands:

- ``tel:``, ``callto:``, ``sip:``/``sips:`` URIs (:mod:`dialer.uris`);
- separators inside a number: spaces (also non-breaking, thin and
  ideographic spaces), dots, dashes, slashes, parentheses; invisible format
  characters (zero-width spaces, direction marks) are ignored
  (:mod:`dialer.cleaning`);
- a "(0)" after a country code ("+44 (0)20 7946 0958") is dropped;
- any Unicode decimal digits (full-width, Arabic-Indic, ...) and full-width
  ``+``, ``#`` and letters;
- an extension after the number: ``ext``, ``ext.``, ``extn``, ``extension``,
  ``x``, ``#``, ``poste``, ``;ext=``; post-dial digits after a pause or wait
  character (``0142685300p12``, ``w``, ``,``, ``;``), kept apart too;
- the label before a number ("Fax", "Tél.", "Mobile", "F:") or in
  parentheses after it (:mod:`dialer.labels`);
- a vanity number (``+1-800-FLOWERS``) when the whole text is one;
- a whole text that is a feature code made of digits, ``*`` and ``#``
  ("*61", "#31#") is kept as it is.

Never a number: a time, a date, an IP address (:mod:`dialer.prose`). A
number never spans two lines or two tab-separated cells. Text holding
control characters other than line breaks and tabs (binary junk, NUL) is
refused with :class:`TextError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import phonenumbers

from dialer import labels, prose
from dialer.cleaning import MAX_TEXT_LENGTH, TextError, clean_text, clean_with_origins
from dialer.uris import MAX_EXTENSION_LENGTH, URI, parse_uri, post_dial

__all__ = [
    "MAX_CANDIDATES",
    "MAX_EXTENSION_LENGTH",
    "MAX_TEXT_LENGTH",
    "Candidate",
    "TextError",
    "clean_text",
    "find_numbers",
]

MAX_CANDIDATES = 20
"""At most this many numbers are collected from one text."""


@dataclass(frozen=True)
class Candidate:
    """A number found in the text.

    ``number`` holds ASCII digits, with a leading ``+`` when the text had one
    (or a ``tel:`` URI's phone-context gave the country), or a feature code
    of digits, ``*`` and ``#``. ``extension`` holds the extension digits
    (``p``/``w`` between groups of post-dial digits) or ``""``. ``source``
    says where it came from, for the explanation of the steps ("tel: URI",
    "text", "feature code", "vanity number"); ``raw`` is the part of the
    input it was read from (at most one line).

    What the text says around it: ``label`` is its kind ("work", "mobile",
    "home", "fax", "other" or ""); ``announced`` is true when a phone or
    extension word stands right before it ("Tel", "poste", "x"); ``alone``
    when nothing but punctuation surrounds it; ``plain`` when its digit
    groups are separated by spaces or dashes only (not "3.11") and it is
    neither glued to other characters nor an amount or a quantity. A
    short number is dialed only when plain, and alone or announced
    (:mod:`dialer.choices`).
    """

    number: str
    extension: str = ""
    source: str = "text"
    raw: str = ""
    label: str = ""
    announced: bool = False
    alone: bool = False
    plain: bool = True

    @property
    def explicit(self) -> bool:
        """Does the text say exactly which number it is (a link, a feature code)?"""
        return self.source not in ("text", "vanity number")


# --- Free text -------------------------------------------------------------------

# A number is digit groups separated by one space (two at most), one dot, dash
# or slash, or parentheses; " - " or " / " ends it, so that two numbers on one
# line are not glued together.
_TOKEN = re.compile(r"(?P<digits>\d+)|(?P<sep>[ ()./-]+)|(?P<plus>\+)|(?P<other>[^\d ()./+-]+)")
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
_POST_DIAL = re.compile(r"(?P<post>(?:[pw,;]+[0-9*#]+)+)[pw,;]*(?![^\W_])", re.IGNORECASE)
_FEATURE_CODE = re.compile(r"[*#][0-9*#]{0,31}")
_GLUED_WORD = re.compile(r"(?P<word>[^\W\d_]+)$")
_JOINED_BEFORE = re.compile(r"(?:(?P<word>[^\W\d_]+)|\d)[-./]$")
_JOINED_AFTER = re.compile(r"[-./][^\W_]")
_GLUE = frozenset("+#_@=&°'\\*%$€£¥²³")
_ALNUM = re.compile(r"[^\W_]")
_LOOK_BACK = 60


@dataclass
class _Run:
    """Digit groups read as one number, and where they are in the cleaned text."""

    start: int
    end: int
    groups: list[str]
    gaps: list[str]
    plus: bool
    glued_word: str = ""
    extension: str = ""


class _Tokens:
    """The tokens of a cleaned text: (kind, value, start, end)."""

    def __init__(self, cleaned: str) -> None:
        self.items = [(m.lastgroup or "", m.group(), m.start(), m.end()) for m in _TOKEN.finditer(cleaned)]

    def sep(self, index: int, test: Callable[[str], bool]) -> bool:
        return 0 <= index < len(self.items) and self.items[index][0] == "sep" and test(self.items[index][1])

    def digits(self, index: int) -> bool:
        return 0 <= index < len(self.items) and self.items[index][0] == "digits"


def _gap_ok(gap: str) -> bool:
    """Can ``gap`` separate two digit groups of one number?"""
    if gap.count("(") > 1 or gap.count(")") > 1:
        return False
    return _GAP.fullmatch(gap.replace("(", "").replace(")", "")) is not None


def _run_start(cleaned: str, tokens: _Tokens, index: int) -> tuple[int, bool, str] | None:
    """Where a number starting at token ``index`` begins: (digits token index, plus, glued word), or None."""
    kind, _value, start, _end = tokens.items[index]
    before = cleaned[start - 1] if start else " "
    if kind == "plus":
        # "+33", "+ 33", "+(33)"; not "1+1" or "C++11".
        at = index + 2 if tokens.sep(index + 1, lambda sep: sep in (" ", "(", " (")) else index + 1
        if before.isalnum() or before == "+" or not tokens.digits(at):
            return None
        return at, True, ""
    if kind != "digits":
        return None
    if before.isalpha():
        # Digits glued to a word (A320, ID12, FR76) are no phone number, unless the word is "x", "ext".
        glued = _GLUED_WORD.search(cleaned, 0, start)
        word = glued.group("word") if glued else ""
        return (index, False, word) if labels.is_extension_word(word) else None
    return index, False, ""


def _read_groups(tokens: _Tokens, index: int, run: _Run) -> int:
    """Adds the digit groups from token ``index`` on to ``run``; returns the index after the last."""
    while True:
        group = tokens.items[index][1]
        international = run.plus or (bool(run.groups) and run.groups[0].startswith("00"))
        in_parentheses = tokens.sep(index - 1, lambda sep: sep.endswith("(")) and tokens.sep(
            index + 1, lambda sep: sep.startswith(")")
        )
        if not (group == "0" and in_parentheses and international and run.groups):
            run.groups.append(group)  # else: the "(0)" after a country code is not dialed
        run.end = tokens.items[index][3]
        if tokens.digits(index + 2) and tokens.sep(index + 1, _gap_ok):
            run.gaps.append(tokens.items[index + 1][1])
            index += 2
            continue
        return index + 1


def _read_extension(cleaned: str, run: _Run) -> int:
    """Sets ``run.extension`` from what follows the digits; returns where the number ends."""
    match = _EXTENSION.match(cleaned, run.end)
    if match:
        run.extension = match.group("ext")
        return match.end()
    match = _POST_DIAL.match(cleaned, run.end)
    if match:
        run.extension = post_dial(match.group("post"))
        return match.end()
    return run.end


def _runs(cleaned: str) -> list[tuple[_Run, int]]:
    """Every run of digit groups of the text, in order, with where its extension ends."""
    tokens = _Tokens(cleaned)
    found: list[tuple[_Run, int]] = []
    index, count = 0, len(tokens.items)
    while index < count and len(found) < MAX_CANDIDATES:
        begun = _run_start(cleaned, tokens, index)
        if begun is None:
            index += 1
            continue
        at, plus, glued_word = begun
        start = tokens.items[index][2]
        if tokens.sep(index - 1, lambda sep: sep.endswith("(")):
            start = tokens.items[index - 1][3] - 1  # "(650) 253-0000": the number starts at "("
        run = _Run(start=start, end=0, groups=[], gaps=[], plus=plus, glued_word=glued_word)
        index = _read_groups(tokens, at, run)
        end = _read_extension(cleaned, run)
        while index < count and tokens.items[index][2] < end:
            index += 1
        found.append((run, end))
    return found


def _is_plain(cleaned: str, run: _Run, end: int) -> bool:
    """Digits with only spaces or dashes between groups, not glued to other characters, not an amount."""
    if any(gap.strip(" -") for gap in run.gaps):
        return False  # "3.11", "1/2": a version, a decimal, a fraction ("118 118", "20-123" are fine)
    if prose.is_amount(cleaned[max(0, run.start - 12) : run.start], cleaned[end : end + 16]):
        return False
    before = cleaned[run.start - 1] if run.start else " "
    after = cleaned[end] if end < len(cleaned) else " "
    if (before in _GLUE and not run.plus) or after in _GLUE or after.isalpha():
        return False
    joined = _JOINED_BEFORE.search(cleaned, max(0, run.start - 40), run.start)
    if joined and not (joined.group("word") and labels.label_before(joined.group("word"))[1]):
        return False  # "ISO-9001", "1.2": part of a longer token (not "Tel.1234")
    return _JOINED_AFTER.match(cleaned, end) is None


def _segment_before(cleaned: str, start: int) -> str:
    """The words that may label the number at ``start``: those since the previous number.

    Words after the previous number on its own line are that number's
    ("01 42 68 53 01 (fax)"), so the segment then starts at the next line
    (where a label may stand alone: "Fax" above its number).
    """
    low = max(0, start - _LOOK_BACK)
    position = start
    while position > low and not cleaned[position - 1].isdigit():
        position -= 1
    segment = cleaned[position:start]
    if position > 0 and cleaned[position - 1].isdigit():
        trailing = labels.trailing_label_length(segment)
        segment = segment[trailing:]
        if "\n" in segment:
            segment = segment[segment.index("\n") + 1 :]
    return segment


def _original(text: str, origins: Sequence[int], start: int, end: int) -> str:
    """The part of the input that cleaned characters ``start:end`` came from."""
    return text[origins[start] : origins[end - 1] + 1].strip().strip(" -./)")


def _candidate(text: str, cleaned: str, origins: Sequence[int], run: _Run, end: int) -> Candidate | None:
    """The candidate a run of digits gives, or None when it is a time, a date or an address."""
    before = cleaned[max(0, run.start - 12) : run.start]
    if prose.is_never_a_number(run.groups, run.gaps, before, cleaned[run.end : run.end + 12]):
        return None
    kind, announced = labels.label_before(_segment_before(cleaned, run.start))
    return Candidate(
        number=("+" if run.plus else "") + "".join(run.groups),
        extension=run.extension,
        source="text",
        raw=_original(text, origins, run.start, end),
        label=labels.combine(kind, labels.label_after(cleaned[end : end + 20])),
        announced=announced or bool(run.glued_word),
        alone=not _ALNUM.search(cleaned, 0, run.start) and not _ALNUM.search(cleaned, end),
        plain=_is_plain(cleaned, run, end),
    )


def find_in_text(text: str, cleaned: str, origins: Sequence[int]) -> list[Candidate]:
    """Every number of ``text`` (``cleaned`` and ``origins`` by :func:`clean_with_origins`), in order."""
    stripped = cleaned.strip()
    if _FEATURE_CODE.fullmatch(stripped):
        return [Candidate(number=stripped, source="feature code", raw=text.strip(), alone=True)]
    found = []
    for run, end in _runs(cleaned):
        candidate = _candidate(text, cleaned, origins, run, end)
        if candidate is not None:
            found.append(candidate)
    return found


# --- Vanity numbers ---------------------------------------------------------------

_VANITY = re.compile(r"(?P<label>[^\W\d_]+\.?[ ]?:?[ ]*)?(?P<number>\+?[ (]*\d[\d ()./-]*[A-Z][A-Z\d ./-]*)")
_VANITY_LETTERS = re.compile(r"[A-Z]")
_VANITY_LENGTH = 40


def find_vanity(cleaned: str) -> Candidate | None:
    """The number of a text that is one vanity number ("+1-800-FLOWERS", "Tel: 1 800 GO FEDEX"), or None.

    Letters (capitals, as vanity numbers are written) are read as on a
    phone's keypad; the text must be the number alone, or after a phone
    word. Whether it is a real number is for the dial plan to say
    (:mod:`dialer.rewrite` dials it only if valid).
    """
    stripped = cleaned.strip()
    if len(stripped) > _VANITY_LENGTH:
        return None  # a vanity number is a short text; and the pattern must not scan a long one
    match = _VANITY.fullmatch(stripped)
    if match is None or _EXTENSION.search(match.group("number")):
        return None
    label, announced = labels.label_before(match.group("label") or "")
    if match.group("label") and not announced:
        return None
    written = match.group("number").strip()
    letters = len(_VANITY_LETTERS.findall(written))
    digits = sum(char.isdigit() for char in written)
    if letters < 3 or digits < 3 or not 7 <= letters + digits <= 17:
        return None
    converted = phonenumbers.convert_alpha_characters_in_number(written)
    number = ("+" if written.startswith("+") else "") + "".join(c for c in converted if c.isdigit())
    return Candidate(
        number=number,
        source="vanity number",
        raw=written,
        label=label,
        announced=announced,
        alone=not match.group("label"),
    )


# --- All together -------------------------------------------------------------------


def _link(text: str) -> Candidate | None:
    """The number of the first link of ``text`` that holds one, or None."""
    for match in URI.finditer(text):
        after = text[match.end() : match.end() + 3].lstrip("(")
        if after[:1].isspace() and after[1:2].isdigit():
            continue  # "Tel:+33 1 23 45 67 89": a label before a number, not a link
        link = parse_uri(match.group("scheme"), match.group("body"))
        if link is not None:
            return Candidate(
                number=link.number,
                extension=link.extension,
                source=f"{match.group('scheme').lower()}: URI",
                raw=link.raw,
                alone=True,
            )
    return None


def find_numbers(text: str) -> list[Candidate]:
    """Every number of ``text``, in order; only the number of the first URI if it has a dialable one.

    A vanity number comes first, before the digits read from the same text.
    Raises :class:`TextError` for text that is empty, too long, or holds
    control characters other than line breaks and tabs.
    """
    cleaned, origins = clean_with_origins(text)
    link = _link(text)
    if link is not None:
        return [link]  # a link says exactly which number is meant
    vanity = find_vanity(cleaned)
    found = find_in_text(text, cleaned, origins)
    return ([vanity] if vanity is not None else []) + found[: MAX_CANDIDATES - (vanity is not None)]
