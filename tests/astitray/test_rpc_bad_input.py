"""Bad requests get a clear fault and change nothing."""

from __future__ import annotations

import io
import json
import xmlrpc.client

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from accounts.models import Extension
from astitray.rpc import server
from drivers.models import PbxServer
from testkit.rpc import basic, jsonrpc_post, xmlrpc_call, xmlrpc_fault, xmlrpc_post

pytestmark = pytest.mark.django_db

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602


@pytest.fixture
def unchanged(alice, bob):
    """Fails the test if any row of the main tables changed."""

    def snapshot():
        return (
            list(get_user_model().objects.order_by("pk").values()),
            list(Extension.objects.order_by("pk").values()),
            list(PbxServer.objects.order_by("pk").values()),
        )

    before = snapshot()
    yield
    assert snapshot() == before


class ExplodingStream(io.RawIOBase):
    """A request body that must not be read."""

    def read(self, size=-1):
        raise AssertionError("the body was read")

    readinto = read


def test_an_oversized_body_is_refused_without_reading_it(settings, unchanged):
    settings.ASTITRAY_MAX_REQUEST_BYTES = 256 * 1024
    request = RequestFactory().generic(
        "POST", "/rpc/", CONTENT_TYPE="text/xml", CONTENT_LENGTH=str(10 * 1024 * 1024)
    )
    request.META["wsgi.input"] = ExplodingStream()
    request._stream = ExplodingStream()
    response = server.view(request)
    assert response.status_code == 413
    fault = xmlrpc_fault(response.content)
    assert fault.faultCode == INVALID_REQUEST
    assert "larger than 262144 bytes" in fault.faultString


def test_an_oversized_body_is_refused_over_http(client, alice_auth, unchanged):
    body = xmlrpc.client.dumps(("x" * (300 * 1024),), "accounts.whoami")
    response = xmlrpc_post(client, body, basic(*alice_auth))
    assert response.status_code == 413
    assert xmlrpc_fault(response.content).faultCode == INVALID_REQUEST


def test_an_oversized_jsonrpc_body_gets_a_jsonrpc_error(client, unchanged):
    response = jsonrpc_post(client, json.dumps({"jsonrpc": "2.0", "id": 1, "method": "x" * 300_000}))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == INVALID_REQUEST


