"""The AJAM event stream against a fake PBX replaying the recorded WaitEvent answers byte for byte."""

from __future__ import annotations

import time

import pytest

from drivers.asterisk.ajam import AjamTuning, AsteriskAjamDriver
from drivers.base import PbxConfig, PbxUnavailable
from drivers.events import PhoneState, StreamLost, offers_events
from testkit.fake_asterisk.events_ajam import EventsAjam
from testkit.fake_asterisk.events_replay import recorded_answer
from tests.drivers.asterisk_scenarios import MANAGER, calls, phones
from tests.drivers.test_ami_event_stream import read_all
from tests.drivers.test_asterisk_manager_events import our_ids


def driver(pbx: EventsAjam, wait_s: float = 5.0) -> AsteriskAjamDriver:
    config = PbxConfig(name="replay", host="127.0.0.1", port=pbx.port, username="astitray",
                       secret="astitray-secret", context="outbound", timeout_s=3.0)  # fmt: skip
    return AsteriskAjamDriver(config, tuning=AjamTuning(wait_s=wait_s))


def test_the_ajam_driver_offers_a_stream_of_its_own():
    assert offers_events(AsteriskAjamDriver)


@pytest.mark.parametrize(
    "name",
    [
        "20-incoming-answered",
        "24-ringgroup",
        "26-internal-call",
        "29-clicktodial-busy",
        "31-presence-register",
    ],
)
def test_a_recorded_scenario_reaches_the_stream_whole(name):
    with EventsAjam(f"ajam-{name}", ids=our_ids(name)) as pbx, driver(pbx).event_stream() as stream:
        snapshot = stream.snapshot()
        assert snapshot.phones["PJSIP/1001"] == PhoneState.IDLE
        pbx.play()
        events = read_all(stream, sum(len(part) for part in MANAGER[name]))
    assert calls(events) == MANAGER[name][0]
    assert phones(events) == MANAGER[name][1]
    waits = [a for a in pbx.actions if a["action"].lower() == "waitevent"]
    assert waits and all(int(a["timeout"]) <= 50 for a in waits)


def test_a_session_nobody_polled_gives_a_whole_call_in_one_answer():
    # ajam-36: session B polled once after the call: all 93 events in one 37 kB answer.
    with EventsAjam("ajam-36-two-sessions-queueing") as pbx:
        pbx.batches = [max(pbx.batches, key=len)]  # session B's one answer (session A polled all along)
        assert len(pbx.batches[0]) > 37_000
        with driver(pbx).event_stream() as stream:
            stream.snapshot()
            pbx.play()
            events = read_all(stream, 4)
    kinds = [type(e).__name__ for e in calls(events)]
    assert "LegRinging" in kinds and kinds[-1] == "CallEnded"


def test_a_second_waitevent_ends_the_first_with_an_empty_answer_and_the_stream_goes_on():
    with EventsAjam("ajam-20-incoming-answered") as pbx, driver(pbx, wait_s=30).event_stream() as stream:
        stream.snapshot()
        rival = driver(pbx)  # another poller on the same session (the recorded cookie)
        answer = rival.http.post(pbx.url + "/rawman", data={"action": "WaitEvent", "timeout": "1"}, timeout=5)
        assert answer.status_code == 200 and answer.content == b""  # our poller's next WaitEvent ended it
        assert stream.problems.summary() == {"superseded": 1}  # type: ignore[attr-defined]  # ours was ended first, and polled again
        time.sleep(0.3)  # events go to whoever polls the session: let ours be the one waiting
        pbx.play()
        events = read_all(stream, len(MANAGER["20-incoming-answered"][0]))
    assert calls(events) == MANAGER["20-incoming-answered"][0]


def test_an_expired_session_or_a_restarting_pbx_loses_the_stream():
    with EventsAjam("ajam-46-core-restart") as pbx:
        stream = driver(pbx, wait_s=1).event_stream()
        stream.open()
        pbx.play()  # the recorded Shutdown event
        pbx.shut_down()  # then HTTP 503
        with pytest.raises(StreamLost):
            for _ in range(50):
                stream.read(0.2)
        stream.close()
    with EventsAjam("ajam-20-incoming-answered") as pbx:
        stream = driver(pbx, wait_s=1).event_stream()
        stream.open()
        pbx.expire()
        with pytest.raises(StreamLost):
            for _ in range(50):
                stream.read(0.2)
        stream.close()


def test_an_account_that_may_not_list_channels_is_told_plainly():
    lists = {"CoreShowChannels": recorded_answer("ami-33-least-privilege-eventfilter", "csc-min")}
    with (
        EventsAjam("ajam-20-incoming-answered", lists=lists) as pbx,
        driver(pbx).event_stream() as stream,
        pytest.raises(PbxUnavailable, match="write = reporting"),
    ):
        stream.snapshot()
