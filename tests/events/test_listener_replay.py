"""The listener over the fake PBXs replaying the recorded bytes: AMI, AJAM and ARI, each scenario.

The listener runs in a thread of the test (its own database connection), as in
``manage.py pbx_events``; the fake PBX replays what a real Asterisk 22 sent during each call.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Extension
from dialer.models import Call
from drivers.models import PbxServer
from events.models import ListenerLease
from testkit.fake_asterisk.events_ajam import EventsAjam
from testkit.fake_asterisk.events_ari import EventsAri
from testkit.fake_asterisk.events_replay import EventsAmi, recorded_answer, retarget, ring_and_rest
from testkit.fake_asterisk.replay import transcript
from tests.drivers.asterisk_scenarios import CALL_27, CALL_28, CALL_29, CALL_30
from tests.drivers.test_ari_events import ORIGINATES
from tests.drivers.test_asterisk_manager_events import our_ids
from tests.events.conftest import events_of, outgoing
from tests.events.helpers import Watch, listening, wait_until
from tests.events.scenarios import TOLD

pytestmark = pytest.mark.django_db(transaction=True)

DRIVERS = {"ami": "asterisk_ami", "ajam": "asterisk_ajam", "ari": "asterisk_ari"}


@contextlib.contextmanager
def fake(protocol: str, name: str) -> Iterator[Any]:
    """The fake PBX of ``protocol`` replaying ``name``, our call ids in place of the recorded ones."""
    ids = our_ids(name) or None
    if protocol == "ami":
        with EventsAmi(transcript(f"ami-{name}")) as pbx:
            yield pbx
    elif protocol == "ajam":
        with EventsAjam(f"ajam-{name}", ids=ids) as pbx:
            yield pbx
    else:
        with EventsAri(f"ari-{name}", ids=ids) as pbx:
            yield pbx


def point(pbx_row: PbxServer, protocol: str, port: int) -> PbxServer:
    PbxServer.objects.filter(pk=pbx_row.pk).update(
        driver=DRIVERS[protocol], host="127.0.0.1", port=port, username="astitray",
        secret="astitray-secret", timeout_s=3.0,
    )  # fmt: skip
    pbx_row.refresh_from_db()
    return pbx_row


@pytest.mark.parametrize("protocol", ["ami", "ajam", "ari"])
@pytest.mark.parametrize("name", sorted(TOLD))
def test_each_recorded_call_tells_exactly_its_users(pbx, phones, watch, protocol, name):
    told = TOLD[name]
    with fake(protocol, name) as fake_pbx, listening(point(pbx, protocol, fake_pbx.port)):
        assert watch.connected.wait(10), "the listener never connected"
        time.sleep(0.3)  # the snapshot is read
        fake_pbx.play()
        count = sum(len(events) for events in told.values())
        assert wait_until(lambda: watch.count() >= count)
        time.sleep(0.5)  # nothing more comes
    for username, user in phones.items():
        assert events_of(user) == told.get(username, []), username
    rows = {(c.username, c.status) for c in Call.objects.filter(direction="in")}
    assert rows == {(username, events[-1][0] if events[-1][0] == "missed" else "answered")
                    for username, events in told.items()}  # fmt: skip


CLICKS = {
    "27-clicktodial-answered": (CALL_27, "answered"),
    "28-clicktodial-noanswer": (CALL_28, "no_answer"),
    "29-clicktodial-busy": (CALL_29, "busy"),
}
OUTCOMES = [
    *[("ajam", name, *outcome) for name, outcome in CLICKS.items()],
    ("ajam", "30-clicktodial-unregistered", CALL_30, "failed"),
    *[("ari", name, *outcome) for name, outcome in CLICKS.items()],
    ("ari", "39-originate-answered", ORIGINATES["39-originate-answered"], "answered"),
    ("ari", "40-originate-busy", ORIGINATES["40-originate-busy"], "busy"),
    ("ari", "41-originate-noanswer", ORIGINATES["41-originate-noanswer"], "no_answer"),
]


@pytest.mark.parametrize("case", OUTCOMES, ids=lambda case: f"{case[0]}-{case[1]}")
def test_a_click_to_dial_gets_its_outcome_from_the_listener(pbx, phones, watch, case):
    protocol, name, call_id, status = case
    # Whichever process placed the call (here: none left), the listener's stream ends it.
    outgoing(phones["alice"], pbx, call_id)
    with fake(protocol, name) as fake_pbx, listening(point(pbx, protocol, fake_pbx.port)):
        assert watch.connected.wait(10)
        time.sleep(0.3)
        fake_pbx.play()
        assert wait_until(lambda: watch.count() >= 1)
        time.sleep(0.5)
    assert events_of(phones["alice"]) == [("call", "0044207946095", "Dupont SA", status, False)]
    assert Call.objects.get().status == status
    assert not Call.objects.filter(direction="in").exists()  # her own phone rang: not an incoming call


def test_the_lease_row_says_who_listens_and_a_clean_stop_gives_it_back(pbx, phones, watch):
    with (
        fake("ami", "20-incoming-answered") as fake_pbx,
        listening(point(pbx, "ami", fake_pbx.port), "host-a:42"),
    ):
        assert watch.connected.wait(10)
        time.sleep(0.3)
        row = ListenerLease.objects.get(pbx=pbx)
        assert (row.holder, row.connected, row.connected_since is not None) == ("host-a:42", True, True)
    row = ListenerLease.objects.get(pbx=pbx)
    assert (row.holder, row.connected) == ("", False)


FIRST, SECOND = "ami-43-reconnect-during-call-first", "ami-43-reconnect-during-call-second"


def test_a_connection_dropped_mid_call_is_reopened_and_resynchronised(pbx, phones, watch):
    events = EventsAmi(transcript(FIRST)).unsolicited()
    ringing = events[: next(n for n, e in enumerate(events) if b"\r\nChannelStateDesc: Up\r\n" in e)]
    with EventsAmi(transcript(FIRST)) as fake_pbx, listening(point(pbx, "ami", fake_pbx.port)):
        assert watch.connected.wait(10)
        time.sleep(0.3)
        fake_pbx.broadcast(b"".join(ringing))
        assert wait_until(lambda: watch.count() >= 1)
        fake_pbx.load(transcript(SECOND))
        fake_pbx.lists["coreshowchannels"] = recorded_answer(SECOND, "csc-ringing")  # it still rings
        fake_pbx.drop()  # no goodbye, as when the network or Asterisk goes away
        assert wait_until(lambda: watch.connections >= 2 and fake_pbx.connected == 1)
        time.sleep(0.3)
        fake_pbx.play()  # 1001 answers, the caller hangs up
        assert wait_until(lambda: watch.count() >= 2)
        time.sleep(0.5)
    assert events_of(phones["alice"]) == [
        TOLD["20-incoming-answered"]["alice"][0],
        TOLD["20-incoming-answered"]["alice"][1],
    ]
    assert Call.objects.get(direction="in").status == "answered"


def test_garbage_a_flood_and_a_message_cut_in_half_leave_the_calls_right(pbx, phones, watch, caplog):
    flood = b"".join(
        b"Event: Newstate\r\nPrivilege: call,all\r\nChannel: PJSIP/x%d-00000001\r\nChannelState: 5\r\n"
        b"ChannelStateDesc: Ringing\r\nUniqueid: 9.%d\r\nLinkedid: 9.%d\r\n\r\n" % (n, n, n)
        for n in range(10_000)
    )  # 10,000 channels of phones nobody has, ringing, with headers missing
    with (
        EventsAmi(transcript("ami-20-incoming-answered"), chunk=4096) as fake_pbx,
        listening(point(pbx, "ami", fake_pbx.port)),
    ):
        assert watch.connected.wait(10)
        time.sleep(0.3)
        fake_pbx.broadcast(b"garbage\r\n\r\n\x00\xff\r\n\r\n" + flood)
        fake_pbx.play()
        assert wait_until(lambda: watch.count() >= 2, timeout=30)
        fake_pbx.broadcast(b"Event: Hangup\r\nPrivilege: call,all\r\nChannel: PJSIP/1001-0000")  # cut
        fake_pbx.drop()
        assert wait_until(lambda: watch.connections >= 2)
        time.sleep(0.5)
    assert events_of(phones["alice"]) == TOLD["20-incoming-answered"]["alice"]
    assert Call.objects.count() == 1  # a row for alice's call only, none for the flood's channels
    assert caplog.text.count("unreadable text from the PBX") <= 1


def test_a_pbx_restart_ends_the_call_and_its_unavailable_phones_are_not_trusted_yet(pbx, phones, watch):
    from accounts.models import Extension
    from events.presence import phone_state_for

    after = "ami-35-core-restart-new-login"
    with (
        EventsAmi(transcript("ami-35-core-restart-first-connection")) as fake_pbx,
        listening(point(pbx, "ami", fake_pbx.port)),
    ):
        assert watch.connected.wait(10)
        time.sleep(0.3)
        fake_pbx.play()  # a call is up, then "core restart now": hung up, Shutdown
        time.sleep(1.0)
        fake_pbx.load(transcript(after))
        fake_pbx.lists.update(coreshowchannels=recorded_answer(after, "csc-after"),
                              devicestatelist=recorded_answer(after, "dsl-after-restart"))  # fmt: skip
        fake_pbx.drop()  # Asterisk closes the connection; the new login says FullyBooted, Uptime 0
        assert wait_until(lambda: watch.connections >= 2)
        time.sleep(1.0)
        # Every phone reads unavailable for ~6 s after a boot: not trusted, so no dial is refused.
        assert phone_state_for(Extension.objects.get(number="1002")) == "unknown"
    assert Call.objects.filter(direction="in", reason="ringing").count() == 0  # nothing left ringing


def more_than(watch: Watch, count: int) -> bool:
    return watch.count() > count


def test_a_recorded_call_retargeted_rings_only_the_new_phone_and_each_replay_is_a_new_call(
    pbx, phones, watch
):
    """What bench/events.py replays: one recorded call, as many distinct calls to other phones."""
    dora = get_user_model().objects.create_user("dora", password="dora-pw-1")
    Extension.objects.create(user=dora, number="20007", channel="PJSIP/20007", pbx=pbx)
    recorded = EventsAmi(transcript("ami-21-incoming-noanswer")).unsolicited()
    with (
        EventsAmi(transcript("ami-21-incoming-noanswer")) as fake_pbx,
        listening(point(pbx, "ami", fake_pbx.port)),
    ):
        assert watch.connected.wait(10), "the listener never connected"
        time.sleep(0.3)  # the snapshot is read
        for serial in (1, 2):
            ring, rest = ring_and_rest(retarget(recorded, "1003", "20007", serial))
            told = 2 * serial - 2
            fake_pbx.broadcast(ring)
            assert wait_until(partial(more_than, watch, told))
            assert watch.count() == told + 1  # "incoming" once the phone rings, nothing more
            fake_pbx.broadcast(rest)
            assert wait_until(partial(more_than, watch, told + 1))
        time.sleep(0.5)  # nothing more comes
    assert events_of(dora) == TOLD["21-incoming-noanswer"]["chloe"] * 2
    for user in phones.values():
        assert events_of(user) == []
    rows = Call.objects.filter(direction="in")
    assert [(c.username, c.status, c.extension) for c in rows] == [("dora", "missed", "20007")] * 2
    assert len({c.call_key for c in rows}) == 2
