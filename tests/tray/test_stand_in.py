"""The stand-in server of conftest.py answers as the real Astitray server does, where the client looks.

Each request goes to both: the real server (Django's test client, real
XML-RPC marshalling) and the stand-in (over HTTP); their answers and faults
must be the same, so that the tray's tests, written against the stand-in,
hold against the server.
"""

from __future__ import annotations

import xmlrpc.client
from typing import Any

import pytest

from tests.rpc import xmlrpc_call
from tests.tray.conftest import ALICE, PASSWORD, USER

WRONG = (USER, "not-the-Password-1")


def answer(call: Any) -> Any:
    try:
        return ("answer", call())
    except xmlrpc.client.Fault as fault:
        return ("fault", fault.faultCode, fault.faultString)


def stand_in_call(stand_in, method: str, params: tuple[Any, ...], auth: tuple[str, str] | None) -> Any:
    url = stand_in.url
    if auth is not None:
        url = url.replace("://", f"://{auth[0]}:{auth[1]}@", 1)
    with xmlrpc.client.ServerProxy(url) as proxy:
        return getattr(proxy, method)(*params)


@pytest.mark.parametrize(
    "asked",
    [
        pytest.param(("accounts.whoami", (), (USER, PASSWORD)), id="whoami"),
        pytest.param(("accounts.whoami", (), None), id="no-credentials"),
        pytest.param(("accounts.whoami", (), WRONG), id="wrong-password"),
        pytest.param(("accounts.whoami", ("extra",), (USER, PASSWORD)), id="extra-parameter"),
        pytest.param(("no.such", (), (USER, PASSWORD)), id="unknown"),
        pytest.param(("no.such", (), None), id="unknown-anonymous"),
        pytest.param(("no.such", (), WRONG), id="unknown-wrong-password"),
    ],
)
def test_the_stand_in_answers_as_the_real_server(client, alice, stand_in, asked):
    method, params, auth = asked
    real = answer(lambda: xmlrpc_call(client, method, *params, auth=auth))
    standing_in = answer(lambda: stand_in_call(stand_in, method, params, auth))
    assert standing_in == real


def test_the_stand_in_s_whoami_is_the_real_alice_s(client, alice):
    assert xmlrpc_call(client, "accounts.whoami", auth=(USER, PASSWORD)) == ALICE
