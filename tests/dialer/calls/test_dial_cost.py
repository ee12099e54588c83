"""What one dial costs the shared cache and the database (issue 16), through the real API."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dialer import rule_cache
from dialer.models import Call, NumberRule
from dialer.outcomes import record_outcome
from drivers import process_copy
from drivers.base import CallStatus
from drivers.default_pbx import VERSION_KEY as PBX_VERSION_KEY
from events.models import UserEvent
from testkit.rpc import xmlrpc_call

pytestmark = pytest.mark.django_db

RULES_VERSION_KEY = "astitray:dialer-rules-version"


@pytest.fixture
def keys_asked(monkeypatch) -> Counter:
    """How many times each key is read from the shared cache (``get`` and ``get_many``)."""
    asked: Counter = Counter()
    backend = caches["default"]
    depth = [0]  # the file cache's get_many calls its get: one question, counted once

    def counted(name: str) -> Any:
        method = getattr(backend, name)

        def call(keys: Any, *args: Any, **kwargs: Any) -> Any:
            if not depth[0]:
                asked.update([keys] if isinstance(keys, str) else list(keys))
            depth[0] += 1
            try:
                return method(keys, *args, **kwargs)
            finally:
                depth[0] -= 1

        return call

    for name in ("get", "get_many"):
        monkeypatch.setattr(backend, name, counted(name))
    return asked


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The captured reads and writes, as ``SELECT table`` (its first table), ``INSERT table``..."""
    shapes = []
    for query in queries.captured_queries:
        sql = query["sql"]
        found = re.match(r"\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM)\s", sql)
        if found is None:
            continue  # BEGIN, COMMIT, SAVEPOINT...
        verb = found.group(1).split()[0]
        table = re.search(r"(?:FROM|INTO|UPDATE)\s+[`\"]?(\w+)", sql)
        shapes.append(f"{verb} {table.group(1) if table else '?'}")
    return shapes


def test_a_dial_reads_each_version_once_and_writes_its_row_and_event_without_reading_them_back(
    shared_cache, client, alice, alice_auth, keys_asked
):
    for number in ("01 02 03 04 05", "01 02 03 04 06"):  # the credential, then the caller, cached
        assert xmlrpc_call(client, "dialer.dial", number, auth=alice_auth)["status"] == "answered"
    keys_asked.clear()
    with CaptureQueriesContext(connection) as queries:
        answer = xmlrpc_call(client, "dialer.dial", "01 02 03 04 07", auth=alice_auth)
    assert answer["status"] == "answered"
    versions = {key: n for key, n in keys_asked.items() if key in (PBX_VERSION_KEY, RULES_VERSION_KEY)}
    assert versions == {PBX_VERSION_KEY: 1, RULES_VERSION_KEY: 1}
    # The callee's name; the row (queued, before the PBX is asked); its outcome with the
    # driver's reference in one UPDATE; the ``call`` event. Nothing is read back.
    assert statements(queries) == [
        "SELECT phonebook_phonenumber",
        "INSERT dialer_call",
        "UPDATE dialer_call",
        "INSERT events_userevent",
    ]
    call = Call.objects.get(call_id=answer["call_id"])
    assert (call.status, call.reason, call.reference.startswith("console-")) == (
        "answered",
        "console driver",
        True,
    )
    event = UserEvent.objects.filter(user=alice).latest("pk")
    assert event.payload["call_id"] == answer["call_id"]
    assert (event.payload["number"], event.payload["status"]) == (call.number, "answered")


def test_rules_changed_within_a_call_are_read_again_within_it(shared_cache, alice):
    with process_copy.one_read_per_call():
        assert "^0089" not in [rule.pattern for rule in rule_cache.snapshot().number_rules]
        NumberRule.objects.create(pattern="^0089", action="deny")
        assert "^0089" in [rule.pattern for rule in rule_cache.snapshot().number_rules]


def test_outside_a_call_each_read_asks_the_cache(shared_cache, alice, keys_asked):
    rule_cache.snapshot()
    rule_cache.snapshot()
    assert keys_asked[RULES_VERSION_KEY] == 2
    with process_copy.one_read_per_call():
        rule_cache.snapshot()
        rule_cache.snapshot()
    assert keys_asked[RULES_VERSION_KEY] == 3


def test_an_outcome_heard_later_moves_the_row_and_tells_its_user_without_reading_it_twice(alice):
    call = Call.objects.create(
        user=alice, username="alice", extension="1001", channel="PJSIP/1001", number="0102030405", name="Bob"
    )
    with CaptureQueriesContext(connection) as queries:
        record_outcome(str(call.call_id), CallStatus.BUSY, "the number was busy")
    # The movable row (with what its event says), its conditional UPDATE, the event.
    assert statements(queries) == ["SELECT dialer_call", "UPDATE dialer_call", "INSERT events_userevent"]
    call.refresh_from_db()
    assert (call.status, call.reason) == ("busy", "the number was busy")
    event = UserEvent.objects.get(user=alice)
    assert event.payload["call_id"] == str(call.call_id)
    assert (event.payload["number"], event.payload["name"], event.payload["status"]) == (
        "0102030405",
        "Bob",
        "busy",
    )
