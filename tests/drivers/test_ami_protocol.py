"""AMI framing, parsing, encoding and the pending table: pure parts, table-driven."""

from __future__ import annotations

import threading

import pytest

from drivers.asterisk.manager.actions import ActionIds, PendingTable
from drivers.asterisk.manager.protocol import Framer, Message, describe, encode_action, parse_messages
from drivers.base import AnswerLost, RequestNotSent, UnsafeValue

LOGIN_OK = b"Response: Success\r\nActionID: a-1\r\nMessage: Authentication accepted\r\n\r\n"
STREAM = (
    b"Asterisk Call Manager/11.0.0\r\n"
    + LOGIN_OK
    + b"Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n"
)


def test_it_keeps_the_banner_and_splits_messages():
    framer = Framer()
    messages = framer.feed(STREAM)
    assert framer.banner == "Asterisk Call Manager/11.0.0"
    assert [m.is_response for m in messages] == [True, False]
    assert messages[0].action_id == "a-1"
    assert messages[0].text == "Authentication accepted"
    assert messages[1].event == "FullyBooted"


@pytest.mark.parametrize("size", [1, 2, 3, 5, 17, 64])
def test_it_copes_with_reads_of_any_size(size):
    framer = Framer()
    messages = []
    for start in range(0, len(STREAM), size):
        messages += framer.feed(STREAM[start : start + size])
    assert framer.banner == "Asterisk Call Manager/11.0.0"
    assert [m.headers for m in messages] == [m.headers for m in Framer().feed(STREAM)]


def test_it_waits_for_the_empty_line():
    framer = Framer()
    assert framer.feed(STREAM[: STREAM.index(b"\r\n\r\n")]) == []
    assert framer.pending_bytes > 0


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        # lone LF line ends, as some PBXes send
        (b"Response: Success\nActionID: x\n\n", [("Response", "Success"), ("ActionID", "x")]),
        # stray empty lines between messages are not messages
        (b"\r\n\r\nResponse: Success\r\n\r\n\r\n", [("Response", "Success")]),
        # an empty value, blanks after the colon skipped
        (b"AccountCode: \r\nContext:   phones\r\n\r\n", [("AccountCode", ""), ("Context", "phones")]),
        # a colon inside the value stays there
        (b"AppData: 1,outbound: dialing\r\n\r\n", [("AppData", "1,outbound: dialing")]),
        # a lone CR stays inside the value (as Asterisk reads it)
        (b"Exten: 0044444\r999\r\n\r\n", [("Exten", "0044444\r999")]),
        # a line without a colon is kept whole
        (b"Response: Follows\r\nsome output\r\n\r\n", [("Response", "Follows"), ("", "some output")]),
    ],
)
def test_it_parses_lines_like_asterisk(wire, expected):
    (message,) = Framer(banner=False).feed(wire)
    assert list(message.headers) == expected


def test_repeated_keys_are_kept_and_the_first_wins():
    (message,) = parse_messages("Event: X\r\nVariable: A=1\r\nVariable: B=2\r\n\r\n")
    assert message.get_all("variable") == ["A=1", "B=2"]
    assert message["VARIABLE"] == "A=1"
    assert message.get("missing") is None
    with pytest.raises(KeyError):
        message["missing"]


def test_an_originate_response_event_is_an_event_not_an_answer():
    (message,) = parse_messages(
        "Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: c-1\r\n"
        "Response: Success\r\nReason: 4\r\n\r\n"
    )
    assert message.is_event and not message.is_response
    assert message.action_id == "c-1"


def test_parse_messages_takes_a_body_without_its_last_empty_line():
    assert len(parse_messages("Response: Success\r\nMessage: ok\r\n")) == 1
    assert parse_messages("") == []


def test_it_encodes_an_action_with_crlf_and_the_empty_line():
    data = encode_action(
        "Originate", [("Channel", "PJSIP/1001"), ("Variable", "A=1"), ("Variable", "B=2")], "x-1"
    )
    assert data == (
        b"Action: Originate\r\nChannel: PJSIP/1001\r\nVariable: A=1\r\nVariable: B=2\r\nActionID: x-1\r\n\r\n"
    )
    assert [m.headers for m in parse_messages(data)] == [
        (
            ("Action", "Originate"),
            ("Channel", "PJSIP/1001"),
            ("Variable", "A=1"),
            ("Variable", "B=2"),
            ("ActionID", "x-1"),
        )
    ]


BAD_VALUES = [
    "1\r\nApplication: System",
    "1\nData: x",
    "1\r",
    "x\x00",
    "\x1b[2J",
    "a\u2028b",
    "a\tb",
    "a\x7f",
]


@pytest.mark.parametrize("value", BAD_VALUES)
def test_it_refuses_control_characters_in_any_value_or_name(value):
    with pytest.raises(UnsafeValue) as caught:
        encode_action("Originate", [("Exten", value)], "x-1")
    assert value not in str(caught.value)
    with pytest.raises(UnsafeValue):
        encode_action("Originate", [("Exten", "1")], value)  # the ActionID too
    with pytest.raises(UnsafeValue):
        encode_action(value, [], "x-1")  # and the action's name


@pytest.mark.parametrize("key", ["Ex ten", "Exten:", "", "A\r\nB", "Exté"])
def test_it_refuses_header_names_that_are_not_plain(key):
    with pytest.raises(UnsafeValue):
        encode_action("Originate", [(key, "1")], "x-1")


def test_secrets_are_masked_in_log_lines():
    line = describe([("Action", "Login"), ("Username", "u"), ("Secret", "s3cret"), ("key", "abcd")])
    assert "s3cret" not in line and "abcd" not in line
    assert "Username: u" in line
    assert "s3cret" not in Message((("Secret", "s3cret"),)).describe()


def test_action_ids_are_unique_across_threads():
    ids = ActionIds()
    seen: list[str] = []
    lock = threading.Lock()

    def take() -> None:
        mine = [ids.next() for _ in range(200)]
        with lock:
            seen.extend(mine)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 800


def test_the_pending_table_routes_an_answer_to_its_action_id():
    table = PendingTable()
    first, second = table.add("a-1"), table.add("a-2")
    (answer,) = parse_messages("Response: Success\r\nActionID: a-2\r\n\r\n")
    assert table.resolve(answer)
    assert second.wait(1) is answer
    assert not table.resolve(answer)  # nobody waits any more
    with pytest.raises(AnswerLost):
        first.wait(0.01)
    with pytest.raises(ValueError):
        table.add("a-1")


def test_a_closed_table_fails_the_waiting_and_refuses_new_actions():
    table = PendingTable()
    waiting = table.add("a-1")
    table.fail_all(AnswerLost("gone"))
    with pytest.raises(AnswerLost, match="gone"):
        waiting.wait(1)
    with pytest.raises(RequestNotSent):
        table.add("a-2")
