"""``manage.py purge_calls``: the call log's retention."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from dialer.management.commands import purge_calls
from dialer.models import Call

pytestmark = pytest.mark.django_db


def place(alice, days_ago: float, number: str) -> Call:
    call = Call.objects.create(
        user=alice, username="alice", extension="1001", number=number, status="answered"
    )
    Call.objects.filter(pk=call.pk).update(created=timezone.now() - datetime.timedelta(days=days_ago))
    return call


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("purge_calls", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def log(alice) -> dict[str, Call]:
    return {
        "old": place(alice, 400, "0100"),
        "older": place(alice, 800, "0200"),
        "recent": place(alice, 10, "0300"),
        "today": place(alice, 0, "0400"),
    }


def test_calls_older_than_the_limit_are_deleted_and_newer_ones_kept(log):
    assert "2 calls placed before" in run("--older-than", "365")
    assert sorted(Call.objects.values_list("number", flat=True)) == ["0300", "0400"]
    # Running again deletes nothing more.
    assert "0 calls placed before" in run("--older-than", "365")
    assert Call.objects.count() == 2


def test_a_dry_run_counts_and_changes_nothing(log):
    assert "3 calls placed before" in run("--older-than", "5", "--dry-run")
    assert Call.objects.count() == 4


def test_more_calls_than_a_batch_are_all_deleted(alice, monkeypatch):
    monkeypatch.setattr(purge_calls, "BATCH", 3)
    for index in range(8):
        place(alice, 100, f"05{index:02}")
    kept = place(alice, 1, "0600")
    assert "8 calls placed before" in run("--older-than", "30")
    assert list(Call.objects.all()) == [kept]


@pytest.mark.parametrize("days", ["0", "-3"])
def test_a_limit_under_a_day_is_refused_and_changes_nothing(log, days):
    with pytest.raises(CommandError, match="at least 1 day"):
        run("--older-than", days)
    assert Call.objects.count() == 4


@pytest.mark.parametrize("days", ["36501", "3000000", "99999999999999999999"])
def test_a_limit_past_a_century_is_refused_and_changes_nothing(log, days):
    # Past ~2.7 million days the cutoff is no date at all: an OverflowError, not a message.
    with pytest.raises(CommandError, match="at most 36500 days"):
        run("--older-than", days)
    assert Call.objects.count() == 4


def test_a_century_is_accepted(log):
    assert "0 calls placed before" in run("--older-than", "36500")
    assert Call.objects.count() == 4


def test_the_limit_is_required(log):
    with pytest.raises(CommandError):
        run()
    assert Call.objects.count() == 4
