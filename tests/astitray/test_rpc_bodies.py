"""Request bodies as other clients send them: encodings, compression, framing, introspection.

The real clients (curl, Node, Perl, Ruby, PHP, Python's own) are in
test_rpc_other_clients.py; these are the edges, through Django's test client.
"""

from __future__ import annotations

import gzip
import json
import xmlrpc.client

import pytest

from astitray.rpc_system import XMLRPC_TYPES
from testkit.rpc import RPC_URL, basic, jsonrpc_call, jsonrpc_post, xmlrpc_call, xmlrpc_fault, xmlrpc_result
from tests.conftest import ALICE_PASSWORD

pytestmark = pytest.mark.django_db

PARSE_ERROR, INVALID_REQUEST = -32700, -32600


def post(client, body: bytes, content_type: str = "text/xml", **headers):
    return client.post(
        RPC_URL, data=body, content_type=content_type, **basic("alice", ALICE_PASSWORD), **headers
    )


def whoami_xml() -> bytes:
    return xmlrpc.client.dumps((), "accounts.whoami").encode()


def test_a_latin_1_document_is_read_in_its_declared_encoding(client, alice):
    body = xmlrpc.client.dumps(("Müller",), "dialer.normalize", encoding="iso-8859-1").encode("latin-1")
    assert b"M\xfcller" in body
    fault = xmlrpc_fault(post(client, body).content)  # no number in it: the text was read, not refused
    assert fault.faultCode == -32088


def test_a_content_type_charset_wins_over_the_declaration(client, alice):
    body = xmlrpc.client.dumps((), "accounts.whoami", encoding="iso-8859-1").encode("latin-1")
    answer = post(client, body, content_type="text/xml; charset=utf-8")
    assert xmlrpc_result(answer.content)["username"] == "alice"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(b"<?xml version='1.0' encoding='x-klingon'?><methodCall/>", "x-klingon", id="unknown"),
        pytest.param(b"<?xml version='1.0' encoding='hex'?><methodCall/>", "hex", id="not-a-text-encoding"),
        pytest.param(b"<?xml version='1.0' encoding='shift_jis'?>\x81", "shift_jis", id="not-that-encoding"),
        pytest.param(b"<?xml version='1.0'?><methodCall>\xff</methodCall>", "UTF-8", id="not-utf-8"),
    ],
)
def test_a_body_not_in_its_encoding_is_a_parse_error(client, alice, body, message):
    fault = xmlrpc_fault(post(client, body).content)
    assert fault.faultCode == PARSE_ERROR
    assert message in fault.faultString


def test_a_utf_16_document_with_a_byte_order_mark(client, alice):
    body = xmlrpc.client.dumps((), "accounts.whoami", encoding="utf-16").encode("utf-16")
    assert xmlrpc_result(post(client, body).content)["username"] == "alice"


def test_a_gzip_body_is_decompressed(client, alice):
    answer = post(client, gzip.compress(whoami_xml()), HTTP_CONTENT_ENCODING="gzip")
    assert xmlrpc_result(answer.content)["username"] == "alice"


def test_a_compression_bomb_stops_at_the_limit(client, alice, settings):
    bomb = gzip.compress(whoami_xml().replace(b"<params>", b"<params>" + b" " * 50_000_000))
    assert len(bomb) < settings.ASTITRAY_MAX_REQUEST_BYTES
    answer = post(client, bomb, HTTP_CONTENT_ENCODING="gzip")
    assert answer.status_code == 413
    assert xmlrpc_fault(answer.content).faultCode == INVALID_REQUEST


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param(("gzip", b"not gzip at all"), (200, PARSE_ERROR), id="not-gzip"),
        pytest.param(
            ("gzip", gzip.compress(b"<?xml version='1.0'?><methodCall>")[:-9]), (200, PARSE_ERROR), id="cut"
        ),
        pytest.param(("br", b"..."), (415, INVALID_REQUEST), id="brotli"),
    ],
)
def test_a_body_that_does_not_decompress_is_refused(client, alice, case, expected):
    encoding, body = case
    answer = post(client, body, HTTP_CONTENT_ENCODING=encoding)
    assert (answer.status_code, xmlrpc_fault(answer.content).faultCode) == expected


def test_a_chunked_body_the_server_cannot_read_asks_for_a_length(client, alice):
    # runserver (wsgiref) passes chunks undecoded; gunicorn decodes them (test_rpc_other_clients.py).
    answer = post(client, whoami_xml(), HTTP_TRANSFER_ENCODING="chunked", CONTENT_LENGTH="")
    assert answer.status_code == 411
    assert "Content-Length" in xmlrpc_fault(answer.content).faultString


@pytest.mark.parametrize("content_type", ["", "text/plain"])
def test_a_missing_or_unknown_content_type_is_one_answer(client, alice, content_type):
    answer = client.generic("POST", RPC_URL, whoami_xml(), content_type=content_type)
    assert answer.status_code == 415
    assert answer.content.startswith(b"Unsupported Content-Type: send XML-RPC as text/xml")


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
def test_a_json_body_with_a_byte_order_mark(client, alice, content_type):
    body = "\ufeff" + json.dumps({"jsonrpc": "2.0", "id": 1, "method": "accounts.whoami"})
    answer = client.post(
        RPC_URL, data=body.encode(), content_type=content_type, **basic("alice", ALICE_PASSWORD)
    )
    assert answer.json()["result"]["username"] == "alice"


@pytest.mark.parametrize("request_id", [{"a": 1}, [1]])
def test_an_id_that_is_no_id_is_said_in_plain_words(client, request_id):
    body = {"jsonrpc": "2.0", "id": request_id, "method": "system.listMethods"}
    error = jsonrpc_post(client, body).json()["error"]
    assert error == {
        "code": INVALID_REQUEST,
        "message": "Invalid request: the id must be a string, a number or null",
    }


def test_multicall_is_listed_only_where_it_can_be_called(client):
    over_json = jsonrpc_call(client, "system.listMethods")["result"]
    over_xml = xmlrpc_call(client, "system.listMethods")
    assert "system.multicall" not in over_json
    assert "system.multicall" in over_xml
    assert set(over_xml) - set(over_json) == {"system.multicall"}


def test_method_signatures_use_xmlrpc_type_names(client):
    allowed = set(XMLRPC_TYPES.values()) | {"undef"}
    for name in xmlrpc_call(client, "system.listMethods"):
        (signature,) = xmlrpc_call(client, "system.methodSignature", name)
        assert set(signature) <= allowed, (name, signature)
    assert xmlrpc_call(client, "system.methodSignature", "phonebook.search") == [["array", "string", "int"]]
    assert xmlrpc_call(client, "system.methodSignature", "accounts.whoami") == [["struct"]]
