"""The pipeline on every recorded scenario: neutral events in, Call rows and user events out.

The events are those each recording yields (tests/drivers/asterisk_scenarios.py, checked against
the replayed bytes of AMI, AJAM and ARI by the drivers' tests); here they go through the tracker
and the writer with the users of the recordings' phones.
"""

from __future__ import annotations

import pytest

from dialer.models import Call
from events.models import UserEvent
from events.tracker import CallTracker
from events.writer import Writer
from tests.drivers.asterisk_scenarios import (
    CALL_27,
    CALL_28,
    CALL_29,
    CALL_30,
    CALL_45A,
    CALL_45B,
    MANAGER,
    expected,
)
from tests.events.conftest import events_of, outgoing

pytestmark = pytest.mark.django_db

MARIE = ("0142685300", "Marie Dubois")


def play(pbx, name: str) -> CallTracker:
    tracker = CallTracker()
    writer = Writer(pbx)
    writer.apply(tracker.feed(expected(name)))
    return tracker


def incoming_rows() -> list[tuple]:
    return sorted(
        (c.username, c.number, c.name, c.status, c.reason) for c in Call.objects.filter(direction="in")
    )


@pytest.mark.parametrize(
    ("name", "end"),
    [
        ("20-incoming-answered", ("alice", True, "answered")),
        ("21-incoming-noanswer", ("chloe", False, "not answered")),
        ("22-incoming-busy", ("bruno", False, "declined on the phone")),
        ("23-incoming-caller-cancel", ("chloe", False, "the caller hung up")),
    ],
)
def test_a_direct_incoming_call(pbx, phones, name, end):
    who, answered, reason = end
    play(pbx, name)
    ended = ("answered", *MARIE, "answered", True) if answered else ("missed", *MARIE, "missed", False)
    assert events_of(phones[who]) == [("incoming", *MARIE, "", False), ended]
    assert incoming_rows() == [(who, *MARIE, "answered" if answered else "missed", reason)]
    others = [user for username, user in phones.items() if username != who]
    assert UserEvent.objects.filter(user__in=others).count() == 0


@pytest.mark.parametrize(
    ("name", "took", "other"), [("24-ringgroup", "bruno", "alice"), ("25-queue", "alice", "bruno")]
)
def test_a_ring_group_or_queue_answered_by_a_colleague(pbx, phones, name, took, other):
    play(pbx, name)
    assert events_of(phones[took]) == [
        ("incoming", *MARIE, "", False),
        ("answered", *MARIE, "answered", True),
    ]
    # The colleague's phone rang too: answered, not by them, and not missed (the queue's CANCEL came twice).
    assert events_of(phones[other]) == [
        ("incoming", *MARIE, "", False),
        ("answered", *MARIE, "answered", False),
    ]
    assert incoming_rows() == sorted([
        (took, *MARIE, "answered", "answered"), (other, *MARIE, "answered", "answered on another phone"),
    ])  # fmt: skip
    assert events_of(phones["chloe"]) == []


def test_an_internal_call_rings_the_callee_only(pbx, phones):
    play(pbx, "26-internal-call")
    bruno = ("1002", "Bruno Petit")
    assert events_of(phones["alice"]) == [
        ("incoming", *bruno, "", False),
        ("answered", *bruno, "answered", True),
    ]
    assert events_of(phones["bruno"]) == []  # the caller is told nothing of his own call
    assert incoming_rows() == [("alice", *bruno, "answered", "answered")]


@pytest.mark.parametrize(
    ("name", "calls"),
    [
        ("27-clicktodial-answered", {CALL_27: "answered"}),
        ("28-clicktodial-noanswer", {CALL_28: "no_answer"}),
        ("29-clicktodial-busy", {CALL_29: "busy"}),
        ("30-clicktodial-unregistered", {CALL_30: "failed"}),
        ("45-clicktodial-channelid", {CALL_45A: "busy", CALL_45B: "answered"}),
    ],
)
def test_a_click_to_dial_outcome_reaches_its_row_and_its_caller(pbx, phones, name, calls):
    alice = phones["alice"]
    for call_id in calls:
        outgoing(alice, pbx, call_id)
    play(pbx, name)
    assert {str(c.call_id): c.status for c in Call.objects.all()} == calls
    # Her own phone rang for her own call: no incoming, only the outcome.
    assert events_of(alice) == [
        ("call", "0044207946095", "Dupont SA", status, False) for status in calls.values()
    ]
    assert not Call.objects.filter(direction="in").exists()


