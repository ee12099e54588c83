"""Hostile input thrown at ``POST /rpc/``, over XML-RPC and JSON-RPC: a clear refusal, nothing changed.

Each corpus is data (the ``*_CORPUS`` lists and the parameter matrix built
from the server's own procedures), so that its size can be stated; each
case checks the answer (an HTTP status, or a fault code of docs/api.md with one
short sentence: never a 500, a traceback or an internal name) and that
nothing changed: no row of users, phones, PBXs, contacts or calls, no
originate asked of the PBX, failed logins counted only where a real
credential was tried.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import socket
import unicodedata
import xmlrpc.client
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt

from accounts.models import ApiToken
from astitray.faults import AstitrayFault, AuthenticationFailed
from astitray.rpc import server
from dialer.models import Call
from testkit.known_secrets import HOSTILE_PASSWORDS, HOSTILE_WRONG_PASSWORDS
from testkit.rpc import RPC_URL, basic
from tests.conftest import ALICE_PASSWORD
from tests.hostile.conftest import (
    ARRAY,
    ASTITRAY_FAULTS,
    AUTHENTICATION_FAILED,
    INTEGER,
    INVALID_NUMBER,
    INVALID_PARAMS,
    INVALID_REQUEST,
    JSON,
    METHOD_NOT_FOUND,
    PARAMETER_TYPES,
    PARSE_ERROR,
    PROCEDURES,
    PROTOCOLS,
    STRING,
    VALID,
    XML,
    Answer,
    assert_clean_message,
    call,
    encode,
    post,
)

pytestmark = pytest.mark.django_db

# --- XML documents that must not be read ----------------------------------------------

WHOAMI = "<methodCall><methodName>accounts.whoami</methodName></methodCall>"


def xml_call(method: str, value: str) -> str:
    return (
        f"<?xml version='1.0'?><methodCall><methodName>{method}</methodName>"
        f"<params><param><value>{value}</value></param></params></methodCall>"
    )


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + "]>"
    + xml_call("dialer.normalize", "<string>&lol9;</string>")
)
QUADRATIC_BLOWUP = f'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "{"A" * 50_000}">]>' + xml_call(
    "dialer.normalize", "<string>" + "&a;" * 3_000 + "</string>"
)

XML_DOCUMENT_CORPUS = [
    pytest.param(BILLION_LAUGHS, PARSE_ERROR, id="billion-laughs"),
    pytest.param(QUADRATIC_BLOWUP, PARSE_ERROR, id="quadratic-blowup"),
    pytest.param(
        '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        + xml_call("dialer.normalize", "<string>&xxe;</string>"),
        PARSE_ERROR,
        id="external-entity",
    ),
    pytest.param(
        '<!DOCTYPE x [<!ENTITY xxe SYSTEM "http://127.0.0.1:1/evil">]>'
        + xml_call("dialer.normalize", "<string>&xxe;</string>"),
        PARSE_ERROR,
        id="external-entity-http",
    ),
    pytest.param(
        '<!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>' + WHOAMI,
        PARSE_ERROR,
        id="parameter-entity",
    ),
    pytest.param('<!DOCTYPE x SYSTEM "file:///etc/passwd">' + WHOAMI, PARSE_ERROR, id="doctype-system"),
    pytest.param(
        '<!DOCTYPE x PUBLIC "-//W3C//DTD XHTML 1.0//EN" "http://127.0.0.1:1/x.dtd">' + WHOAMI,
        PARSE_ERROR,
        id="doctype-public",
    ),
    pytest.param("<!DOCTYPE methodCall>" + WHOAMI, PARSE_ERROR, id="doctype-bare"),
    pytest.param(
        "<!DOCTYPE methodCall [<!ELEMENT methodCall ANY>]>" + WHOAMI, PARSE_ERROR, id="doctype-subset"
    ),
    pytest.param(
        "<methodCall xmlns:xi='http://www.w3.org/2001/XInclude'><methodName>"
        "<xi:include href='file:///etc/passwd' parse='text'/></methodName></methodCall>",
        INVALID_REQUEST,
        id="xinclude",
    ),
    pytest.param(xml_call("dialer.normalize", "<string>&#0;</string>"), PARSE_ERROR, id="nul-reference"),
    pytest.param(xml_call("dialer.normalize", "<string>&#xD800;</string>"), PARSE_ERROR, id="surrogate-ref"),
    pytest.param(xml_call("dialer.normalize", "<string>a\x00b</string>"), PARSE_ERROR, id="raw-nul"),
    pytest.param(xml_call("dialer.history", "<int>abc</int>"), INVALID_REQUEST, id="int-not-a-number"),
    pytest.param(
        xml_call("dialer.history", "<int>" + "9" * 5000 + "</int>"), INVALID_REQUEST, id="int-5000-digits"
    ),
    pytest.param(xml_call("dialer.history", "<double>x</double>"), INVALID_REQUEST, id="double-not-a-number"),
    pytest.param(xml_call("dialer.history", "<boolean>7</boolean>"), INVALID_REQUEST, id="boolean-7"),
    pytest.param(
        xml_call("dialer.history", "<dateTime.iso8601>garbage</dateTime.iso8601>"),
        INVALID_REQUEST,
        id="bad-date",
    ),
    pytest.param(
        xml_call("dialer.history", "<struct><member><name>a</name></member></struct>"),
        INVALID_REQUEST,
        id="member-without-value",
    ),
    pytest.param(xml_call("dialer.history", "<foo>1</foo>"), INVALID_REQUEST, id="unknown-element"),
    pytest.param("<methodCall><params/></methodCall>", INVALID_REQUEST, id="no-method-name"),
    pytest.param(
        "<methodCall><methodName> </methodName></methodCall>", INVALID_REQUEST, id="blank-method-name"
    ),
    pytest.param(
        "<methodResponse><params><param><value>1</value></param></params></methodResponse>",
        INVALID_REQUEST,
        id="a-response",
    ),
    pytest.param(WHOAMI + WHOAMI, PARSE_ERROR, id="two-documents"),
    pytest.param(WHOAMI[:30], PARSE_ERROR, id="truncated"),
    pytest.param("<![CDATA[x]]>", PARSE_ERROR, id="cdata-only"),
    pytest.param("", PARSE_ERROR, id="empty-body"),
]


@pytest.mark.parametrize(("body", "code"), XML_DOCUMENT_CORPUS)
def test_xml_that_must_not_be_read_is_refused(client, unchanged, body, code):
    answer = post(client, XML, body, basic("alice", ALICE_PASSWORD))
    assert answer.status == 200
    answer.fault(code)
    assert "lol" not in answer.message
    assert "root:" not in answer.message


# --- Bytes that are not UTF-8 text -----------------------------------------------------

XML_HEAD = (
    b"<?xml version='1.0'?><methodCall><methodName>dialer.normalize</methodName>"
    b"<params><param><value><string>"
)
XML_TAIL = b"</string></value></param></params></methodCall>"
JSON_HEAD = b'{"jsonrpc": "2.0", "id": 1, "method": "dialer.normalize", "params": ["'
JSON_TAIL = b'"]}'
ENCODING_CORPUS = [
    pytest.param(b"\xff\xfe1002", id="invalid-utf8"),
    pytest.param(b"\xed\xa0\x80", id="encoded-surrogate"),
    pytest.param(b"\xc0\xaf", id="overlong-slash"),
    pytest.param(b"\xe2\x82", id="truncated-sequence"),
    pytest.param(b"\xf8\x88\x80\x80\x80", id="five-byte-sequence"),
]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("raw", ENCODING_CORPUS)
def test_bytes_that_are_not_utf8_are_a_parse_error(client, unchanged, protocol, raw):
    body = XML_HEAD + raw + XML_TAIL if protocol == XML else JSON_HEAD + raw + JSON_TAIL
    answer = post(client, protocol, body, basic("alice", ALICE_PASSWORD))
    answer.fault(PARSE_ERROR)


# --- Deep nesting and huge collections --------------------------------------------------


def xml_nested_arrays(depth: int) -> str:
    return "<array><data><value>" * depth + "<int>1</int>" + "</value></data></array>" * depth


def xml_nested_structs(depth: int) -> str:
    return (
        "<struct><member><name>a</name><value>" * depth
        + "<int>1</int>"
        + "</value></member></struct>" * depth
    )


def json_nested(opening: str, closing: str, depth: int) -> str:
    return opening * depth + "1" + closing * depth


def json_dial(params: str) -> str:
    """A JSON-RPC request of dialer.dial whose params are the JSON text ``params``, as written."""
    return '{"jsonrpc": "2.0", "id": 1, "method": "dialer.dial", "params": ' + params + "}"


COMPACT = (",", ":")
NESTING_CORPUS = [
    pytest.param(
        XML, xml_call("dialer.dial", xml_nested_arrays(3_000)), INVALID_PARAMS, id="xml-arrays-3000-deep"
    ),
    pytest.param(
        XML, xml_call("dialer.dial", xml_nested_structs(2_000)), INVALID_PARAMS, id="xml-structs-2000-deep"
    ),
    pytest.param(
        XML,
        xml_call("system.multicall", xml_nested_arrays(3_000)),
        INVALID_PARAMS,
        id="xml-multicall-3000-deep",
    ),
    pytest.param(
        JSON,
        json_dial("[" + json_nested("[", "]", 900) + "]"),
        INVALID_PARAMS,
        id="json-arrays-900-deep",
    ),
    pytest.param(
        JSON,
        json_dial("[" + json_nested('{"a": ', "}", 900) + "]"),
        INVALID_PARAMS,
        id="json-objects-900-deep",
    ),
    pytest.param(
        JSON,
        json_dial("[" + json_nested("[", "]", 50_000) + "]"),
        PARSE_ERROR,
        id="json-arrays-50000-deep",
    ),
    pytest.param(
        JSON,
        json_dial('{"text": ' + json_nested('{"a": ', "}", 20_000) + "}"),
        PARSE_ERROR,
        id="json-objects-20000-deep",
    ),
    pytest.param(
        JSON,
        json_nested("[", "]", 5_000),
        PARSE_ERROR,
        id="json-batch-5000-deep",
    ),
    pytest.param(
        JSON,
        json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "dialer.dial", "params": [[0] * 100_000]},
            separators=COMPACT,
        ),
        INVALID_PARAMS,
        id="json-array-of-100000",
    ),
    pytest.param(
        JSON,
        json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "dialer.dial", "params": [0] * 100_000}, separators=COMPACT
        ),
        INVALID_PARAMS,
        id="json-100000-params",
    ),
    pytest.param(
        JSON,
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "phonebook.search",
                "params": {str(i): 0 for i in range(20_000)},
            }
        ),
        INVALID_PARAMS,
        id="json-20000-named-params",
    ),
    pytest.param(
        XML,
        xml_call("dialer.dial", "<array><data>" + "<value/>" * 30_000 + "</data></array>"),
        INVALID_PARAMS,
        id="xml-array-of-30000",
    ),
]


@pytest.mark.parametrize(("protocol", "body", "code"), NESTING_CORPUS)
def test_deep_and_huge_structures_are_refused(client, unchanged, protocol, body, code):
    answer = post(client, protocol, body, basic("alice", ALICE_PASSWORD))
    assert answer.status == 200
    answer.fault(code)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_100000_elements_are_refused_even_when_the_body_limit_allows_them(
    client, unchanged, settings, protocol
):
    settings.ASTITRAY_MAX_REQUEST_BYTES = 8 * 1024 * 1024
    if protocol == XML:
        body = encode(XML, "dialer.dial", [list(range(100_000))])
        assert len(body) > 256 * 1024  # over the default limit: 413 there
        post(client, XML, body, basic("alice", ALICE_PASSWORD)).fault(INVALID_PARAMS)
    else:
        batch = [
            {"jsonrpc": "2.0", "id": i, "method": "dialer.dial", "params": ["1002"]} for i in range(100_000)
        ]
        body = json.dumps(batch, separators=COMPACT)
        post(client, JSON, body, basic("alice", ALICE_PASSWORD)).fault(INVALID_REQUEST)


@pytest.mark.parametrize("size", [51, 1_000, 5_000], ids=lambda size: f"{size}-calls")
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_batches_of_thousands_are_refused_whole(client, unchanged, protocol, size):
    """Refused as a whole: by the batch bound, or (5,000) by the body limit before anything is parsed."""
    if protocol == XML:
        calls = [{"methodName": "dialer.dial", "params": ["1002"]}] * size
        answer = call(client, XML, "system.multicall", [calls])
    else:
        batch = [
            {"jsonrpc": "2.0", "id": i, "method": "dialer.dial", "params": ["1002"]} for i in range(size)
        ]
        answer = post(client, JSON, json.dumps(batch), basic("alice", ALICE_PASSWORD))
    if answer.status == 413:
        answer.fault(INVALID_REQUEST)
    else:
        assert answer.status == 200
        answer.fault(INVALID_PARAMS if protocol == XML else INVALID_REQUEST)


# --- Sizes around the body limit -----------------------------------------------------------


def body_of_size(protocol: str, size: int) -> str:
    """A dialer.normalize request of exactly ``size`` bytes (the text pads it)."""
    empty = encode(protocol, "dialer.normalize", [""])
    padded = encode(protocol, "dialer.normalize", ["9" * (size - len(empty))])
    assert len(padded) == size
    return padded


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_body_one_byte_over_the_limit_is_413(client, unchanged, settings, protocol):
    answer = post(
        client, protocol, body_of_size(protocol, settings.ASTITRAY_MAX_REQUEST_BYTES + 1), basic("alice", "x")
    )
    assert answer.status == 413
    answer.fault(INVALID_REQUEST)
    assert not AccessAttempt.objects.exists()  # refused before the credentials were even looked at


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_body_at_the_limit_gets_a_clear_fault(client, unchanged, settings, protocol):
    answer = post(
        client,
        protocol,
        body_of_size(protocol, settings.ASTITRAY_MAX_REQUEST_BYTES),
        basic("alice", ALICE_PASSWORD),
    )
    assert answer.status == 200
    answer.fault(INVALID_PARAMS)
    assert "longer than 4096 characters" in answer.message


CONTENT_LENGTH_CORPUS = [
    pytest.param("-1", 400, id="negative"),
    pytest.param("abc", 400, id="not-a-number"),
    pytest.param("1e9", 400, id="float"),
    pytest.param("99999999999999999999999", 413, id="huge"),
    pytest.param("10", 200, id="shorter-than-the-body"),
]


@pytest.mark.parametrize(("length", "status"), CONTENT_LENGTH_CORPUS)
def test_a_lying_content_length_is_refused(client, unchanged, length, status):
    body = encode(XML, "accounts.whoami", [])
    response = client.generic(
        "POST",
        RPC_URL,
        body,
        content_type="text/xml",
        CONTENT_LENGTH=length,
        **basic("alice", ALICE_PASSWORD),
    )
    answer = Answer(response, XML)
    assert answer.status == status
    answer.fault(INVALID_REQUEST, PARSE_ERROR)


# --- Wrong types for every parameter of every procedure -----------------------------------

HUGE = "9" * 100_000
# Hostile values: (id, value, its type, protocols that can carry it).
VALUES = [
    ("int", 7, INTEGER, PROTOCOLS),
    ("negative-int", -(2**31), INTEGER, PROTOCOLS),
    ("float", 1.5, "float", PROTOCOLS),
    ("bool", True, "bool", PROTOCOLS),
    ("nil", None, "nil", PROTOCOLS),
    ("array", [1, "1002"], ARRAY, PROTOCOLS),
    ("struct", {"text": "1002", "channel": "SIP/evil"}, "struct", PROTOCOLS),
    ("base64", b"\x00\xff1002", "base64", (XML,)),
    ("datetime", datetime.datetime(2026, 1, 1, 12, 0), "datetime", (XML,)),
    ("huge-string", HUGE, STRING, PROTOCOLS),
    ("empty-string", "", STRING, PROTOCOLS),
]


def wrong_type_cases() -> list:
    cases = []
    for method, parameters in PROCEDURES.items():
        for position, parameter in enumerate(parameters):
            for value_id, _value, _kind, protocols in VALUES:
                for protocol in protocols:
                    if protocol == JSON and not server.procedures[method].is_available_in_json_rpc:
                        continue
                    cases.append(
                        pytest.param(
                            protocol,
                            (method, position, value_id),
                            id=f"{protocol}-{method}-{parameter}-{value_id}",
                        )
                    )
    return cases


WRONG_TYPE_CORPUS = wrong_type_cases()


def test_the_public_procedures_are_the_registered_ones(client):
    listed = call(client, XML, "system.listMethods", auth=None).result
    assert sorted(listed) == sorted(PROCEDURES)
    assert len(PROCEDURES) >= 11


def test_every_parameter_has_a_declared_type():
    parameters = {parameter for names in PROCEDURES.values() for parameter in names}
    assert parameters <= set(PARAMETER_TYPES), parameters - set(PARAMETER_TYPES)


@pytest.mark.parametrize(("protocol", "case"), WRONG_TYPE_CORPUS)
def test_every_parameter_refuses_the_wrong_type(client, unchanged, protocol, case):
    method, position, value_id = case
    parameters = PROCEDURES[method]
    _id, value, kind, _protocols = next(entry for entry in VALUES if entry[0] == value_id)
    params = [VALID[name] for name in parameters[:position]] + [value]
    if method == "events.wait" and position == 0:
        params.append(VALID["timeout"])  # a cursor of the right type waits: the shortest wait
    answer = call(client, protocol, method, params)
    assert answer.status == 200
    if value_id == "huge-string":
        answer.fault(INVALID_PARAMS)
    elif kind != PARAMETER_TYPES[parameters[position]]:
        answer.fault(INVALID_PARAMS)
        assert parameters[position] in answer.message or "parameters" in answer.message
    # Else a value of the right type: a result or one of the API's faults (Answer checked both).


@pytest.mark.parametrize(
    ("protocol", "method"),
    [
        (protocol, method)
        for method in sorted(PROCEDURES)
        for protocol in PROTOCOLS
        if protocol == XML or server.procedures[method].is_available_in_json_rpc
    ],
)
def test_one_parameter_too_many_is_refused(client, unchanged, protocol, method):
    params = [VALID[name] for name in PROCEDURES[method]] + ["SIP/evil"]
    answer = call(client, protocol, method, params)
    answer.fault(INVALID_PARAMS)
    assert answer.message == "Invalid parameters: wrong number or names of parameters; see system.methodHelp"


# --- Strings that hide something ------------------------------------------------------

STRING_CORPUS = [
    pytest.param("\x00", id="nul"),
    pytest.param("1002\x00", id="nul-after-digits"),
    pytest.param("1002\r\nAction: Originate\r\nChannel: Local/666@evil\r\n\r\n", id="crlf-ami-action"),
    pytest.param("\r\n\r\n", id="crlf-only"),
    pytest.param("\ud800", id="lone-high-surrogate"),
    pytest.param("\udfff1002", id="lone-low-surrogate"),
    pytest.param("\ufeff1002", id="bom"),
    pytest.param("\u202e2001", id="bidi-override"),
    pytest.param("\u0661\u0660\u0660\u0662", id="arabic-indic-digits"),
    pytest.param("\U0001d7d8\U0001d7d9", id="math-digits"),
    pytest.param("' OR 1=1 --", id="sql-quote"),
    pytest.param('"; DROP TABLE dialer_call; --', id="sql-drop"),
    pytest.param("%", id="like-percent"),
    pytest.param("_", id="like-underscore"),
    pytest.param('"*', id="fts-quote-star"),
    pytest.param("NEAR(a b)", id="fts-near"),
    pytest.param("a OR b -c ^d", id="fts-operators"),
    pytest.param("(.*)+$", id="regex-meta"),
    pytest.param("${jndi:ldap://127.0.0.1:1/x}", id="jndi"),
    pytest.param("{{7*7}} %s %n", id="template-and-format"),
    pytest.param("<script>alert(1)</script>", id="markup"),
    pytest.param("é" * 4_097, id="non-ascii-over-the-bound"),
    pytest.param("\u0301" * 200, id="combining-marks"),
]
STRING_PROCEDURES = sorted(
    method
    for method, parameters in PROCEDURES.items()
    # Those that make something with a valid string have their own tests below.
    if parameters
    and PARAMETER_TYPES[parameters[0]] == STRING
    and method not in ("dialer.dial", "accounts.create_token")
)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("method", STRING_PROCEDURES)
@pytest.mark.parametrize("text", STRING_CORPUS)
def test_hostile_strings_get_a_clean_answer(client, unchanged, protocol, method, text):
    if protocol == XML:
        try:
            body: str | bytes = encode(XML, method, [text]).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: what a client would send instead
            body = encode(XML, method, [text]).encode("utf-8", "surrogatepass")
        answer = post(client, XML, body, basic("alice", ALICE_PASSWORD))
    else:
        answer = call(client, JSON, method, [text])
    assert answer.status == 200
    if answer.code is None:
        assert "Traceback" not in repr(answer.result)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("text", STRING_CORPUS)
def test_hostile_labels_are_refused_or_kept_as_plain_text(client, alice, protocol, text):
    if protocol == XML:
        body = encode(XML, "accounts.create_token", [text]).encode("utf-8", "surrogatepass")
        answer = post(client, XML, body, basic("alice", ALICE_PASSWORD))
    else:
        answer = call(client, JSON, "accounts.create_token", [text])
    if answer.code is not None:
        answer.fault(INVALID_PARAMS, PARSE_ERROR, INVALID_REQUEST)
        assert not ApiToken.objects.exists()
        return
    (row,) = ApiToken.objects.all()
    assert row.label == answer.result["label"] == " ".join(text.split())
    assert not any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in row.label)
    assert answer.result["token"] not in json.dumps(list(ApiToken.objects.values()), default=str)


DIALED = re.compile(r"^[0-9*#+]{1,40}$")


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("text", STRING_CORPUS)
def test_hostile_strings_never_dial_anything_but_digits_from_alices_phone(client, driver, protocol, text):
    before = Call.objects.count()
    if protocol == XML:
        body = encode(XML, "dialer.dial", [text]).encode("utf-8", "surrogatepass")
        answer = post(client, XML, body, basic("alice", ALICE_PASSWORD))
    else:
        answer = call(client, JSON, "dialer.dial", [text])
    if answer.code is not None:
        assert driver.requests == []
        assert Call.objects.count() == before
        return
    (request,) = driver.requests
    assert DIALED.match(request.number), request.number
    assert (request.channel, request.context) == ("PJSIP/1001", "outbound")
    assert answer.result["number"] == request.number
    assert answer.result["extension"] == "1001"


# --- Methods that are not procedures ----------------------------------------------------

METHOD_CORPUS = [
    "__init__",
    "__class__",
    "__import__",
    "eval",
    "exec",
    "getattr",
    "os.system",
    "system.__class__",
    "system.listMethods.__globals__",
    "accounts.whoami.__globals__",
    "accounts.whoami.__code__",
    "dialer.dial.__wrapped__",
    "system.multicall.__closure__",
    "__class__.__mro__",
    "django.contrib.auth.models.User.objects.all",
    "django.contrib.auth.models.User.objects.all.delete",
    "accounts.rpc_auth.rpc_user",
    "dialer.services.dial",
    "dialer._call_id",
    "phonebook.services.contact_as_dict",
    "astitray.rpc.server.procedures",
    "drivers.services.get_driver",
    "settings.SECRET_KEY",
    "rpc.discover",
    "accounts.delete_everything",
    "ACCOUNTS.WHOAMI",
    "accounts.",
    ".whoami",
    "accounts..whoami",
    "accounts.whoami\x00",
    "accounts/whoami",
    "x" * 10_000,
]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("authenticated", [True, False], ids=["alice", "anonymous"])
@pytest.mark.parametrize("method", METHOD_CORPUS, ids=lambda name: name[:60].replace("\x00", "NUL"))
def test_methods_that_are_not_procedures_are_not_found(client, unchanged, protocol, authenticated, method):
    auth = ("alice", ALICE_PASSWORD) if authenticated else None
    if protocol == XML:
        body = (
            encode(XML, method, []).replace("\x00", "&#0;") if "\x00" in method else encode(XML, method, [])
        )
        answer = post(client, XML, body, basic(*auth) if auth else None)
        answer.fault(METHOD_NOT_FOUND, PARSE_ERROR)
    else:
        answer = call(client, JSON, method, [], auth=auth)
        answer.fault(METHOD_NOT_FOUND)
    assert answer.status == 200


def test_multicall_is_xmlrpc_only(client, unchanged):
    call(client, JSON, "system.multicall", [[]]).fault(METHOD_NOT_FOUND)


@pytest.mark.parametrize("method", ["x" * 10_000, "accounts.whoami.__globals__", "dialer.dial"])
def test_multicall_inner_methods_are_checked_one_by_one(client, unchanged, method):
    calls = [
        {"methodName": method, "params": [[0] * 1_000, "SIP/evil"]},
        {"methodName": "accounts.whoami", "params": []},
    ]
    answer = call(client, XML, "system.multicall", [calls])
    fault, whoami = answer.result
    assert fault["faultCode"] in (METHOD_NOT_FOUND, INVALID_PARAMS)
    assert_clean_message(fault["faultString"])
    assert whoami[0]["username"] == "alice"


# --- The Authorization header -------------------------------------------------------------


def basic_header(raw: bytes) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(raw).decode()}


# (headers, whether the credentials reach a backend and count as a failed login)
AUTHORIZATION_CORPUS = [
    pytest.param({}, False, id="missing"),
    pytest.param({"HTTP_AUTHORIZATION": ""}, False, id="empty"),
    pytest.param({"HTTP_AUTHORIZATION": "Bearer abc.def.ghi"}, False, id="bearer"),
    pytest.param({"HTTP_AUTHORIZATION": 'Digest username="alice"'}, False, id="digest"),
    pytest.param({"HTTP_AUTHORIZATION": "Basic"}, False, id="basic-no-token"),
    pytest.param({"HTTP_AUTHORIZATION": "Basic    "}, False, id="basic-blank-token"),
    pytest.param({"HTTP_AUTHORIZATION": "Basic alice:" + ALICE_PASSWORD}, False, id="basic-not-base64"),
    pytest.param({"HTTP_AUTHORIZATION": "Basic !!!$$$"}, False, id="bad-base64"),
    pytest.param({"HTTP_AUTHORIZATION": "Basic YWxpY2U6eA"}, False, id="base64-no-padding"),
    pytest.param(
        {
            "HTTP_AUTHORIZATION": "Basic "
            + base64.b64encode(f"alice:{ALICE_PASSWORD}".encode()).decode()
            + " x"
        },
        False,
        id="trailing-junk",
    ),
    pytest.param(
        {"HTTP_AUTHORIZATION": "Basic\t" + base64.b64encode(f"alice:{ALICE_PASSWORD}".encode()).decode()},
        False,
        id="tab-separator",
    ),
    pytest.param(basic_header(b"alice"), False, id="no-colon"),
    pytest.param(basic_header(b":" + ALICE_PASSWORD.encode()), False, id="empty-user"),
    pytest.param(basic_header(b"alice:"), False, id="empty-password"),
    pytest.param(basic_header(b":"), False, id="colon-only"),
    pytest.param(basic_header(b"alice:" + b"x" * 100_000), False, id="huge-credentials"),
    pytest.param({"HTTP_AUTHORIZATION": "Basic " + "QUFB" * 50_000}, False, id="huge-header"),
    pytest.param({"HTTP_AUTHORIZATION": "Basic \xff\xfe\xfd"}, False, id="non-utf8-header-bytes"),
    pytest.param(basic_header(b"\xff\xfe:\xff"), False, id="non-utf8-credentials"),
    pytest.param(basic_header(b"alice\x00:" + ALICE_PASSWORD.encode()), False, id="nul-in-user"),
    pytest.param(basic_header(b"alice:" + ALICE_PASSWORD.encode() + b"\x00"), False, id="nul-in-password"),
    pytest.param(basic_header(b"alice\r\nX-Evil: 1:" + ALICE_PASSWORD.encode()), False, id="crlf-in-user"),
    pytest.param(basic_header(b"alice:" + "\ud800".encode("utf-8", "surrogatepass")), False, id="surrogate"),
    pytest.param(basic_header(b"alice:wrong"), True, id="wrong-password"),
    pytest.param(
        basic_header(b"alice:" + ALICE_PASSWORD.encode() + b" "), True, id="password-trailing-space"
    ),
    pytest.param(basic_header(b"mallory:" + ALICE_PASSWORD.encode()), True, id="unknown-user"),
    pytest.param(basic_header(b"' OR '1'='1:x"), True, id="sql-in-user"),
    pytest.param(basic_header(b"*:*"), True, id="wildcards"),
    pytest.param(basic_header(b"alice)(uid=*:x"), True, id="ldap-filter-in-user"),
]


@pytest.mark.parametrize(("headers", "counted"), AUTHORIZATION_CORPUS)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_bad_authorization_is_the_one_authentication_fault(client, unchanged, protocol, headers, counted):
    body = encode(protocol, "dialer.dial", ["1002"])
    answer = post(client, protocol, body, headers)
    # No Authorization header at all is challenged (HTTP 401, the same fault in the body).
    assert answer.status == (401 if not headers else 200)
    answer.fault(AUTHENTICATION_FAILED)
    assert answer.message == AuthenticationFailed.default_message
    failures = list(AccessAttempt.objects.values_list("failures_since_start", flat=True))
    assert failures == ([1] if counted else [])
    AccessAttempt.objects.all().delete()  # what "nothing changed" then checks: nothing else


def test_a_user_name_in_another_case_is_alice_or_nobody(client, unchanged, driver):
    """MariaDB compares user names without case (its collation); SQLite and PostgreSQL do not."""
    answer = post(client, XML, encode(XML, "accounts.whoami", []), basic("ALICE", ALICE_PASSWORD))
    if answer.code is None:
        assert answer.result["username"] == "alice"
        assert answer.result["extension"] == "1001"
    else:
        answer.fault(AUTHENTICATION_FAILED)
        AccessAttempt.objects.all().delete()


PASSWORD_CORPUS = [
    pytest.param(HOSTILE_PASSWORDS["colons"], id="colons"),
    pytest.param(HOSTILE_PASSWORDS["leading-colon"], id="leading-colon"),
    pytest.param(HOSTILE_PASSWORDS["trailing-colon"], id="trailing-colon"),
    pytest.param(HOSTILE_PASSWORDS["latin"], id="latin"),
    pytest.param(HOSTILE_PASSWORDS["cyrillic-cjk-emoji"], id="cyrillic-cjk-emoji"),
    pytest.param("e\u0301te\u0301", id="combining-accents"),
    pytest.param(HOSTILE_PASSWORDS["spaces"], id="spaces"),
]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("password", PASSWORD_CORPUS)
def test_unusual_passwords_work_in_utf8_only(client, alice, protocol, password):
    alice.set_password(password)
    alice.save()
    body = encode(protocol, "accounts.whoami", [])
    # The password split at the first colon, decoded as UTF-8: it works.
    assert post(client, protocol, body, basic("alice", password)).result["username"] == "alice"
    # The same password in another encoding (as a client set to Latin-1 would send it) is refused cleanly.
    latin = password.encode("latin-1", "replace") if not password.isascii() else password.encode() + b"x"
    answer = post(client, protocol, body, basic_header(b"alice:" + latin))
    answer.fault(AUTHENTICATION_FAILED)
    assert answer.message == AuthenticationFailed.default_message


def test_after_five_hostile_passwords_alice_is_locked_out(client, alice):
    for attempt in range(5):
        answer = post(
            client,
            XML,
            encode(XML, "accounts.whoami", []),
            basic("alice", HOSTILE_WRONG_PASSWORDS[f"injection-{attempt}"]),
        )
        answer.fault(AUTHENTICATION_FAILED)
    # Malformed headers after that count nothing more and let nobody in.
    post(client, XML, encode(XML, "accounts.whoami", []), basic_header(b"alice")).fault(AUTHENTICATION_FAILED)
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 5
    answer = post(client, XML, encode(XML, "accounts.whoami", []), basic("alice", ALICE_PASSWORD))
    answer.fault(AUTHENTICATION_FAILED)


# --- Over a real socket: what the test client cannot send -----------------------------------


def raw_request(live_server, head: bytes, body: bytes = b"") -> bytes:
    parts = urlsplit(live_server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head + b"\r\n\r\n" + body)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


LIVE_CORPUS = [
    pytest.param(b"Authorization: Basic \xff\xfe\xfd\xfc", id="non-utf8-header-bytes"),
    pytest.param(
        b"Authorization: Basic " + base64.b64encode("alice:pässwörd".encode("latin-1")), id="latin1"
    ),
    pytest.param(b"Authorization: Basic " + b"QUFB" * 2_000, id="8kb-header"),
    pytest.param(b"Authorization: Basic YWxpY2U6eA==\r\nAuthorization: Bearer x", id="two-headers"),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("header", LIVE_CORPUS)
def test_raw_authorization_bytes_over_a_real_socket(live_server, alice, header):
    body = encode(XML, "dialer.dial", ["1002"]).encode()
    head = (
        b"POST /rpc/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: text/xml\r\n"
        + f"Content-Length: {len(body)}\r\n".encode()
        + header
    )
    received = raw_request(live_server, head, body)
    status_line, _, rest = received.partition(b"\r\n")
    assert b" 200 " in status_line, received[:300]
    answer_body = rest.partition(b"\r\n\r\n")[2]
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc.client.loads(answer_body)
    assert (caught.value.faultCode, caught.value.faultString) == (
        AUTHENTICATION_FAILED,
        AuthenticationFailed.default_message,
    )
    assert not Call.objects.exists()


# --- What was refused changed nothing, and an empty text is a number fault ------------------


def test_the_corpus_leaves_alice_able_to_dial(client, driver, unchanged):
    """The harness itself: a real dial is seen by "nothing changed" (so it can fail)."""
    call(client, JSON, "dialer.dial", [""]).fault(INVALID_NUMBER)
    unchanged()
    answer = call(client, JSON, "dialer.dial", ["1002"])
    assert answer.result["extension"] == "1001"
    with pytest.raises(AssertionError):
        unchanged()
    Call.objects.all().delete()
    driver.requests.clear()


def test_the_servers_faults_are_the_apis():
    """The server's own fault classes are exactly docs/api.md's codes (answers are checked against those)."""
    codes = [fault.code for fault in AstitrayFault.__subclasses__()]
    assert len(codes) == len(set(codes)), codes
    assert set(codes) == ASTITRAY_FAULTS
