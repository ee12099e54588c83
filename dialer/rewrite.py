"""Number rewriting: from any text to what the PBX dials, every step explained.

Pure functions, no database: text + a :class:`DialPlan` + ordered
:class:`Rule` s -> a :class:`RewriteResult` (or a :class:`RewriteError`).
The pipeline (DESIGN.md, "The rewrite pipeline"):

1. **extract** the number from the text (:mod:`dialer.extract`): URIs,
   signatures, separators, "(0)", extensions kept apart;
2. **internal** numbers (matching the plan's internal pattern) are dialed as
   they are, with no prefix;
3. otherwise the ``phonenumbers`` library gives the canonical **e164** form
   (the plan's country for numbers without a country code), then the
   **dialplan**: same country -> national prefix + national number, other
   country -> international prefix + country code + national number; a
   valid **short_number** of the country (116000, 3949 ...) stays as it is;
   then the **outside_prefix**;
4. the admin's rewrite **rules**, in order, each a regex substitution; a
   ``final`` rule that matched ends the chain;
5. **validate**: only digits, ``*``, ``#`` and a leading ``+``, at most
   :data:`MAX_NUMBER_LENGTH` characters.

Each step is reported with the value it produced and one sentence saying
why, so that the API (``dialer.normalize``) and the admin ("Try a number")
can show exactly why a number is dialed as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat
from phonenumbers import ValidationResult as Possible

from dialer.extract import Candidate, TextError, find_numbers

MAX_NUMBER_LENGTH = 32
"""Longest number ever dialed (E.164 has at most 15 digits; prefixes come on top)."""

DEFAULT_INTERNAL_PATTERN = r"^\d{2,5}$"

_DIALABLE = re.compile(rf"\+?[0-9*#]{{1,{MAX_NUMBER_LENGTH}}}")
_DIAL_PREFIX = re.compile(r"[0-9*#]*")
_REPLACEMENT = re.compile(r"\\g<(?P<named>\w+)>|\\(?P<numbered>\d{1,2})|(?P<literal>[0-9*#+])")


class RewriteError(ValueError):
    """No number can be dialed for this text.

    ``message`` is one short sentence for a person (it never quotes the
    text); ``steps`` are the steps done before the refusal.
    """

    def __init__(self, message: str, steps: Sequence[Step] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.steps = tuple(steps)


class RuleError(ValueError):
    """A rewrite rule is not usable; ``field`` is "pattern" or "replacement", ``str(err)`` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class DialPlan:
    """How a PBX dials out.

    ``country`` is an ISO region (FR, GB, US); ``outside_prefix`` is dialed
    before every external number ("0", "9" or ""); ``international_prefix``
    before a country code ("00", "011"); ``national_prefix`` before a
    national number ("0", "1" or ""); ``internal_pattern`` is the regex of
    internal numbers ("" : none).
    """

    country: str
    outside_prefix: str = ""
    international_prefix: str = "00"
    national_prefix: str = "0"
    internal_pattern: str = DEFAULT_INTERNAL_PATTERN

    def __post_init__(self) -> None:
        if self.country not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown country {self.country!r}")
        for name in ("outside_prefix", "international_prefix", "national_prefix"):
            if not _DIAL_PREFIX.fullmatch(getattr(self, name)):
                raise ValueError(f"{name} may hold only digits, * and #")

    @classmethod
    def for_country(cls, country: str, internal_pattern: str = DEFAULT_INTERNAL_PATTERN) -> DialPlan:
        """The plan of ``country`` from the numbering-plan data, with no outside-line prefix."""
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(country)
        if metadata is None:
            raise ValueError(f"unknown country {country!r}")
        international = metadata.preferred_international_prefix or metadata.international_prefix or ""
        if not international.isdigit():  # a pattern such as "0(?:0|1[0-9])": no single prefix
            international = "00"
        return cls(
            country=country,
            outside_prefix="",
            international_prefix=international,
            national_prefix=metadata.national_prefix or "",
            internal_pattern=internal_pattern,
        )


@dataclass(frozen=True)
class Rule:
    """One admin rewrite rule: ``pattern`` (a regex) replaced by ``replacement`` (``\\1``: a group)."""

    name: str
    pattern: str
    replacement: str
    final: bool = False


@dataclass(frozen=True)
class Step:
    """One step of the rewriting: its name, the number after it, and why."""

    step: str
    value: str
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"step": self.step, "value": self.value, "detail": self.detail}


