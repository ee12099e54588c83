"""Manager events (AMI, AJAM) -> neutral events: every recorded scenario, reads of every size, bad input."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from drivers.asterisk.events.manager import ManagerTranslator, manager_snapshot
from drivers.asterisk.manager.protocol import Framer, Message
from drivers.events import LegSnapshot, LegState, PbxBooted, PbxEvent, PhoneState, ProblemLog
from testkit.fake_asterisk.events_replay import messages_of, recorded_answer, with_ids
from testkit.fake_asterisk.replay import http_responses, transcript
from tests.drivers.asterisk_scenarios import MANAGER, ORIGINATED, calls, expected, phones

logger = logging.getLogger(__name__)


def our_ids(name: str) -> dict[bytes, bytes]:
    """The click-to-dial's recorded ids -> our call ids (the Originate carried ChannelId = ActionID)."""
    ids: dict[bytes, bytes] = {}
    for action_id, uid, call_id in ORIGINATED.get(name, []):
        ids[action_id] = call_id.encode()
        if uid:
            ids[uid] = call_id.encode()
    return ids


def recorded(kind: str, name: str) -> bytes:
    """The AMI server's bytes of scenario ``name``, our call ids in place of the click-to-dial's own."""
    return with_ids(transcript(f"{kind}-{name}"), our_ids(name))


def without_at(events: list[PbxEvent]) -> list[PbxEvent]:
    return [dataclasses.replace(e, at=0.0) for e in events]


def translate(messages: list[Message]) -> list[PbxEvent]:
    translator = ManagerTranslator(ProblemLog(logger))
    events = [m for m in messages if m.get("Privilege") or m.is_response]  # list items go to snapshots
    return without_at(translator.translate_all(events))


def ami_messages(raw: bytes, size: int) -> list[Message]:
    framer = Framer()
    found: list[Message] = []
    for start in range(0, len(raw), size):
        found += framer.feed(raw[start : start + size])
    return found


def ajam_messages(name: str, size: int) -> list[Message]:
    """Every message of every AJAM answer (its body, our ids in), each body framed in reads of ``size``."""
    found: list[Message] = []
    for answer in http_responses(transcript(f"ajam-{name}")):
        body = with_ids(answer.partition(b"\r\n\r\n")[2], our_ids(name))
        framer = Framer(banner=False)
        for start in range(0, len(body), size):
            found += framer.feed(body[start : start + size])
    return found


@pytest.mark.parametrize("size", [1, 7, 13, 4096, 65536])
@pytest.mark.parametrize("name", sorted(MANAGER))
def test_each_recorded_ami_scenario_yields_exactly_its_events(name, size):
    events = translate(ami_messages(recorded("ami", name), size))
    assert calls(events) == MANAGER[name][0]
    assert phones(events) == MANAGER[name][1]


@pytest.mark.parametrize("size", [1, 13, 65536])
@pytest.mark.parametrize("name", [n for n in sorted(MANAGER) if not n.startswith("45")])  # 45: AMI only
def test_each_recorded_ajam_scenario_yields_the_same_events(name, size):
    events = translate(ajam_messages(name, size))
    assert calls(events) == MANAGER[name][0]
    assert phones(events) == MANAGER[name][1]


def test_the_listener_users_view_yields_the_same_calls():
    # ami-34: read=call,system,reporting; a click-to-dial (placed elsewhere), then an incoming call.
    events = translate(messages_of_recording("ami-34-listener-user"))
    kinds = [type(e).__name__ for e in calls(events)]
    assert kinds.count("LegRinging") == 2 and kinds.count("CallEnded") == 2


def messages_of_recording(name: str) -> list[Message]:
    return [m for raw in messages_of(transcript(name)) for m in Framer(banner=False).feed(raw)]


def test_the_least_rights_user_sees_no_call_at_all():
    # ami-33: read=call + eventfilter OriginateResponse: such a user cannot be a listener.
    events = translate(messages_of_recording("ami-33-least-privilege-eventfilter"))
    assert calls(events) == [] and phones(events) == []


def test_a_restart_hangs_up_the_call_and_the_new_login_says_booted():
    first = translate(messages_of_recording("ami-35-core-restart-first-connection"))
    assert [type(e).__name__ for e in calls(first)][-2:] == ["LegEnded", "CallEnded"]
    after = translate(messages_of_recording("ami-35-core-restart-new-login"))
    assert after[0] == PbxBooted(settle_s=6.0)
    assert phones(after)[-1].state == PhoneState.IDLE  # qualified again ~6 s after the boot


def items(name: str, action_id: str) -> list[Message]:
    return [m for m in Framer(banner=False).feed(recorded_answer(name, action_id)) if m.is_event]


