"""The PBX-neutral event vocabulary, the queue stream and the console PBX's stream (no Django)."""

from __future__ import annotations

import logging
import time

import pytest

from drivers import console_events
from drivers.base import CallStatus, PbxConfig
from drivers.console import ConsoleDriver
from drivers.console_events import ConsoleEventStream, incoming_call, phone_state, write_script
from drivers.events import (
    CallEnded,
    CallProgress,
    LegAnswered,
    LegEnd,
    LegEnded,
    LegRinging,
    LegState,
    PbxBooted,
    PhoneChanged,
    PhoneState,
    ProblemLog,
    QueueStream,
    StreamLost,
    endpoint_key,
    endpoints_of,
    event_from_dict,
    event_to_dict,
    match_keys,
    offers_events,
)

EVERY_KIND = [
    LegRinging(call_key="1.1", leg_key="1.2", endpoint="PJSIP/1001", caller_number="0142685300",
               caller_name="Marie Dubois", at=1.5),
    LegAnswered(call_key="1.1", leg_key="1.2", endpoint="PJSIP/1001"),
    LegEnded(call_key="1.1", leg_key="1.2", endpoint="PJSIP/1001", reason=LegEnd.ANSWERED_ELSEWHERE),
    CallEnded(call_key="1.1"),
    CallProgress(call_id="0c9f1d3e-8d43-4f0e-9a51-0d2b6f1d1a11", status=CallStatus.BUSY, reason="busy"),
    PhoneChanged(endpoint="user/1001", state=PhoneState.UNAVAILABLE),
    PbxBooted(settle_s=6.0),
]  # fmt: skip


@pytest.mark.parametrize("event", EVERY_KIND, ids=lambda e: e.kind)
def test_it_writes_every_event_as_plain_values_and_reads_it_back(event):
    data = event_to_dict(event)
    assert all(isinstance(value, str | float | int) for value in data.values())
    assert event_from_dict(data) == event


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "nonsense"},
        {"kind": "leg_ringing", "call_key": "1"},  # leg_key and endpoint missing
        {"kind": "call_ended", "call_key": "1", "colour": "red"},
        {"kind": "leg_ended", "call_key": "1", "leg_key": "2", "endpoint": "PJSIP/1", "reason": "bored"},
        {"kind": "phone_changed", "endpoint": ["PJSIP/1"], "state": "idle"},
        {"kind": "call_progress", "call_id": "x", "status": "exploded"},
    ],
)
def test_it_refuses_events_it_cannot_read(data):
    with pytest.raises(ValueError):
        event_from_dict(data)


def test_it_knows_the_phones_a_dial_string_rings():
    assert endpoints_of("PJSIP/1001") == ("PJSIP/1001",)
    assert endpoints_of("PJSIP/1001&PJSIP/1002") == ("PJSIP/1001", "PJSIP/1002")
    assert endpoints_of("user/1001@127.0.0.1") == ("user/1001",)
    assert endpoints_of("SIP/alice/1001") == ("SIP/alice",)
    assert endpoints_of("Local/1001@originate-skipvm") == ("Local/1001@originate-skipvm",)
    assert endpoints_of("nonsense") == ()
    assert endpoint_key("pjsip/1001") == endpoint_key("PJSIP/1001") == "pjsip/1001"
    # A Local channel is matched to the phone its number rings.
    assert set(match_keys("Local/1001@from-internal")) <= set(match_keys("PJSIP/1001"))
    assert not set(match_keys("PJSIP/1002")) & set(match_keys("PJSIP/1001"))


def test_the_console_driver_offers_events_and_a_plain_driver_does_not():
    from drivers.base_http import HttpDriver

    assert offers_events(ConsoleDriver) and offers_events(ConsoleDriver(PbxConfig(name="c")))
    assert not offers_events(HttpDriver)
    assert isinstance(ConsoleDriver(PbxConfig(name="c")).event_stream(), ConsoleEventStream)


def test_a_queue_stream_hands_over_what_came_before_a_drop_then_is_lost():
    stream = QueueStream(PbxConfig(name="q"))
    stream.open()
    assert stream.read(0.01) == []
    stream.push([CallEnded(call_key="a"), CallEnded(call_key="b")])
    stream.drop()
    assert stream.read(1) == [CallEnded(call_key="a"), CallEnded(call_key="b")]
    with pytest.raises(StreamLost):
        stream.read(1)


