"""ARI events (the WebSocket) -> neutral events: each recorded scenario, snapshot, stream, bad input."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest

from drivers.asterisk.ari import AsteriskAriDriver
from drivers.asterisk.events.ari import AriTranslator, ari_snapshot
from drivers.base import CallStatus, PbxAuthFailed, PbxConfig, PbxUnavailable
from drivers.events import LegSnapshot, LegState, PbxEvent, PhoneState, ProblemLog, StreamLost, offers_events
from testkit.fake_asterisk.events_ari import EventsAri, payload, split_frames, text_frame
from testkit.fake_asterisk.replay import http_responses, transcript
from tests.drivers.asterisk_scenarios import MANAGER, E, answer, calls, end, over, phones, progress, ring
from tests.drivers.test_ami_event_stream import read_all
from tests.drivers.test_asterisk_manager_events import our_ids

logger = logging.getLogger(__name__)
DUPONT = ("0044207946095", "Dupont SA")
ORIGINATES = {  # ari-39..41: POST /ari/channels with channelId = the call id
    "39-originate-answered": "5b0c7e0e-6d4a-4d0b-8f0e-6a1d2c3b4a01",
    "40-originate-busy": "5b0c7e0e-6d4a-4d0b-8f0e-6a1d2c3b4a02",
    "41-originate-noanswer": "5b0c7e0e-6d4a-4d0b-8f0e-6a1d2c3b4a03",
}


def ari_expected(name: str) -> tuple[list[PbxEvent], list[PbxEvent]]:
    """What the ARI view of a scenario must yield: the manager's calls and phones (the same call)."""
    if name == "30-clicktodial-unregistered":
        return ([], [])  # ARI refuses the POST (HTTP 500): no event at all
    if name in ORIGINATES:
        call = ORIGINATES[name]
        status, words, reason = {
            "39": (CallStatus.ANSWERED, "answered", E.ANSWERED),
            "40": (CallStatus.BUSY, "busy", E.BUSY),
            "41": (CallStatus.NO_ANSWER, "no answer", E.NOT_ANSWERED),
        }[name[:2]]
        answered = [answer(call, call, "1001")] if name.startswith("39") else []
        events = [
            ring(call, call, "1001", DUPONT, call),
            *answered,
            progress(call, status, words),
            end(call, call, "1001", reason),
            over(call),
        ]
        return (events, [])
    return MANAGER[name]


NAMES = [n for n in sorted(MANAGER) if not n.startswith("45")] + sorted(ORIGINATES)


def frames_of(name: str) -> list[object]:
    _, frames, _ = split_frames(transcript(f"ari-{name}"))
    ids = our_ids(name)
    texts = []
    for frame in frames:
        if frame[0] == 0x81:
            data = payload(frame)
            for old, new in ids.items():
                data = data.replace(b'"' + old + b'"', b'"' + new + b'"')
            texts.append(json.loads(data))
    return texts


def translate(messages: list[object]) -> list[PbxEvent]:
    translator = AriTranslator(ProblemLog(logger))
    return [dataclasses.replace(e, at=0.0) for m in messages for e in translator.translate(m)]


@pytest.mark.parametrize("name", NAMES)
def test_each_recorded_ari_scenario_yields_exactly_its_calls(name):
    events = translate(frames_of(name))
    expected_calls, expected_phones = ari_expected(name)
    assert calls(events) == expected_calls
    if expected_phones:
        assert phones(events) == expected_phones


def test_every_event_has_the_pbx_time():
    events = AriTranslator(ProblemLog(logger)).translate(frames_of("20-incoming-answered")[0])
    assert events == []  # ChannelCreated of the trunk means nothing yet
    translator = AriTranslator(ProblemLog(logger))
    found = [e for m in frames_of("20-incoming-answered") for e in translator.translate(m)]
    assert all(e.at > 1.79e9 for e in found)  # 2026-12-07, from each message's "timestamp"


def rest(name: str, *indexes: int) -> list[object]:
    answers = http_responses(transcript(name))
    return [json.loads(answers[i].partition(b"\r\n\r\n")[2]) for i in indexes]


