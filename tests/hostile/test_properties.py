"""Property-based tests (hypothesis): the rewrite pipeline and the PBX encoders, whatever the input.

- Rewriting: whatever the text, the dial plan and the (valid) rules, the
  result is a refusal (:class:`RewriteError`, fault ``INVALID_NUMBER`` over
  the API) or a number of ``0-9*#`` with at most a leading ``+``, at most
  ``MAX_NUMBER_LENGTH`` digits. A rule whose replacement holds anything else
  is refused when it is validated, and never reaches the output when it was
  stored behind the admin's back.
- The PBX wire: no value in any field of a call (channel, number, context,
  caller ID, account code, variable names and values, call id) adds a header
  to an AMI action or a parameter to an AJAM request or an ARI body: the
  value is refused with the driver's :class:`UnsafeValue`, or what was sent
  parses back (with the project's own AMI parser, urllib's form parser,
  ``json``) to exactly the fields meant.

The examples are drawn from dangerous alphabets (CR, LF, NUL, U+2028,
U+0085, lone surrogates, percent-encoded line breaks, URI schemes ...)
mixed with arbitrary unicode; the ``hostile`` profile is derandomized so CI
runs the same examples every time. ``ASTITRAY_HYPOTHESIS=explore`` runs ten
times as many, at random.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import phonenumbers
import pytest
import requests
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from dialer.rewrite import MAX_NUMBER_LENGTH, DialPlan, RewriteError, Rule, RuleError, check_rule, rewrite
from drivers.asterisk.ajam import AsteriskAjamDriver
from drivers.asterisk.ami import AsteriskAmiDriver
from drivers.asterisk.ari import AsteriskAriDriver
from drivers.asterisk.manager.originate import originate_headers
from drivers.asterisk.manager.protocol import Framer, check_headers, encode_action, parse_messages
from drivers.base import DriverError, OriginateRequest, PbxConfig, UnsafeValue, is_safe_text
from testkit.fake_asterisk import FakeAmi
from testkit.known_secrets import AMI_SECRET
from tests.hostile.conftest import INVALID_NUMBER

EXPLORE = os.environ.get("ASTITRAY_HYPOTHESIS") == "explore"
settings.register_profile(
    "hostile",
    deadline=None,  # a slow CI machine must not turn into a flaky test
    derandomize=not EXPLORE,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
HOSTILE = settings.get_profile("hostile")


def examples(count: int) -> settings:
    """The hostile profile with ``count`` examples (ten times more when exploring)."""
    return settings(HOSTILE, max_examples=count * 10 if EXPLORE else count)


DIALABLE = re.compile(rf"\+?[0-9*#]{{1,{MAX_NUMBER_LENGTH}}}")

# --- Dangerous alphabets ----------------------------------------------------------

LINE_BREAKS = ["\r", "\n", "\r\n", "\n\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
CONTROLS = ["\x00", "\x01", "\x07", "\x08", "\t", "\x1b", "\x1b[2J", "\x7f", "\x9b"]
FORMATS = ["\u200b", "\u200e", "\u202e", "\u2066", "\ufeff", "\u00ad"]
SURROGATES = ["\ud800", "\udc00", "\udfff"]
DANGEROUS = LINE_BREAKS + CONTROLS + FORMATS + SURROGATES
# What an attacker appends after a line break to an AMI action, or after '&' to a form.
INJECTIONS = [
    "Application: System",
    "Data: rm -rf /",
    "Action: Originate",
    "ActionID: x",
    "Variable: SHELL=1",
    "&Action=Logoff",
    "&Exten=900",
    "=",
    "&",
    ";",
    ":",
    ",",
    '"',
    "\\",
    "%0D%0AApplication:%20System",
    "%0a",
    "%00",
    "%2B",
    "%2b33",
]
NUMBERISH = [
    "0",
    "1001",
    "+44 20 7946 0958",
    "01 23 45 67 89",
    "(0)",
    "+",
    "*",
    "#",
    "*72",
    "#31#",
    "00",
    "0033",
    "-",
    ".",
    " ",
    "/",
    "ext. 12",
    ";ext=12",
    "x12",
    "tel:",
    "tel:+33-1-23-45-67-89",
    "sip:",
    "sip:1001@pbx",
    "callto:",
    "callto://",
    "sips:",
    "tel:%2B33123456789",
    "tel:+1-650-253-0000;phone-context=example.org",
    "\uff10\uff11\uff12",  # fullwidth digits
    "\u0661\u0662\u0663",  # Arabic-Indic digits
    "\u00b2",  # superscript two: a digit to \d, not to [0-9]
]
TOKEN = st.sampled_from(DANGEROUS + INJECTIONS + NUMBERISH)

HUGE = st.sampled_from(
    [
        "0" * 5000,
        "1 " * 2100,
        "+" + "9" * 4095,
        "tel:" + "%30" * 1400,
        "\r\n" * 3000,
        "0123456789" * 409 + "\u2028",
        "x" * 4096,
        "\u0661" * 4096,
    ]
)

DIGITS = st.text(alphabet="0123456789 ", min_size=1, max_size=14)
# Texts that hold a number, or nearly: most of them get as far as the rules and the validation.
NUMBER_TEXT = st.lists(st.one_of(st.sampled_from(NUMBERISH), DIGITS), min_size=1, max_size=5).map("".join)
SHORT_TEXT = st.one_of(
    NUMBER_TEXT,
    st.builds(lambda a, b, c: a + b + c, NUMBER_TEXT, TOKEN, NUMBER_TEXT),
    st.lists(TOKEN, max_size=12).map("".join),
    st.lists(st.one_of(TOKEN, st.text(max_size=6)), max_size=10).map("".join),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=60),  # every code point, surrogates too
)
ANY_TEXT = st.one_of(SHORT_TEXT, HUGE)
# A field's value: usually plausible (so that the other fields are tested too), sometimes hostile.
PLAIN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-@./ ", min_size=1, max_size=12)
FIELD = st.one_of(
    PLAIN,
    st.builds(lambda a, b, c: a + b + c, PLAIN, TOKEN, PLAIN),
    st.lists(st.one_of(TOKEN, st.text(max_size=4)), min_size=1, max_size=6).map("".join),
    st.text(alphabet=st.characters(exclude_categories=()), min_size=1, max_size=20),
)

# --- Dial plans and rules -----------------------------------------------------------

PREFIX = st.text(alphabet="0123456789*#", max_size=4)
INTERNAL_PATTERNS = st.sampled_from(
    ["", r"^\d{2,5}$", r"^\d{3,4}$", r"^[1-8]\d{3}$", r"^\*", r".*", r"\d", r"^(1\d{3}|\*\d+)$", "^$"]
)
RANDOM_PLANS = st.builds(
    DialPlan,
    country=st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)),
    outside_prefix=PREFIX,
    international_prefix=PREFIX,
    national_prefix=PREFIX,
    internal_pattern=INTERNAL_PATTERNS,
)
# Realistic plans too, so that many texts make it to the rules and the final validation.
DIAL_PLANS = st.one_of(
    st.sampled_from(
        [
            DialPlan("FR", outside_prefix="0"),
            DialPlan("GB", outside_prefix="9"),
            DialPlan("US", outside_prefix="9", international_prefix="011", national_prefix="1"),
        ]
    ),
    RANDOM_PLANS,
)
PATTERNS = st.sampled_from(
    [
        r"^(\d+)$",
        r"^0(\d+)",
        r"^(3\d{3})$",
        r"^\+(\d+)",
        r"(\d)",
        r"^(?P<all>.*)$",
        r"^",
        r"$",
        r"^(0033)(\d+)",
        r"(.)(.)",
        r"\*",
        r"#",
        r"^(\d{0,40})",
        r"(?i)^(\d)",
        r"(\d*)(\d*)",
    ]
)
REPLACEMENTS = st.one_of(
    st.lists(
        st.sampled_from(["0", "9", "00", "*", "#", "+", r"\1", r"\g<1>", r"\2", r"\g<all>"]), max_size=4
    ).map("".join),
    # Replacements that try to inject letters, line breaks or template tricks.
    st.lists(
        st.sampled_from(
            [
                r"\1",
                "0",
                "A",
                "abc",
                "\r\n",
                "\n",
                "\x00",
                r"\n",
                r"\r",
                r"\x0d",
                r"\g<0>",
                r"\0",
                r"\\",
                "$1",
                "\u2028",
                *INJECTIONS,
            ]
        ),
        min_size=1,
        max_size=4,
    ).map("".join),
)
RAW_RULES = st.builds(Rule, name=PLAIN, pattern=PATTERNS, replacement=REPLACEMENTS, final=st.booleans())


def valid(rules: list[Rule]) -> list[Rule]:
    """The rules the admin's validation (``check_rule``, as ``RewriteRule.save``) accepts."""
    kept = []
    for rule in rules:
        try:
            check_rule(rule.pattern, rule.replacement)
        except RuleError:
            continue
        kept.append(rule)
    return kept


