"""Hostile values in every field of a call, against the FreeSWITCH ESL driver's ``bgapi originate``.

The recordings (``testkit/fake_freeswitch/recorded/FINDINGS-esl.txt``)
show what an unchecked value does on a real FreeSWITCH: ``\\n\\n`` in a
number ran a shell command, a line break added a ``Job-UUID`` header, a
``,`` in the caller-ID name set ``execute_on_answer=hangup``, a space split
the arguments. Whatever the value (the hostile corpus of
``test_properties``), it is refused with :class:`UnsafeValue` before the
wire, or the command FreeSWITCH would read (its splitting, ported below
from ``switch_separate_string``) holds exactly the variables, dial string,
number and context meant, in one command with one header.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import event, example, given
from hypothesis.errors import InvalidArgument

from drivers.base import OriginateRequest, PbxConfig, UnsafeValue
from drivers.freeswitch.esl import FreeSwitchEslDriver
from drivers.freeswitch.originate import channel_variables, originate_command
from drivers.freeswitch.protocol import encode_command, split_commands
from testkit.fake_freeswitch import FakeEsl
from testkit.known_secrets import ESL_PASSWORD
from tests.hostile.test_properties import DANGEROUS, REQUESTS, build, examples

CALL_UUID = "8d6e5855-4a16-4f6c-a856-c2b081a43f1e"
JOB = "643a6004-58ca-4dc6-a1b4-54b55940fa1b"
# What FreeSWITCH reads as syntax somewhere in an originate (besides control characters).
SYNTAX = [",", "'", "{", "}", "[", "]", "$", "${system(id)}", "\\", "^^:", "|", "=", " ", "&", ":_:", '"']


def fs_split(text: str, delim: str) -> list[str]:
    """FreeSWITCH's split on ``delim`` (switch_separate_string): quotes pair, a backslash escapes."""
    parts, current, quoted, index = [], "", False, 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            current += text[index : index + 2]
            index += 2
            continue
        if char == "'" and (quoted or "'" in text[index + 1 :]):
            quoted = not quoted
            current += char
        elif char == delim and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
        index += 1
    parts.append(current)
    if delim == " ":
        parts = [part for part in parts if part]
    return [part.strip(" ") for part in parts]


def unquote(value: str) -> str:
    return value[1:-1] if len(value) > 1 and value[0] == value[-1] == "'" else value


def read_as_freeswitch(wire: bytes) -> tuple[str, dict[str, str], list[str], dict[str, str]]:
    """What FreeSWITCH reads: (verb, the {..} variables, the other originate arguments, the headers)."""
    (command,) = list(split_commands(wire))  # one command, ended once
    line, *header_lines = command.decode().rstrip("\n").split("\n")
    headers = dict(h.split(": ", 1) for h in header_lines)
    verb, _, argument = line.partition(" originate ")
    assert argument.startswith("{")
    end = argument.index("}")  # no brace may sit inside the block
    block, rest = argument[1:end], argument[end + 1 :]
    variables: dict[str, str] = {}
    for item in fs_split(block, ","):
        name, _, value = item.partition("=")
        assert name not in variables, f"{name} set twice"
        variables[name] = unquote(value)
    return verb, variables, fs_split(rest, " "), headers


def note(text: str) -> None:
    """Count the example's kind for hypothesis's statistics (inside a hypothesis test only)."""
    with contextlib.suppress(InvalidArgument):  # a plain parametrized test
        event(text)


def check_command(request: OriginateRequest, context: str = "outbound") -> None:
    try:
        line = originate_command(request, context, request.call_id or "astitray", CALL_UUID)
        wire = encode_command(line, [("Job-UUID", JOB)])
    except UnsafeValue as exc:
        note("refused")
        assert all(
            str(value) not in str(exc) for value in (request.number, request.channel) if len(value) > 3
        )
        return
    note("sent")
    verb, variables, arguments, headers = read_as_freeswitch(wire)
    assert verb == "bgapi"
    assert headers == {"Job-UUID": JOB}
    meant = channel_variables(request, request.call_id or "astitray", CALL_UUID)
    assert variables == {name: unquote(value) for name, value in meant}
    assert arguments == [request.channel, request.number, "XML", context]
    assert "${" not in line and "\\" not in line


