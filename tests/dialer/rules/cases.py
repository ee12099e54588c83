"""The examples of issue 3, shared by the pure, XML-RPC and admin tests."""

from __future__ import annotations

from typing import NamedTuple

from dialer.rewrite import DialPlan, Rule

FR = DialPlan(
    "FR", outside_prefix="0", international_prefix="00", national_prefix="0", internal_pattern=r"^\d{2,5}$"
)
GB = DialPlan(
    "GB", outside_prefix="9", international_prefix="00", national_prefix="0", internal_pattern=r"^\d{2,5}$"
)
US = DialPlan(
    "US", outside_prefix="9", international_prefix="011", national_prefix="1", internal_pattern=r"^\d{2,5}$"
)
SERVICE_RULE = Rule("FR service numbers", r"^(3\d{3})$", r"0\1", final=True)


class Example(NamedTuple):
    plan: DialPlan
    rules: tuple[Rule, ...]
    text: str
    number: str
    extension_digits: str
    internal: bool

    def __str__(self) -> str:
        return f"{self.plan.country}{'+rule' if self.rules else ''}:{self.text[:30]!r}"


# (plan, rules, text, number, extension_digits, internal)
_EXAMPLES: list[tuple[DialPlan, tuple[Rule, ...], str, str, str, bool]] = [
    (FR, (), "+44 (0)20 7946 0958", "000442079460958", "", False),
    (FR, (), "01 23 45 67 89", "00123456789", "", False),
    (FR, (), "+33 1 23 45 67 89", "00123456789", "", False),
    (FR, (), "06.07.08.09.10", "00607080910", "", False),
    (FR, (), "0033 6 07 08 09 10", "00607080910", "", False),
    (FR, (), "tel:+1-650-253-0000", "00016502530000", "", False),
    (FR, (), "Tel: +33 (0)1 23 45 67 89 ext. 12", "00123456789", "12", False),
    (FR, (), "1001", "1001", "", True),
    (
        FR,
        (),
        "Jean Dupont \u2014 Direction commerciale \u2014 T\u00e9l. 04 72 00 00 00 \u2014 Fax 04 72 00 00 01",
        "00472000000",
        "",
        False,
    ),
    # "INVALID_NUMBER or the number alone": Astitray finds the number alone.
    (FR, (), "+44 20 7946 0958\r\nApplication: System", "000442079460958", "", False),
    (FR, (), "112", "112", "", True),
    (FR, (SERVICE_RULE,), "3949", "03949", "", True),
    (FR, (SERVICE_RULE,), "1001", "1001", "", True),
    (GB, (), "020 7946 0958", "902079460958", "", False),
    (GB, (), "+33 1 23 45 67 89", "90033123456789", "", False),
    (US, (), "(650) 253-0000", "916502530000", "", False),
    (US, (), "+44 20 7946 0958", "9011442079460958", "", False),
]

EXAMPLES = [Example(*example) for example in _EXAMPLES]

INVALID_EXAMPLES: list[tuple[DialPlan, str]] = [(FR, "hello")]
