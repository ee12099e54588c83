"""The exact bytes a real FreeSWITCH 1.10.12 sent, through the ESL parser, the client and the fakes.

``testkit/fake_freeswitch/recorded/transcripts/*.raw.bin``: first cut by
the framer in reads of every size, then every event parsed, every
``BACKGROUND_JOB`` read as an outcome, and the login recordings served as
they were to the driver's client.
"""

from __future__ import annotations

import pytest

from drivers.base import CallStatus, PbxAuthFailed, PbxUnavailable
from drivers.freeswitch.client import EslClient, EslSettings, PbxAddressRefused
from drivers.freeswitch.originate import job_outcome
from drivers.freeswitch.protocol import Framer, parse_event, split_commands
from testkit.fake_freeswitch import SCENARIOS, ReplayEsl
from testkit.fake_freeswitch.recording import messages, names, raw, recording
from testkit.known_secrets import ESL_PASSWORD

NAMES = names()
KNOWN_TYPES = {
    "auth/request",
    "command/reply",
    "api/response",
    "text/event-plain",
    "text/event-json",
    "text/disconnect-notice",
    "text/rude-rejection",
}


def test_every_recording_is_here_and_its_transcript_matches_its_bytes():
    assert len(NAMES) == 24
    for name in NAMES:
        exchanges = recording(name)  # raises when the .txt and the .raw.bin disagree
        assert b"".join(e.reply for e in exchanges) == raw(name)
        assert exchanges[-1].closed  # every recorded connection ended with the server closing it


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("size", [1, 13, 65536])
def test_every_recording_frames_whole(name, size):
    data = raw(name)
    framer = Framer()
    framed = []
    for start in range(0, len(data), size):
        framed += framer.feed(data[start : start + size])
    assert framer.pending_bytes == 0
    assert len(framed) == len(messages(data))
    assert {m.content_type for m in framed} <= KNOWN_TYPES
    for message in framed:
        if message.is_event:
            event = parse_event(message)
            assert event is not None and event.get("Event-Name")
            assert event.get("Core-UUID") and event.get("Event-Sequence").isdigit()


def test_json_events_read_as_the_plain_ones():
    (plain,) = [m for m in Framer().feed(raw("esl-03-clicktodial-answered")) if m.is_event][:1]
    (json_event,) = [m for m in Framer().feed(raw("esl-03-clicktodial-answered-json")) if m.is_event][:1]
    a, b = parse_event(plain), parse_event(json_event)
    assert a is not None and b is not None
    assert a.name == b.name == "CHANNEL_CREATE"
    assert a.get("Channel-Presence-ID") == b.get("Channel-Presence-ID") == "1001@127.0.0.1"
    assert a.get("Event-Date-GMT").startswith("Mon, 07 Dec 2026")  # url-decoded


def background_jobs() -> list[tuple[str, str]]:
    found = []
    for name in NAMES:
        for message in Framer().feed(raw(name)):
            event = parse_event(message) if message.is_event else None
            if (
                event is not None
                and event.name == "BACKGROUND_JOB"
                and event.get("Job-Command") == "originate"
            ):
                found.append((name, event.body))
    return found


def test_every_recorded_originate_job_reads_as_an_outcome():
    outcomes = {(body.strip(), job_outcome(body)[0]) for _, body in background_jobs()}
    causes = {body if body.startswith("-ERR") else "+OK" for body, _ in outcomes}
    assert causes >= {
        "+OK",
        "-ERR USER_BUSY",
        "-ERR NO_ANSWER",
        "-ERR USER_NOT_REGISTERED",
        "-ERR SUBSCRIBER_ABSENT",
        "-ERR NORMAL_CLEARING",
    }
    expected = {
        "+OK": CallStatus.ANSWERED,
        "-ERR USER_BUSY": CallStatus.BUSY,
        "-ERR NO_ANSWER": CallStatus.NO_ANSWER,
    }
    for body, status in outcomes:
        key = body if body.startswith("-ERR") else "+OK"
        assert status is expected.get(key, CallStatus.FAILED), body


def test_the_fakes_scenarios_are_recorded_click_to_dials():
    for name, index in SCENARIOS.values():
        exchange = recording(name)[index]
        assert exchange.command.startswith(b"bgapi originate {origination_uuid=")
        assert exchange.reply.startswith(b"Content-Type: command/reply\nReply-Text: +OK Job-UUID: ")


def test_the_server_cuts_commands_at_the_first_empty_line_as_recorded():
    # esl-04: a "\n\n" inside a number ended the originate; the rest ran as a new command.
    (injected,) = [e.command for e in recording("esl-04-crlf-injection") if b"INJECTED-VIA-LFLF" in e.command]
    assert [c.split(b"\n")[0] for c in split_commands(injected)] == [
        b"bgapi originate {origination_caller_id_name=Astitray,origination_caller_id_number=0044207946095,"
        b"originate_timeout=20}user/1002 0044111",
        b"api system echo INJECTED-VIA-LFLF >> /tmp/fs-injected.log",
        b" XML outbound",
    ]


def settings(port: int, password: str = ESL_PASSWORD) -> EslSettings:
    return EslSettings(host="127.0.0.1", port=port, password=password, events="", timeout_s=5.0)


def test_the_recorded_wrong_password_is_a_refused_login():
    with ReplayEsl("esl-01-auth-wrong-password") as server:
        client = EslClient(settings(server.port, "not-the-secret"))
        with pytest.raises(PbxAuthFailed):
            client.connect()
        assert client.answered and not client.connected


def test_the_recorded_acl_rejection_is_an_address_refused():
    with ReplayEsl("esl-01-acl-rejected") as server:
        client = EslClient(settings(server.port))
        with pytest.raises(PbxAddressRefused, match="apply-inbound-acl"):
            client.connect()
        assert server.received == []  # not even the password was sent


def test_the_recorded_login_status_and_exit():
    with ReplayEsl("esl-01-auth-crlf-line-ends") as server:
        client = EslClient(settings(server.port))
        reply = client.command("api status")
        assert reply.content_type == "api/response"
        assert "FreeSWITCH (Version 1.10.12-release" in reply.reply_text
        client.close()
        assert server.received == [f"auth {ESL_PASSWORD}\n\n".encode(), b"api status\n\n", b"exit\n\n"]


def test_the_recorded_restart_ends_the_connection_and_the_next_command_reconnects():
    with ReplayEsl("esl-07-restart-command") as server:
        client = EslClient(settings(server.port))
        assert client.command("api fsctl shutdown restart").reply_text == "+OK\n"
        assert client.wait_closed(5)  # the notice "The system is being shut down.", then EOF
    with ReplayEsl("esl-07-restart-reconnect") as server:
        client.settings = settings(server.port)
        assert "is ready" in client.command("api status").reply_text
        assert client.generation == 2
        client.close()


def test_a_server_that_closes_at_once_is_unavailable():
    with ReplayEsl("esl-01-acl-rejected") as server:
        client = EslClient(settings(server.port))
        with pytest.raises(PbxUnavailable):
            client.command("api status")
