"""The ASGI application (astitray/asgi.py) as HTTP clients meet it: what the long-poll router hands to Django.

Everything but ``events.wait`` is Django's as under WSGI; these check the
edges of the router: bodies over the limit, chunked bodies, other methods
and paths, a client hanging up while it waits.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import xmlrpc.client
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from astitray.long_poll import NOT_FOR_RPC, RPC_MIDDLEWARE, is_long_poll
from testkit.known_secrets import ALICE_PASSWORD
from testkit.liveserver import LiveServer
from tests.e2e.deployment import scratch_database
from tests.events.test_events_wait import USERS, _basic


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer(asgi=True, workers=1, env={"ASTITRAY_MAX_REQUEST_BYTES": "4096"}) as live:
        live.manage("shell", "-c", USERS)
        yield live


def post(
    server: LiveServer, body: bytes, headers: dict[str, str]
) -> tuple[int, bytes, http.client.HTTPMessage]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("POST", "/rpc/", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(), response.headers
    finally:
        connection.close()


def xml(method: str, *params) -> bytes:
    return xmlrpc.client.dumps(params, method).encode()


AUTH = {"Content-Type": "text/xml", "Authorization": _basic("alice", ALICE_PASSWORD)}


def test_the_middleware_lists_cover_settings(settings):
    assert set(RPC_MIDDLEWARE) | set(NOT_FOR_RPC) == set(settings.MIDDLEWARE)
    order = [name for name in settings.MIDDLEWARE if name in RPC_MIDDLEWARE]
    assert order == list(RPC_MIDDLEWARE)  # the hooks run in the order Django runs them


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (xml("events.wait", "", 5), True),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "events.wait", "params": ["", 5]}', True),
        (xml("accounts.whoami"), False),
        (b'[{"jsonrpc": "2.0", "id": 1, "method": "events.wait"}]', False),
        (xml("system.multicall", [{"methodName": "events.wait", "params": ["", 1]}]), False),
        (b'{"method": "events.wait"', False),
        (xml("dialer.dial", "events.wait"), False),
    ],
)
def test_which_requests_take_the_long_poll_path(body, expected):
    assert is_long_poll(body) is expected


@pytest.mark.parametrize("method", ["events.wait", "accounts.whoami"])
def test_a_body_over_the_limit_is_refused_by_either_path(server, method):
    body = xml(method, "x" * 5000)
    status, content, _ = post(server, body, AUTH)
    assert status == 413
    with pytest.raises(xmlrpc.client.Fault) as refused:
        xmlrpc.client.loads(content)
    assert refused.value.faultCode == -32600


@pytest.mark.parametrize("method", ["events.wait", "accounts.whoami"])
def test_a_chunked_body_is_read_by_either_path(server, method):
    params = ("", 1) if method == "events.wait" else ()
    body = xml(method, *params)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(
            "POST", "/rpc/", body=iter([body[:40], body[40:]]), headers=AUTH, encode_chunked=True
        )
        response = connection.getresponse()
        answer: Any = xmlrpc.client.loads(response.read())[0][0]
    finally:
        connection.close()
    assert response.status == 200
    assert "cursor" in answer if method == "events.wait" else answer["username"] == "alice"


def test_the_admin_and_other_methods_are_django_s(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("GET", "/admin/login/")
        response = connection.getresponse()
        assert response.status == 200 and b"csrfmiddlewaretoken" in response.read()
        connection.request("GET", "/rpc/")
        response = connection.getresponse()
        response.read()
        assert response.status == 405
    finally:
        connection.close()


def test_a_bad_host_is_refused_on_the_long_poll_path_too(server):
    status, _, _ = post(server, xml("events.wait", "", 1), {**AUTH, "Host": "evil.example.org"})
    assert status == 400


def test_a_client_that_hangs_up_ends_its_wait_and_the_server_goes_on(server):
    body = xml("events.wait", "", 55)
    for _ in range(20):  # twenty clients hang up mid-wait
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            head = (
                f"POST /rpc/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
                f"Authorization: {AUTH['Authorization']}\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            sock.sendall(head.encode() + body)
            time.sleep(0.05)
    status, content, _ = post(server, xml("events.wait", "", 1), AUTH)
    assert status == 200
    answer: Any = xmlrpc.client.loads(content)[0][0]
    assert "cursor" in answer


def database_connections(url: str) -> int:
    """How many connections the database server has open to the database of ``url`` now."""
    name = urlsplit(url).path.strip("/")
    if url.startswith("mysql"):
        import MySQLdb

        db = MySQLdb.connect(host="127.0.0.1", port=3306, user="root")
        try:
            cursor = db.cursor()
            cursor.execute("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = %s", (name,))
            return int(cursor.fetchone()[0])
        finally:
            db.close()
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True) as db:
        row = db.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)).fetchone()
        return int(row[0]) if row else 0


def test_requests_django_serves_under_asgi_leave_no_database_connection_open():
    """Each request's thread ends with it: its connection is closed, not kept for a reuse that never comes."""
    with scratch_database() as url, LiveServer(asgi=True, workers=1, database_url=url) as live:
        live.manage("shell", "-c", USERS)
        status, body, _headers = post(live, xml("accounts.create_token", "test"), AUTH)
        assert status == 200 and b"<fault>" not in body, body
        answer: Any = xmlrpc.client.loads(body)[0][0]
        token = answer["token"]
        bearer = {"Content-Type": "text/xml", "Authorization": f"Bearer {token}"}  # a query every call
        answers: list[tuple[int, bytes]] = []

        def calls() -> None:
            for _ in range(5):
                status, body, _headers = post(live, xml("accounts.whoami"), bearer)
                answers.append((status, body))

        clients = [threading.Thread(target=calls) for _ in range(16)]  # 80 requests, 16 at a time
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        open_now = database_connections(url)
    assert len(answers) == 80 and all(s == 200 and b"<fault>" not in b for s, b in answers)
    assert open_now <= 4, f"{open_now} database connections left open by 80 requests"
