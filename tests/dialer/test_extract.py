"""Finding numbers in text (pure): what counts as one number, where it came from, what is refused."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks

from dialer.extract import MAX_CANDIDATES, Candidate, TextError, clean_text, find_numbers


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("+44 (0)20 7946 0958", [Candidate("+442079460958", "", "text", "+44 (0)20 7946 0958")]),
        ("(650) 253-0000", [Candidate("6502530000", "", "text", "(650) 253-0000")]),
        ("Tel.: 01 23 45 67 89 poste 12", [Candidate("0123456789", "12", "text", "01 23 45 67 89 poste 12")]),
        (
            "tel:+1-650-253-0000;ext=7",
            [Candidate("+16502530000", "7", "tel: URI", "tel:+1-650-253-0000;ext=7")],
        ),
        ("*61", [Candidate("*61", "", "feature code", "*61")]),
        # Two numbers on a line, separated by " / " or " - ", or by a line break, stay two.
        (
            "01 23 45 67 89 / 06 12 34 56 78",
            [Candidate("0123456789", raw="01 23 45 67 89"), Candidate("0612345678", raw="06 12 34 56 78")],
        ),
        ("0123 - 4567", [Candidate("0123", raw="0123"), Candidate("4567", raw="4567")]),
        ("01 23\n45 67", [Candidate("0123", raw="01 23"), Candidate("4567", raw="45 67")]),
        ("0123\t4567", [Candidate("0123", raw="0123"), Candidate("4567", raw="4567")]),
        # "(0)" is dropped only after a country code.
        ("0044 (0) 20 7946 0958", [Candidate("00442079460958", raw="0044 (0) 20 7946 0958")]),
        ("+33 1 (0)2", [Candidate("+3312", raw="+33 1 (0)2")]),
        ("(0)20 7946 0958", [Candidate("02079460958", raw="(0)20 7946 0958")]),
        # A plus glued to a word or a number is not a country code.
        ("C++11 and 1+1", [Candidate("11", raw="11"), Candidate("1", raw="1"), Candidate("1", raw="1")]),
        ("no digits at all", []),
    ],
)
def test_it_finds(text, found):
    assert find_numbers(text) == found


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
