"""Fixtures of the hostile-input tests: a recording PBX for alice, "nothing changed", and RPC calls.

The RPC helpers send requests as stock clients write them (``xmlrpc.client``,
``json``) through the Django test client and read every answer strictly:
never a 500 or a traceback, and a fault's code and message as docs/api.md says.
"""

from __future__ import annotations

import inspect
import json
import uuid
import xmlrpc.client
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model

from accounts.models import ApiToken, Extension
from astitray.rpc import server
from dialer.models import Call
from drivers.models import PbxServer
from phonebook.models import Contact, PhoneNumber
from testkit.rpc import RPC_URL, basic, jsonrpc_post, xmlrpc_post
from tests.conftest import ALICE_PASSWORD
from tests.dialer.calls.drivers import TEST_DRIVERS, driver, recording_pbx
from tests.phonebook.helpers import add

__all__ = ["driver", "recording_pbx"]  # shared fixtures

# The API's fault codes (docs/api.md, "Faults"): the only ones a client may ever see. Written out
# here, not imported from astitray.faults: they are the contract the tests hold the server to
# (test_the_servers_faults_are_the_apis checks that both lists agree).
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = (
    -32700,
    -32600,
    -32601,
    -32602,
    -32603,
)
AUTHENTICATION_FAILED = -32098
NO_EXTENSION = -32089
INVALID_NUMBER = -32088
NUMBER_NOT_ALLOWED = -32087
RATE_LIMITED = -32086
PBX_UNAVAILABLE = -32085
PBX_ERROR = -32084
NOT_FOUND = -32083
PHONE_UNAVAILABLE = -32082
STANDARD_FAULTS = {PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR}
ASTITRAY_FAULTS = {AUTHENTICATION_FAILED, NO_EXTENSION, INVALID_NUMBER, NUMBER_NOT_ALLOWED, RATE_LIMITED}
ASTITRAY_FAULTS |= {PBX_UNAVAILABLE, PBX_ERROR, NOT_FOUND, PHONE_UNAVAILABLE}
API_FAULTS = STANDARD_FAULTS | ASTITRAY_FAULTS

# What a fault or an error page must never show.
LEAKS = (
    "Traceback",
    'File "',
    "site-packages",
    "/work/",
    "Exception",
    "Error:",
    "0x7f",
    "psycopg",
    "MySQL",
    "sqlite",
)


def assert_clean_message(message: str) -> None:
    """A fault's message: one short sentence, no traceback or internal detail."""
    assert len(message) <= 200, message
    assert "\n" not in message, message
    for leak in LEAKS:
        assert leak not in message, message


@pytest.fixture(autouse=True)
def _test_drivers(settings):
    settings.ASTITRAY_DRIVERS = TEST_DRIVERS


@pytest.fixture
def helene(db) -> Contact:
    return add("Hélène Dupont", "+44 20 7946 0958", company="ACME Corp")


def snapshot() -> tuple:
    """Every row a hostile request could change: users, tokens, phones, PBXs, contacts, calls, failures."""
    return (
        list(get_user_model().objects.order_by("pk").values()),
        list(ApiToken.objects.order_by("pk").values()),
        list(Extension.objects.order_by("pk").values()),
        list(PbxServer.objects.order_by("pk").values()),
        list(Contact.objects.order_by("pk").values()),
        list(PhoneNumber.objects.order_by("pk").values()),
        list(Call.objects.order_by("pk").values()),
        list(AccessAttempt.objects.order_by("pk").values("username", "ip_address", "failures_since_start")),
    )


@pytest.fixture
def unchanged(alice, bob, driver, helene) -> Iterator[Callable[[], None]]:
    """Fails the test if any row changed or the PBX was asked for a call; ``check()`` checks mid-test."""
    before = snapshot()

    def check() -> None:
        assert snapshot() == before
        assert driver.requests == []

    yield check
    check()


# --- RPC requests and answers ---------------------------------------------------------

XML, JSON = "xml", "json"
PROTOCOLS = (XML, JSON)


class Answer:
    """What came back: the HTTP status and, for a fault, its code and message."""

    def __init__(self, response: Any, protocol: str) -> None:
        self.status = response.status_code
        self.content: bytes = response.content
        self.code: int | None = None
        self.message = ""
        self.result: Any = None
        self.results: list | None = None
        assert self.status != 500, self.content[:300]
        assert b"Traceback" not in self.content
        if protocol == XML:
            try:
                (self.result,), _ = xmlrpc.client.loads(self.content)
            except xmlrpc.client.Fault as fault:
                self.code, self.message = fault.faultCode, fault.faultString
        else:
            body = json.loads(self.content)
            if isinstance(body, list):
                self.results = body
            elif "error" in body:
                self.code, self.message = body["error"]["code"], body["error"]["message"]
                assert body["error"].get("data") is None
            else:
                self.result = body["result"]
        if self.code is not None:
            assert self.code in API_FAULTS, (self.code, self.message)
            assert_clean_message(self.message)

    def fault(self, *codes: int) -> None:
        assert self.code in codes, (self.status, self.code, self.message, self.content[:200])


def post(client, protocol: str, body: str | bytes, headers: dict | None = None) -> Answer:
    if not body:  # the test client would drop the Content-Type of an empty body
        content_type = "text/xml" if protocol == XML else "application/json"
        return Answer(
            client.generic("POST", RPC_URL, b"", CONTENT_TYPE=content_type, **(headers or {})), protocol
        )
    send = xmlrpc_post if protocol == XML else jsonrpc_post
    return Answer(send(client, body, headers), protocol)


def encode(protocol: str, method: str, params: Any) -> str:
    """A request as a stock client writes it (nil allowed: it is one of the hostile values)."""
    if protocol == XML:
        return xmlrpc.client.dumps(tuple(params), method, allow_none=True)
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})


def call(client, protocol: str, method: str, params: Any = (), auth=("alice", ALICE_PASSWORD)) -> Answer:
    headers = basic(*auth) if auth else None
    return post(client, protocol, encode(protocol, method, list(params)), headers)


STRING, INTEGER, ARRAY = "string", "int", "array"
# The type each parameter of the API takes. A new procedure's parameter must be added here:
# test_every_parameter_has_a_declared_type fails until it is.
PARAMETER_TYPES = {
    "method_name": STRING,
    "text": STRING,
    "call_id": STRING,
    "query": STRING,
    "number": STRING,
    "limit": INTEGER,
    "calls": ARRAY,
    "cursor": STRING,
    "timeout": INTEGER,
    "label": STRING,
    "id": INTEGER,
}
VALID = {
    "method_name": "accounts.whoami",
    "text": "1002",
    "call_id": str(uuid.UUID(int=7)),
    "query": "dup",
    "number": "+442079460958",
    "limit": 5,
    "calls": [],
    "cursor": "",
    "timeout": 1,  # events.wait: the shortest wait
    "label": "laptop",
    "id": 1,
}


def procedure_parameters() -> dict[str, list[str]]:
    """Every registered procedure and the names of the parameters a client gives it."""
    found = {}
    for name, wrapper in server.procedures.items():
        signature = inspect.signature(wrapper.func_or_coro)
        found[name] = [param for param in signature.parameters if param != wrapper.context_target]
    return found


PROCEDURES = procedure_parameters()
