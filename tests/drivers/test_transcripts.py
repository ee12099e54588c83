"""The exact bytes a real Asterisk 22 sent, replayed through the parser and the drivers.

``testkit/fake_asterisk/recorded/transcripts/*.raw.bin`` (recorded from a real
Asterisk 22): first through the framer in reads of every size,
then served byte for byte to the drivers, which must read them right.
"""

from __future__ import annotations

import pytest

from drivers.asterisk.ajam import AsteriskAjamDriver
from drivers.asterisk.ami import AmiTuning, AsteriskAmiDriver
from drivers.asterisk.ari import AsteriskAriDriver
from drivers.asterisk.manager.actions import PendingTable
from drivers.asterisk.manager.client import AmiClient, AmiSettings
from drivers.asterisk.manager.originate import originate_error, outcome_of
from drivers.asterisk.manager.protocol import Framer, Message, parse_messages
from drivers.base import (
    CallStatus,
    OriginateFailed,
    OriginateRejected,
    PbxAuthFailed,
    PbxConfig,
    PbxPermissionDenied,
    PbxUnavailable,
    UnknownExtension,
)
from testkit.fake_asterisk.replay import (
    EOF_NOTE,
    TRANSCRIPTS,
    ReplayAmi,
    ReplayHttp,
    ami_recording,
    http_responses,
    transcript,
)
from tests.drivers.conftest import Outcomes, call

# Every AMI recording but the connection accepted and closed without a byte during a restart (ami-35).
AMI_NAMES = sorted(
    p.name.removesuffix(".raw.bin") for p in TRANSCRIPTS.glob("ami-*.raw.bin") if p.stat().st_size
)
# Every plain HTTP recording (AJAM, ARI REST); the ARI WebSocket ones (an upgrade, then frames) are read
# by tests/drivers/test_ari_events.py.
HTTP_NAMES = sorted(
    p.name.removesuffix(".raw.bin")
    for p in TRANSCRIPTS.glob("*.raw.bin")
    if not p.name.startswith("ami-") and not p.read_bytes().startswith(b"HTTP/1.1 101 ")
)


def frame(raw: bytes, size: int) -> tuple[Framer, list[Message]]:
    framer = Framer()
    raw = raw.removesuffix(EOF_NOTE)
    messages = []
    for start in range(0, len(raw), size):
        messages += framer.feed(raw[start : start + size])
    return framer, messages


def test_every_recording_is_here():
    assert len(AMI_NAMES) == 31 and len(HTTP_NAMES) == 26
    # During "core restart now" one connection was accepted and closed without a banner.
    assert transcript("ami-35-core-restart-failed-attempt-1") == b""


@pytest.mark.parametrize("name", AMI_NAMES)
@pytest.mark.parametrize("size", [1, 13, 65536])
def test_every_ami_recording_frames_whole(name, size):
    raw = transcript(name)
    framer, messages = frame(raw, size)
    assert framer.banner == "Asterisk Call Manager/11.0.0"
    assert framer.pending_bytes == 0  # nothing left over: every message ended
    assert len(messages) == raw.count(b"\r\n\r\n")
    assert all(m.is_response != m.is_event for m in messages)
    assert all(key for m in messages for key, _ in m.headers)  # every line was "Key: value"


def route(messages: list[Message], waiting: list[str]) -> tuple[dict[str, Message], list[Message]]:
    """What the reader thread does: answers to the pending table, events apart."""
    table = PendingTable()
    entries = {action_id: table.add(action_id) for action_id in waiting}
    events = []
    for message in messages:
        if message.is_response:
            table.resolve(message)
        elif message.is_event:
            events.append(message)
    answers = {action_id: entry.wait(0) for action_id, entry in entries.items()}
    return answers, events


def test_the_recorded_originate_is_answered_queued_then_its_event_says_answered():
    _, messages = frame(transcript("ami-02-originate-async-events-on"), 7)
    answers, events = route(messages, ["login-1", "astitray-orig-1", "bye-1"])
    assert answers["login-1"].text == "Authentication accepted"
    assert answers["astitray-orig-1"].text == "Originate successfully queued"
    assert answers["bye-1"].response == "Goodbye"
    (outcome,) = [e for e in events if e.event == "OriginateResponse"]
    assert outcome.action_id == "astitray-orig-1"
    assert outcome_of(outcome) == (CallStatus.ANSWERED, "answered")
    # the event came after the answer, interleaved with others
    assert messages.index(outcome) > messages.index(answers["astitray-orig-1"])
    assert len(events) > 20


