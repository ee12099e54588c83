"""The rewrite pipeline over many texts, countries and dial plans (pure functions, no database)."""

from __future__ import annotations

import pytest

from dialer.rewrite import DialPlan, RewriteError, Rule, rewrite
from tests.dialer.rules.cases import FR, GB, US

DE = DialPlan("DE", outside_prefix="0", international_prefix="00", national_prefix="0")
IT = DialPlan("IT", outside_prefix="0", international_prefix="00", national_prefix="")
BE_NO_OUTSIDE = DialPlan("BE", outside_prefix="", international_prefix="00", national_prefix="0")
FR_NO_INTERNAL = DialPlan(
    "FR", outside_prefix="0", international_prefix="00", national_prefix="0", internal_pattern=""
)
FR_FEATURE_CODES = DialPlan("FR", outside_prefix="0", internal_pattern=r"^(\d{2,5}|\*\d{2,3}|#\d{2}#)$")

# (plan, text, number, e164, extension_digits)
CASES = [
    # France: fixed, mobile, freephone, VoIP, written every way
    (FR, "0612345678", "00612345678", "+33612345678", ""),
    (FR, "06 12 34 56 78", "00612345678", "+33612345678", ""),
    (FR, "+33 6 12 34 56 78", "00612345678", "+33612345678", ""),
    (FR, "+33612345678", "00612345678", "+33612345678", ""),
    (FR, "0033612345678", "00612345678", "+33612345678", ""),
    (FR, "+33 (0)6 12 34 56 78", "00612345678", "+33612345678", ""),
    (FR, "+33(0)612345678", "00612345678", "+33612345678", ""),
    (FR, "0033 (0)6 12 34 56 78", "00612345678", "+33612345678", ""),
    (FR, "(0)6 12 34 56 78", "00612345678", "+33612345678", ""),
    (FR, "01.23.45.67.89", "00123456789", "+33123456789", ""),
    (FR, "01-23-45-67-89", "00123456789", "+33123456789", ""),
    (FR, "01/23/45/67/89", "00123456789", "+33123456789", ""),
    (FR, "01  23  45  67  89", "00123456789", "+33123456789", ""),
    (FR, "  01 23 45 67 89  ", "00123456789", "+33123456789", ""),
    (FR, "09 70 12 34 56", "00970123456", "+33970123456", ""),
    (FR, "0800 123 456", "00800123456", "+33800123456", ""),
    # other countries from France
    (FR, "+32 2 123 45 67", "0003221234567", "+3221234567", ""),
    (FR, "+49 30 1234567", "00049301234567", "+49301234567", ""),
    (FR, "+49 (0)30 123 456 78", "000493012345678", "+493012345678", ""),
    (FR, "+41 44 668 18 00", "00041446681800", "+41446681800", ""),
    (FR, "+39 06 1234 5678", "000390612345678", "+390612345678", ""),
    (FR, "+44 7700 900123", "000447700900123", "+447700900123", ""),
    (FR, "+1 (212) 555-0123", "00012125550123", "+12125550123", ""),
    (FR, "+81 3-1234-5678", "00081312345678", "+81312345678", ""),
    (FR, "+86 10 1234 5678", "000861012345678", "+861012345678", ""),
    (FR, "+7 495 123-45-67", "00074951234567", "+74951234567", ""),
    (FR, "+61 2 9876 5432", "00061298765432", "+61298765432", ""),
    (FR, "+55 11 91234-5678", "0005511912345678", "+5511912345678", ""),
    # internal and short numbers
    (FR, "42", "42", "", ""),
    (FR, "12345", "12345", "", ""),
    (FR, "116000", "0116000", "", ""),
    (FR, "Hotline 3949", "3949", "", ""),
    (FR, "poste 1234", "1234", "", ""),
    (FR_NO_INTERNAL, "1001", "01001", "", ""),
    # URIs (RFC 3966 and friends)
    (FR, "tel:+33-1-23-45-67-89", "00123456789", "+33123456789", ""),
    (FR, "tel:01-23-45-67-89;phone-context=+33", "00123456789", "+33123456789", ""),
    (FR, "tel:1001;phone-context=pbx.example.org", "1001", "", ""),
    (FR, "tel:%2B33%201%2023%2045%2067%2089", "00123456789", "+33123456789", ""),
    (FR, "tel:+1-650-253-0000;ext=123", "00016502530000", "+16502530000", "123"),
    (FR, "tel:+33123456789;isub=1411;ext=12", "00123456789", "+33123456789", "12"),
    (FR, "TEL:+33123456789", "00123456789", "+33123456789", ""),
    (FR, "callto:+442079460958", "000442079460958", "+442079460958", ""),
    (FR, "callto://+442079460958", "000442079460958", "+442079460958", ""),
    (FR, "sip:+33123456789@gw.example.org;user=phone", "00123456789", "+33123456789", ""),
    (FR, "sips:+33123456789@gw.example.org", "00123456789", "+33123456789", ""),
    (FR, "sip:1001@pbx.example.org", "1001", "", ""),
    (FR, "sip:alice:secret@pbx.example.org  Tel 06 12 34 56 78", "00612345678", "+33612345678", ""),
    (FR, '<a href="tel:+33612345678">Call us</a>', "00612345678", "+33612345678", ""),
    (FR, "Call <tel:+33 6 12 34 56 78>", "00612345678", "+33612345678", ""),
    # Unicode digits, spaces and invisible characters
    (
        FR,
        "\uff10\uff16 \uff11\uff12 \uff13\uff14 \uff15\uff16 \uff17\uff18",
        "00612345678",
        "+33612345678",
        "",
    ),
    (
        FR,
        "\uff0b\uff13\uff13 \uff16\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",
        "00612345678",
        "+33612345678",
        "",
    ),
    (FR, "\u0660\u0666\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668", "00612345678", "+33612345678", ""),
    (FR, "\u0966\u096c\u0967\u0968\u0969\u096a\u096b\u096c\u096d\u096e", "00612345678", "+33612345678", ""),
    (FR, "06\u00a012\u00a034\u00a056\u00a078", "00612345678", "+33612345678", ""),
    (FR, "06\u200912\u200934\u200956\u200978", "00612345678", "+33612345678", ""),
    (FR, "06\u202f12\u202f34\u202f56\u202f78", "00612345678", "+33612345678", ""),
    (FR, "06\u300012\u300034\u300056\u300078", "00612345678", "+33612345678", ""),
    (FR, "\u202a+33 6 12 34 56 78\u202c", "00612345678", "+33612345678", ""),
    (FR, "06\u200b12\u200b34\u200b56\u200b78", "00612345678", "+33612345678", ""),
    (FR, "06\u201312\u201334\u201356\u201378", "00612345678", "+33612345678", ""),
    (FR, "\ufeff0612345678", "00612345678", "+33612345678", ""),
    # extensions, kept apart
    (FR, "+33 1 23 45 67 89 ext. 12", "00123456789", "+33123456789", "12"),
    (FR, "01 23 45 67 89 ext12", "00123456789", "+33123456789", "12"),
    (FR, "01 23 45 67 89 x 12", "00123456789", "+33123456789", "12"),
    (FR, "01 23 45 67 89 X12", "00123456789", "+33123456789", "12"),
    (FR, "01 23 45 67 89 #12", "00123456789", "+33123456789", "12"),
    (FR, "01 23 45 67 89 poste 4321", "00123456789", "+33123456789", "4321"),
    (FR, "01 23 45 67 89, poste 4321", "00123456789", "+33123456789", "4321"),
    (FR, "01 23 45 67 89;ext=7", "00123456789", "+33123456789", "7"),
    (FR, "+1 650 253 0000 extension 4", "00016502530000", "+16502530000", "4"),
    (FR, "+1 650 253 0000 \uff45\uff58\uff54 4", "00016502530000", "+16502530000", "4"),
    # whole signatures, spreadsheets, prose: the first phone number
    (
        FR,
        "Jean Dupont\nDirection commerciale\n12 rue de la Paix, 75002 Paris\n"
        "T\u00e9l. : 01 23 45 67 89\nFax : 01 23 45 67 90",
        "00123456789",
        "+33123456789",
        "",
    ),
    (FR, "Call me: +44 (0)20 7946 0958 (office) or +44 7700 900123", "000442079460958", "+442079460958", ""),
    (FR, "Le 12/05/2024, appelez le 06 12 34 56 78", "00612345678", "+33612345678", ""),
    (FR, "Dupont\tJean\t06 12 34 56 78\tParis", "00612345678", "+33612345678", ""),
    (FR, "Mobile: +33 (0) 6 12 34 56 78 / Bureau: 01 23 45 67 89", "00612345678", "+33612345678", ""),
    (FR, "Airbus A320, si\u00e8ge 12, T\u00e9l.04 72 00 00 00", "00472000000", "+33472000000", ""),
    (FR, "01 23 45 67 89 / 06 12 34 56 78", "00123456789", "+33123456789", ""),
    (FR, "Standard 01 23 45 67 89\r\nPoste direct 1234", "00123456789", "+33123456789", ""),
    # United Kingdom
    (GB, "020 7946 0958", "902079460958", "+442079460958", ""),
    (GB, "+44 20 7946 0958", "902079460958", "+442079460958", ""),
    (GB, "0161 496 0000", "901614960000", "+441614960000", ""),
    (GB, "07700 900123", "907700900123", "+447700900123", ""),
    (GB, "+44 (0)7700 900123", "907700900123", "+447700900123", ""),
    (GB, "0800 123 4567", "908001234567", "+448001234567", ""),
    (GB, "+33 6 12 34 56 78", "90033612345678", "+33612345678", ""),
    (GB, "+1 650 253 0000", "90016502530000", "+16502530000", ""),
    (GB, "999", "999", "", ""),
    (GB, "116123", "9116123", "", ""),
    # United States
    (US, "650-253-0000", "916502530000", "+16502530000", ""),
    (US, "650.253.0000", "916502530000", "+16502530000", ""),
    (US, "1-650-253-0000", "916502530000", "+16502530000", ""),
    (US, "+1 650 253 0000", "916502530000", "+16502530000", ""),
    (US, "+1 (416) 555-0199", "914165550199", "+14165550199", ""),
    (US, "011 44 20 7946 0958", "9011442079460958", "+442079460958", ""),
    (US, "0044 20 7946 0958", "9011442079460958", "+442079460958", ""),
    (US, "+33 1 23 45 67 89", "901133123456789", "+33123456789", ""),
    (US, "911", "911", "", ""),
    # Germany, Italy (no national prefix), Belgium without an outside line
    (DE, "030 1234567", "00301234567", "+49301234567", ""),
    (DE, "0171 1234567", "001711234567", "+491711234567", ""),
    (DE, "+33 1 23 45 67 89", "00033123456789", "+33123456789", ""),
    (IT, "06 1234 5678", "00612345678", "+390612345678", ""),
    (IT, "+39 333 123 4567", "03331234567", "+393331234567", ""),
    (BE_NO_OUTSIDE, "+32 2 123 45 67", "021234567", "+3221234567", ""),
    (BE_NO_OUTSIDE, "+33 1 23 45 67 89", "0033123456789", "+33123456789", ""),
    # feature codes, when the internal pattern says so
    (FR_FEATURE_CODES, "*61", "*61", "", ""),
    (FR_FEATURE_CODES, " #31# ", "#31#", "", ""),
]