@dataclass(frozen=True)
class RewriteResult:
    """What would be dialed for ``input``, and how it was found."""

    input: str
    number: str
    e164: str = ""
    extension_digits: str = ""
    internal: bool = False
    steps: tuple[Step, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        """The keys of the ``dialer.normalize`` answer (API.md), no None anywhere."""
        return {
            "input": self.input,
            "number": self.number,
            "e164": self.e164,
            "extension_digits": self.extension_digits,
            "internal": self.internal,
            "steps": [step.as_dict() for step in self.steps],
        }


# --- Rules -----------------------------------------------------------------------


@lru_cache(maxsize=1024)
def check_rule(pattern: str, replacement: str) -> re.Pattern[str]:
    """The compiled ``pattern`` if the rule is usable, else :class:`RuleError` saying why.

    The replacement may hold only digits, ``*``, ``#``, ``+`` and references
    to groups of the pattern (``\\1``, ``\\g<1>``, ``\\g<name>``): a rule can
    never produce letters or control characters.
    """
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise RuleError("pattern", f"Not a valid regular expression: {exc}.") from None
    position = 0
    while position < len(replacement):
        match = _REPLACEMENT.match(replacement, position)
        if match is None:
            raise RuleError(
                "replacement",
                "The replacement may hold only digits, *, #, + and group references such as \\1.",
            )
        if match.group("numbered") is not None and int(match.group("numbered")) > compiled.groups:
            raise RuleError("replacement", f"The pattern has no group {match.group('numbered')}.")
        named = match.group("named")
        if named is not None and not (
            (named.isdigit() and int(named) <= compiled.groups) or named in compiled.groupindex
        ):
            raise RuleError("replacement", f"The pattern has no group {named}.")
        position = match.end()
    return compiled


def apply_rules(number: str, rules: Sequence[Rule]) -> tuple[str, list[Step]]:
    """``number`` after every rule that matches, in order, with a step per matching rule.

    A rule matches when its pattern is found in the number (``re.search``);
    its replacement is then applied once. A matching ``final`` rule ends the
    chain. Raises :class:`RewriteError` if a rule is unusable (it can only
    be stored so by bypassing the admin's validation): a number is never
    dialed half-rewritten.
    """
    steps: list[Step] = []
    for rule in rules:
        try:
            compiled = check_rule(rule.pattern, rule.replacement)
        except RuleError:
            raise RewriteError(
                f"The rewrite rule {rule.name!r} is invalid; ask your administrator.", steps
            ) from None
        if not compiled.search(number):
            continue
        number = compiled.sub(rule.replacement, number, count=1)
        detail = f"Rule {rule.pattern} -> {rule.replacement or '(nothing)'}"
        if rule.final:
            detail += "; final rule: the later rules are skipped"
        steps.append(Step(rule.name, number, detail + "."))
        if rule.final:
            break
    return number, steps


# --- Dial plan -------------------------------------------------------------------


def _is_internal(number: str, plan: DialPlan) -> bool:
    if not plan.internal_pattern:
        return False
    try:
        return re.search(plan.internal_pattern, number) is not None
    except re.error:
        return False  # an unusable pattern matches nothing (the admin validates it on save)


def _parse(number: str, region: str | None) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(number, region)
    except NumberParseException:
        return None


_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "That number has an unknown country code.",
    NumberParseException.TOO_SHORT_AFTER_IDD: "That number is too short.",
    NumberParseException.TOO_SHORT_NSN: "That number is too short.",
    NumberParseException.TOO_LONG: "That number is too long.",
}


def _possible(phone: PhoneNumber | None) -> bool:
    return phone is not None and phonenumbers.is_possible_number_with_reason(phone) == Possible.IS_POSSIBLE


def to_phone_number(number: str, plan: DialPlan) -> PhoneNumber:
    """The phone number meant by ``number`` (digits, maybe a leading ``+``) in ``plan``'s country.

    A leading ``00`` or the plan's international prefix is read as ``+``
    when the country's own rules do not make it a possible number (a
    "0044 ..." copied from a European signature on a US PBX). Raises
    :class:`RewriteError` when the number is not a possible one.
    """
    try:
        phone = phonenumbers.parse(number, None if number.startswith("+") else plan.country)
    except NumberParseException as exc:
        phone, error = None, _PARSE_ERRORS.get(exc.error_type, "That is not a phone number.")
    if not _possible(phone) and not number.startswith("+"):
        for prefix in dict.fromkeys((plan.international_prefix, "00")):
            if prefix and number.startswith(prefix) and len(number) > len(prefix):
                other = _parse("+" + number[len(prefix) :], None)
                if _possible(other):
                    phone = other
                    break
    if phone is not None and _possible(phone):
        return phone
    if phone is None:
        raise RewriteError(error)
    reason = phonenumbers.is_possible_number_with_reason(phone)
    if reason == Possible.INVALID_COUNTRY_CODE:
        raise RewriteError("That number has an unknown country code.")
    if reason == Possible.IS_POSSIBLE_LOCAL_ONLY:
        raise RewriteError("That number is incomplete: add the area code.")
    if reason == Possible.TOO_LONG:
        raise RewriteError("That number is too long.")
    if reason == Possible.TOO_SHORT:
        raise RewriteError("That number is too short.")
    raise RewriteError("That number has the wrong length for its country.")


