"""The FreeSWITCH event stream: the recorded events of a real FreeSWITCH 1.10.12 in the neutral vocabulary.

First the translator alone, fed each recording's events in order (incoming
calls answered, missed by the caller, missed by timeout, a codec failure,
click-to-dials, registrations); then the stream over the fake Event
Socket, which sends those recorded events byte for byte: the subscription,
the snapshot, a restart.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from drivers.base import CallStatus, PbxAuthFailed, PbxConfig
from drivers.events import (
    CallEnded,
    CallProgress,
    LegAnswered,
    LegEnd,
    LegEnded,
    LegRinging,
    PbxEvent,
    PhoneChanged,
    PhoneState,
    ProblemLog,
    StreamLost,
    endpoints_of,
    match_keys,
    offers_events,
)
from drivers.freeswitch.esl import FreeSwitchEslDriver
from drivers.freeswitch.events import EVENTS, EslTranslator, registrations_snapshot, uptime_s
from drivers.freeswitch.protocol import Framer, parse_event
from drivers.freeswitch.stream import EslEventStream
from testkit.fake_freeswitch import FakeEsl
from testkit.fake_freeswitch.recording import raw, recording
from testkit.known_secrets import ESL_PASSWORD, WRONG_PASSWORDS


def translated(name: str) -> list[PbxEvent]:
    translator = EslTranslator(ProblemLog(logging.getLogger(__name__)))
    events = [parse_event(m) for m in Framer().feed(raw(name)) if m.is_event]
    return translator.translate_all([e for e in events if e is not None])


def shape(events: list[PbxEvent]) -> list[tuple]:
    """Each event's kind and what matters here (keys shortened to their first 8 characters)."""
    found: list[tuple] = []
    for event in events:
        if isinstance(event, LegRinging):
            found.append(
                ("ringing", event.endpoint, event.caller_name, event.caller_number, event.call_id[:8])
            )
        elif isinstance(event, LegAnswered):
            found.append(("answered", event.endpoint))
        elif isinstance(event, LegEnded):
            found.append(("ended", event.endpoint, event.reason))
        elif isinstance(event, CallEnded):
            found.append(("call ended", event.call_key[:8]))
        elif isinstance(event, PhoneChanged):
            found.append(("phone", event.endpoint, event.state))
        elif isinstance(event, CallProgress):
            found.append(("progress", event.call_id[:8], event.status, event.reason))
    return found


INCOMING_ANSWERED = [
    ("ringing", "user/1001", "Bob Durand", "1002", ""),
    ("phone", "user/1001", PhoneState.RINGING),
    ("answered", "user/1001"),
    ("phone", "user/1001", PhoneState.IN_USE),
    ("ended", "user/1001", LegEnd.ANSWERED),
    ("phone", "user/1001", PhoneState.IDLE),
    ("call ended", "678ff1ed"),
]
INCOMING_MISSED = [
    ("ringing", "user/1001", "Bob Durand", "1002", ""),
    ("phone", "user/1001", PhoneState.RINGING),
    ("ended", "user/1001", LegEnd.CALLER_CANCELLED),
    ("phone", "user/1001", PhoneState.IDLE),
    ("call ended", "267b98a4"),
]


def test_an_incoming_call_answered():
    events = translated("esl-06-incoming-answered")
    assert shape(events) == INCOMING_ANSWERED
    ringing = events[0]
    assert isinstance(ringing, LegRinging)
    # The B leg belongs to the caller's call (the A leg's UUID); the time is the PBX's.
    assert ringing.call_key.startswith("678ff1ed") and ringing.leg_key.startswith("11e96872")
    assert abs(ringing.at - time.mktime((2026, 12, 7, 0, 0, 0, 0, 0, -1))) < 86400 * 2


def test_an_incoming_call_missed_when_the_caller_hangs_up():
    assert shape(translated("esl-06-incoming-missed")) == INCOMING_MISSED


def test_an_external_caller_missed_by_the_ring_timeout():
    found = shape(translated("esl-06-incoming-external"))
    assert found[:2] == [
        ("ringing", "user/1001", "Jean Client", "0612345678", ""),
        ("phone", "user/1001", PhoneState.RINGING),
    ]
    assert ("ended", "user/1001", LegEnd.NOT_ANSWERED) in found
    assert ("call ended", "87aa6de1") in found


def test_a_phone_that_refuses_every_codec_fails_without_ringing():
    found = shape(translated("esl-06-incoming-external-codec-488"))
    assert ("ended", "user/1001", LegEnd.FAILED) in found
    assert not [item for item in found if item[0] == "ringing"]


