"""Number rewriting: from any text to what the PBX dials, every step explained.

Pure functions, no database: text + a :class:`DialPlan` + ordered
:class:`Rule` s -> a :class:`RewriteResult` (or a :class:`RewriteError`).
The pipeline (DESIGN.md, "The rewrite pipeline"):

1. **extract** the number from the text (:mod:`dialer.extract`): URIs,
   signatures, separators, "(0)", extensions kept apart;
2. **internal** numbers (matching the plan's internal pattern) are dialed as
   they are, with no prefix;
3. otherwise (:mod:`dialer.dialplan`) the ``phonenumbers`` library gives the canonical **e164** form
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
from phonenumbers import PhoneNumberFormat

from dialer.dialplan import (
    DEFAULT_INTERNAL_PATTERN,
    DialPlan,
    DialPlanError,
    dial_plan_form,
    is_internal,
    is_short_number,
    parse,
    possible,
    to_phone_number,
)
from dialer.extract import Candidate, TextError, find_numbers

__all__ = [
    "DEFAULT_INTERNAL_PATTERN",
    "MAX_NUMBER_LENGTH",
    "DialPlan",
    "RewriteError",
    "RewriteResult",
    "Rule",
    "RuleError",
    "Step",
    "apply_rules",
    "check_rule",
    "choose",
    "rewrite",
]

MAX_NUMBER_LENGTH = 32
"""Longest number ever dialed (E.164 has at most 15 digits; prefixes come on top)."""

_DIALABLE = re.compile(rf"\+?[0-9*#]{{1,{MAX_NUMBER_LENGTH}}}")
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


# --- The pipeline ----------------------------------------------------------------


def choose(candidates: Sequence[Candidate], plan: DialPlan) -> Candidate:
    """The number meant among those found in a text.

    One number: that one. Several (a signature with an address, a date, a
    fax): the first valid phone number of the plan's country or of any
    country, else the first possible one, else the first found.
    """
    if len(candidates) == 1:
        return candidates[0]
    fallback: Candidate | None = None
    for candidate in candidates:
        phone = parse(candidate.number, plan)
        if phone is not None and phonenumbers.is_valid_number(phone):
            return candidate
        if fallback is None and possible(phone):
            fallback = candidate
    return fallback or candidates[0]


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
    internal = is_internal(number, plan)
    if internal:
        steps.append(Step("internal", number, "Matches the internal pattern: dialed as it is, no prefix."))
    else:
        if not number.lstrip("+").isdigit():
            raise RewriteError("Feature codes (*, #) can only be dialed as internal numbers.", steps)
        try:
            phone = to_phone_number(number, plan)
        except DialPlanError as exc:
            if not is_short_number(number, plan):
                raise RewriteError(str(exc), steps) from None
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
