"""The rules each process keeps: reused while unchanged, read again after any change."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import Group

from dialer import policy
from dialer.models import NumberRule, RewriteRule
from drivers import process_copy
from drivers.default_pbx import default_pbx
from drivers.models import PbxServer

pytestmark = pytest.mark.django_db


def test_unchanged_rules_are_not_read_again(alice, django_assert_num_queries):
    NumberRule.objects.create(pattern="^0089", action="deny")
    assert not policy.check_number(alice, "00899123456").allowed
    with django_assert_num_queries(0):
        assert not policy.check_number(alice, "00899123456").allowed
        assert policy.rules_for(None) == []


def disable(rule: NumberRule) -> None:
    rule.enabled = False
    rule.save()


@pytest.mark.parametrize(
    "change",
    [
        lambda rule: NumberRule.objects.filter(pk=rule.pk).update(action="allow"),
        lambda rule: NumberRule.objects.filter(pk=rule.pk).delete(),
        disable,
        lambda rule: rule.delete(),
    ],
    ids=["queryset update", "queryset delete", "save", "delete"],
)
def test_every_kind_of_change_is_seen_at_once(alice, change):
    rule = NumberRule.objects.create(pattern="^0089", action="deny")
    assert not policy.number_allowed(alice, "00899123456")
    change(rule)
    assert policy.number_allowed(alice, "00899123456")


def test_groups_added_to_a_rule_or_deleted_are_seen_at_once(alice):
    rule = NumberRule.objects.create(pattern="^0089", action="deny")
    interns = Group.objects.create(name="interns")
    rule.groups.add(interns)
    assert policy.number_allowed(alice, "00899123456")  # alice is no intern
    interns.delete()  # the rule has no group left: it applies to everyone again
    assert not policy.number_allowed(alice, "00899123456")


def test_rewrite_rules_of_other_pbxs_are_left_out(alice, console_pbx):
    from drivers.models import PbxServer

    other = PbxServer.objects.create(name="Lyon", driver="console")
    RewriteRule.objects.create(name="every PBX", pattern="^1", replacement="2")
    RewriteRule.objects.create(name="ours", pbx=console_pbx, pattern="^2", replacement="3")
    RewriteRule.objects.create(name="theirs", pbx=other, pattern="^3", replacement="4")
    assert [rule.name for rule in policy.rules_for(console_pbx)] == ["every PBX", "ours"]
    assert [rule.name for rule in policy.rules_for(None)] == ["every PBX"]


def test_a_copy_is_trusted_for_a_few_seconds_at_most(alice, monkeypatch, django_assert_num_queries):
    policy.rules_for(None)
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + process_copy.MAX_AGE_S + 1)
    with django_assert_num_queries(2):  # read again, although no change was seen
        policy.rules_for(None)


def test_the_default_pbx_is_not_read_again_by_each_dial(alice, console_pbx):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dialer import services

    assert alice.extension.pbx_id is None  # alice's phone uses the default PBX
    services.dial(alice, "0102030405")
    with CaptureQueriesContext(connection) as queries:
        answer = services.dial(alice, "0102030406")
    assert answer["status"] == "answered"
    # Alice's extension still comes with its (absent) PBX joined; the PBX table is never read on its own.
    read_pbx = re.compile(r"FROM [`\"]?drivers_pbxserver")
    assert not [query["sql"] for query in queries.captured_queries if read_pbx.search(query["sql"])]
    assert default_pbx() == console_pbx


def disable_pbx(pbx: PbxServer) -> None:
    pbx.enabled = False
    pbx.save()


@pytest.mark.parametrize(
    "change",
    [
        lambda pbx: PbxServer.objects.filter(pk=pbx.pk).update(enabled=False),
        lambda pbx: PbxServer.objects.filter(pk=pbx.pk).delete(),
        disable_pbx,
        lambda pbx: pbx.delete(),
    ],
    ids=["queryset update", "queryset delete", "save", "delete"],
)
def test_every_kind_of_change_of_the_default_pbx_is_seen_at_once(alice, console_pbx, change):
    from accounts.models import Extension

    extension = Extension.objects.get(user=alice)
    assert extension.effective_pbx() == console_pbx
    change(console_pbx)
    # Another PBX (the migrations' demo console) may now be the only enabled one: the database decides.
    assert extension.effective_pbx() != console_pbx
    assert extension.effective_pbx() == PbxServer.objects.default()


def test_a_new_default_pbx_is_seen_at_once(alice, console_pbx):
    assert default_pbx() == console_pbx
    other = PbxServer.objects.create(name="Other", driver="console", is_default=True)
    assert default_pbx() == other


def test_the_default_pbx_copy_is_trusted_for_a_few_seconds_at_most(
    alice, monkeypatch, django_assert_num_queries
):
    default_pbx()
    with django_assert_num_queries(0):
        default_pbx()
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + process_copy.MAX_AGE_S + 1)
    with django_assert_num_queries(1):  # read again, although no change was seen
        default_pbx()