def dial_plan_form(phone: PhoneNumber, plan: DialPlan) -> tuple[str, str]:
    """How ``plan`` dials ``phone`` (before the outside-line prefix), and why."""
    national = phonenumbers.national_significant_number(phone)
    if phone.country_code == phonenumbers.country_code_for_region(plan.country):
        return (
            plan.national_prefix + national,
            f"Same country ({plan.country}): national prefix {plan.national_prefix or '(none)'} "
            "+ national number.",
        )
    region = phonenumbers.region_code_for_number(phone) or "?"
    return (
        plan.international_prefix + str(phone.country_code) + national,
        f"Other country ({region}): international prefix {plan.international_prefix} "
        f"+ country code {phone.country_code} + national number.",
    )


def _short_number(number: str, plan: DialPlan) -> bool:
    """Is ``number`` a valid short number (emergency, service) of the plan's country?"""
    phone = _parse(number, plan.country)
    return phone is not None and phonenumbers.is_valid_short_number_for_region(phone, plan.country)


# --- The pipeline ----------------------------------------------------------------


def choose(candidates: Sequence[Candidate], plan: DialPlan) -> Candidate:
    """The number meant among those found in a text.

    One number: that one. Several (a signature with an address, a date, a
    fax): the first valid phone number of the plan's country or of any
    country, else the first possible one, else the first found.
    """
    if len(candidates) == 1:
        return candidates[0]
    possible: Candidate | None = None
    for candidate in candidates:
        phone = _parse(candidate.number, None if candidate.number.startswith("+") else plan.country)
        if phone is not None and phonenumbers.is_valid_number(phone):
            return candidate
        if possible is None and _possible(phone):
            possible = candidate
    return possible or candidates[0]


def _extract(text: str, plan: DialPlan) -> tuple[Candidate, list[Step]]:
    try:
        candidates = find_numbers(text)
    except TextError as exc:
        raise RewriteError(str(exc)) from None
    if not candidates:
        raise RewriteError("No phone number was found in that text.")
    found = choose(candidates, plan)
    steps = [Step("extract", found.number, f"Read from the {found.source}: {found.raw}")]
    if len(found.number.lstrip("+")) > MAX_NUMBER_LENGTH:
        raise RewriteError("That number is too long.", steps)
    if found.extension:
        steps.append(
            Step(
                "extension",
                found.extension,
                "Extension digits, kept apart: dial them once the call is answered.",
            )
        )
    return found, steps


def rewrite(text: str, plan: DialPlan, rules: Sequence[Rule] = ()) -> RewriteResult:
    """What ``plan`` and ``rules`` dial for ``text``, with every step.

    Raises :class:`RewriteError` (with the steps done so far) when the text
    holds no dialable number: empty, too long, control characters, no
    number, not a possible phone number, a broken rule, or a result that is
    not only digits, ``*``, ``#`` and a leading ``+``.
    """
    found, steps = _extract(text, plan)
    number, e164 = found.number, ""
    internal = _is_internal(number, plan)
    if internal:
        steps.append(Step("internal", number, "Matches the internal pattern: dialed as it is, no prefix."))
    else:
        if not number.lstrip("+").isdigit():
            raise RewriteError("Feature codes (*, #) can only be dialed as internal numbers.", steps)
        try:
            phone = to_phone_number(number, plan)
        except RewriteError as exc:
            if not _short_number(number, plan):
                raise RewriteError(exc.message, steps) from None
            steps.append(
                Step(
                    "short_number",
                    number,
                    f"A short number of {plan.country} (emergency or service): no national prefix.",
                )
            )
        else:
            e164 = phonenumbers.format_number(phone, PhoneNumberFormat.E164)
            steps.append(Step("e164", e164, "The number in international form."))
            number, why = dial_plan_form(phone, plan)
            steps.append(Step("dialplan", number, why))
        if plan.outside_prefix:
            number = plan.outside_prefix + number
            steps.append(Step("outside_prefix", number, f"Outside-line prefix {plan.outside_prefix}."))

    try:
        number, rule_steps = apply_rules(number, rules)
    except RewriteError as exc:
        raise RewriteError(exc.message, steps + list(exc.steps)) from None
    steps.extend(rule_steps)
    if not _DIALABLE.fullmatch(number):
        raise RewriteError(
            "The rewrite rules give a number that cannot be dialed; ask your administrator.", steps
        )
    steps.append(Step("validate", number, "Only digits, *, # and a leading +: ready to dial."))
    return RewriteResult(
        input=text,
        number=number,
        e164=e164,
        extension_digits=found.extension,
        internal=internal,
        steps=tuple(steps),
    )
