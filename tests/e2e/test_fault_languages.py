"""Fault messages over real HTTP (gunicorn): the request's Accept-Language, else the installation's language.

Codes never change with the language; no cookie is set or needed.
"""

from __future__ import annotations

import http.client
import json
import xmlrpc.client

import pytest

from testkit.liveserver import LiveServer

pytestmark = pytest.mark.service

NBSP = "\u00a0"


def post(
    port: int, body: bytes, content_type: str, language: str = ""
) -> tuple[http.client.HTTPResponse, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": content_type, "Authorization": "Basic bm9ib2R5Om5vdC1hLXBhc3N3b3Jk"}
    if language:
        headers["Accept-Language"] = language
    connection.request("POST", "/rpc/", body=body, headers=headers)
    response = connection.getresponse()
    return response, response.read()


def xml_fault(port: int, method: str, language: str = "") -> tuple[int, str, http.client.HTTPResponse]:
    response, content = post(port, xmlrpc.client.dumps((), method).encode(), "text/xml", language)
    with pytest.raises(xmlrpc.client.Fault) as fault:
        xmlrpc.client.loads(content)
    return fault.value.faultCode, fault.value.faultString, response


def json_error(port: int, method: str, language: str = "") -> dict:
    payload = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode()
    return json.loads(post(port, payload, "application/json", language)[1])["error"]


def test_fault_messages_follow_accept_language():
    with LiveServer(workers=1) as server:
        french = xml_fault(server.port, "accounts.whoami", "fr-FR,fr;q=0.9,en;q=0.5")
        english = xml_fault(server.port, "accounts.whoami", "en-GB")
        default = xml_fault(server.port, "accounts.whoami")
        assert french[:2] == (
            -32098,
            f"Échec de l\u2019authentification{NBSP}: vérifiez votre identifiant et votre mot de passe.",
        )
        assert (
            english[:2] == default[:2] == (-32098, "Authentication failed: check your username and password.")
        )
        assert french[2].getheader("Set-Cookie") is None and "Accept-Language" in (
            french[2].getheader("Vary") or ""
        )
        assert french[2].getheader("Content-Language") == "fr"
        # JSON-RPC alike, and a standard fault's message (modernrpc's own words included).
        assert json_error(server.port, "accounts.whoami", "fr")["code"] == -32098
        unknown = json_error(server.port, "no.such_procedure", "fr")
        assert unknown == {"code": -32601, "message": f'Procédure inconnue{NBSP}: "no.such_procedure"'}


def test_without_accept_language_faults_are_in_the_installations_language():
    with LiveServer(workers=1, env={"LANGUAGE_CODE": "fr"}) as server:
        code, message, _response = xml_fault(server.port, "accounts.whoami")
        assert (code, message.startswith("Échec de l\u2019authentification")) == (-32098, True)
        # A client that asks for English gets English all the same.
        assert xml_fault(server.port, "accounts.whoami", "en")[1].startswith("Authentication failed")