def test_the_recorded_refusals_map_to_distinct_errors():
    _, ami10 = frame(transcript("ami-10-unknown-context"), 4096)
    answers, events = route(ami10, ["ctx-async", "chan-ctx-sync", "bad-tech-async"])
    assert isinstance(originate_error(answers["ctx-async"]), UnknownExtension)
    assert isinstance(originate_error(answers["chan-ctx-sync"]), OriginateFailed)
    failures = [outcome_of(e) for e in events if e.event == "OriginateResponse"]
    assert failures == [(CallStatus.FAILED, "the phone is not registered or does not exist")] * 2
    _, ami08 = frame(transcript("ami-08-readonly-user-originate"), 4096)
    assert isinstance(originate_error(route(ami08, ["ro-orig"])[0]["ro-orig"]), PbxPermissionDenied)
    _, ami05 = frame(transcript("ami-05-wrong-password"), 4096)
    assert isinstance(originate_error(route(ami05, ["login-bad"])[0]["login-bad"]), PbxAuthFailed)
    _, ami09 = frame(transcript("ami-09-unknown-action-and-missing-headers"), 4096)
    answers, _ = route(ami09, ["u1", "no-channel", "bad-priority"])
    assert all(type(originate_error(a)) is OriginateRejected for a in answers.values())


def test_an_answer_without_action_id_reaches_no_one():
    # ami-11: "\r\n\r\n" smuggled in a value cut the action: the first answer has no ActionID.
    _, messages = frame(transcript("ami-11-crlf-in-values"), 4096)
    table = PendingTable()
    table.add("crlf-double")
    orphan = next(m for m in messages if m.is_response and m.action_id is None)
    assert not table.resolve(orphan)
    assert "requires 'Context' and 'Priority'" in orphan.text


# --- byte-for-byte replays through the drivers -------------------------------------------------


def ami_driver(server: ReplayAmi, outcomes: Outcomes) -> AsteriskAmiDriver:
    config = PbxConfig(
        name="replay",
        host="127.0.0.1",
        port=server.port,
        username="astitray",
        secret="astitray-secret",
        context="outbound",
    )
    # The recordings log in with the plaintext secret.
    return AsteriskAmiDriver(config, on_outcome=outcomes, tuning=AmiTuning(auth="plain"))


def test_the_ami_driver_reads_a_recorded_answered_call(outcomes):
    with ReplayAmi(ami_recording(transcript("ami-02-originate-async-events-on"))) as server:
        driver = ami_driver(server, outcomes)
        result = driver.originate(call(channel="Local/1001@phones", call_id="astitray-orig-1"))
        assert result.reference == "astitray-orig-1"
        assert result.status is CallStatus.QUEUED
        assert outcomes.of("astitray-orig-1") == (CallStatus.ANSWERED, "answered")
        driver.close()
        assert server.received[-1].startswith(b"Action: Logoff\r\n")


def test_the_ami_driver_reads_recorded_refusals_and_failures(outcomes):
    with ReplayAmi(ami_recording(transcript("ami-10-unknown-context"))) as server:
        driver = ami_driver(server, outcomes)
        with pytest.raises(UnknownExtension):
            driver.originate(call(call_id="a"))
        with pytest.raises(UnknownExtension):
            driver.originate(call(call_id="b"))
        driver.originate(call(call_id="c"))  # queued, then "Failure", Reason 0
        assert outcomes.of("c") == (CallStatus.FAILED, "the phone is not registered or does not exist")
        with pytest.raises(OriginateFailed):
            driver.originate(call(call_id="d"))
        driver.originate(call(call_id="e"))
        assert outcomes.of("e")[0] is CallStatus.FAILED
        driver.close()


def test_the_ami_driver_reads_a_recorded_refused_login(outcomes):
    recording = ami_recording(transcript("ami-05-wrong-password"))
    with ReplayAmi(recording) as server, pytest.raises(PbxAuthFailed):
        ami_driver(server, outcomes).originate(call())


def test_the_ami_driver_reads_a_recorded_permission_refusal(outcomes):
    with ReplayAmi(ami_recording(transcript("ami-08-readonly-user-originate"))) as server:
        driver = ami_driver(server, outcomes)
        with pytest.raises(PbxPermissionDenied):
            driver.originate(call())
        driver.close()


def test_the_ami_client_reads_a_recorded_ping_and_goodbye():
    with ReplayAmi(ami_recording(transcript("ami-01-login-ping-logoff"))) as server:
        client = AmiClient(AmiSettings("127.0.0.1", server.port, "astitray", "astitray-secret", auth="plain"))
        assert client.connect() == "Asterisk Call Manager/11.0.0"
        assert client.action("Ping")["Ping"] == "Pong"
        client.close()
        assert client.wait_disconnected(5)
    assert [r.split(b"\r\n", 1)[0] for r in server.received] == [
        b"Action: Login",
        b"Action: Ping",
        b"Action: Logoff",
    ]


@pytest.mark.parametrize("name", HTTP_NAMES)
def test_every_http_recording_splits_into_whole_responses(name):
    raw = transcript(name)
    responses = http_responses(raw)
    assert b"".join(responses) == raw
    for response in responses:
        head, _, body = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 ")
        assert b"Server: Asterisk/22.10.1" in head
        if b"Content-type: text/plain" in head:
            assert b"HTTP/1.1 200 OK" in head  # AJAM answers 200, errors included
            # a WaitEvent ended by a newer one on the same session answers 200 with no body
            assert parse_messages(body) or body == b""