@pytest.mark.parametrize(("plan", "text", "number", "e164", "extension"), CASES)
def test_it_rewrites(plan, text, number, e164, extension):
    result = rewrite(text, plan)
    assert (result.number, result.e164, result.extension_digits) == (number, e164, extension)
    assert result.input == text


@pytest.mark.parametrize(
    ("plan", "text", "steps"),
    [
        (FR, "+44 (0)20 7946 0958", ["extract", "e164", "dialplan", "outside_prefix", "validate"]),
        (
            FR,
            "Tel: +33 1 23 45 67 89 x 5",
            ["extract", "extension", "e164", "dialplan", "outside_prefix", "validate"],
        ),
        (FR, "1001", ["extract", "internal", "validate"]),
        (FR, "116000", ["extract", "short_number", "outside_prefix", "validate"]),
        (BE_NO_OUTSIDE, "+32 2 123 45 67", ["extract", "e164", "dialplan", "validate"]),
    ],
)
def test_it_reports_every_step(plan, text, steps):
    result = rewrite(text, plan)
    assert [step.step for step in result.steps] == steps
    assert all(step.detail for step in result.steps)


def test_the_steps_say_what_each_did():
    steps = {step.step: step for step in rewrite("+44 (0)20 7946 0958 ext. 5", FR).steps}
    assert steps["extract"].value == "+442079460958"
    assert steps["extract"].detail == "Read from the text: +44 (0)20 7946 0958 ext. 5"
    assert steps["extension"].value == "5"
    assert steps["e164"].value == "+442079460958"
    assert steps["dialplan"].value == "00442079460958"
    assert "Other country (GB)" in steps["dialplan"].detail
    assert steps["outside_prefix"].value == "000442079460958"
    national = {step.step: step for step in rewrite("01 23 45 67 89", FR).steps}
    assert national["dialplan"].value == "0123456789"
    assert national["dialplan"].detail.startswith("Same country (FR)")


