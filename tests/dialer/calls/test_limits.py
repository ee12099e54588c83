"""The rate limit's sliding window and the double-click guard, on Django's cache."""

from __future__ import annotations

import pytest
from django.core.cache.backends import locmem

from dialer import limits


class Clock:
    """Moves the local-memory cache's clock (its entries expire by ``time.time()``)."""

    def __init__(self, monkeypatch) -> None:
        self.now = 1_800_000_000.0
        monkeypatch.setattr(locmem.time, "time", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def test_the_limit_holds_in_any_sixty_seconds_not_per_clock_minute(clock):
    assert all(limits.take_rate_slot("u1", limit=3) for _ in range(2))  # t = 0: two calls
    clock.advance(50)
    assert limits.take_rate_slot("u1", limit=3)  # t = 50: the third
    clock.advance(9)
    assert not limits.take_rate_slot("u1", limit=3)  # t = 59: three in the last minute
    clock.advance(2)
    assert limits.take_rate_slot("u1", limit=3)  # t = 61: the two of t = 0 are over a minute old
    assert limits.take_rate_slot("u1", limit=3)
    assert not limits.take_rate_slot("u1", limit=3)
    clock.advance(50)
    assert limits.take_rate_slot("u1", limit=3)  # t = 111: the call of t = 50 is over a minute old
    assert not limits.take_rate_slot("u1", limit=3)


def test_a_refused_attempt_does_not_count(clock):
    assert limits.take_rate_slot("u2", limit=1)
    for _ in range(5):
        clock.advance(10)
        assert not limits.take_rate_slot("u2", limit=1)
    clock.advance(11)
    assert limits.take_rate_slot("u2", limit=1)


def test_users_have_their_own_slots(clock):
    assert limits.take_rate_slot("u3", limit=1)
    assert limits.take_rate_slot("u4", limit=1)
    assert not limits.take_rate_slot("u3", limit=1)


def test_the_default_is_the_setting(clock, settings):
    settings.ASTITRAY_RATE_LIMIT = 10
    assert sum(limits.take_rate_slot("u5") for _ in range(12)) == 10


def test_a_number_is_claimed_for_a_few_seconds(clock, settings):
    settings.ASTITRAY_DIAL_GUARD_SECONDS = 5
    assert limits.claim_number(1, "1002", "call-a") is None
    clock.advance(4)
    assert limits.claim_number(1, "1002", "call-b") == "call-a"
    assert limits.claim_number(1, "1003", "call-c") is None  # another number
    assert limits.claim_number(2, "1002", "call-d") is None  # another user
    clock.advance(2)
    assert limits.claim_number(1, "1002", "call-e") is None


def test_only_the_holder_releases_a_claim(clock):
    assert limits.claim_number(1, "1002", "call-a") is None
    limits.release_number(1, "1002", "call-x")
    assert limits.claim_number(1, "1002", "call-b") == "call-a"
    limits.release_number(1, "1002", "call-a")
    assert limits.claim_number(1, "1002", "call-b") is None
