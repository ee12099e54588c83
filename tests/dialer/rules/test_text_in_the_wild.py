"""Text as people paste it (issue 15): prose, signatures with a fax, pause characters, vanity numbers.

Pure functions, no database: :func:`dialer.rewrite.rewrite` on the French,
British, American, German, Spanish and Italian plans.
"""

from __future__ import annotations

import pytest

from dialer.choices import NO_NUMBER, ONLY_SHORT
from dialer.rewrite import DialPlan, RewriteError, rewrite
from tests.dialer.rules.cases import FR, GB, US

DE = DialPlan("DE", outside_prefix="0")
ES = DialPlan("ES", outside_prefix="0", national_prefix="")
IT = DialPlan("IT", outside_prefix="0", national_prefix="")


def refusal(text: str, plan: DialPlan = FR) -> str:
    with pytest.raises(RewriteError) as caught:
        rewrite(text, plan)
    return caught.value.message


# --- Prose never dials a short number ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Meeting at 10:30 on 2024-05-12, room 4", NO_NUMBER),
        ("Meeting at 10:30", NO_NUMBER),
        ("10:30", NO_NUMBER),
        ("Rendez-vous à 10h30, salle 12", ONLY_SHORT),
        ("Invoice 2024", ONLY_SHORT),
        ("Invoice #2024", ONLY_SHORT),
        ("Version 3.11", ONLY_SHORT),
        ("3.11", ONLY_SHORT),
        ("Python 3.11.2", ONLY_SHORT),
        ("price: 1500 EUR", ONLY_SHORT),
        ("Total: 3 x 1500 EUR", NO_NUMBER),
        ("€1500", ONLY_SHORT),
        ("4 kg", NO_NUMBER),
        ("12 kg", ONLY_SHORT),
        ("50 %", ONLY_SHORT),
        ("ISO-9001", ONLY_SHORT),
        ("Office 12", ONLY_SHORT),
        ("Bureau 214, 2e étage", ONLY_SHORT),
        ("port 8080", ONLY_SHORT),
        ("Le 12/05/2024 à 14:00", NO_NUMBER),
        ("192.168.1.10", NO_NUMBER),
        ("C++11", ONLY_SHORT),
    ],
)
def test_prose_never_dials_a_short_number(text, message):
    assert refusal(text) == message


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1001", "1001"),
        (" 1001. ", "1001"),
        ("(1001)", "1001"),
        ("poste 1234", "1234"),
        ("Poste direct : 1234", "1234"),
        ("ext. 12", "12"),
        ("ext.12", "12"),
        ("x1234", "1234"),
        ("Extension 4711", "4711"),
        ("Durchwahl 4711", "4711"),
        ("DW 4711", "4711"),
        ("interno 4711", "4711"),
        ("Tel. 4711", "4711"),
        ("Tél : 4711", "4711"),
        ("Hotline 3949", "3949"),
        ("Appelez le 3949", "3949"),
        ("Call 1001 for the front desk", "1001"),
        ("118 118", "0118118"),
        # A long number is found in any prose, next to times and dates.
        ("Meeting at 10:30 on 2024-05-12, call 01 42 68 53 00", "00142685300"),
    ],
)
def test_a_short_number_alone_or_labelled_is_dialed(text, number):
    assert rewrite(text, FR).number == number


# --- Faxes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "text", "e164", "fax"),
    [
        (FR, "Fax 01 42 68 53 01 - Tél 01 42 68 53 00", "+33142685300", "+33142685301"),
        (FR, "Télécopie : 01 42 68 53 01 — Téléphone : 01 42 68 53 00", "+33142685300", "+33142685301"),
        (FR, "Tél/Fax : 01 42 68 53 01\nPortable : 06 12 34 56 78", "+33612345678", "+33142685301"),
        (FR, "01 42 68 53 01 (fax)\n01 42 68 53 00", "+33142685300", "+33142685301"),
        (FR, "Téléphone\n01 42 68 53 00\nFax\n01 42 68 53 01", "+33142685300", "+33142685301"),
        (FR, "Fax\t01 42 68 53 01\nTél.\t01 42 68 53 00", "+33142685300", "+33142685301"),
        (FR, "Numéro de fax : 01 42 68 53 01 / standard 01 42 68 53 00", "+33142685300", "+33142685301"),
        (GB, "F: +44 20 7946 0959 | T: +44 20 7946 0958", "+442079460958", "+442079460959"),
        (GB, "Facsimile 020 7946 0959, Switchboard 020 7946 0958", "+442079460958", "+442079460959"),
        (DE, "Telefax: 030 1234568 · Telefon: 030 1234567", "+49301234567", "+49301234568"),
        (DE, "Fax-Nr. 030 1234568 Tel. 030 1234567", "+49301234567", "+49301234568"),
        (ES, "Fax: 912 345 679 Teléfono: 912 345 678", "+34912345678", "+34912345679"),
        (IT, "Fax 06 1234 5679 - Tel. 06 1234 5678", "+390612345678", "+390612345679"),
        (US, "Fax (650) 253-0001\nPhone (650) 253-0000", "+16502530000", "+16502530001"),
    ],
)
def test_a_fax_is_never_dialed_when_another_number_is_there(plan, text, e164, fax):
    result = rewrite(text, plan)
    assert result.e164 == e164
    assert [choice["e164"] for choice in result.choices][-1] == fax
    assert result.choices[-1]["label"] == "fax"


