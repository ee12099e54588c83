"""Number policy: which dial plan and rules apply, what would be dialed, and whether it may be.

The one code path behind ``dialer.normalize`` (API), the admin's "try a
number" page and the dial service:

- :func:`rewrite_for_pbx` — a PBX's dial plan and rewrite rules applied to a text;
- :func:`check_number` / :func:`number_allowed` — the :class:`~dialer.models.NumberRule` policy;
- :func:`normalize` — the answer of ``dialer.normalize`` for a caller.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TypeAlias

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from accounts.services import extension_of
from dialer import rule_cache
from dialer.dialplan import DEFAULT_INTERNAL_PATTERN, DialPlan
from dialer.models import NumberRule
from dialer.phrases import _
from dialer.rewrite import RewriteResult, Rule, rewrite
from drivers.default_pbx import default_pbx
from drivers.models import PbxServer

logger = logging.getLogger(__name__)

User: TypeAlias = AbstractBaseUser | AnonymousUser


def dial_plan_of(pbx: PbxServer | None) -> DialPlan:
    """The dial plan of ``pbx``; with no PBX, the plan of ``ASTITRAY_DEFAULT_COUNTRY``.

    Without a PBX there is no outside line: the plan is the country's own
    (international and national prefixes from the numbering-plan data) with
    no outside-line prefix and the usual internal pattern (2 to 5 digits).
    """
    if pbx is None:
        return DialPlan.for_country(settings.ASTITRAY_DEFAULT_COUNTRY, DEFAULT_INTERNAL_PATTERN)
    return DialPlan(
        country=pbx.country,
        outside_prefix=pbx.outside_prefix,
        international_prefix=pbx.international_prefix,
        national_prefix=pbx.national_prefix,
        internal_pattern=pbx.internal_pattern,
    )


def rules_for(pbx: PbxServer | None) -> list[Rule]:
    """The enabled rewrite rules of ``pbx`` and those of every PBX, by position (then age)."""
    pbx_id = pbx.pk if pbx is not None else None
    return [
        rule.to_rule()
        for rule in rule_cache.snapshot().rewrite_rules
        if rule.pbx_id is None or (pbx_id is not None and rule.pbx_id == pbx_id)
    ]


def rewrite_for_pbx(pbx: PbxServer | None, text: str) -> RewriteResult:
    """What ``pbx`` would dial for ``text``: its dial plan, then its rules and the rules of every PBX.

    ``pbx`` None means no PBX at all: the plan of ``ASTITRAY_DEFAULT_COUNTRY``
    and the rules that name no PBX. Raises :class:`dialer.rewrite.RewriteError`
    (a short sentence for a person, and the steps done) when nothing can be
    dialed.
    """
    return rewrite(text, dial_plan_of(pbx), rules_for(pbx))


def pbx_of(user: User | None) -> PbxServer | None:
    """The PBX whose dial plan applies to ``user``: their phone's (:meth:`Extension.pbx_of_phone`).

    Without an extension, the default PBX. None when there is no PBX to use at all.
    """
    extension = extension_of(user) if user is not None and user.is_authenticated else None
    return extension.pbx_of_phone() if extension is not None else default_pbx()


@dataclass(frozen=True)
class Decision:
    """The policy's answer for a number: ``allowed``, and the rule that decided (None: the default)."""

    allowed: bool
    rule: NumberRule | None = None

    @property
    def reason(self) -> str:
        """One sentence for the call log and the admin."""
        if self.rule is None:
            return _("allowed: no number rule matches")
        values = {"pattern": self.rule.pattern, "description": self.rule.description}
        if self.rule.action == "allow":
            if self.rule.description:
                return _("allow by number rule %(pattern)s (%(description)s)", **values)
            return _("allow by number rule %(pattern)s", **values)
        if self.rule.description:
            return _("deny by number rule %(pattern)s (%(description)s)", **values)
        return _("deny by number rule %(pattern)s", **values)


def _group_ids(user: User | None) -> set[int]:
    if user is None or not user.is_authenticated:
        return set()
    return set(user.groups.values_list("pk", flat=True))


def check_number(user: User | None, number: str) -> Decision:
    """May ``user`` call ``number`` (the final dialed number)? The first matching rule decides.

    Enabled :class:`~dialer.models.NumberRule` s are tried by position; a
    rule with groups applies only to members of one of them (``user`` None:
    only rules without groups apply). No matching rule: allowed. A stored
    pattern that is not a valid regex (only possible by bypassing the
    admin) denies, so that a broken deny rule never lets a number through.
    """
    group_ids: set[int] | None = None  # the user's groups, read only if a rule has groups
    for rule in rule_cache.snapshot().number_rules:
        rule_groups = {group.pk for group in rule.groups.all()}
        if rule_groups:
            if group_ids is None:
                group_ids = _group_ids(user)
            if not rule_groups & group_ids:
                continue
        try:
            matches = re.search(rule.pattern, number) is not None
        except re.error:
            logger.error("Number rule %s has an invalid pattern: denying", rule.pk)
            return Decision(allowed=False, rule=rule)
        if matches:
            return Decision(allowed=rule.action == NumberRule.Action.ALLOW, rule=rule)
    return Decision(allowed=True)


def number_allowed(user: User | None, number: str) -> bool:
    """True if the number rules let ``user`` call ``number`` (see :func:`check_number`)."""
    return check_number(user, number).allowed


def answer(pbx: PbxServer | None, text: str, user: User | None) -> dict:
    """The ``dialer.normalize`` answer for ``text`` on ``pbx``, ``allowed`` judged for ``user``.

    Raises :class:`dialer.rewrite.RewriteError` when nothing can be dialed.
    """
    result = rewrite_for_pbx(pbx, text)
    return {**result.as_dict(), "allowed": number_allowed(user, result.number)}


def normalize(user: User, text: str) -> dict:
    """The answer of ``dialer.normalize`` (docs/api.md) for ``user``: nothing is dialed.

    Uses the dial plan and rules of the caller's PBX (:func:`pbx_of`) and
    adds ``allowed``: whether the number rules let the caller dial the
    number. Raises :class:`dialer.rewrite.RewriteError`.
    """
    return answer(pbx_of(user), text, user)
