"""Rewrite rules are validated on save and loaded per PBX, in order."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from dialer.models import RewriteRule
from dialer.policy import rules_for
from dialer.rewrite import Rule
from tests.dialer.rules.cases import GB

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("pattern", "replacement"),
    [
        (r"^(3\d{3})$", r"0\1"),
        (r"^(3\d{3})$", r"0\g<1>"),
        (r"^(?P<n>3\d{3})$", r"0\g<n>"),
        (r"^0", ""),
        (r"^", "*31#"),
        (r"^00", "+"),
    ],
)
def test_it_accepts_good_rules(pattern, replacement):
    RewriteRule(name="ok", pattern=pattern, replacement=replacement).full_clean()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"pattern": r"^(3\d{3}$"},
            "pattern",
            "Not a valid regular expression: missing ), unterminated subpattern",
        ),
        ({"pattern": r"[", "replacement": r"0"}, "pattern", "Not a valid regular expression"),
        ({"replacement": r"0\1abc"}, "replacement", "may hold only digits, *, #, + and group references"),
        ({"replacement": "0\\1\r\n"}, "replacement", "may hold only digits"),
        ({"replacement": r"0\2"}, "replacement", "The pattern has no group 2."),
        ({"replacement": r"0\g<name>"}, "replacement", "The pattern has no group name."),
        ({"replacement": "\\"}, "replacement", "may hold only digits"),
        ({"name": "x\x00"}, "name", "Control characters"),
        ({"name": ""}, "name", "This field cannot be blank."),
    ],
)
def test_it_refuses_bad_rules_with_a_clear_error(fields, field, message):
    rule = RewriteRule(**{"name": "service", "pattern": r"^(3\d{3})$", "replacement": r"0\1", **fields})
    with pytest.raises(ValidationError) as caught:
        rule.full_clean()
    messages = caught.value.message_dict[field]
    assert any(message in text for text in messages), messages
    assert len(messages) == 1  # said once, not by two validators


def test_the_rules_of_a_pbx_are_its_own_and_those_of_every_pbx(console_pbx, make_pbx):
    other = make_pbx(GB)
    RewriteRule.objects.create(pbx=None, position=30, name="c", pattern="^1", replacement="1")
    RewriteRule.objects.create(
        pbx=console_pbx, position=10, name="a", pattern="^2", replacement="2", final=True
    )
    RewriteRule.objects.create(pbx=console_pbx, position=30, name="d", pattern="^3", replacement="3")
    RewriteRule.objects.create(pbx=other, position=20, name="other", pattern="^4", replacement="4")
    RewriteRule.objects.create(pbx=None, position=20, name="b", pattern="^5", replacement="5")
    RewriteRule.objects.create(pbx=None, position=1, name="off", pattern="^6", replacement="6", enabled=False)
    assert rules_for(console_pbx) == [
        Rule("a", "^2", "2", final=True),
        Rule("b", "^5", "5"),
        Rule("c", "^1", "1"),
        Rule("d", "^3", "3"),
    ]
    assert [rule.name for rule in rules_for(other)] == ["other", "b", "c"]
    assert [rule.name for rule in rules_for(None)] == ["b", "c"]


def test_rules_go_with_their_pbx(console_pbx):
    RewriteRule.objects.create(pbx=console_pbx, name="a", pattern="^2", replacement="2")
    RewriteRule.objects.create(pbx=None, name="b", pattern="^2", replacement="2")
    console_pbx.delete()
    assert list(RewriteRule.objects.values_list("name", flat=True)) == ["b"]


@pytest.mark.parametrize(
    ("fields", "field"), [({"pattern": r"^(3\d{3}$"}, "pattern"), ({"replacement": r"0\1abc"}, "replacement")]
)
def test_a_rule_that_cannot_run_is_never_saved(fields, field):
    with pytest.raises(ValidationError) as caught:
        RewriteRule.objects.create(
            **{"name": "service", "pattern": r"^(3\d{3})$", "replacement": r"0\1", **fields}
        )
    assert field in caught.value.message_dict
    assert not RewriteRule.objects.exists()
