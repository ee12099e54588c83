"""Fixtures of the dialer tests: PBX servers with a given dial plan, rules on them, an admin."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Extension
from dialer.models import NumberRule, RewriteRule
from dialer.rewrite import DialPlan, Rule
from drivers.models import PbxServer


@pytest.fixture
def make_pbx(db) -> Callable[..., PbxServer]:
    """A console PBX with ``plan``'s dial plan and ``rules`` (its own), saved."""

    def make(plan: DialPlan, rules: Sequence[Rule] = (), name: str = "", **fields) -> PbxServer:
        pbx = PbxServer.objects.create(
            name=name or f"PBX {plan.country} {PbxServer.objects.count()}",
            driver="console",
            country=plan.country,
            outside_prefix=plan.outside_prefix,
            international_prefix=plan.international_prefix,
            national_prefix=plan.national_prefix,
            internal_pattern=plan.internal_pattern,
            **fields,
        )
        for position, rule in enumerate(rules, start=1):
            RewriteRule.objects.create(
                pbx=pbx,
                position=position * 10,
                name=rule.name,
                pattern=rule.pattern,
                replacement=rule.replacement,
                final=rule.final,
            )
        return pbx

    return make


@pytest.fixture
def alice_on(alice) -> Callable[[PbxServer], None]:
    """Puts alice's phone on the given PBX."""

    def move(pbx: PbxServer) -> None:
        Extension.objects.filter(user=alice).update(pbx=pbx)

    return move


@pytest.fixture
def admin_client(client, db):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "root-pw")
    client.force_login(admin)
    return client


@pytest.fixture
def snapshot(db) -> Callable[[], list]:
    """Every row of the tables normalize and the admin pages read: compare before and after."""

    def take() -> list:
        return [
            list(model.objects.order_by("pk").values())
            for model in (PbxServer, Extension, RewriteRule, NumberRule, get_user_model())
        ]

    return take