def ajam_responses(*picks: tuple[str, int]) -> list[bytes]:
    return [http_responses(transcript(name))[index] for name, index in picks]


def ajam_driver(server: ReplayHttp, outcomes: Outcomes) -> AsteriskAjamDriver:
    config = PbxConfig(
        name="replay",
        host="127.0.0.1",
        port=server.port,
        username="astitray",
        secret="astitray-secret",
        context="outbound",
    )
    return AsteriskAjamDriver(config, on_outcome=outcomes)


def test_the_ajam_driver_reads_a_recorded_call_and_its_waitevent(outcomes):
    with ReplayHttp(ajam_responses(*(("ajam-01-rawman-login-originate", i) for i in range(3)))) as server:
        driver = ajam_driver(server, outcomes)
        result = driver.originate(call(channel="Local/1001@phones", call_id="ajam-orig-1"))
        assert result.status is CallStatus.QUEUED
        assert outcomes.of("ajam-orig-1") == (CallStatus.ANSWERED, "answered")
        driver.close()
    login, originate, waitevent = server.requests[:3]
    assert login.startswith(b"POST /rawman HTTP/1.1\r\n")  # no parameter in the URL
    assert b"Secret=astitray-secret" in login.split(b"\r\n\r\n", 1)[1]  # in the body, not the URL
    # the recorded cookie (quoted, Version=1, Max-Age=60) comes back on the next requests
    assert b'mansession_id="986d40f3"' in originate
    assert b'mansession_id="986d40f3"' in waitevent
    assert b"Action=WaitEvent" in waitevent


def test_the_ajam_driver_reads_recorded_errors(outcomes):
    with ReplayHttp(ajam_responses(("ajam-02-rawman-errors", 0))) as server, pytest.raises(PbxAuthFailed):
        ajam_driver(server, outcomes).originate(call())
    responses = ajam_responses(("ajam-02-rawman-errors", 3), ("ajam-02-rawman-errors", 4))
    with ReplayHttp(responses) as server, pytest.raises(UnknownExtension):
        ajam_driver(server, outcomes).originate(call(call_id="bad-ctx"))
    readonly = [("ajam-06-readonly-user", 0), ("ajam-06-readonly-user", 1)] * 2
    with ReplayHttp(ajam_responses(*readonly)) as server, pytest.raises(PbxPermissionDenied):
        ajam_driver(server, outcomes).originate(call(call_id="ro-1"))
    assert len(server.requests) == 4  # login, denied, login again, denied again: then it gives up


def test_the_ajam_driver_logs_in_again_after_a_recorded_expiry(outcomes):
    picks = [
        ("ajam-08-session-expiry", 0),  # login
        ("ajam-08-session-expiry", 2),  # "Permission denied" after 66 s idle
        ("ajam-08-session-expiry", 3),  # login again
        ("ajam-01-rawman-login-originate", 1),  # the retried originate is queued
    ]
    with ReplayHttp(ajam_responses(*picks)) as server:
        driver = ajam_driver(server, outcomes)
        result = driver.originate(call(call_id="ajam-orig-1"))
        driver.close()  # its session is over: the queued call's outcome is unknown
    assert result.status is CallStatus.QUEUED
    assert outcomes.of("ajam-orig-1")[0] is CallStatus.UNKNOWN
    assert [r.split(b"\r\n\r\n", 1)[1].split(b"&", 1)[0] for r in server.requests[:4]] == [
        b"Action=Login",
        b"Action=Originate",
        b"Action=Login",
        b"Action=Originate",
    ]


@pytest.mark.parametrize(
    ("name", "index"),
    [("ajam-04-mxml", 1), ("ajam-05-manager-html", 0), ("ajam-07-prefix-asterisk", 0)],
)
def test_the_ajam_driver_refuses_answers_that_are_not_rawman(outcomes, name, index):
    with ReplayHttp(ajam_responses((name, index))) as server, pytest.raises(PbxUnavailable):
        ajam_driver(server, outcomes).originate(call())


def test_the_ari_driver_reads_recorded_answers(outcomes):
    responses = http_responses(transcript("ari-01-channels"))
    with ReplayHttp([responses[0], responses[1], responses[4], responses[5]]) as server:
        config = PbxConfig(
            name="replay",
            host="127.0.0.1",
            port=server.port,
            username="astitray",
            secret="astitray-ari-secret",
        )
        driver = AsteriskAriDriver(config, on_outcome=outcomes)
        result = driver.originate(call(call_id=""))
        assert result.reference == "1795699295.44"
        with pytest.raises(PbxAuthFailed):
            driver.originate(call())
        with pytest.raises(OriginateRejected):
            driver.originate(call())
        with pytest.raises(OriginateFailed):
            driver.originate(call())
    first = server.requests[0]
    assert first.startswith(b"POST /ari/channels HTTP/1.1\r\n")
    assert b"Authorization: Basic YXN0aXRyYXk6YXN0aXRyYXktYXJpLXNlY3JldA==" in first  # as curl -u sent it