def test_a_problem_is_logged_once_and_counted(caplog):
    problems = ProblemLog(logging.getLogger("test.problems"))
    with caplog.at_level(logging.WARNING, "test.problems"):
        for n in range(10_000):
            problems.report("unknown channel", "unknown channel %s", n)
        problems.report("garbage", "garbage")
    assert [r.getMessage() for r in caplog.records] == ["unknown channel 0", "garbage"]
    assert problems.summary() == {"unknown channel": 10_000, "garbage": 1}
    assert problems.summary() == {}


def console(tmp_path) -> ConsoleEventStream:
    stream = ConsoleDriver(PbxConfig(name="c", options={"spool_dir": str(tmp_path)})).event_stream()
    assert isinstance(stream, ConsoleEventStream)
    stream.open()
    return stream


def read_until(stream, count: int, timeout: float = 5.0) -> list:
    events: list = []
    deadline = time.monotonic() + timeout
    while len(events) < count and time.monotonic() < deadline:
        events += stream.read(0.1)
    return events


def test_the_console_plays_a_ring_group_on_time_with_the_phone_states_it_causes(tmp_path):
    stream = console(tmp_path)
    assert stream.snapshot().others == PhoneState.IDLE
    steps = incoming_call(["PJSIP/1001", "PJSIP/1002"], "0142685300", "Marie Dubois",
                          answered_by="PJSIP/1002", ring_s=0.3, talk_s=0.3, call_key="k")  # fmt: skip
    write_script(tmp_path, steps)
    started = time.monotonic()
    first = read_until(stream, 4)
    assert [type(e).__name__ for e in first] == ["LegRinging", "PhoneChanged", "LegRinging", "PhoneChanged"]
    snapshot = stream.snapshot()
    assert {leg.endpoint: leg.state for leg in snapshot.legs} == {
        "PJSIP/1001": LegState.RINGING,
        "PJSIP/1002": LegState.RINGING,
    }
    assert snapshot.phones == {"pjsip/1001": PhoneState.RINGING, "pjsip/1002": PhoneState.RINGING}
    rest = read_until(stream, 8)
    assert time.monotonic() - started >= 0.5
    kinds = [(type(e).__name__, getattr(e, "endpoint", ""), getattr(e, "reason", getattr(e, "state", "")))
             for e in rest]  # fmt: skip
    assert kinds == [
        ("LegAnswered", "PJSIP/1002", ""),
        ("PhoneChanged", "PJSIP/1002", PhoneState.IN_USE),
        ("LegEnded", "PJSIP/1001", LegEnd.ANSWERED_ELSEWHERE),
        ("PhoneChanged", "PJSIP/1001", PhoneState.IDLE),
        ("LegEnded", "PJSIP/1002", LegEnd.ANSWERED),
        ("PhoneChanged", "PJSIP/1002", PhoneState.IDLE),
        ("CallEnded", "", ""),
    ]
    assert stream.snapshot().legs == () and stream.snapshot().phones == {}
    assert list(tmp_path.iterdir()) == []  # the script was consumed


def test_a_console_phone_set_unavailable_stays_so_and_a_script_is_played_once(tmp_path):
    one, two = console(tmp_path), console(tmp_path)
    write_script(tmp_path, phone_state("PJSIP/1003", PhoneState.UNAVAILABLE))
    write_script(tmp_path, incoming_call(["PJSIP/1003"], "1002", ring_s=0.05, call_key="x"))
    events = read_until(one, 4) + two.read(0.2)
    assert events[0] == PhoneChanged(endpoint="PJSIP/1003", state=PhoneState.UNAVAILABLE)
    assert not any(isinstance(e, PhoneChanged) and e.state != PhoneState.UNAVAILABLE for e in events)
    assert sum(isinstance(e, LegRinging) for e in events) == 1
    assert one.snapshot().phones == {"pjsip/1003": PhoneState.UNAVAILABLE}


def test_a_bad_script_is_logged_once_and_the_next_one_plays(tmp_path, caplog):
    stream = console(tmp_path)
    for n in range(3):
        (tmp_path / f"0000{n}-bad.json").write_text("{garbage")
    write_script(tmp_path, incoming_call(["PJSIP/1001"], "1", ring_s=0.0, call_key="ok"))
    with caplog.at_level(logging.WARNING, console_events.logger.name):
        events = read_until(stream, 3)
    assert any(isinstance(e, LegRinging) and e.call_key == "ok" for e in events)
    assert len([r for r in caplog.records if "ignored" in r.getMessage()]) == 1


def test_a_script_names_phones_that_ring():
    with pytest.raises(ValueError):
        incoming_call([], "1")
    with pytest.raises(ValueError):
        incoming_call(["PJSIP/1001"], "1", answered_by="PJSIP/1002")