def assert_dialable_or_refused(text: str, plan: DialPlan, rules: list[Rule]) -> str | None:
    """The number, after checking it is dialable, or None when the text was refused."""
    try:
        result = rewrite(text, plan, rules)
    except RewriteError as exc:
        event("refused")
        assert exc.message and "\n" not in exc.message and "\r" not in exc.message
        # The text is never quoted back (a rule's name, which the admin chose, may be: hypothesis
        # once named a rule as the text).
        message = exc.message
        for rule in rules:
            message = message.replace(f"'{rule.name}'", "")
        assert len(text) < 12 or text not in message
        return None
    event("dialed")
    assert DIALABLE.fullmatch(result.number), result.number
    assert len(result.number.lstrip("+")) <= MAX_NUMBER_LENGTH
    post_dial = r"[0-9*#]+(?:[pw]+[0-9*#]+)*"  # digits, pauses (p) and waits (w) between groups
    assert result.extension_digits == "" or re.fullmatch(post_dial, result.extension_digits)
    assert all(DIALABLE.fullmatch(choice["number"]) for choice in result.choices)
    assert result.choices[0]["number"] == result.number
    return result.number


# --- The rewrite pipeline --------------------------------------------------------------


@examples(600)
@given(text=ANY_TEXT, plan=DIAL_PLANS, rules=st.lists(RAW_RULES, max_size=4))
@example(text="+44 20 7946 0958\r\nApplication: System", plan=DialPlan("FR"), rules=[])
@example(text="0142685300p1234p5678w9 / Fax 0142685301", plan=DialPlan("FR"), rules=[])
@example(text="1001", plan=DialPlan("FR"), rules=[Rule("letters", r"^(\d+)$", "\\1\r\nApplication: System")])
@example(text="tel:%2B33%0D%0A123456789", plan=DialPlan("FR", outside_prefix="0"), rules=[])
@example(text="\u00b2\u00b2\u00b2", plan=DialPlan("FR", internal_pattern=r"^\d{2,5}$"), rules=[])
def test_it_dials_only_digits_star_hash_and_a_leading_plus(text, plan, rules):
    assert_dialable_or_refused(text, plan, valid(rules))