@pytest.mark.parametrize(
    ("plan", "text", "message"),
    [
        (FR, "hello", "No phone number was found in that text."),
        (FR, "+", "No phone number was found in that text."),
        (FR, "-- / --", "No phone number was found in that text."),
        (FR, "A320", "No phone number was found in that text."),
        (FR, "abc123def", "No phone number was found in that text."),
        (FR, "sip:alice@example.org", "No phone number was found in that text."),
        (FR, "callto:skype.name", "No phone number was found in that text."),
        (FR, "", "The text is empty."),
        (FR, " \t\r\n ", "The text is empty."),
        (FR, "1", "That is not a phone number."),
        (FR, "123456", "That number is too short."),
        (FR, "1+1=2", "No phone number was found in that text."),
        (FR, "0" * 40, "That number is too long."),
        (FR, "12345678901234567890", "That number is too long."),
        (FR, "+999 123 456 789", "That number has an unknown country code."),
        (FR, "*61", "Feature codes (*, #) can only be dialed as internal numbers."),
        (US, "253-0000", "That number is incomplete: add the area code."),
        (FR_NO_INTERNAL, "4711", "That number is too short."),
        (FR, "tel:+33123456789;ext=abc", "The extension in the link is not a short number."),
        (FR, "tel:0123456789;phone-context=+3x", "The phone-context of the link is not a number."),
        (FR, "tel:+33%0D%0A123", "The link holds control characters; copy just the phone number."),
    ],
)
def test_it_refuses(plan, text, message):
    with pytest.raises(RewriteError) as caught:
        rewrite(text, plan)
    assert caught.value.message == message