@examples(600)
@given(fields=REQUESTS)
@example(fields={"channel": "user/1001", "number": "0044111\n\napi system echo x", "context": "outbound"})
@example(
    fields={"channel": "user/1001", "number": "1001", "context": "outbound", "caller_id": '"Evil,a=b" <1>'}
)
def test_no_field_of_a_call_adds_a_variable_an_argument_or_a_command(fields):
    request = build({**fields, "channel": fields["channel"].replace("PJSIP/", "user/")})
    if request is not None:
        check_command(request)


FIELDS = [
    "channel",
    "number",
    "context",
    "caller_id",
    "account_code",
    "call_id",
    "variable name",
    "variable value",
]


def hostile_request(field: str, char: str) -> OriginateRequest:
    value = f"1{char}execute_on_answer=hangup"
    fields: dict[str, Any] = {"channel": "user/1001", "number": "1001", "context": "outbound"}
    if field == "variable name":
        fields["variables"] = {value: "1"}
    elif field == "variable value":
        fields["variables"] = {"ASTITRAY_X": value}
    elif field == "caller_id":
        fields["caller_id"] = f'"{value}" <1001>'
    else:
        fields[field] = value
    return OriginateRequest(**fields)


@pytest.mark.parametrize(
    "char", DANGEROUS, ids=[f"U+{ord(c[0]):04X}{'+' if len(c) > 1 else ''}" for c in DANGEROUS]
)
@pytest.mark.parametrize("field", FIELDS)
def test_each_control_character_in_each_field_is_refused(field, char):
    with pytest.raises(UnsafeValue):
        check_command_or_raise(hostile_request(field, char))


@pytest.mark.parametrize("char", SYNTAX)
@pytest.mark.parametrize("field", FIELDS)
def test_each_freeswitch_metacharacter_in_each_field_is_refused_or_harmless(field, char):
    if field == "caller_id":
        request = hostile_request(field, char)
        check_command(request)  # display text: its metacharacters are replaced, never refused
        line = originate_command(request, "outbound", "astitray", CALL_UUID)
        assert ",execute_on_answer" not in line and "${" not in line
        return
    with pytest.raises(UnsafeValue):
        check_command_or_raise(hostile_request(field, char))


def check_command_or_raise(request: OriginateRequest) -> None:
    line = originate_command(request, request.context, request.call_id or "astitray", CALL_UUID)
    encode_command(line, [("Job-UUID", JOB)])


@pytest.fixture(scope="module")
def esl_driver() -> Iterator[tuple[FakeEsl, FreeSwitchEslDriver]]:
    with FakeEsl() as fake:
        config = PbxConfig(name="hostile", port=fake.port, secret=ESL_PASSWORD, context="outbound")
        driver = FreeSwitchEslDriver(config)
        try:
            yield fake, driver
        finally:
            driver.close()


@examples(60)
@given(fields=REQUESTS)
@example(fields={"channel": "user/1001", "number": "0044222\r\nJob-UUID: injected", "context": "outbound"})
def test_the_driver_sends_one_command_with_exactly_the_calls_fields(esl_driver, fields):
    fake, driver = esl_driver
    request = build({**fields, "channel": fields["channel"].replace("PJSIP/", "user/")})
    if request is None:
        return
    before = len(fake.received)
    try:
        result = driver.originate(request)
    except UnsafeValue:
        assert len(fake.received) == before  # refused before a byte was sent
        return
    (wire,) = [c for c in fake.received[before:] if c.startswith(b"bgapi")]
    _, variables, arguments, headers = read_as_freeswitch(wire)
    assert arguments == [request.channel, request.number, "XML", request.context or "outbound"]
    assert set(headers) == {"Job-UUID"} and re.fullmatch(r"[0-9a-f-]{36}", headers["Job-UUID"])
    assert variables["astitray_call_id"] == result.reference
