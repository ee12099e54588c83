"""The API over real HTTP, with stock clients, as users' tray icons and scripts call it."""

from __future__ import annotations

import json
import socket
import urllib.request
import xmlrpc.client
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import ALICE_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def proxy(live_server, credentials: str = "") -> Any:
    parts = urlsplit(live_server.url)
    auth = f"{credentials}@" if credentials else ""
    return xmlrpc.client.ServerProxy(f"http://{auth}{parts.netloc}/rpc/")


def test_whoami_with_a_stock_xmlrpc_client(live_server, alice):
    answer = proxy(live_server, f"alice:{ALICE_PASSWORD}").accounts.whoami()
    assert answer["extension"] == "1001"


def test_a_wrong_password_is_fault_32098(live_server, alice):
    with pytest.raises(xmlrpc.client.Fault) as caught:
        proxy(live_server, "alice:wrong").accounts.whoami()
    assert caught.value.faultCode == -32098


def test_list_methods_without_credentials(live_server):
    assert "accounts.whoami" in proxy(live_server).system.listMethods()


def test_whoami_over_jsonrpc(live_server, alice):
    request = urllib.request.Request(
        f"{live_server.url}/rpc/",
        data=json.dumps({"jsonrpc": "2.0", "id": "a", "method": "accounts.whoami"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    password_manager = urllib.request.HTTPPasswordMgrWithPriorAuth()
    password_manager.add_password(None, live_server.url, "alice", ALICE_PASSWORD, is_authenticated=True)
    opener = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(password_manager))
    with opener.open(request, timeout=10) as response:
        answer = json.load(response)
    assert answer == {"jsonrpc": "2.0", "id": "a", "result": answer["result"]}
    assert answer["result"]["username"] == "alice"


def test_a_huge_declared_body_is_refused_before_it_is_sent(live_server):
    parts = urlsplit(live_server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            b"POST /rpc/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n"
            b"Content-Length: 1073741824\r\n\r\n<?xml version='1.0'?>"
        )
        answer = b""
        while b"</methodResponse>" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"larger than 262144 bytes" in answer
