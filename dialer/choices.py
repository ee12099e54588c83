"""Which of the numbers found in a text is meant, and in which order to offer them.

Pure functions over :class:`Outcome` s: each candidate of the text
(:mod:`dialer.extract`) with what the dial plan made of it (a result or a
refusal, from :mod:`dialer.rewrite`). The rules, in short:

- a short number (internal, or a service number) is meant only when it is
  written plain and stands alone or after a phone word ("Tel 4711",
  "poste 12"), never in prose ("Invoice 2024", "room 4");
- a vanity number is meant only when it is a valid number;
- a fax is offered last, so it is dialed only when it is the only number;
  then valid numbers before merely possible ones, labelled ones ("Tél",
  "Mobile") before unlabelled ones, and the order of the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from dialer.extract import Candidate
from dialer.labels import FAX
from dialer.phrases import _

NO_NUMBER = _("No phone number was found in that text.")
ONLY_SHORT = _("A short number is dialed only on its own or after Tel, ext or poste.")
_LONG_ENOUGH = 7
"""Digits from which a number that failed is worth explaining even in prose."""


class Result(Protocol):
    """What :mod:`dialer.rewrite` made of a candidate (its :class:`~dialer.rewrite.RewriteResult`)."""

    @property
    def internal(self) -> bool: ...

    @property
    def e164(self) -> str: ...


@dataclass(frozen=True)
class Outcome:
    """One candidate of the text, its position, and what the dial plan made of it.

    ``result`` is None when it cannot be dialed (``error`` then says why);
    ``valid`` and ``possible`` are libphonenumber's verdicts on the number.
    """

    candidate: Candidate
    index: int
    result: Result | None
    error: Exception | None
    valid: bool
    possible: bool

    @property
    def short(self) -> bool:
        """Would it be dialed as an internal or a short (service) number?"""
        return self.result is not None and (self.result.internal or not self.result.e164)

    @property
    def fax(self) -> bool:
        return self.candidate.label == FAX


def meant(outcome: Outcome) -> bool:
    """Could the writer have meant this number to be called (see the module's rules)?"""
    candidate = outcome.candidate
    if candidate.explicit:
        return True
    if candidate.source == "vanity number":
        return outcome.valid
    if outcome.short:
        return candidate.plain and (candidate.alone or candidate.announced)
    if outcome.result is not None:
        return True
    digits = sum(char.isdigit() for char in candidate.number)
    return candidate.alone or candidate.announced or digits >= _LONG_ENOUGH


def order(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """The dialable, meant outcomes, the one to dial first and faxes last."""
    dialable = [outcome for outcome in outcomes if outcome.result is not None and meant(outcome)]
    return sorted(
        dialable,
        key=lambda o: (o.fax, not (o.valid or o.short), not o.candidate.label, o.index),
    )


def refusal(outcomes: Sequence[Outcome]) -> Outcome | str:
    """Why nothing can be dialed: the outcome whose error to give, or a message when none was meant."""
    failed = [outcome for outcome in outcomes if outcome.result is None and meant(outcome)]
    if failed:
        return min(failed, key=lambda o: (o.fax, not o.valid, not o.possible, o.index))
    if any(outcome.short for outcome in outcomes):
        return ONLY_SHORT
    return NO_NUMBER
