"""Number rewriting: from any text to what the PBX dials, every step explained.

Pure functions, no database: text + a :class:`DialPlan` + ordered
:class:`Rule` s -> a :class:`RewriteResult` (or a :class:`RewriteError`).
The pipeline (docs/architecture.md, "The rewrite pipeline"):

1. **extract** the numbers from the text (:mod:`dialer.extract`): URIs,
   signatures, separators, "(0)", extensions kept apart, labels, prose;
   each number goes through the steps below, and :mod:`dialer.choices`
   says which one is meant (never a fax when there is another number,
   never a short number from prose);
2. **internal** numbers (matching the plan's internal pattern) are dialed as
   they are, with no prefix;
3. otherwise (:mod:`dialer.dialplan`) the ``phonenumbers`` library gives the canonical **e164** form
   (the plan's country for numbers without a country code), then the
   **dialplan**: same country -> national prefix + national number, other
   country -> international prefix + country code + national number (a
   number that can only be called from within its own country is refused);
   a valid **short_number** of the country (116000, 3949 ...) stays as it is;
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
from dataclasses import dataclass, field, replace
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberFormat, country_code_for_region

from dialer import choices
from dialer.choices import Outcome
from dialer.dialplan import (
    DEFAULT_INTERNAL_PATTERN,
    DialPlan,
    DialPlanError,
    check_reachable,
    dial_plan_form,
    display_form,
    is_internal,
    is_short_number,
    national_format,
    parse,
    possible,
    to_phone_number,
)
from dialer.errors import InvalidNumber
from dialer.extract import Candidate, TextError, find_numbers
from dialer.phrases import Phrase, _, translated

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
    "rewrite",
    "rewrite_candidate",
]

MAX_NUMBER_LENGTH = 32
"""Longest number ever dialed (E.164 has at most 15 digits; prefixes come on top)."""

_DIALABLE = re.compile(rf"\+?[0-9*#]{{1,{MAX_NUMBER_LENGTH}}}")
_REPLACEMENT = re.compile(r"\\g<(?P<named>\w+)>|\\(?P<numbered>\d{1,2})|(?P<literal>[0-9*#+])")


class RewriteError(InvalidNumber, ValueError):
    """No number can be dialed for this text (the dialer's :class:`~dialer.errors.InvalidNumber`).

    ``message`` is one short sentence for a person (it never quotes the
    text); ``steps`` are the steps done before the refusal.
    """

    def __init__(self, message: str, steps: Sequence[Step] = ()) -> None:
        super().__init__(message)
        self.steps = tuple(steps)


class RuleError(ValueError):
    """A rewrite rule is not usable; ``field`` is "pattern" or "replacement", ``str(err)`` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _message(exc: Exception) -> str:
    """The sentence an error was raised with (a :class:`~dialer.phrases.Phrase` stays one)."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)


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
        return {"step": self.step, "value": self.value, "detail": translated(self.detail)}


@dataclass(frozen=True)
class RewriteResult:
    """What would be dialed for ``input``, and how it was found.

    ``display`` is the number as people write it ("" for internal and short
    numbers); ``label`` its kind in the text ("work", "fax", ... or "");
    ``text`` the part of ``input`` it was read from; ``choices`` every
    dialable number of the text as :meth:`choice` dicts, this one first.
    """

    input: str
    number: str
    e164: str = ""
    extension_digits: str = ""
    internal: bool = False
    steps: tuple[Step, ...] = field(default_factory=tuple)
    display: str = ""
    label: str = ""
    text: str = ""
    choices: tuple[dict[str, str], ...] = ()

    def choice(self) -> dict[str, str]:
        """This number as one entry of ``choices`` (docs/api.md)."""
        return {
            "number": self.number,
            "e164": self.e164,
            "display": self.display,
            "extension_digits": self.extension_digits,
            "label": self.label,
            "text": self.text,
        }

    def as_dict(self) -> dict:
        """The keys of the ``dialer.normalize`` answer (docs/api.md), no None anywhere."""
        return {
            "input": self.input,
            "number": self.number,
            "e164": self.e164,
            "extension_digits": self.extension_digits,
            "internal": self.internal,
            "steps": [step.as_dict() for step in self.steps],
            "display": self.display,
            "choices": [dict(choice) for choice in self.choices],
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
        raise RuleError("pattern", _("Not a valid regular expression: %(error)s.", error=str(exc))) from None
    position = 0
    while position < len(replacement):
        match = _REPLACEMENT.match(replacement, position)
        if match is None:
            raise RuleError(
                "replacement",
                _("The replacement may hold only digits, *, #, + and group references such as \\1."),
            )
        if match.group("numbered") is not None and int(match.group("numbered")) > compiled.groups:
            raise RuleError(
                "replacement", _("The pattern has no group %(group)s.", group=match.group("numbered"))
            )
        named = match.group("named")
        if named is not None and not (
            (named.isdigit() and int(named) <= compiled.groups) or named in compiled.groupindex
        ):
            raise RuleError("replacement", _("The pattern has no group %(group)s.", group=named))
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
                _("The rewrite rule %(rule)r is invalid; ask your administrator.", rule=rule.name), steps
            ) from None
        if not compiled.search(number):
            continue
        number = compiled.sub(rule.replacement, number, count=1)
        if rule.final:
            detail = _(
                "Rule %(pattern)s -> %(replacement)s; final rule: the later rules are skipped.",
                pattern=rule.pattern,
                replacement=rule.replacement or _("(nothing)"),
            )
        else:
            detail = _(
                "Rule %(pattern)s -> %(replacement)s.",
                pattern=rule.pattern,
                replacement=rule.replacement or _("(nothing)"),
            )
        steps.append(Step(rule.name, number, detail))
        if rule.final:
            break
    return number, steps


# --- The pipeline ----------------------------------------------------------------


def _candidates(text: str) -> list[Candidate]:
    try:
        candidates = find_numbers(text)
    except TextError as exc:
        raise RewriteError(_message(exc)) from None
    if not candidates:
        raise RewriteError(choices.NO_NUMBER)
    return candidates


def _source(source: str) -> str:
    """Where a number was read, in words (translated where it is shown)."""
    if source.endswith(": URI"):
        return _("%(scheme)s URI", scheme=source.removesuffix(" URI"))
    known = {"text": _("text"), "feature code": _("feature code"), "vanity number": _("vanity number")}
    return known.get(source, source)


def _extract_steps(found: Candidate) -> list[Step]:
    """The ``extract`` (and ``extension``) steps of a candidate; raises :class:`RewriteError` if too long."""
    source = _source(found.source)
    if found.label:
        # The label ("work", "fax") is one of the phonebook's, translated as such.
        label = Phrase(found.label)
        read = _("Read from the %(source)s: %(raw)s (%(label)s)", source=source, raw=found.raw, label=label)
    else:
        read = _("Read from the %(source)s: %(raw)s", source=source, raw=found.raw)
    steps = [Step("extract", found.number, read)]
    if len(found.number.lstrip("+")) > MAX_NUMBER_LENGTH:
        raise RewriteError(_("That number is too long."), steps)
    if found.extension:
        steps.append(
            Step(
                "extension",
                found.extension,
                _("Extension digits, kept apart: dial them once the call is answered."),
            )
        )
    return steps


def _external(number: str, plan: DialPlan, steps: list[Step]) -> tuple[str, str, str]:
    """An external number as dialed before the rules, its E.164 form and its display form ("" when short)."""
    if not number.lstrip("+").isdigit():
        raise RewriteError(_("Feature codes (*, #) can only be dialed as internal numbers."), steps)
    e164 = display = ""
    try:
        phone = to_phone_number(number, plan)
    except DialPlanError as exc:
        if not is_short_number(number, plan):
            raise RewriteError(_message(exc), steps) from None
        steps.append(
            Step(
                "short_number",
                number,
                _(
                    "A short number of %(country)s (emergency or service): no national prefix.",
                    country=plan.country,
                ),
            )
        )
    else:
        e164 = phonenumbers.format_number(phone, PhoneNumberFormat.E164)
        steps.append(Step("e164", e164, _("The number in international form.")))
        try:
            check_reachable(phone, plan)
        except DialPlanError as exc:
            raise RewriteError(_message(exc), steps) from None
        same = phone.country_code == country_code_for_region(plan.country)
        written = national_format(phone) if same else ""
        display = display_form(phone, plan, written)
        number, why = dial_plan_form(phone, plan, written)
        steps.append(Step("dialplan", number, why))
    if plan.outside_prefix:
        number = plan.outside_prefix + number
        steps.append(
            Step("outside_prefix", number, _("Outside-line prefix %(prefix)s.", prefix=plan.outside_prefix))
        )
    return number, e164, display


def rewrite_candidate(
    text: str, found: Candidate, plan: DialPlan, rules: Sequence[Rule] = ()
) -> RewriteResult:
    """What ``plan`` and ``rules`` dial for one number found in ``text``, with every step.

    Raises :class:`RewriteError` (with the steps done so far) when it cannot
    be dialed.
    """
    steps = _extract_steps(found)
    number, e164, display = found.number, "", ""
    internal = is_internal(number, plan)
    if internal:
        steps.append(Step("internal", number, _("Matches the internal pattern: dialed as it is, no prefix.")))
    else:
        number, e164, display = _external(number, plan, steps)
    try:
        number, rule_steps = apply_rules(number, rules)
    except RewriteError as exc:
        raise RewriteError(exc.message, steps + list(exc.steps)) from None
    steps.extend(rule_steps)
    if not _DIALABLE.fullmatch(number):
        raise RewriteError(
            _("The rewrite rules give a number that cannot be dialed; ask your administrator."), steps
        )
    steps.append(Step("validate", number, _("Only digits, *, # and a leading +: ready to dial.")))
    return RewriteResult(
        input=text,
        number=number,
        e164=e164,
        extension_digits=found.extension,
        internal=internal,
        steps=tuple(steps),
        display=display,
        label=found.label,
        text=found.raw,
    )


def _outcome(
    text: str, index: int, found: Candidate, plan: DialPlan, rules: Sequence[Rule], *, alone: bool
) -> Outcome:
    """What the plan makes of one candidate; libphonenumber's verdicts only when they can matter
    (``alone``: the text's only candidate, and not a vanity number: nothing to rank)."""
    result: RewriteResult | None = None
    error: RewriteError | None = None
    try:
        result = rewrite_candidate(text, found, plan, rules)
    except RewriteError as exc:
        error = exc
    if alone and found.source != "vanity number":
        return Outcome(found, index, result, error, valid=False, possible=False)
    phone = parse(found.number, plan) if found.number.lstrip("+").isdigit() else None
    valid = phone is not None and phonenumbers.is_valid_number(phone)
    return Outcome(found, index, result, error, valid=valid, possible=possible(phone))


def rewrite(text: str, plan: DialPlan, rules: Sequence[Rule] = ()) -> RewriteResult:
    """What ``plan`` and ``rules`` dial for ``text``, with every step, and every number offered.

    Every number of the text is tried; the one meant (:mod:`dialer.choices`)
    is answered, with ``choices`` holding every dialable one, that one
    first and faxes last. Raises :class:`RewriteError` (with the steps done
    so far) when the text holds no dialable number: empty, too long,
    control characters, no number, not a possible phone number, a number
    that cannot be dialed from the plan's country, a broken rule, or a
    result that is not only digits, ``*``, ``#`` and a leading ``+``.
    """
    candidates = _candidates(text)
    alone = len(candidates) == 1
    outcomes = [
        _outcome(text, index, found, plan, rules, alone=alone) for index, found in enumerate(candidates)
    ]
    offered = choices.order(outcomes)
    if not offered:
        why = choices.refusal(outcomes)
        if isinstance(why, str):
            raise RewriteError(why)
        raise why.error or RewriteError(choices.NO_NUMBER)
    results: list[RewriteResult] = []
    for outcome in offered:
        if isinstance(outcome.result, RewriteResult):
            results.append(outcome.result)
    return replace(results[0], choices=tuple(result.choice() for result in results))
