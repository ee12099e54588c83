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

from testkit.rpc import basic, xmlrpc_call, xmlrpc_post, xmlrpc_result
from tests.tray_client.conftest import ALICE, PASSWORD, USER

WRONG = (USER, "not-the-Password-1")


def answer(call: Any) -> Any:
    try:
        return ("answer", call())
    except xmlrpc.client.Fault as fault:
        return ("fault", fault.faultCode, fault.faultString)
    except xmlrpc.client.ProtocolError as refused:  # no credentials at all: HTTP 401 and its challenge
        return ("http", refused.errcode, refused.headers.get("WWW-Authenticate"))


def real_call(client, method: str, params: tuple[Any, ...], auth: tuple[str, str] | None) -> Any:
    """The real server's answer through Django's test client (an HTTP error as xmlrpc.client says it)."""
    response = xmlrpc_post(client, xmlrpc.client.dumps(params, method), basic(*auth) if auth else None)
    if response.status_code != 200:
        headers = {"WWW-Authenticate": response.get("WWW-Authenticate")}
        raise xmlrpc.client.ProtocolError("/rpc/", int(response.status_code), "", headers)
    return xmlrpc_result(response.content)


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
    real = answer(lambda: real_call(client, method, params, auth))
    standing_in = answer(lambda: stand_in_call(stand_in, method, params, auth))
    assert standing_in == real


def test_the_stand_in_s_whoami_is_the_real_alice_s(client, alice):
    assert xmlrpc_call(client, "accounts.whoami", auth=(USER, PASSWORD)) == ALICE


SIGNATURE = "Hélène Dupont\nACME\nTel: +44 20 7946 0958\nMobile: +44 7700 900123"


def test_the_stand_in_s_normalize_answers_with_the_real_server_s_keys(client, alice, stand_in):
    """test_app.py's dialer.normalize (one number, display and choices) has the real answer's shape."""
    from tests.tray_client.test_app import NUMBER_TEXT, SHOWN, dial_service, signature_service

    dial_service(stand_in)
    real = xmlrpc_call(client, "dialer.normalize", NUMBER_TEXT, auth=(USER, PASSWORD))
    standing_in = stand_in_call(stand_in, "dialer.normalize", (NUMBER_TEXT,), (USER, PASSWORD))
    assert set(standing_in) <= set(real)
    assert {"display", "choices"} <= set(standing_in)
    assert (
        (real["display"], real["e164"])
        == (SHOWN, standing_in["e164"])
        == (standing_in["display"], "+442079460958")
    )
    assert set(standing_in["choices"][0]) == set(real["choices"][0])

    signature_service(stand_in)
    real = xmlrpc_call(client, "dialer.normalize", SIGNATURE, auth=(USER, PASSWORD))
    standing_in = stand_in_call(stand_in, "dialer.normalize", (SIGNATURE,), (USER, PASSWORD))
    shape = [(c["e164"], c["display"], c["label"], c["text"]) for c in real["choices"]]
    assert [(c["e164"], c["display"], c["label"], c["text"]) for c in standing_in["choices"]] == shape


def bearer_real(client, method: str, params: tuple[Any, ...], token: str) -> Any:
    body = xmlrpc.client.dumps(params, method)
    response = xmlrpc_post(client, body, {"HTTP_AUTHORIZATION": f"Bearer {token}"})
    assert response.status_code == 200, response.status_code
    return xmlrpc_result(response.content)


def bearer_stand_in(stand_in, method: str, params: tuple[Any, ...], token: str) -> Any:
    with xmlrpc.client.ServerProxy(stand_in.url, headers=[("Authorization", f"Bearer {token}")]) as proxy:
        return getattr(proxy, method)(*params)


def test_the_stand_in_s_tokens_are_made_used_and_revoked_as_the_real_server_s(client, alice, stand_in):
    """The tray's "Log in": a token made with the password, whoami with it, a token cannot make tokens,
    and once revoked it is refused as a wrong password is."""
    made = {
        "real": xmlrpc_call(client, "accounts.create_token", "Astitray tray on desk", auth=(USER, PASSWORD)),
        "stand-in": stand_in_call(
            stand_in, "accounts.create_token", ("Astitray tray on desk",), (USER, PASSWORD)
        ),
    }
    assert {key: set(value) for key, value in made.items()} == {
        key: {"id", "token", "label", "created"} for key in made
    }
    assert made["real"]["token"].startswith("astk_") and made["stand-in"]["token"].startswith("astk_")
    assert made["real"]["label"] == made["stand-in"]["label"]
    real_token, stand_in_token = made["real"]["token"], made["stand-in"]["token"]

    def both(method: str, *params: Any) -> tuple[Any, Any]:
        return (
            answer(lambda: bearer_real(client, method, params, real_token)),
            answer(lambda: bearer_stand_in(stand_in, method, params, stand_in_token)),
        )

    real, standing_in = both("accounts.whoami")
    assert real == standing_in == ("answer", ALICE)
    real, standing_in = both("accounts.create_token", "another")
    assert real == standing_in and real[:2] == ("fault", -32098)

    for name, revoke in (
        (
            "real",
            lambda: xmlrpc_call(client, "accounts.revoke_token", made["real"]["id"], auth=(USER, PASSWORD)),
        ),
        (
            "stand-in",
            lambda: stand_in_call(
                stand_in, "accounts.revoke_token", (made["stand-in"]["id"],), (USER, PASSWORD)
            ),
        ),
    ):
        assert revoke() is True, name
    real, standing_in = both("accounts.whoami")
    assert real == standing_in and real[:2] == ("fault", -32098)
    real = answer(
        lambda: xmlrpc_call(client, "accounts.revoke_token", made["real"]["id"], auth=(USER, PASSWORD))
    )
    standing_in = answer(
        lambda: stand_in_call(stand_in, "accounts.revoke_token", (made["stand-in"]["id"],), (USER, PASSWORD))
    )
    assert real == standing_in and real[:2] == ("fault", -32083)
