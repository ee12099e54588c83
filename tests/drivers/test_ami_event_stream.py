"""The AMI event stream against a fake PBX replaying the recorded bytes (transcripts 20-45)."""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid

import pytest

from drivers.asterisk.ami import AmiTuning, AsteriskAmiDriver
from drivers.asterisk.events.ami_stream import AmiEventStream
from drivers.asterisk.manager.client import AmiClient, AmiSettings
from drivers.base import CallStatus, PbxConfig, PbxUnavailable
from drivers.events import EventStream, PbxEvent, PhoneState, StreamLost, offers_events
from testkit.fake_asterisk.events_replay import EventsAmi, recorded_answer
from testkit.fake_asterisk.replay import ReplayAmi, ami_recording, transcript
from testkit.known_secrets import PHONE_PASSWORDS
from tests.drivers.asterisk_scenarios import (
    CALL_29,
    CALL_45A,
    DUPONT,
    MANAGER,
    E,
    answer,
    calls,
    end,
    over,
    phones,
    progress,
    ring,
)
from tests.drivers.conftest import Outcomes, call


def config(pbx: EventsAmi) -> PbxConfig:
    return PbxConfig(name="replay", host=pbx.host, port=pbx.port, username="astitray",
                     secret="astitray-secret", context="outbound", timeout_s=3.0)  # fmt: skip


def driver(pbx: EventsAmi, outcomes: Outcomes | None = None) -> AsteriskAmiDriver:
    return AsteriskAmiDriver(config(pbx), on_outcome=outcomes, tuning=AmiTuning(auth="plain"))


def read_all(stream: EventStream, count: int, timeout: float = 10.0, quiet: float = 1.0) -> list[PbxEvent]:
    """Read until at least ``count`` events came and none more came for ``quiet`` seconds.

    A read may return nothing before the timeout (a batch of events that mean nothing neutral).
    """
    found: list[PbxEvent] = []
    deadline = time.monotonic() + timeout
    last = time.monotonic()
    while time.monotonic() < deadline:
        more = stream.read(0.2)
        if more:
            found += more
            last = time.monotonic()
        elif len(found) >= count and time.monotonic() - last >= quiet:
            break
    return [dataclasses.replace(e, at=0.0) for e in found]


def test_the_ami_driver_offers_a_stream_of_its_own():
    assert offers_events(AsteriskAmiDriver)


@pytest.mark.parametrize("chunk", [1, 13, 65536])
@pytest.mark.parametrize(
    "name", ["20-incoming-answered", "24-ringgroup", "25-queue", "23-incoming-caller-cancel"]
)
def test_a_recorded_incoming_call_reaches_the_stream_whole(name, chunk):
    with EventsAmi(transcript(f"ami-{name}"), chunk=chunk) as pbx:
        stream = driver(pbx).event_stream()
        with stream:
            snapshot = stream.snapshot()
            assert snapshot.legs == () and snapshot.phones["PJSIP/1001"] == PhoneState.IDLE
            pbx.play()
            events = read_all(stream, sum(len(part) for part in MANAGER[name]))
    assert calls(events) == MANAGER[name][0]
    assert phones(events) == MANAGER[name][1]
    login = pbx.received[0].decode()
    assert "Events: call,system\r\n" in login  # its own connection, with the events it needs


def test_a_rejected_click_to_dial_is_busy_for_the_driver_and_the_stream():
    # ami-29: the real phone rejected (486): OriginateResponse Reason 0, busy only in DialEnd/Hangup.
    outcomes = Outcomes()
    with EventsAmi(transcript("ami-29-clicktodial-busy")) as pbx:
        dialer = driver(pbx, outcomes)
        with dialer.event_stream() as stream:
            stream.snapshot()
            dialer.originate(call(call_id=CALL_29))
            events = read_all(stream, 5)
        dialer.close()
    assert outcomes.of(CALL_29) == (CallStatus.BUSY, "busy")  # was "the phone could not be called"
    assert calls(events) == [
        ring(CALL_29, CALL_29, "1001", DUPONT, CALL_29),
        progress(CALL_29, CallStatus.BUSY, "busy"),
        end(CALL_29, CALL_29, "1001", E.BUSY),
        over(CALL_29),
    ]
    originate = next(a for a in pbx.received if a.startswith(b"Action: Originate"))
    assert f"ChannelId: {CALL_29}\r\n".encode() in originate


