"""The number policy: first matching rule wins, groups narrow a rule, default allow."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import ValidationError

from dialer.models import NumberRule
from dialer.policy import check_number, number_allowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def managers(alice) -> Group:
    group = Group.objects.create(name="managers")
    alice.groups.add(group)
    return group


def rule(position: int, pattern: str, action: str, *groups: Group, **fields) -> NumberRule:
    created = NumberRule.objects.create(position=position, pattern=pattern, action=action, **fields)
    created.groups.set(groups)
    return created


def test_with_no_rule_everything_is_allowed(alice):
    decision = check_number(alice, "00899123456")
    assert decision.allowed is True
    assert decision.rule is None
    assert decision.reason == "allowed: no number rule matches"


def test_the_first_matching_rule_wins(alice):
    rule(20, r"^0089", "deny", description="premium rate")
    rule(10, r"^00899", "allow")
    assert number_allowed(alice, "00899123456") is True
    assert number_allowed(alice, "00891123456") is False
    decision = check_number(alice, "00891123456")
    assert decision.reason == "deny by number rule ^0089 (premium rate)"


def test_a_rule_with_groups_applies_to_their_members_only(alice, bob, managers):
    rule(10, r"^000", "allow", managers)
    rule(20, r"^000", "deny")
    assert number_allowed(alice, "000442079460958") is True
    assert number_allowed(bob, "000442079460958") is False
    assert number_allowed(None, "000442079460958") is False
    assert number_allowed(AnonymousUser(), "000442079460958") is False


def test_a_disabled_rule_is_ignored(alice):
    rule(10, r"^0", "deny", enabled=False)
    assert number_allowed(alice, "00123456789") is True


def test_the_pattern_is_searched_in_the_final_number(alice):
    rule(10, r"9$", "deny")
    assert number_allowed(alice, "00123456789") is False
    assert number_allowed(alice, "00123456788") is True


def test_a_broken_pattern_is_never_saved():
    with pytest.raises(ValidationError, match="Not a valid regular expression"):
        NumberRule.objects.create(pattern=r"^(0089", action="deny")
    assert not NumberRule.objects.exists()


def test_a_broken_pattern_stored_behind_the_admins_back_denies(alice, caplog):
    NumberRule.objects.bulk_create([NumberRule(position=10, pattern=r"^(0089", action="allow")])
    assert number_allowed(alice, "00123456789") is False
    assert "invalid pattern" in caplog.text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"pattern": r"^(0089"}, "pattern", "Not a valid regular expression"),
        ({"pattern": "^0089\n"}, "pattern", "Control characters"),
        ({"pattern": r"^0089", "action": "maybe"}, "action", "not a valid choice"),
        ({"pattern": r"^0089", "description": "x\r\ny"}, "description", "Control characters"),
    ],
)
def test_it_refuses_bad_rules(fields, field, message):
    with pytest.raises(ValidationError) as caught:
        NumberRule(position=1, **fields).full_clean()
    assert message in " ".join(caught.value.message_dict[field])
