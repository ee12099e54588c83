"""The lease (one holder per PBX, takeover once it expires) and what the admin and /readyz show of it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events import lease
from events.models import ListenerLease

pytestmark = pytest.mark.django_db


def test_one_holder_at_a_time_and_a_takeover_once_it_expires(pbx):
    assert lease.acquire(pbx.pk, "host-a:1", lease_s=5)
    assert not lease.acquire(pbx.pk, "host-b:2", lease_s=5)  # a live holder keeps it
    assert lease.acquire(pbx.pk, "host-a:1", lease_s=5)  # its own renewal
    ListenerLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))  # host-a died
    assert lease.acquire(pbx.pk, "host-b:2", lease_s=5)
    assert not lease.renew(pbx.pk, "host-a:1")  # back from a long pause: it must stop listening
    assert lease.renew(pbx.pk, "host-b:2")
    lease.release(pbx.pk, "host-a:1")  # not its own any more: nothing happens
    assert ListenerLease.objects.get().holder == "host-b:2"
    lease.release(pbx.pk, "host-b:2")
    assert lease.acquire(pbx.pk, "host-c:3")  # a clean stop: taken at once


def test_a_takeover_starts_disconnected(pbx):
    lease.acquire(pbx.pk, "host-a:1")
    lease.record_connection(pbx.pk, "host-a:1", True)
    ListenerLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    lease.acquire(pbx.pk, "host-b:2")
    row = ListenerLease.objects.get()
    assert (row.holder, row.connected, row.connected_since) == ("host-b:2", False, None)


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "root-pw-1"))
    return client


def test_the_pbx_page_shows_its_listener(admin_client, pbx):
    page = admin_client.get(reverse("admin:drivers_pbxserver_change", args=[pbx.pk])).content.decode()
    assert "Event listener" in page and "no listener" in page
    lease.acquire(pbx.pk, "pbx-listener-1.example.org:4242")
    lease.record_connection(pbx.pk, "pbx-listener-1.example.org:4242", True)
    page = admin_client.get(reverse("admin:drivers_pbxserver_change", args=[pbx.pk])).content.decode()
    assert "pbx-listener-1.example.org:4242" in page and "connected" in page
    lease.record_connection(pbx.pk, "pbx-listener-1.example.org:4242", False, "cannot connect: refused")
    listed = admin_client.get(reverse("admin:drivers_pbxserver_changelist")).content.decode()
    assert "not connected: cannot connect: refused" in listed


def test_readyz_says_up_down_or_unknown_from_the_leases(pbx):
    def state() -> str:
        body = json.loads(Client().get("/readyz").content)
        return next(p["state"] for p in body["pbx"] if p["id"] == pbx.pk)

    assert state() == "unknown"
    lease.acquire(pbx.pk, "host-a:1")
    assert state() == "down"  # held, not connected yet
    lease.record_connection(pbx.pk, "host-a:1", True)
    assert state() == "up"
    ListenerLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert state() == "unknown"  # its holder died


def test_a_listener_that_lost_its_lease_writes_no_new_incoming_call(pbx, phones):
    from events.tracker import CallTracker
    from events.writer import Writer
    from tests.drivers.asterisk_scenarios import expected
    from tests.events.conftest import events_of

    lease.acquire(pbx.pk, "host-b:2")  # host-a paused; host-b took the PBX over
    Writer(pbx, holder="host-a:1").apply(CallTracker().feed(expected("20-incoming-answered")))
    assert events_of(phones["alice"]) == []
    Writer(pbx, holder="host-b:2").apply(CallTracker().feed(expected("20-incoming-answered")))
    assert [e[0] for e in events_of(phones["alice"])] == ["incoming", "answered"]