def test_the_snapshot_of_a_ringing_phone_lists_its_leg_and_the_phones():
    snapshot, members = manager_snapshot(
        items("ami-43-reconnect-during-call-second", "csc-ringing"),
        items("ami-32-presence-actions", "dsl-ringing"),
    )
    assert snapshot.legs == (
        LegSnapshot(call_key="1796606060.59", leg_key="1796606060.60", endpoint="PJSIP/1001",
                    state=LegState.RINGING, caller_number="0142685300", caller_name="Marie Dubois"),
    )  # fmt: skip
    assert snapshot.calls == {"1796606060.59"}
    assert members == {"1796606060.59": "1796606060.59", "1796606060.60": "1796606060.59"}
    assert snapshot.phones["PJSIP/1001"] == PhoneState.RINGING
    assert "Queue:support" not in snapshot.phones and snapshot.others == PhoneState.UNKNOWN


def test_after_a_restart_every_phone_reads_unavailable_and_no_call_is_left():
    snapshot, _ = manager_snapshot(
        items("ami-35-core-restart-new-login", "csc-after"),
        items("ami-35-core-restart-new-login", "dsl-after-restart"),
        booted=True,
    )
    assert snapshot.legs == () and snapshot.calls == frozenset() and snapshot.booted
    assert {snapshot.phones[f"PJSIP/{n}"] for n in ("1001", "1002", "1003")} == {PhoneState.UNAVAILABLE}


def test_hints_name_the_phones_when_the_pbx_has_no_device_list():
    snapshot, _ = manager_snapshot([], extensions=items("ami-32-presence-actions", "esl-inuse"))
    assert snapshot.phones["PJSIP/1001"] == PhoneState.IN_USE
    assert all("&" not in name for name in snapshot.phones)  # the group hint 1010 names no one phone


def test_a_reconnection_during_a_call_continues_from_the_snapshot():
    translator = ManagerTranslator(ProblemLog(logger))
    snapshot, members = manager_snapshot(items("ami-43-reconnect-during-call-second", "csc-ringing"))
    translator.seed(snapshot, members)
    live = [m for m in messages_of_recording("ami-43-reconnect-during-call-second") if m.get("Privilege")]
    events = without_at(translator.translate_all(live))
    call, leg = "1796606060.59", "1796606060.60"
    from tests.drivers.asterisk_scenarios import E, answer, end, over

    assert calls(events) == [answer(call, leg, "1001"), end(call, leg, "1001", E.ANSWERED), over(call)]


# --- bad input: logged once, the stream goes on --------------------------------------------------


def test_garbage_missing_headers_and_unknown_channels_are_dropped_and_logged_once(caplog):
    good = ami_messages(recorded("ami", "20-incoming-answered"), 65536)
    bad = Framer(banner=False).feed(
        b"\x00\xff garbage without a colon\r\n\r\n"
        # a DialBegin without DestUniqueid, then one without a channel
        b"Event: DialBegin\r\nPrivilege: call,all\r\nDestChannel: PJSIP/1001-00000099\r\n\r\n"
        b"Event: DialBegin\r\nPrivilege: call,all\r\nDestUniqueid: 9.9\r\nDestLinkedid: 9.9\r\n\r\n"
        b"Event: Hangup\r\nPrivilege: call,all\r\nUniqueid: 77.77\r\nLinkedid: 77.77\r\nCause: 16\r\n\r\n"
        b"Event: DeviceStateChange\r\nPrivilege: call,all\r\nDevice: PJSIP/1001\r\n\r\n"  # no State
        b"Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: soon\r\n\r\n"
    )
    with caplog.at_level(logging.WARNING):
        events = translate(bad * 50 + good)
    assert calls(events) == MANAGER["20-incoming-answered"][0]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4  # garbage, DestUniqueid, a channel name, State/bad value: once each
    assert len({r.getMessage() for r in warnings}) == 4


def test_a_flood_of_ten_thousand_state_changes_is_read_in_order():
    flood = b"".join(
        b"Event: DeviceStateChange\r\nPrivilege: call,all\r\nDevice: PJSIP/%d\r\nState: %s\r\n\r\n"
        % (n, b"INUSE" if n % 2 else b"NOT_INUSE")
        for n in range(10_000)
    )
    banner, _, call = recorded("ami", "22-incoming-busy").partition(b"\r\n")
    events = translate(ami_messages(banner + b"\r\n" + flood + call, 65536))
    states = phones(events)
    assert len(states) == 10_000 + len(MANAGER["22-incoming-busy"][1])
    assert states[9_999].endpoint == "PJSIP/9999" and states[9_999].state == PhoneState.IN_USE
    assert calls(events) == MANAGER["22-incoming-busy"][0]


def test_expected_lists_cover_each_scenario():
    assert all(expected(name) for name in MANAGER if not name.startswith("31")) is True