def test_the_snapshot_of_a_ringing_phone_ties_its_leg_to_the_dialing_channel():
    # ari-38 while 1001 rings: /endpoints (9), /channels (12)
    endpoints, channels = rest("ari-38-rest-state", 9, 12)
    snapshot, members = ari_snapshot(channels, endpoints)  # type: ignore[arg-type]
    assert snapshot.legs == (
        LegSnapshot(call_key="1796605970.42", leg_key="1796605970.43", endpoint="PJSIP/1001",
                    state=LegState.RINGING, caller_number="0142685300", caller_name="Marie Dubois"),
    )  # fmt: skip
    assert members == {"1796605970.42": "1796605970.42", "1796605970.43": "1796605970.42"}
    assert snapshot.phones == {
        "PJSIP/1001": PhoneState.RINGING,
        "PJSIP/1002": PhoneState.IDLE,
        "PJSIP/1003": PhoneState.UNAVAILABLE,  # offline: not registered
        "PJSIP/trunk": PhoneState.IN_USE,
    }


def test_garbage_and_missing_fields_are_dropped_and_logged_once(caplog):
    bad: list[object] = [
        "text",
        {"no": "type"},
        {"type": "Dial"},
        {"type": "Dial", "peer": {"id": "1.1"}},
        {"type": "DeviceStateChanged"},
        {"type": "ChannelDestroyed", "channel": {}},
    ]
    with caplog.at_level(logging.WARNING):
        events = translate(bad * 100 + frames_of("22-incoming-busy"))
    assert calls(events) == MANAGER["22-incoming-busy"][0]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == len({r.getMessage() for r in warnings}) == 4


# --- the stream over a WebSocket ---------------------------------------------------------------


def driver(pbx: EventsAri, secret: str = "astitray-ari-secret") -> AsteriskAriDriver:
    config = PbxConfig(name="replay", host="127.0.0.1", port=pbx.port, username="astitray", secret=secret,
                       context="outbound", timeout_s=3.0)  # fmt: skip
    return AsteriskAriDriver(config)


def test_the_ari_driver_offers_a_stream_of_its_own():
    assert offers_events(AsteriskAriDriver)


@pytest.mark.parametrize("chunk", [1, 13, 65536])
@pytest.mark.parametrize("name", ["20-incoming-answered", "24-ringgroup", "26-internal-call"])
def test_a_recorded_incoming_call_reaches_the_stream_whole(name, chunk):
    with EventsAri(f"ari-{name}", chunk=chunk) as pbx, driver(pbx).event_stream() as stream:
        snapshot = stream.snapshot()
        assert snapshot.legs == () and snapshot.phones["PJSIP/1003"] == PhoneState.UNAVAILABLE
        assert not snapshot.booted
        pbx.play()
        events = read_all(stream, sum(len(part) for part in MANAGER[name]))
    assert calls(events) == MANAGER[name][0]
    assert phones(events) == MANAGER[name][1]
    upgrade = pbx.requests[0]
    assert upgrade.startswith(b"GET /ari/events?app=astitray&subscribeAll=true HTTP/1.1\r\n")
    assert b"Authorization: Basic YXN0aXRyYXk6YXN0aXRyYXktYXJpLXNlY3JldA==" in upgrade


@pytest.mark.parametrize("name", sorted(ORIGINATES))
def test_an_ari_click_to_dial_gets_its_outcome_from_the_stream(name):
    call_id = ORIGINATES[name]
    from tests.drivers.conftest import call

    with EventsAri(f"ari-{name}") as pbx:
        dialer = driver(pbx)
        with dialer.event_stream() as stream:
            stream.snapshot()
            result = dialer.originate(call(call_id=call_id))
            events = read_all(stream, 4)
    assert result.reference == call_id
    assert calls(events) == ari_expected(name)[0]


def test_a_restart_drops_the_websocket_without_a_close_frame_and_the_stream_is_lost():
    with EventsAri("ari-20-incoming-answered") as pbx:
        stream = driver(pbx).event_stream()
        stream.open()
        pbx.drop()
        with pytest.raises(StreamLost):
            for _ in range(50):
                stream.read(0.1)
        stream.close()


