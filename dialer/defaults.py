"""Sensible starting rules per country, installed by ``manage.py install_default_rules`` or the admin.

Internal numbers are typically 2 to 5 digits (the PBX's internal pattern),
and so are a country's emergency and service numbers: without a rule they
would be dialed as internal numbers. The rewrite rules below send them to
the outside line; the number rules deny costly ranges (premium rate,
satellite). Patterns name the PBX's own prefixes, so they are built for one
outside-line and international prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max

from dialer.models import NumberRule, RewriteRule
from dialer.rewrite import RuleError, check_rule
from drivers.models import PbxServer


@dataclass(frozen=True)
class RewriteTemplate:
    """A rewrite rule; ``{outside}`` in the replacement is the outside-line prefix."""

    name: str
    pattern: str
    replacement: str
    final: bool = True


@dataclass(frozen=True)
class NumberTemplate:
    """A number rule; ``{outside}`` and ``{international}`` in the pattern are the PBX's prefixes."""

    pattern: str
    action: str
    description: str


_SATELLITE = NumberTemplate(
    r"^{outside}{international}(?:87[0-9]|88[1-3])",
    "deny",
    "Satellite and international networks (+870 to +883): very costly.",
)

DEFAULTS: dict[str, tuple[tuple[RewriteTemplate, ...], tuple[NumberTemplate, ...]]] = {
    "FR": (
        (
            RewriteTemplate("FR emergency numbers", r"^(1[578]|11[2459]|19[167])$", r"{outside}\1"),
            RewriteTemplate("FR 4-digit service numbers (3xxx)", r"^(3\d{3})$", r"{outside}\1"),
        ),
        (
            NumberTemplate(r"^{outside}089", "deny", "Premium-rate numbers (08 9x)."),
            _SATELLITE,
        ),
    ),
    "GB": (
        (
            RewriteTemplate("GB emergency numbers", r"^(999|112)$", r"{outside}\1"),
            RewriteTemplate("GB service numbers (101, 105, 111)", r"^(10[15]|111)$", r"{outside}\1"),
        ),
        (
            NumberTemplate(r"^{outside}09", "deny", "Premium-rate numbers (09)."),
            NumberTemplate(r"^{outside}118", "deny", "Directory enquiries (118 xxx): costly."),
            _SATELLITE,
        ),
    ),
}

COUNTRIES = tuple(sorted(DEFAULTS))


@dataclass
class InstallReport:
    """What :func:`install_default_rules` did: names of the rules created and of those already there."""

    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def install_default_rules(
    country: str,
    pbx: PbxServer | None = None,
    outside_prefix: str = "",
    international_prefix: str = "00",
) -> InstallReport:
    """Add the default rules of ``country``; rules already there (same name, same pattern) are kept.

    With a ``pbx``, the rewrite rules are that PBX's and its prefixes are
    used; without, the rewrite rules apply to every PBX and the prefixes are
    those given. New rules come after the existing ones. Raises
    ``ValueError`` for an unknown country or a prefix that is not digits,
    ``*`` and ``#``. All or nothing.
    """
    if country not in DEFAULTS:
        raise ValueError(f"No default rules for {country!r} (known: {', '.join(COUNTRIES)}).")
    if pbx is not None:
        outside_prefix, international_prefix = pbx.outside_prefix, pbx.international_prefix
    for prefix in (outside_prefix, international_prefix):
        if not re.fullmatch(r"[0-9*#]*", prefix):
            raise ValueError("A prefix may hold only digits, * and #.")
    rewrites, policies = DEFAULTS[country]
    report = InstallReport()
    with transaction.atomic():
        position = (RewriteRule.objects.aggregate(top=Max("position"))["top"] or 0) + 10
        for template in rewrites:
            replacement = template.replacement.replace("{outside}", outside_prefix)
            try:
                check_rule(template.pattern, replacement)
            except RuleError as exc:  # a defect of the table above
                raise ValueError(f"{template.name}: {exc}") from None
            if RewriteRule.objects.filter(pbx=pbx, name=template.name).exists():
                report.skipped.append(template.name)
                continue
            RewriteRule.objects.create(
                pbx=pbx,
                position=position,
                name=template.name,
                pattern=template.pattern,
                replacement=replacement,
                final=template.final,
            )
            report.created.append(template.name)
            position += 10
        position = (NumberRule.objects.aggregate(top=Max("position"))["top"] or 0) + 10
        for policy in policies:
            pattern = policy.pattern.replace("{outside}", re.escape(outside_prefix)).replace(
                "{international}", re.escape(international_prefix)
            )
            label = f"{policy.action} {pattern}"
            if NumberRule.objects.filter(pattern=pattern, action=policy.action).exists():
                report.skipped.append(label)
                continue
            NumberRule.objects.create(
                position=position, pattern=pattern, action=policy.action, description=policy.description
            )
            report.created.append(label)
            position += 10
    return report
