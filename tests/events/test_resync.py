"""After a reconnection or a restart: the snapshot settles what was missed, and nothing is said twice."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from dialer.models import Call
from drivers.events import (
    CallEnded,
    LegAnswered,
    LegEnd,
    LegEnded,
    LegRinging,
    LegSnapshot,
    LegState,
    PbxBooted,
    PhoneChanged,
    PhoneState,
    Snapshot,
)
from events.models import UserEvent
from events.tracker import MAX_HELD, CallTracker, Incoming
from events.writer import Writer
from tests.events.conftest import events_of, outgoing

pytestmark = pytest.mark.django_db

CALL = "1796605687.29"
MARIE = ("0142685300", "Marie Dubois")


def ring(leg: str, phone: str) -> LegRinging:
    return LegRinging(call_key=CALL, leg_key=leg, endpoint=f"PJSIP/{phone}", caller_number=MARIE[0],
                      caller_name=MARIE[1])  # fmt: skip


def leg(leg_key: str, phone: str, state: LegState, call_id: str = "", call_key: str = CALL) -> LegSnapshot:
    return LegSnapshot(call_key=call_key, leg_key=leg_key, endpoint=f"PJSIP/{phone}", state=state,
                       caller_number=MARIE[0], caller_name=MARIE[1], call_id=call_id)  # fmt: skip


def run(pbx, tracker: CallTracker, events=(), snapshot: Snapshot | None = None) -> None:
    writer = Writer(pbx)
    if snapshot is not None:
        writer.apply(tracker.resync(snapshot))
        writer.resync(snapshot)
    writer.apply(tracker.feed(events))


def test_a_listener_restarted_mid_ring_says_incoming_once_then_the_answer(pbx, phones):
    run(pbx, CallTracker(), [ring("a", "1001")])
    # The listener dies; the next one starts with nothing in memory, from the PBX's snapshot.
    again = CallTracker()
    run(pbx, again, snapshot=Snapshot(legs=(leg("a", "1001", LegState.RINGING),), at=time.time()))
    run(pbx, again, [LegAnswered(call_key=CALL, leg_key="a", endpoint="PJSIP/1001")])
    assert events_of(phones["alice"]) == [
        ("incoming", *MARIE, "", False),
        ("answered", *MARIE, "answered", True),
    ]


def test_a_call_answered_while_nobody_listened_is_answered_once(pbx, phones):
    run(pbx, CallTracker(), [ring("a", "1001"), ring("b", "1002")])
    tracker = CallTracker()
    snapshot = Snapshot(legs=(leg("b", "1002", LegState.UP),), at=time.time())  # Bruno took it; 1001 is gone
    run(pbx, tracker, snapshot=snapshot)
    run(pbx, tracker, snapshot=snapshot)  # and a second reconnection changes nothing
    assert events_of(phones["bruno"])[-1] == ("answered", *MARIE, "answered", True)
    assert events_of(phones["alice"])[-1] == ("answered", *MARIE, "answered", False)
    assert UserEvent.objects.count() == 4


def test_a_call_that_ended_while_nobody_listened_is_missed(pbx, phones):
    run(pbx, CallTracker(), [ring("a", "1003")])
    run(pbx, CallTracker(), snapshot=Snapshot(at=time.time()))  # the PBX has no such call any more
    assert events_of(phones["chloe"]) == [
        ("incoming", *MARIE, "", False),
        ("missed", *MARIE, "missed", False),
    ]
    assert Call.objects.get(direction="in").reason == "the call ended while the listener was not connected"


def test_a_dropped_connection_settles_the_legs_held(pbx, phones):
    tracker = CallTracker()
    run(pbx, tracker, [ring("a", "1001"), ring("b", "1002")])
    run(pbx, tracker, snapshot=Snapshot(legs=(leg("b", "1002", LegState.RINGING),), at=time.time()))
    assert events_of(phones["alice"])[-1] == ("missed", *MARIE, "missed", False)  # her phone stopped
    assert events_of(phones["bruno"]) == [("incoming", *MARIE, "", False)]  # still ringing
    run(pbx, tracker, [LegEnded(call_key=CALL, leg_key="b", endpoint="PJSIP/1002", reason=LegEnd.BUSY)])
    assert events_of(phones["bruno"])[-1] == ("missed", *MARIE, "missed", False)


def test_a_click_to_dial_that_ended_unseen_is_unknown_and_one_still_up_is_answered(pbx, phones):
    alice = phones["alice"]
    gone = outgoing(alice, pbx, "11111111-0000-4000-8000-000000000001")
    up = outgoing(alice, pbx, "22222222-0000-4000-8000-000000000002")
    fresh = outgoing(alice, pbx, "33333333-0000-4000-8000-000000000003")  # the PBX may not have it yet
    Call.objects.filter(pk__in=[gone.pk, up.pk]).update(created=timezone.now() - timedelta(seconds=40))
    key = str(up.call_id)
    run(
        pbx, CallTracker(), snapshot=Snapshot(legs=(leg(key, "1001", LegState.UP, key, key),), at=time.time())
    )
    statuses = {c.pk: (c.status, c.reason) for c in Call.objects.all()}
    assert statuses[gone.pk] == ("unknown", "the call ended while the listener was not connected")
    assert statuses[up.pk] == ("answered", "answered")
    assert statuses[fresh.pk] == ("queued", "")
    assert sorted(e[3] for e in events_of(alice)) == ["answered", "unknown"]


def test_the_sweep_gives_stale_queued_calls_their_reason(pbx, phones):
    stale = outgoing(phones["alice"], pbx, "44444444-0000-4000-8000-000000000004")
    recent = outgoing(phones["alice"], pbx, "55555555-0000-4000-8000-000000000005")
    # ring timeout 25 s + network 5 s + the grace minute
    Call.objects.filter(pk=stale.pk).update(created=timezone.now() - timedelta(seconds=91))
    Call.objects.filter(pk=recent.pk).update(created=timezone.now() - timedelta(seconds=80))
    Writer(pbx).sweep(frozenset())
    assert Call.objects.get(pk=stale.pk).status == "unknown"
    assert Call.objects.get(pk=stale.pk).reason == "the PBX never reported the outcome"
    assert Call.objects.get(pk=recent.pk).status == "queued"


def test_the_sweep_leaves_calls_that_still_ring(pbx, phones):
    tracker = CallTracker()
    run(pbx, tracker, [ring("a", "1001")])
    Call.objects.update(updated=timezone.now() - timedelta(minutes=5))
    Writer(pbx).sweep(tracker.live_calls())
    assert Call.objects.get().reason == "ringing"
    Writer(pbx).sweep(frozenset())
    assert Call.objects.get().reason == "the call ended"


def test_a_pbx_restart_ends_the_calls_and_doubts_unavailable_phones(pbx, phones):
    from accounts.models import Extension
    from events.presence import phone_state_for

    tracker = CallTracker()
    run(pbx, tracker, [ring("a", "1001"), PbxBooted(at=time.time())])
    assert events_of(phones["alice"])[-1] == ("missed", *MARIE, "missed", False)
    run(pbx, tracker, [PhoneChanged(endpoint="PJSIP/1001", state=PhoneState.UNAVAILABLE)])
    assert phone_state_for(Extension.objects.get(number="1001")) == "unknown"  # not trusted yet


def test_a_transferred_call_rings_the_new_phone(pbx, phones):
    tracker = CallTracker()
    first = LegAnswered(call_key=CALL, leg_key="a", endpoint="PJSIP/1001")
    then = LegAnswered(call_key=CALL, leg_key="c", endpoint="PJSIP/1003")
    run(pbx, tracker, [ring("a", "1001"), first, ring("c", "1003"), then, CallEnded(call_key=CALL)])
    assert events_of(phones["chloe"]) == [
        ("incoming", *MARIE, "", False),
        ("answered", *MARIE, "answered", True),
    ]


def test_a_flood_of_rings_that_never_end_holds_bounded_memory():
    tracker = CallTracker()
    effects = tracker.feed(
        LegRinging(call_key=f"c{n}", leg_key=f"l{n}", endpoint="PJSIP/1001") for n in range(MAX_HELD + 500)
    )
    assert len(tracker.live_calls()) == MAX_HELD
    assert sum(isinstance(e, Incoming) for e in effects) == MAX_HELD + 500
    assert "c0" not in tracker.live_calls()