def test_a_fax_alone_is_dialed():
    result = rewrite("Fax : 01 42 68 53 01", FR)
    assert (result.e164, result.label) == ("+33142685301", "fax")
    assert result.steps[0].detail == "Read from the text: 01 42 68 53 01 (fax)"


def test_a_labelled_number_wins_over_an_unlabelled_one():
    text = "SIRET 01 42 68 53 99\nMobile : 06 12 34 56 78"
    result = rewrite(text, FR)
    assert (result.e164, result.label) == ("+33612345678", "mobile")
    assert [choice["e164"] for choice in result.choices] == ["+33612345678", "+33142685399"]


# --- Pause and wait characters ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "e164", "extension_digits"),
    [
        ("0142685300p12", "+33142685300", "12"),
        ("0142685300P12", "+33142685300", "12"),
        ("0142685300w12", "+33142685300", "12"),
        ("0142685300,12", "+33142685300", "12"),
        ("0142685300;12", "+33142685300", "12"),
        ("0142685300,,12", "+33142685300", "12"),
        ("01 42 68 53 00p12#", "+33142685300", "12#"),
        ("0142685300p1234p5678w9", "+33142685300", "1234p5678w9"),
        ("0142685300;1234,5678", "+33142685300", "1234p5678"),
        ("0142685300,1234;5678", "+33142685300", "1234w5678"),
        ("tel:+33142685300p12", "+33142685300", "12"),
        ("tel:+33142685300;ext=12", "+33142685300", "12"),
    ],
)
def test_post_dial_digits_are_kept_apart(text, e164, extension_digits):
    result = rewrite(text, FR)
    assert (result.e164, result.extension_digits) == (e164, extension_digits)
    assert result.number == "0" + "0" + e164[3:]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("p1234p5678w9", NO_NUMBER),
        # Without its pause, "0800 12" is not turned into the valid-looking 0800 12 34 56.
        ("0800 12p3456", "That number is too short."),
    ],
)
def test_a_number_that_needs_its_pauses_is_not_turned_into_another(text, message):
    assert refusal(text) == message


# --- Vanity numbers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "text", "e164"),
    [
        (US, "+1-800-FLOWERS", "+18003569377"),
        (US, "1-800-FLOWERS", "+18003569377"),
        (US, "1 800 GO FEDEX", "+18004633339"),
        (US, "Call 1-800-MY-APPLE", "+18006927753"),
        (FR, "+1-800-FLOWERS", "+18003569377"),
    ],
)
def test_a_vanity_number_is_converted_when_the_text_is_one(plan, text, e164):
    assert rewrite(text, plan).e164 == e164


@pytest.mark.parametrize("text", ["1500 EUR", "Invoice 1-800-FLOWERS", "+1-800-flowers please"])
def test_letters_are_not_converted_in_prose(text):
    with pytest.raises(RewriteError):
        rewrite(text, US)


# --- Display ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "text", "display"),
    [
        (FR, "+33142685300", "01 42 68 53 00"),
        (FR, "+44 20 7946 0958", "+44 20 7946 0958"),
        (GB, "+44 20 7946 0958", "020 7946 0958"),
        (US, "+1 416 555 0199", "(416) 555-0199"),
        (FR, "1001", ""),
        (FR, "3949", ""),
    ],
)
def test_display_is_national_at_home_and_international_abroad(plan, text, display):
    assert rewrite(text, plan).display == display


def test_a_number_written_without_prefix_in_its_country_is_dialed_without_one():
    australia = DialPlan("AU", outside_prefix="0", international_prefix="0011", national_prefix="0")
    assert rewrite("1800 123 456", australia).number == "01800123456"  # outside line 0 + 1800 123 456
    assert rewrite("(02) 1234 5678", australia).number == "00212345678"  # outside line 0 + 02 1234 5678
