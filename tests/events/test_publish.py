"""events/publish.py: the row, the wake-up once committed, the prune; and the models' keys."""

from __future__ import annotations

import sys
import types
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from events import publish as publishing
from events.models import ListenerLease, UserEvent
from events.publish import event_payload, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def bus(monkeypatch):
    """A stand-in for events.bus (the other half of the interface) that records the wake-ups."""
    woken: list[int] = []
    module = types.ModuleType("events.bus")
    module.notify = woken.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "events.bus", module)
    return woken


def test_the_payload_has_every_key_of_the_api_but_the_id():
    payload = event_payload("incoming", number="0142685300", name="Marie Dubois")
    assert set(payload) == {
        *("type", "at", "call_id", "number", "name", "company", "contact_id", "status", "by_me"),
    }
    assert (payload["contact_id"], payload["by_me"], payload["status"]) == (0, False, "")
    assert payload["at"].endswith("Z")


def test_publish_writes_the_row_and_wakes_the_user_after_the_commit(
    alice, bus, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event = publish(alice.pk, "missed", event_payload("missed", number="0142685300"))
        assert bus == []  # not before the commit: a waiting client would not see the row yet
    assert UserEvent.objects.get() == event
    assert (event.user, event.type, event.payload["number"]) == (alice, "missed", "0142685300")
    for callback in callbacks:
        callback()
    assert bus == [alice.pk]


def test_a_rolled_back_event_wakes_nobody(alice, bus, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        publish(alice.pk, "call", event_payload("call", status="answered"))
        raise RuntimeError("rolled back")
    assert (UserEvent.objects.count(), bus) == (0, [])


def test_without_a_bus_the_row_is_still_written(alice, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setitem(sys.modules, "events.bus", None)  # "import events.bus" fails as if absent
    monkeypatch.setattr(publishing, "_notifier", lambda: None)
    with django_capture_on_commit_callbacks(execute=True):
        publish(alice.pk, "incoming", event_payload("incoming"))
    assert UserEvent.objects.count() == 1


def test_a_bus_that_fails_loses_no_event(alice, monkeypatch, caplog, django_capture_on_commit_callbacks):
    module = types.ModuleType("events.bus")

    def broken(user_id: int) -> None:
        raise ConnectionError("redis is down")

    module.notify = broken  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "events.bus", module)
    with django_capture_on_commit_callbacks(execute=True):
        publish(alice.pk, "incoming", event_payload("incoming"))
    assert UserEvent.objects.count() == 1
    assert "could not wake" in caplog.text


def test_events_are_kept_an_hour_then_pruned(alice, monkeypatch):
    old = UserEvent.objects.create(user=alice, type="call", created=timezone.now() - timedelta(minutes=61))
    kept = UserEvent.objects.create(user=alice, type="call", created=timezone.now() - timedelta(minutes=59))
    assert publishing.prune() == 1
    assert list(UserEvent.objects.all()) == [kept]
    assert not UserEvent.objects.filter(pk=old.pk).exists()
    # publish prunes too, at most once a minute per process
    monkeypatch.setattr(publishing._Pruning, "at", 0.0)
    UserEvent.objects.filter(pk=kept.pk).update(created=timezone.now() - timedelta(hours=2))
    publish(alice.pk, "call", event_payload("call"))
    assert UserEvent.objects.count() == 1


def test_ids_give_the_order_and_deleting_a_user_deletes_their_events(alice, bob):
    first = publish(alice.pk, "incoming", event_payload("incoming"))
    second = publish(bob.pk, "incoming", event_payload("incoming"))
    assert first.pk < second.pk
    alice.delete()
    assert list(UserEvent.objects.values_list("user", flat=True)) == [bob.pk]


def test_a_pbx_has_at_most_one_lease(console_pbx):
    ListenerLease.objects.create(pbx=console_pbx, holder="host-a:12")
    with pytest.raises(IntegrityError), transaction.atomic():
        ListenerLease.objects.create(pbx=console_pbx, holder="host-b:34")
    console_pbx.delete()
    assert not ListenerLease.objects.exists()