def test_an_unregistered_phone_fails_with_a_clear_reason():
    outcomes = Outcomes()
    call_id = str(uuid.uuid4())
    with EventsAmi(transcript("ami-30-clicktodial-unregistered")) as pbx:
        dialer = driver(pbx, outcomes)
        with dialer.event_stream() as stream:
            stream.snapshot()
            dialer.originate(call(channel="PJSIP/1003", call_id=call_id))
            events = read_all(stream, 1)
        dialer.close()
    reason = "the phone is not registered or does not exist"
    assert outcomes.of(call_id) == (CallStatus.FAILED, reason)
    assert events == [progress(call_id, CallStatus.FAILED, reason)]


def test_a_reconnection_during_a_call_resumes_from_the_snapshot():
    name = "ami-43-reconnect-during-call-second"
    lists = {"CoreShowChannels": recorded_answer(name, "csc-ringing")}
    with EventsAmi(transcript(name), lists=lists) as pbx, driver(pbx).event_stream() as stream:
        snapshot = stream.snapshot()
        assert [(leg.endpoint, leg.state.value, leg.caller_name) for leg in snapshot.legs] == [
            ("PJSIP/1001", "ringing", "Marie Dubois")
        ]
        pbx.play()
        events = read_all(stream, 6)
    key, leg = "1796606060.59", "1796606060.60"
    assert calls(events) == [answer(key, leg, "1001"), end(key, leg, "1001", E.ANSWERED), over(key)]


def test_a_pbx_restart_ends_the_call_then_the_stream_is_lost():
    with EventsAmi(transcript("ami-35-core-restart-first-connection")) as pbx:
        stream = driver(pbx).event_stream()
        stream.open()
        stream.snapshot()
        pbx.play()
        events = read_all(stream, 9)
        pbx.drop()  # after "Shutdown", Asterisk closes the connection without a word
        with pytest.raises(StreamLost):
            for _ in range(50):
                stream.read(0.1)
        stream.close()
    assert [type(e).__name__ for e in calls(events)][-2:] == ["LegEnded", "CallEnded"]


def test_after_a_restart_the_snapshot_says_booted_and_every_phone_unavailable():
    name = "ami-35-core-restart-new-login"
    lists = {"CoreShowChannels": recorded_answer(name, "csc-after"),
             "DeviceStateList": recorded_answer(name, "dsl-after-restart")}  # fmt: skip
    with EventsAmi(transcript(name), lists=lists) as pbx, driver(pbx).event_stream() as stream:
        first = stream.read(1.0)
        snapshot = stream.snapshot()
    assert [e.kind for e in first] == ["pbx_booted"]
    assert snapshot.booted and snapshot.phones["PJSIP/1002"] == PhoneState.UNAVAILABLE


def test_an_account_that_may_not_list_channels_is_told_plainly():
    lists = {"CoreShowChannels": recorded_answer("ami-33-least-privilege-eventfilter", "csc-min")}
    with (
        EventsAmi(transcript("ami-33-least-privilege-eventfilter"), lists=lists) as pbx,
        driver(pbx).event_stream() as stream,
        pytest.raises(PbxUnavailable, match="write = reporting"),
    ):
        stream.snapshot()


def test_a_closed_stream_reads_lost():
    stream = AmiEventStream(PbxConfig(name="x"), AmiSettings("127.0.0.1", 1, "u", "s"))
    with pytest.raises(StreamLost):
        stream.read(0.0)


