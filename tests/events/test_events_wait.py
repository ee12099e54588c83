"""``events.wait`` over real XML-RPC and JSON-RPC, served by gunicorn's uvicorn workers (the ASGI app).

Events are written as the listener writes them (``events.publish.publish``,
in another process: a ``manage.py shell``), both with the embedded default
(no Redis: the servers poll the database) and with Redis pub/sub.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.known_secrets import ALICE_PASSWORD, BOB_PASSWORD
from testkit.liveserver import LiveServer
from testkit.redis_server import RedisServer

USERS = f"""
from django.contrib.auth import get_user_model
from accounts.models import Extension
users = get_user_model().objects
alice = users.create_user("alice", password={ALICE_PASSWORD!r})
Extension.objects.create(user=alice, number="1001", channel="PJSIP/1001")
users.create_user("bob", password={BOB_PASSWORD!r})
"""

PUBLISH = """
from django.contrib.auth import get_user_model
from events.publish import event_payload, publish
user = get_user_model().objects.get(username={username!r})
for i in range({count}):
    publish(user.pk, "incoming", event_payload("incoming", number="0142685300", name=f"Marie Dubois {{i}}"))
"""


def publish(server: LiveServer, username: str, count: int = 1) -> None:
    """``count`` incoming-call events for ``username``, written by another process as the listener does."""
    server.manage("shell", "-c", PUBLISH.format(username=username, count=count))


def start(server: LiveServer) -> LiveServer:
    server.__enter__()
    server.manage("shell", "-c", USERS)
    return server


@pytest.fixture(scope="module")
def embedded() -> Iterator[LiveServer]:
    """The embedded default: SQLite, a per-process cache, no Redis; two worker processes."""
    server = start(LiveServer(asgi=True, workers=2))
    yield server
    server.__exit__(None, None, None)


@pytest.fixture(scope="module")
def with_redis() -> Iterator[LiveServer]:
    """The same with Redis as the cache: wake-ups by pub/sub."""
    with RedisServer() as redis:
        server = start(LiveServer(asgi=True, workers=2, env={"CACHE_URL": redis.url}))
        yield server
        server.__exit__(None, None, None)


@pytest.fixture(params=["embedded", "with_redis"])
def server(request) -> LiveServer:
    return request.getfixturevalue(request.param)


def alice(server: LiveServer) -> Any:
    return server.proxy("alice", ALICE_PASSWORD)


def bob(server: LiveServer) -> Any:
    return server.proxy("bob", BOB_PASSWORD)


def fault_of(call, *args) -> xmlrpc.client.Fault:
    with pytest.raises(xmlrpc.client.Fault) as caught:
        call(*args)
    return caught.value


def waiting(proxy: Any, cursor: str, timeout: int) -> tuple[threading.Thread, dict]:
    """A client waiting in events.wait in a thread; its answer lands in the dict."""
    answer: dict = {}

    def run() -> None:
        answer.update(proxy.events.wait(cursor, timeout))

    thread = threading.Thread(target=run)
    thread.start()
    return thread, answer


def test_an_event_published_while_waiting_wakes_the_waiter(server):
    cursor = alice(server).events.wait("", 1)["cursor"]
    thread, answer = waiting(alice(server), cursor, 55)  # 55: the upper bound is accepted
    time.sleep(0.5)
    assert thread.is_alive()  # nothing yet: it waits
    publish(server, "alice")
    thread.join(timeout=50)
    assert not thread.is_alive(), "the event did not wake the waiting client"
    (event,) = answer["events"]
    assert event["type"] == "incoming"
    assert (event["number"], event["name"]) == ("0142685300", "Marie Dubois 0")
    assert set(event) == {"id", "type", "at", "call_id", "number", "name", "company", "contact_id"} | {
        "status",
        "by_me",
    }
    assert answer["cursor"] != cursor
    # The next call with the new cursor has nothing more.
    assert alice(server).events.wait(answer["cursor"], 1)["events"] == []


def test_events_for_alice_never_reach_bob(server):
    bob_cursor = bob(server).events.wait("", 1)["cursor"]
    thread, answer = waiting(bob(server), bob_cursor, 3)
    publish(server, "alice")
    thread.join(timeout=30)
    assert answer == {"cursor": bob_cursor, "events": []}
    assert bob(server).events.wait(bob_cursor, 1)["events"] == []


def test_a_cursor_of_another_user_is_refused(server):
    publish(server, "alice")
    alice_cursor = alice(server).events.wait("", 1)["cursor"]
    fault = fault_of(bob(server).events.wait, alice_cursor, 1)
    assert fault.faultCode == -32602
    assert "cursor" in fault.faultString
    # Made up, damaged, or alice's id with bob's signature of another id: refused alike.
    bob_cursor = bob(server).events.wait("", 1)["cursor"]
    made_up = "0." + bob_cursor.partition(".")[2]
    for cursor in ("0", "abc", "1.x", alice_cursor + "0", made_up if made_up != bob_cursor else "9.0"):
        assert fault_of(bob(server).events.wait, cursor, 1).faultCode == -32602, cursor


def test_a_stale_cursor_gets_what_is_kept_oldest_first_200_at_most(embedded):
    old = alice(embedded).events.wait("", 1)["cursor"]
    publish(embedded, "alice", count=205)
    first = alice(embedded).events.wait(old, 1)
    assert len(first["events"]) == 200
    names = [event["name"] for event in first["events"]]
    assert names[:2] == ["Marie Dubois 0", "Marie Dubois 1"] and names[-1] == "Marie Dubois 199"
    rest = alice(embedded).events.wait(first["cursor"], 1)
    assert [event["name"] for event in rest["events"]] == [f"Marie Dubois {i}" for i in range(200, 205)]
    # Events past what is kept (an hour) are gone: an old cursor gets the kept ones only.
    embedded.manage(
        "shell",
        "-c",
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from events.models import UserEvent\n"
        "from events.publish import prune\n"
        f"last_old = {rest['events'][2]['id']}\n"
        "UserEvent.objects.filter(id__lte=last_old).update(created=timezone.now() - timedelta(hours=2))\n"
        "prune()\n",
    )
    kept = alice(embedded).events.wait(old, 1)
    assert [event["name"] for event in kept["events"]] == ["Marie Dubois 203", "Marie Dubois 204"]


def test_an_empty_cursor_means_from_now_on(server):
    publish(server, "alice")
    answer = alice(server).events.wait("", 1)
    assert answer["events"] == []  # what came before is not replayed
    publish(server, "alice")
    assert len(alice(server).events.wait(answer["cursor"], 1)["events"]) == 1


@pytest.mark.parametrize("timeout", [0, 56, -1, "25", 2.5, True])
def test_a_timeout_out_of_bounds_is_refused(embedded, timeout):
    assert fault_of(alice(embedded).events.wait, "", timeout).faultCode == -32602


def test_a_one_second_timeout_answers_no_events(embedded):
    answer = alice(embedded).events.wait("", 1)
    assert answer["events"] == []
    assert alice(embedded).events.wait(answer["cursor"], 1) == answer


@pytest.mark.parametrize("cursor", [5, ["x"], "x" * 101])
def test_a_cursor_that_is_not_a_short_string_is_refused(embedded, cursor):
    assert fault_of(alice(embedded).events.wait, cursor, 1).faultCode == -32602


def test_it_needs_the_same_credentials_as_every_procedure(embedded):
    wrong = embedded.proxy("alice", "not-her-password")
    assert fault_of(wrong.events.wait, "", 1).faultCode == -32098
    nobody = xmlrpc.client.ServerProxy(f"{embedded.url}/rpc/")
    with pytest.raises(xmlrpc.client.ProtocolError) as challenged:  # no credentials at all: a challenge
        nobody.events.wait("", 1)
    assert challenged.value.errcode == 401
    headers = {name.lower(): value for name, value in challenged.value.headers.items()}
    assert headers["www-authenticate"].startswith('Basic realm="Astitray"')


def jsonrpc(server: LiveServer, payload: Any, language: str = "") -> tuple[Any, Any]:
    headers = {"Content-Type": "application/json", "Authorization": _basic("alice", ALICE_PASSWORD)}
    if language:
        headers["Accept-Language"] = language
    request = urllib.request.Request(
        f"{server.url}/rpc/", data=json.dumps(payload).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers, json.loads(response.read())


def _basic(username: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_over_jsonrpc_with_named_parameters_and_in_french(embedded):
    headers, answer = jsonrpc(
        embedded, {"jsonrpc": "2.0", "id": 7, "method": "events.wait", "params": {"timeout": 1}}
    )
    assert answer["id"] == 7 and answer["result"]["events"] == []
    headers, answer = jsonrpc(
        embedded,
        {"jsonrpc": "2.0", "id": 8, "method": "events.wait", "params": {"cursor": "nope", "timeout": 1}},
        language="fr",
    )
    assert answer["error"]["code"] == -32602
    assert "curseur" in answer["error"]["message"]
    assert headers["Content-Language"] == "fr"
    # The same security headers as every API answer (the long poll skips Django's middleware chain).
    plain, _ = jsonrpc(embedded, {"jsonrpc": "2.0", "id": 9, "method": "accounts.whoami"}, language="fr")
    for name in ("X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options", "Vary", "Content-Language"):
        assert headers.get(name) == plain.get(name), name


def test_a_long_poll_in_a_batch_or_a_multicall_still_works(embedded):
    _, answer = jsonrpc(
        embedded,
        [
            {"jsonrpc": "2.0", "id": 1, "method": "events.wait", "params": ["", 1]},
            {"jsonrpc": "2.0", "id": 2, "method": "accounts.whoami"},
        ],
    )
    assert sorted(item["id"] for item in answer) == [1, 2]
    assert all("result" in item for item in answer)


def test_waiting_clients_hold_no_thread_of_the_server():
    """100 clients wait on one worker process: its threads stay a handful (no thread per client)."""
    with LiveServer(asgi=True, workers=1) as server:
        server.manage("shell", "-c", USERS)
        assert server.process is not None
        (worker,) = _children(server.process.pid)
        clients = [waiting(alice(server), "", 30) for _ in range(100)]
        time.sleep(3)  # every client is in its wait (timeout 30 s)
        threads = len(list(Path(f"/proc/{worker}/task").iterdir()))
        assert all(thread.is_alive() for thread, _ in clients)
        publish(server, "alice")
        for thread, _answer in clients:
            thread.join(timeout=30)
        assert [len(answer["events"]) for _, answer in clients] == [1] * 100  # each was woken
    assert threads < 20, f"{threads} threads in the worker for 100 waiting clients"


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found