@examples(400)
@given(text=ANY_TEXT, plan=DIAL_PLANS, rules=st.lists(RAW_RULES, min_size=1, max_size=4))
@example(text="0000000000_0", plan=DialPlan("FR"), rules=[Rule("0000000000_0", r"^(\d+)$", "\\2")])
def test_it_refuses_an_invalid_rule_stored_behind_the_admins_back(text, plan, rules):
    # Rules not validated (raw SQL, a restored dump): the number is refused, or dialable.
    assert_dialable_or_refused(text, plan, rules)


@examples(200)
@given(pattern=PATTERNS, replacement=REPLACEMENTS)
def test_a_rule_that_could_write_anything_but_digits_is_refused_at_validation(pattern, replacement):
    try:
        check_rule(pattern, replacement)
    except RuleError as exc:
        assert exc.field == "replacement"
        return
    # What is left once group references are taken out: only dialable characters.
    literal = re.sub(r"\\g<\w+>|\\\d{1,2}", "", replacement)
    assert re.fullmatch(r"[0-9*#+]*", literal), replacement


@pytest.fixture
def stored_rules(db, console_pbx):
    """Rules as the admin stores them, and two stored behind its back (bulk_create skips save)."""
    from dialer.models import RewriteRule

    RewriteRule.objects.create(
        name="service", pattern=r"^(3\d{3})$", replacement=r"0\1", final=True, position=1
    )
    RewriteRule.objects.create(name="star", pattern=r"^\*(\d+)$", replacement=r"*\1", position=2)
    RewriteRule.objects.bulk_create(
        [
            RewriteRule(
                name="crlf", pattern=r"^(9\d{3})$", replacement="\\1\r\nApplication: System", position=3
            ),
            RewriteRule(name="letters", pattern=r"^(8\d{3})$", replacement=r"\1abc", position=4),
        ]
    )