def test_phone_passwords_of_pjsipshowendpoint_never_reach_the_log(caplog):
    # ami-32 holds PJSIPShowEndpoint answers with the phones' SIP passwords in clear (AuthDetail).
    # Astitray never asks for them; should an answer carry one, the protocol log masks it.
    recording = ami_recording(transcript("ami-32-presence-actions"))
    with caplog.at_level(logging.DEBUG), ReplayAmi(recording) as server:
        client = AmiClient(AmiSettings("127.0.0.1", server.port, "astitray", "astitray-secret", auth="plain"))
        client.connect()
        for _ in range(len(recording.chunks) - 2):
            client.action("Ping")
        client.close()
    assert "Event: AuthDetail" in caplog.text and "Password: ********" in caplog.text
    assert not any(secret in caplog.text for secret in PHONE_PASSWORDS.values())
    assert not any(b"PJSIPShow" in action for action in _stream_actions())


def _stream_actions() -> list[bytes]:
    """What the stream asks the PBX for: a login, the snapshot's lists, nothing else."""
    with EventsAmi(transcript("ami-20-incoming-answered")) as pbx:
        with driver(pbx).event_stream() as stream:
            stream.snapshot()
        return pbx.received


@pytest.mark.parametrize("kind", ["ami", "ajam"])
def test_test_connection_says_when_the_account_cannot_feed_the_listener(kind):
    from drivers.asterisk.ajam import AsteriskAjamDriver
    from testkit.fake_asterisk import FakeAmi, FakeAsteriskHttp, ManagerUser
    from testkit.known_secrets import AMI_SECRET

    users = {"dialonly": ManagerUser(AMI_SECRET, read=frozenset({"call"}), write=frozenset({"originate"})),
             "listener": ManagerUser(AMI_SECRET, write=frozenset({"originate", "reporting"}))}  # fmt: skip
    fake = FakeAmi(users=users) if kind == "ami" else FakeAsteriskHttp(users=users)
    with fake:
        notes = {}
        for username in users:
            config = PbxConfig(
                name="t", host="127.0.0.1", port=fake.port, username=username, secret=AMI_SECRET
            )
            pbx = (
                AsteriskAmiDriver(config, tuning=AmiTuning(auth="plain"))
                if kind == "ami"
                else AsteriskAjamDriver(config)
            )
            result = pbx.check()
            assert result.ok
            notes[username] = result.summary()
    assert (
        "may not list channels: the event listener needs 'reporting' in its write= line" in notes["dialonly"]
    )
    assert "may not list channels" not in notes["listener"]
    assert "need 'call,system' in read= and 'reporting' in write=" in notes["listener"]


def test_a_flood_and_a_connection_closed_mid_event_are_read_then_lost(caplog):
    flood = b"".join(
        b"Event: DeviceStateChange\r\nPrivilege: call,all\r\nDevice: PJSIP/%d\r\nState: INUSE\r\n\r\n" % n
        for n in range(10_000)
    )
    half = b"Event: Hangup\r\nPrivilege: call,all\r\nChannel: PJSIP/1001-0000"  # cut in the middle
    with EventsAmi(transcript("ami-20-incoming-answered"), chunk=4096) as pbx:
        stream = driver(pbx).event_stream()
        stream.open()
        stream.snapshot()
        pbx.broadcast(b"garbage\r\n\r\n" * 3 + flood)
        events = read_all(stream, 10_000, timeout=30)
        pbx.broadcast(half)
        pbx.drop()
        with pytest.raises(StreamLost):
            for _ in range(50):
                stream.read(0.1)
        stream.close()
    assert len(phones(events)) == 10_000 and phones(events)[-1].endpoint == "PJSIP/9999"
    assert caplog.text.count("unreadable text from the PBX") == 1  # logged once, then counted


def test_an_outcome_heard_only_by_the_stream_when_the_dialing_connection_is_gone():
    # The worker that dialed is gone before the outcome: only the listener's stream hears it.
    with EventsAmi(transcript("ami-45-clicktodial-channelid")) as pbx:
        pbx.hold = True
        dialer = driver(pbx)
        with dialer.event_stream() as stream:
            stream.snapshot()
            dialer.originate(call(call_id=CALL_45A))
            dialer.close()  # the dialing connection is gone
            pbx.release()
            events = read_all(stream, 4)
    assert progress(CALL_45A, CallStatus.BUSY, "busy") in events