RULES_TRUNK = (
    Rule("national calls via trunk 7", r"^0(0[1-9]\d{8})$", r"7\1"),
    Rule("mark trunk calls", r"^7", r"*7"),
)


@pytest.mark.parametrize(
    ("rules", "text", "number", "rule_steps"),
    [
        (RULES_TRUNK, "01 23 45 67 89", "*70123456789", ["national calls via trunk 7", "mark trunk calls"]),
        (
            (
                Rule(RULES_TRUNK[0].name, RULES_TRUNK[0].pattern, RULES_TRUNK[0].replacement, final=True),
                RULES_TRUNK[1],
            ),
            "01 23 45 67 89",
            "70123456789",
            ["national calls via trunk 7"],
        ),
        (RULES_TRUNK, "+44 20 7946 0958", "000442079460958", []),
        (
            (Rule("emergency via the outside line", r"^(112)$", r"0\g<1>", final=True),),
            "112",
            "0112",
            ["emergency via the outside line"],
        ),
        ((Rule("named groups", r"^(?P<all>\d{4})$", r"0\g<all>"),), "1001", "01001", ["named groups"]),
        (
            (Rule("drop the outside line", r"^0", ""),),
            "01 23 45 67 89",
            "0123456789",
            ["drop the outside line"],
        ),
        ((Rule("once only", r"0", "1"),), "1001", "1101", ["once only"]),
    ],
)
def test_rules_apply_in_order_and_a_final_rule_ends_the_chain(rules, text, number, rule_steps):
    result = rewrite(text, FR, rules)
    assert result.number == number
    names = {rule.name for rule in rules}
    assert [step.step for step in result.steps if step.step in names] == rule_steps


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            Rule("broken", r"^(3\d{3}$", r"0\1"),
            "The rewrite rule 'broken' is invalid; ask your administrator.",
        ),
        (
            Rule("letters", r"^(\d+)$", r"0\1abc"),
            "The rewrite rule 'letters' is invalid; ask your administrator.",
        ),
        (
            Rule("no group 2", r"^(\d+)$", r"\2"),
            "The rewrite rule 'no group 2' is invalid; ask your administrator.",
        ),
        (
            Rule("plus inside", r"^(\d)", r"\1+"),
            "The rewrite rules give a number that cannot be dialed; ask your administrator.",
        ),
        (
            Rule("too long", r"^(\d+)$", r"\1\1\1"),
            "The rewrite rules give a number that cannot be dialed; ask your administrator.",
        ),
        (
            Rule("nothing left", r"^\d+$", r""),
            "The rewrite rules give a number that cannot be dialed; ask your administrator.",
        ),
    ],
)
def test_a_bad_rule_refuses_the_number_and_keeps_the_steps(rule, message):
    with pytest.raises(RewriteError) as caught:
        rewrite("01 23 45 67 89", FR, [rule])
    assert caught.value.message == message
    assert [step.step for step in caught.value.steps][:2] == ["extract", "e164"]


def test_the_plan_of_a_country_comes_from_the_numbering_plan():
    assert DialPlan.for_country("US") == DialPlan("US", "", "011", "1")
    assert DialPlan.for_country("FR") == DialPlan("FR", "", "00", "0")
    assert DialPlan.for_country("AU").international_prefix == "0011"
    assert DialPlan.for_country("IT").national_prefix == ""
    with pytest.raises(ValueError, match="unknown country"):
        DialPlan.for_country("XX")
    with pytest.raises(ValueError, match="outside_prefix"):
        DialPlan("FR", outside_prefix="0\n")
