"""Real XML-RPC and JSON-RPC through Django's test client.

Requests are marshalled by ``xmlrpc.client.dumps`` and answers parsed by
``xmlrpc.client.loads``, exactly what a stock client does on the wire.
"""

from __future__ import annotations

import base64
import json
import xmlrpc.client
from typing import Any

from django.test import Client

RPC_URL = "/rpc/"


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def xmlrpc_post(client: Client, body: str | bytes, headers: dict[str, str] | None = None, **extra: Any):
    return client.post(RPC_URL, data=body, content_type="text/xml", **(headers or {}), **extra)


def xmlrpc_call(client: Client, method: str, *params: Any, auth: tuple[str, str] | None = None) -> Any:
    """Call ``method`` over XML-RPC; return its result or raise ``xmlrpc.client.Fault``."""
    body = xmlrpc.client.dumps(params, method, allow_none=False)
    response = xmlrpc_post(client, body, basic(*auth) if auth else None)
    assert response.status_code == 200, response.content[:500]
    return xmlrpc_result(response.content)


def xmlrpc_result(content: bytes) -> Any:
    (result,), _ = xmlrpc.client.loads(content)
    return result


def xmlrpc_fault(content: bytes) -> xmlrpc.client.Fault:
    """The fault of an XML-RPC answer (fails the test if it is a success)."""
    try:
        xmlrpc.client.loads(content)
    except xmlrpc.client.Fault as fault:
        return fault
    raise AssertionError(f"expected a fault, got {content[:300]!r}")


def jsonrpc_post(client: Client, payload: Any, headers: dict[str, str] | None = None):
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return client.post(RPC_URL, data=body, content_type="application/json", **(headers or {}))


def jsonrpc_call(
    client: Client, method: str, params: Any = None, auth: tuple[str, str] | None = None
) -> dict:
    """The whole JSON-RPC answer object ({"result": ...} or {"error": ...})."""
    payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params if params is not None else []}
    response = jsonrpc_post(client, payload, basic(*auth) if auth else None)
    assert response.status_code == 200, response.content[:500]
    return response.json()