def test_a_refused_login_and_an_unreachable_pbx_are_told_apart():
    with pytest.raises(PbxAuthFailed):
        AsteriskAriDriver(PbxConfig(name="x", host="127.0.0.1", port=_refusing_port())).event_stream().open()
    with pytest.raises(PbxUnavailable):
        AsteriskAriDriver(PbxConfig(name="x", host="127.0.0.1", port=1, timeout_s=1)).event_stream().open()


def _refusing_port() -> int:
    """A port whose server answers the WebSocket upgrade with ARI's recorded 401."""
    import socket
    import threading

    answer = http_responses(transcript("ari-01-channels"))[1]
    assert answer.startswith(b"HTTP/1.1 401")
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        sock, _ = server.accept()
        sock.recv(65536)
        sock.sendall(answer)
        sock.close()
        server.close()

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1]


def test_a_frame_cut_by_a_dropped_connection_and_bad_json_are_survived(caplog):
    with EventsAri("ari-22-incoming-busy") as pbx:
        stream = driver(pbx).event_stream()
        stream.open()
        stream.snapshot()
        pbx.frames = [text_frame(b"{not json"), text_frame(b"[1, 2]"), *pbx.frames]
        pbx.play()
        events = read_all(stream, 4)
        whole = text_frame(
            b'{"type":"DeviceStateChanged","device_state":{"name":"PJSIP/1001","state":"INUSE"}}'
        )
        pbx.frames = [whole[:20]]  # half a frame, then the connection is gone
        pbx.play()
        pbx.drop()
        with pytest.raises(StreamLost):
            for _ in range(50):
                stream.read(0.1)
        stream.close()
    assert calls(events) == MANAGER["22-incoming-busy"][0]
    assert caplog.text.count("a frame that is not JSON") == 1
    assert caplog.text.count("not an ARI event") == 1


def test_after_a_restart_ari_refuses_the_websocket_until_loaded_then_phones_come_back():
    # ari-46: the WebSocket dropped without a close frame, an upgrade answered 404, then a new WebSocket.
    with EventsAri("ari-46-core-restart") as pbx:
        pbx.refuse_upgrades = 1
        with pytest.raises(PbxUnavailable, match="HTTP 404"):
            driver(pbx).event_stream().open()
        with driver(pbx).event_stream() as stream:
            stream.snapshot()
            pbx.play()
            events = read_all(stream, 3)
    assert [(e.endpoint, e.state) for e in phones(events)] == [
        ("PJSIP/1003", PhoneState.IDLE),
        ("PJSIP/1001", PhoneState.IDLE),
        ("PJSIP/1002", PhoneState.IDLE),
    ]


def test_an_ari_dial_to_an_unregistered_phone_fails_at_once_with_a_clear_reason():
    # ari-47: POST /ari/channels to an unregistered (or unknown) phone: 500 "Allocation failed", no event.
    from drivers.base import OriginateFailed
    from tests.drivers.conftest import call

    with EventsAri("ari-47-originate-unregistered") as pbx, driver(pbx).event_stream() as stream:
        stream.snapshot()
        with pytest.raises(OriginateFailed, match="not registered or does not exist"):
            driver(pbx).originate(call(channel="PJSIP/1003", call_id=ORIGINATES["39-originate-answered"]))
        assert stream.read(0.5) == []


def test_a_quiet_websocket_is_pinged_and_kept():
    # Asterisk never pings: the stream pings a quiet connection, and its pongs keep it (no spurious resync).
    with EventsAri("ari-22-incoming-busy") as pbx:
        stream = driver(pbx).event_stream()
        stream.ping_after_s, stream.dead_after_s = 0.2, 0.8
        with stream:
            stream.snapshot()
            assert stream.read(2.5) == []  # three times the dead time, quiet but for the pongs
            pbx.play()
            events = read_all(stream, 4)
    assert calls(events) == MANAGER["22-incoming-busy"][0]