def test_an_outcome_for_another_pbx_or_no_row_writes_nothing(pbx, phones, console_pbx):
    outgoing(phones["alice"], console_pbx, CALL_27)  # the same call id, on another PBX
    play(pbx, "27-clicktodial-answered")
    assert Call.objects.get().status == "queued"
    assert UserEvent.objects.count() == 0


def test_a_phone_nobody_has_and_users_without_phones_get_nothing(pbx, phones):
    play(pbx, "20-incoming-answered")  # also the trunk's legs and states
    assert UserEvent.objects.exclude(user=phones["alice"]).count() == 0
    assert Call.objects.filter(direction="in").count() == 1


def test_played_twice_gives_nothing_new(pbx, phones):
    tracker = play(pbx, "24-ringgroup")
    before = (UserEvent.objects.count(), incoming_rows())
    Writer(pbx).apply(tracker.feed(expected("24-ringgroup")))  # the same keys again: a repeat
    assert (UserEvent.objects.count(), incoming_rows()) == before


def test_presence_follows_the_phones(pbx, phones):
    from accounts.models import Extension
    from events.presence import phone_state_for

    play(pbx, "31-presence-register")
    chloe = Extension.objects.get(number="1003")
    assert phone_state_for(chloe) == "idle"
    play(pbx, "20-incoming-answered")
    assert phone_state_for(Extension.objects.get(number="1001")) == "idle"


def test_every_scenario_is_covered():
    covered = {"20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "45"}
    assert {name[:2] for name in MANAGER} == covered


def test_a_phone_given_after_the_listener_started_rings_at_once(pbx, phones, monkeypatch):
    from accounts.models import Extension
    from events import owners
    from tests.drivers.asterisk_scenarios import ring

    writer = Writer(pbx)
    assert writer.owners.of("PJSIP/1004") == []
    Extension.objects.create(user=phones["bob"], number="1004", channel="PJSIP/1004", pbx=pbx)
    monkeypatch.setattr(owners, "MISS_REFRESH_S", 0.0)  # (else at most once a second)
    writer.apply(CallTracker().feed([ring("9.1", "9.2", "1004")]))
    assert events_of(phones["bob"]) == [("incoming", *MARIE, "", False)]


def test_the_same_phone_name_on_another_pbx_or_a_disabled_phone_gets_nothing(pbx, phones, console_pbx):
    from accounts.models import Extension

    # Bob's phone is PJSIP/1001 too, but on another PBX; Chloé's 1003 is disabled.
    Extension.objects.create(user=phones["bob"], number="1001", channel="PJSIP/1001", pbx=console_pbx)
    Extension.objects.filter(number="1003").update(enabled=False)
    play(pbx, "20-incoming-answered")
    play(pbx, "21-incoming-noanswer")
    assert events_of(phones["bob"]) == [] and events_of(phones["chloe"]) == []
    assert [e[0] for e in events_of(phones["alice"])] == ["incoming", "answered"]
    assert set(Call.objects.values_list("username", flat=True)) == {"alice"}


def test_the_caller_is_named_from_the_phonebook_before_the_pbxs_caller_id(pbx, phones):
    from tests.phonebook.helpers import add

    contact = add("Marie Dubois-Laurent", "+33 1 42 68 53 00", company="Dubois SARL")
    play(pbx, "20-incoming-answered")  # the PBX says "Marie Dubois" <0142685300>
    for event in UserEvent.objects.filter(user=phones["alice"]):
        assert (event.payload["name"], event.payload["company"]) == ("Marie Dubois-Laurent", "Dubois SARL")
        assert (event.payload["contact_id"], event.payload["number"]) == (contact.pk, "0142685300")
    assert Call.objects.get(direction="in").name == "Marie Dubois-Laurent"