ENTITY_BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<methodCall><methodName>accounts.whoami</methodName>
<params><param><value><string>&lol9;</string></value></param></params></methodCall>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<methodCall><methodName>accounts.whoami</methodName>
<params><param><value><string>&xxe;</string></value></param></params></methodCall>"""


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<methodCall><methodName>accounts.whoami</methodName>", id="truncated"),
        pytest.param(b"not xml at all", id="not-xml"),
        pytest.param(b" ", id="blank"),
        pytest.param(ENTITY_BOMB.encode(), id="entity-expansion"),
        pytest.param(EXTERNAL_ENTITY.encode(), id="external-entity"),
        pytest.param(
            b"<?xml version='1.0'?><methodCall><methodName>accounts.whoami</methodName>"
            b"<params><param><value><string>\xff\xfe\xfa</string></value></param></params></methodCall>",
            id="invalid-utf8",
        ),
    ],
)
def test_malformed_xml_gets_a_parse_fault(client, alice_auth, body, unchanged):
    response = xmlrpc_post(client, body, basic(*alice_auth))
    assert response.status_code == 200
    fault = xmlrpc_fault(response.content)
    assert fault.faultCode in (PARSE_ERROR, INVALID_REQUEST)
    assert "lol" not in fault.faultString
    assert "root:" not in fault.faultString


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param("[" * 100_000 + "]" * 100_000, id="nested-too-deep"),
        pytest.param(b'{"jsonrpc": "2.0", "id": 1, "method": "accounts.whoami\xff"}', id="invalid-utf8"),
    ],
)
def test_malformed_json_gets_a_parse_error(client, alice_auth, body, unchanged):
    response = jsonrpc_post(client, body, basic(*alice_auth))
    assert response.status_code == 200
    assert response.json()["error"]["code"] == PARSE_ERROR


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param([], id="empty-batch"),
        pytest.param([1, 2], id="batch-of-numbers"),
        pytest.param(42, id="a-number"),
        pytest.param({"jsonrpc": "2.0", "id": 1, "method": ["accounts.whoami"]}, id="method-not-a-string"),
        pytest.param(
            {"jsonrpc": "2.0", "id": 1, "method": "accounts.whoami", "params": 5}, id="params-a-number"
        ),
        pytest.param({"jsonrpc": "2.0", "id": 1}, id="no-method"),
        pytest.param(
            [{"jsonrpc": "2.0", "id": i, "method": "accounts.whoami"} for i in range(51)], id="big-batch"
        ),
    ],
)
def test_invalid_jsonrpc_requests_are_refused(client, alice_auth, payload, unchanged):
    response = jsonrpc_post(client, payload, basic(*alice_auth))
    assert response.status_code == 200
    assert response.json()["error"]["code"] == INVALID_REQUEST


def test_a_jsonrpc_batch_answers_each_call(client, alice_auth):
    payload = [
        {"jsonrpc": "2.0", "id": 1, "method": "accounts.whoami"},
        {"jsonrpc": "2.0", "id": 2, "method": "no.such"},
    ]
    answers = jsonrpc_post(client, payload, basic(*alice_auth)).json()
    assert answers[0]["result"]["username"] == "alice"
    assert answers[1]["error"]["code"] == METHOD_NOT_FOUND


def test_an_unknown_method_is_not_found(client, alice_auth):
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc_call(client, "accounts.delete_everything", auth=alice_auth)
    assert caught.value.faultCode == METHOD_NOT_FOUND


def test_extra_parameters_are_refused(client, alice_auth):
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc_call(client, "accounts.whoami", "extra", auth=alice_auth)
    assert caught.value.faultCode == INVALID_PARAMS


@pytest.mark.parametrize(
    "calls",
    [
        pytest.param("not a list", id="not-a-list"),
        pytest.param([{"methodName": "accounts.whoami", "params": []}] * 51, id="too-many"),
    ],
)
def test_bad_multicalls_are_refused(client, alice_auth, calls):
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc_call(client, "system.multicall", calls, auth=alice_auth)
    assert caught.value.faultCode == INVALID_PARAMS


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param({"methodName": ["x"], "params": []}, id="name-not-a-string"),
        pytest.param(42, id="call-not-a-struct"),
        pytest.param({"methodName": "accounts.whoami", "params": "x"}, id="params-not-an-array"),
        pytest.param({"methodName": "system.multicall", "params": [[]]}, id="nested"),
    ],
)
def test_a_malformed_multicall_entry_gets_its_own_fault_and_the_others_run(client, alice_auth, entry):
    whoami = {"methodName": "accounts.whoami", "params": []}
    first, malformed, last = xmlrpc_call(client, "system.multicall", [whoami, entry, whoami], auth=alice_auth)
    assert first[0]["username"] == last[0]["username"] == "alice"
    assert malformed["faultCode"] == -32600
    assert malformed["faultString"].startswith("Invalid request: ")


def test_get_is_not_allowed(client):
    assert client.get("/rpc/").status_code == 405


def test_an_unknown_content_type_is_refused(client):
    response = client.post("/rpc/", data="x", content_type="text/plain")
    assert response.status_code == 415


def test_an_internal_error_reveals_nothing(client, alice_auth, monkeypatch):
    from accounts import services

    def explode(user):
        raise RuntimeError("secret=hunter2 at db.internal:5432")

    monkeypatch.setattr(services, "whoami", explode)
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc_call(client, "accounts.whoami", auth=alice_auth)
    assert caught.value.faultCode == -32603
    assert "hunter2" not in caught.value.faultString
    assert "db.internal" not in caught.value.faultString
