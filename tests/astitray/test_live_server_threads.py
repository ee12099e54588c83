"""The live server's request threads on the in-memory SQLite test database (``testkit/taking_turns.py``).

Django hands every request thread the test's one connection. Two requests
using it at once broke a browser test once (a session read that got its row
twice); here each statement on that connection is slowed down so that two
concurrent requests would overlap in it every time, and the test fails if
they do. A long poll (``events.wait``) waits meanwhile: the other requests
must not wait for it.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connections

from events.bus import _hubs
from events.publish import event_payload, publish
from tests.phonebook.helpers import add

pytestmark = pytest.mark.django_db(transaction=True)

CSRF = "x" * 32  # the page's CSRF token: the cookie and the header agree


def page_call(url: str, session: str, method: str, *params: Any) -> Any:
    """``method`` through the user page's JSON-RPC (``/me/rpc/``) with a session, as its script calls it."""
    request = urllib.request.Request(
        f"{url}/me/rpc/",
        data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode(),
        headers={
            "Content-Type": "application/json",
            "X-CSRFToken": CSRF,
            "Cookie": f"sessionid={session}; csrftoken={CSRF}",
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.load(response)
    assert "error" not in answer, answer
    return answer["result"]


class Overlaps:
    """Statements run on one connection by two threads at the same time (each one slowed down)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: set[int] = set()
        self.found: list[str] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        me = threading.get_ident()
        with self.lock:
            if self.running - {me}:
                self.found.append(sql)
            self.running.add(me)
        try:
            time.sleep(0.002)
            return execute(sql, params, many, context)
        finally:
            with self.lock:
                self.running.discard(me)


def waiting_clients() -> int:
    return sum(hub.count() for hub in list(_hubs.values()))


def test_concurrent_requests_take_turns_on_the_shared_connection_while_a_long_poll_waits(
    live_server, client, alice
):
    shared = connections["default"]
    if not (shared.vendor == "sqlite" and shared.is_in_memory_db()):
        pytest.skip("only the in-memory SQLite test database is shared between threads")
    add("Hélène Dupont", "+44 20 7946 0958", company="ACME Corp")
    client.force_login(alice)
    session = client.cookies["sessionid"].value
    calls = [("dialer.normalize", "01 42 68 53 00"), ("phonebook.search", "hel dup")]
    alone = {method: page_call(live_server.url, session, method, text) for method, text in calls}
    assert [contact["name"] for contact in alone["phonebook.search"]] == ["Hélène Dupont"]

    with ThreadPoolExecutor(9) as pool:
        long_poll = pool.submit(page_call, live_server.url, session, "events.wait", "", 30)
        deadline = time.monotonic() + 10
        while not waiting_clients() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_clients() == 1

        def one(i: int) -> tuple[str, Any]:
            method, text = calls[i % 2]
            return method, page_call(live_server.url, session, method, text)

        overlaps = Overlaps()
        with shared.execute_wrapper(overlaps):
            answers = list(pool.map(one, range(80)))
        assert not long_poll.done()  # the 80 calls did not wait for the long poll

        publish(alice.pk, "incoming", event_payload("incoming", number="0142685300"))
        assert [event["number"] for event in long_poll.result(timeout=20)["events"]] == ["0142685300"]

    assert overlaps.found == []
    assert all(answer == alone[method] for method, answer in answers)