@pytest.mark.parametrize(
    ("name", "status", "reason", "end"),
    [
        ("esl-03-clicktodial-answered", CallStatus.ANSWERED, "answered", LegEnd.ANSWERED),
        ("esl-03-clicktodial-busy", CallStatus.BUSY, "busy", LegEnd.BUSY),
        ("esl-03-clicktodial-noanswer", CallStatus.NO_ANSWER, "no answer", LegEnd.NOT_ANSWERED),
    ],
)
def test_a_click_to_dial_leg_carries_its_call_id_and_its_outcome(name, status, reason, end):
    found = shape(translated(name))
    uuid = recording(name)[3].command.split(b"origination_uuid=")[1][:8].decode()
    assert found[0] == ("ringing", "user/1001", "Astitray", "0044207946095", uuid)
    assert ("progress", uuid, status, reason) in found
    assert ("ended", "user/1001", end) in found


def test_an_unregistered_phone_gives_only_the_outcome():
    found = shape(translated("esl-03-clicktodial-unregistered"))
    assert [item[0] for item in found] == ["progress", "progress"]
    assert [item[2] for item in found] == [CallStatus.FAILED, CallStatus.FAILED]


def test_registrations_give_the_phones_state():
    assert shape(translated("esl-05-presence-registrations")) == [
        ("phone", "user/1002", PhoneState.IDLE),  # sofia::register
        ("phone", "user/1002", PhoneState.UNAVAILABLE),  # PRESENCE_IN Unregistered (json)
        ("phone", "user/1002", PhoneState.UNAVAILABLE),  # sofia::unregister (json)
    ]


def test_the_snapshot_reads_the_recorded_registrations_and_uptime():
    listing = recording("esl-05-presence-registrations")[3].reply.split(b"\n\n", 1)[1].decode()
    snapshot = registrations_snapshot(listing, booted=False, at=1.0)
    assert dict(snapshot.phones) == {"user/1001": PhoneState.IDLE, "user/1002": PhoneState.IDLE}
    assert snapshot.others is PhoneState.UNKNOWN
    status = recording("esl-02-api-status-sofia")[2].reply.decode()
    assert uptime_s(status) == 25


def test_a_sofia_dial_string_is_matched_to_the_user_the_stream_names():
    for channel in ("sofia/internal/1001@pbx.example.com", "user/1001@pbx.example.com", "user/1001"):
        (endpoint,) = endpoints_of(channel)
        assert match_keys(endpoint)[0] == "user/1001"
    assert "user/1001" in match_keys("user/1001")


# --- The stream over the fake Event Socket ------------------------------------------


@pytest.fixture
def esl() -> Iterator[FakeEsl]:
    with FakeEsl() as fake:
        yield fake


def make_stream(esl: FakeEsl, **changes: object) -> EslEventStream:
    fields: dict[str, object] = {"name": "fs", "port": esl.port, "secret": ESL_PASSWORD, "timeout_s": 5.0}
    fields.update(changes)
    driver = FreeSwitchEslDriver(PbxConfig(**fields))  # type: ignore[arg-type]
    assert offers_events(driver)
    stream = driver.event_stream()
    assert isinstance(stream, EslEventStream)
    return stream


def read_until(stream: EslEventStream, count: int, timeout: float = 5.0) -> list[PbxEvent]:
    found: list[PbxEvent] = []
    deadline = time.monotonic() + timeout
    while len(found) < count and time.monotonic() < deadline:
        found += stream.read(0.2)
    return found


def test_the_stream_subscribes_snapshots_and_hands_over_the_recorded_events(esl):
    stream = make_stream(esl)
    with stream:
        assert esl.received[1] == f"event plain {EVENTS}\n\n".encode()
        snapshot = stream.snapshot()
        assert dict(snapshot.phones) == {"user/1001": PhoneState.IDLE, "user/1002": PhoneState.IDLE}
        assert not snapshot.booted  # the recorded status says 25 s up
        assert esl.play("esl-06-incoming-answered") > 0
        assert shape(read_until(stream, len(INCOMING_ANSWERED))) == INCOMING_ANSWERED
        esl.play("esl-06-incoming-missed")
        esl.play("esl-05-presence-registrations")  # the JSON ones too (subscribed as plain: not sent)
        found = shape(read_until(stream, len(INCOMING_MISSED) + 1))
        assert found[: len(INCOMING_MISSED)] == INCOMING_MISSED
        assert found[len(INCOMING_MISSED)] == ("phone", "user/1002", PhoneState.IDLE)
        assert stream.read(0.1) == []


def test_a_restart_ends_the_stream_after_the_events_before_it(esl):
    stream = make_stream(esl)
    with stream:
        esl.play("esl-06-incoming-missed")
        esl.restart()  # SHUTDOWN (subscribed), the disconnect notice, EOF
        found = read_until(stream, len(INCOMING_MISSED))
        assert shape(found) == INCOMING_MISSED
        with pytest.raises(StreamLost):
            for _ in range(20):
                stream.read(0.2)
    # The listener opens it again: a new connection, a new snapshot.
    with stream:
        assert stream.snapshot().phones
    assert esl.connections == 2


def test_a_wrong_password_fails_the_stream_open(esl):
    stream = make_stream(esl, secret=WRONG_PASSWORDS["pbx-wrong"])
    with pytest.raises(PbxAuthFailed):
        stream.open()
    stream.close()