@examples(100)
@given(text=st.one_of(SHORT_TEXT, HUGE.filter(lambda t: len(t) <= 4096)))
@example(text="9123")
@example(text="8123")
@example(text="3949")
def test_dialer_normalize_answers_a_dialable_number_or_invalid_number(client, alice_auth, stored_rules, text):
    from testkit.rpc import jsonrpc_call

    answer = jsonrpc_call(client, "dialer.normalize", [text], auth=alice_auth)
    if "error" in answer:
        assert answer["error"]["code"] == INVALID_NUMBER, answer
        return
    assert DIALABLE.fullmatch(answer["result"]["number"]), answer


# --- The AMI encoder ---------------------------------------------------------------------

NAMES = st.sampled_from(["Exten", "Channel", "CallerID", "Variable", "Account", "X-Custom", "a_b"])
HEADER_NAMES = st.one_of(NAMES, NAMES, FIELD)


@examples(600)
@given(
    action=st.one_of(st.just("Originate"), FIELD),
    headers=st.lists(st.tuples(HEADER_NAMES, st.one_of(PLAIN, FIELD)), max_size=6),
    action_id=st.one_of(st.just("astitray-1"), FIELD),
)
@example(action="Originate", headers=[("Exten", "1\r\nApplication: System")], action_id="a")
@example(action="Originate", headers=[("Exten", "1\ud800")], action_id="a")
@example(action="Originate", headers=[("Exten\r\nApplication", "System")], action_id="a")
@example(action="Originate", headers=[("Exten", " 1001")], action_id="a")
def test_no_value_adds_a_header_to_an_ami_action(action, headers, action_id):
    try:
        wire = encode_action(action, headers, action_id)
    except UnsafeValue as exc:
        event("refused by the encoder")
        # The refusal names the header, never the value that caused it.
        assert all(value not in str(exc) for _, value in headers if not is_safe_text(value))
        return
    event("encoded")
    (message,) = parse_messages(wire)
    assert message.headers == expected_headers([("Action", action), *headers, ("ActionID", action_id)])


