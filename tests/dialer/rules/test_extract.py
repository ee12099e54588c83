"""Finding numbers in text (pure): what counts as one number, where it came from, what is refused."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks

from dialer.extract import MAX_CANDIDATES, Candidate, TextError, clean_text, find_numbers


def found(number: str, raw: str, **context) -> Candidate:
    """A candidate read from free text (``context``: extension, label, announced, alone, plain)."""
    return Candidate(number=number, raw=raw, **context)


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("+44 (0)20 7946 0958", [found("+442079460958", "+44 (0)20 7946 0958", alone=True, plain=False)]),
        ("(650) 253-0000", [found("6502530000", "(650) 253-0000", alone=True, plain=False)]),
        (
            "Tel.: 01 23 45 67 89 poste 12",
            [found("0123456789", "01 23 45 67 89 poste 12", extension="12", label="work", announced=True)],
        ),
        (
            "tel:+1-650-253-0000;ext=7",
            [Candidate("+16502530000", "7", "tel: URI", "tel:+1-650-253-0000;ext=7", alone=True)],
        ),
        ("*61", [Candidate("*61", "", "feature code", "*61", alone=True)]),
        # Two numbers on a line, separated by " / " or " - ", or by a line break, stay two.
        (
            "01 23 45 67 89 / 06 12 34 56 78",
            [found("0123456789", "01 23 45 67 89"), found("0612345678", "06 12 34 56 78")],
        ),
        ("0123 - 4567", [found("0123", "0123"), found("4567", "4567")]),
        ("01 23\n45 67", [found("0123", "01 23"), found("4567", "45 67")]),
        ("0123\t4567", [found("0123", "0123"), found("4567", "4567")]),
        # "(0)" is dropped only after a country code.
        (
            "0044 (0) 20 7946 0958",
            [found("00442079460958", "0044 (0) 20 7946 0958", alone=True, plain=False)],
        ),
        ("+33 1 (0)2", [found("+3312", "+33 1 (0)2", alone=True, plain=False)]),
        ("(0)20 7946 0958", [found("02079460958", "(0)20 7946 0958", alone=True, plain=False)]),
        # A plus glued to a word or a number is not a country code, and the digits are part of a token.
        (
            "C++11 and 1+1",
            [found("11", "11", plain=False), found("1", "1", plain=False), found("1", "1", plain=False)],
        ),
        ("no digits at all", []),
        # The part of the input is quoted as written (full-width digits, no-break spaces).
        (
            "Tél.\u00a0: \uff10\uff11\u00a023",
            [found("0123", "\uff10\uff11\u00a023", label="work", announced=True)],
        ),
    ],
)
def test_it_finds(text, candidates):
    assert find_numbers(text) == candidates


def test_the_link_wins_over_the_text_around_it():
    found = find_numbers('Office 01 23 45 67 89, mobile <a href="tel:+33612345678">here</a>')
    assert [candidate.number for candidate in found] == ["+33612345678"]


def test_a_label_glued_to_a_number_is_not_a_link():
    found = find_numbers("Tel:+33 1 23 45 67 89")
    assert [candidate.number for candidate in found] == ["+33123456789"]


def test_it_collects_a_bounded_number_of_candidates():
    assert len(find_numbers(" ; ".join(["12"] * 500))) == MAX_CANDIDATES
    assert len(find_numbers("\n".join(["12"] * 500))) == MAX_CANDIDATES


def test_clean_text_unifies_digits_and_separators():
    assert (
        clean_text("\uff10\u0661\u0968 \u00a0\u2009\u2013\uff0b\u200b\uff45\uff58\uff54\r\n")
        == "012   -+ext\n\n"
    )


@pytest.mark.parametrize("text", ["\x00", "1\x07", "\x1b[0m", "\x7f", "\x9b", "\ud800", "\ue000"])
def test_clean_text_refuses_junk(text):
    with pytest.raises(TextError, match="control characters"):
        clean_text(text)


def test_clean_text_refuses_what_is_not_text():
    with pytest.raises(TextError, match="must be a string"):
        clean_text(b"0123456789")  # type: ignore[arg-type]


def test_a_bad_default_country_is_a_system_check_error(settings):
    assert not [error for error in run_checks() if error.id == "dialer.E001"]
    settings.ASTITRAY_DEFAULT_COUNTRY = "XX"
    errors = [error for error in run_checks() if error.id == "dialer.E001"]
    assert len(errors) == 1
    assert "ASTITRAY_DEFAULT_COUNTRY" in errors[0].msg