def expected_headers(headers: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    # Asterisk (and our parser) skip the blanks after "Key:": a value's leading spaces are not sent.
    return tuple((key, value.lstrip(" ")) for key, value in headers)


VARIABLE_NAMES = st.one_of(
    st.sampled_from(["ASTITRAY_X", "__INHERITED", "CDR(userfield)", "PJSIP_HEADER(add,X)"]), FIELD
)
TEXT_FIELDS = ["channel", "number", "context", "caller_id", "account_code", "call_id"]
PLAIN_CALL = {"channel": "PJSIP/1001", "number": "0044207946095", "context": "outbound"}
# A plain call with one to three hostile fields: the other fields let the hostile one reach the wire.
REQUESTS = st.builds(
    lambda hostile, variables, auto_answer: {
        **PLAIN_CALL,
        **hostile,
        "variables": variables,
        "auto_answer": auto_answer,
    },
    st.dictionaries(st.sampled_from(TEXT_FIELDS), FIELD, max_size=3),
    st.dictionaries(VARIABLE_NAMES, FIELD, max_size=2),
    st.booleans(),
)


def build(fields: dict[str, Any]) -> OriginateRequest | None:
    """The request, or None when building it refused a value (with the driver's error)."""
    try:
        return OriginateRequest(**fields)
    except UnsafeValue:
        event("refused by OriginateRequest")
        return None


@examples(600)
@given(fields=REQUESTS)
def test_no_field_of_a_call_adds_a_header_to_the_originate(fields):
    request = build(fields)
    if request is None:
        return
    try:
        headers = originate_headers(request, "outbound", channel_id=request.call_id)
        wire = encode_action("Originate", headers, request.call_id or "astitray-1")
    except UnsafeValue:
        return
    (message,) = parse_messages(wire)
    sent = dict(message.headers)
    assert [key for key, _ in message.headers].count("Exten") == 1
    assert sent["Exten"] == request.number.lstrip(" ")
    assert sent["Channel"] == request.channel.lstrip(" ")
    assert len(message.get_all("Variable")) == len(headers) - len([h for h in headers if h[0] != "Variable"])
    assert {key for key, _ in message.headers} <= {
        "Action",
        "Channel",
        "Context",
        "Exten",
        "Priority",
        "Async",
        "Timeout",
        "CallerID",
        "Account",
        "Variable",
        "ChannelId",
        "ActionID",
    }


@pytest.fixture(scope="module")
def ami_driver() -> Iterator[tuple[FakeAmi, AsteriskAmiDriver]]:
    with FakeAmi() as fake:
        config = PbxConfig(
            name="hostile",
            host=fake.host,
            port=fake.port,
            username="astitray",
            secret=AMI_SECRET,
            context="outbound",
            timeout_s=5.0,
        )
        driver = AsteriskAmiDriver(config)
        try:
            yield fake, driver
        finally:
            driver.close()


@examples(80)
@given(fields=REQUESTS)
@example(fields={"channel": "PJSIP/1001", "number": "1\r\nApplication: System", "context": "outbound"})
@example(
    fields={"channel": "PJSIP/1001", "number": "1001", "context": "outbound", "call_id": "x\nAction: Logoff"}
)
def test_the_ami_driver_sends_exactly_the_headers_of_the_call(ami_driver, fields):
    fake, driver = ami_driver
    request = build(fields)
    if request is None:
        return
    before = len(fake.received)
    try:
        driver.originate(request)
    except UnsafeValue:
        assert len(fake.received) == before  # refused before a byte was sent
        return
    except DriverError:
        pass  # the fake PBX refused the call (unknown context, ...): what was sent still counts
    event("sent")
    framer = Framer(banner=False)
    originates = [m for m in framer.feed(fake.received[before:]) if m.get("Action") == "Originate"]
    assert len(originates) == 1
    (sent,) = originates
    expected = originate_headers(request, "outbound", channel_id=sent.headers[-1][1])  # ChannelId = ActionID
    assert sent.headers[1:-1] == expected_headers(expected)
    assert sent.headers[0] == ("Action", "Originate") and sent.headers[-1][0] == "ActionID"


# --- The HTTP drivers ---------------------------------------------------------------------


class Recorder(requests.adapters.BaseAdapter):
    """A requests transport that records what would be sent and answers as the PBX would."""

    def __init__(self, answer: Any) -> None:
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []
        self.answer = answer

    def send(self, request, **kwargs):  # type: ignore[override]
        self.sent.append(request)
        status, content_type, body = self.answer(request)
        response = requests.Response()
        response.status_code = status
        response.headers["Content-Type"] = content_type
        response._content = body
        response.request = request
        response.url = request.url
        return response

    def close(self) -> None:
        pass


def ajam_answer(request: requests.PreparedRequest) -> tuple[int, str, bytes]:
    """As Asterisk 22's /rawman answers (FINDINGS.txt): HTTP 200 always, the ActionID echoed second."""
    params = dict(parse_qsl(str(request.body or ""), keep_blank_values=True))
    answer = {
        "Login": ("Success", "Authentication accepted"),
        "Logoff": ("Goodbye", "Thanks for all the fish."),
    }.get(params.get("Action", ""), ("Error", "Originate failed"))
    echoed = f"ActionID: {params['ActionID']}\r\n" if "ActionID" in params else ""
    body = f"Response: {answer[0]}\r\n{echoed}Message: {answer[1]}\r\n\r\n"
    return 200, "text/plain", body.encode("utf-8", "surrogatepass")


def http_config() -> PbxConfig:
    return PbxConfig(
        name="hostile",
        host="127.0.0.1",
        port=8088,
        username="astitray",
        secret=AMI_SECRET,
        context="outbound",
        timeout_s=5.0,
    )


def send_over_http(
    driver: AsteriskAjamDriver | AsteriskAriDriver,
    answer: Any,
    request: OriginateRequest,
    tolerated: tuple[type[Exception], ...] = (),
) -> list[requests.PreparedRequest] | None:
    """What ``driver`` sent to place ``request``; None when it refused a value (then nothing was sent)."""
    recorder = Recorder(answer)
    driver.http.mount("http://", recorder)
    try:
        driver.originate(request)
    except UnsafeValue:
        assert not recorder.sent  # refused before logging in
        return None
    except tolerated:
        pass  # the PBX refused the call: what was sent still counts
    finally:
        driver.close()
    return recorder.sent


def check_ajam_originate(request: OriginateRequest, sent: list[requests.PreparedRequest]) -> None:
    (originate,) = [one for one in sent if "Action=Originate" in str(one.body or "")]
    assert "?" not in (originate.url or "")  # nothing in the URL: the fields go in the body
    fields = parse_qsl(str(originate.body or ""), keep_blank_values=True, strict_parsing=True)
    assert fields[0] == ("Action", "Originate") and fields[-1][0] == "ActionID"
    # ChannelId = ActionID: the call's reference
    assert fields[1:-1] == originate_headers(request, "outbound", channel_id=fields[-1][1])


def ajam_sent(request: OriginateRequest) -> list[requests.PreparedRequest] | None:
    driver = AsteriskAjamDriver(http_config())
    return send_over_http(driver, ajam_answer, request, tolerated=(DriverError,))


@examples(300)
@given(fields=REQUESTS)
def test_no_field_of_a_call_adds_a_parameter_to_an_ajam_request(fields):
    request = build(fields)
    if request is None:
        return
    sent = ajam_sent(request)
    event("refused by the driver" if sent is None else "sent")
    if sent is not None:
        check_ajam_originate(request, sent)


def ari_answer(request: requests.PreparedRequest) -> tuple[int, str, bytes]:
    return 200, "application/json", b'{"id": "1700000000.1"}'


def check_ari_originate(
    driver: AsteriskAriDriver, request: OriginateRequest, sent: list[requests.PreparedRequest]
) -> None:
    (one,) = sent
    assert one.url == "http://127.0.0.1:8088/ari/channels"  # no field in the URL
    body = json.loads(one.body or b"")
    assert body == driver.originate_body(request)
    assert set(body) <= {
        "endpoint",
        "extension",
        "context",
        "priority",
        "timeout",
        "variables",
        "callerId",
        "channelId",
    }
    assert body["extension"] == request.number and body["endpoint"] == request.channel


@examples(300)
@given(fields=REQUESTS)
def test_no_field_of_a_call_adds_a_parameter_to_an_ari_request(fields):
    request = build(fields)
    if request is None:
        return
    driver = AsteriskAriDriver(http_config())
    sent = send_over_http(driver, ari_answer, request)
    event("refused by the driver" if sent is None else "sent")
    if sent is not None:
        check_ari_originate(driver, request, sent)


# A form's or a JSON body's own characters are not refused (a caller ID holds '"' and '<'): they must
# reach the wire, quoted, as one value. The properties above pass vacuously if every example is
# refused; these examples must be sent.
METACHARACTERS = ["1001&Action=Logoff", "1001=x", "%0D%0AApplication:%20System", '"Al" <1001>', "a+b;c\\d"]


@pytest.mark.parametrize("value", METACHARACTERS)
@pytest.mark.parametrize("field", [*TEXT_FIELDS, "variable value"])
def test_form_and_json_metacharacters_are_sent_as_one_value(field, value):
    fields: dict[str, Any] = dict(PLAIN_CALL)
    if field == "variable value":
        fields["variables"] = {"ASTITRAY_X": value}
    else:
        fields[field] = value
    request = OriginateRequest(**fields)
    sent = ajam_sent(request)
    assert sent is not None, "refused: nothing reached the AJAM wire"
    check_ajam_originate(request, sent)
    driver = AsteriskAriDriver(http_config())
    sent = send_over_http(driver, ari_answer, request)
    assert sent is not None, "refused: nothing reached the ARI wire"
    check_ari_originate(driver, request, sent)


# --- Every dangerous character, in every field (not left to chance) ------------------------

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


@pytest.mark.parametrize(
    "char", DANGEROUS, ids=[f"U+{ord(c[0]):04X}{'+' if len(c) > 1 else ''}" for c in DANGEROUS]
)
@pytest.mark.parametrize("field", FIELDS)
def test_each_dangerous_character_in_each_field_is_refused_before_the_wire(field, char):
    value = f"1{char}Application: System"
    fields: dict[str, Any] = {"channel": "PJSIP/1001", "number": "1001", "context": "outbound"}
    if field == "variable name":
        fields["variables"] = {value: "1"}
    elif field == "variable value":
        fields["variables"] = {"ASTITRAY_X": value}
    else:
        fields[field] = value
    with pytest.raises(UnsafeValue) as caught:
        request = OriginateRequest(**fields)
        check_headers(originate_headers(request, "outbound"))
    assert value not in str(caught.value)
