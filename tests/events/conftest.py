"""Users with phones on one PBX, as in the recordings: 1001 Alice, 1002 Bruno, 1003 Chloé; Bob has none."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Extension
from dialer.models import Call
from drivers.models import PbxServer
from events.models import UserEvent
from tests.events.helpers import Watch, watching


@pytest.fixture
def pbx(db) -> PbxServer:
    return PbxServer.objects.create(name="Asterisk", driver="console", context="outbound", ring_timeout_s=25)


@pytest.fixture
def phones(db, pbx) -> dict[str, object]:
    """username -> user; alice, bruno and chloe have phones 1001-1003 on ``pbx``, bob none."""
    users = {}
    for username, number in [("alice", "1001"), ("bruno", "1002"), ("chloe", "1003"), ("bob", "")]:
        user = get_user_model().objects.create_user(username, password=f"{username}-pw-1")
        if number:
            Extension.objects.create(user=user, number=number, channel=f"PJSIP/{number}", pbx=pbx)
        users[username] = user
    return users


def events_of(user) -> list[tuple]:
    """The user's events, oldest first, as (type, number, name, status, by_me)."""
    return [
        (e.type, e.payload["number"], e.payload["name"], e.payload["status"], e.payload["by_me"])
        for e in UserEvent.objects.filter(user=user).order_by("id")
    ]


def outgoing(user, pbx, call_id: str, number: str = "0044207946095") -> Call:
    """A click-to-dial call the dial service wrote (queued) before asking the PBX."""
    return Call.objects.create(
        call_id=uuid.UUID(call_id), user=user, username=user.username, extension="1001",
        channel="PJSIP/1001", pbx=pbx, number=number, name="Dupont SA",
    )  # fmt: skip


@pytest.fixture
def watch(monkeypatch) -> Watch:
    """What the listeners of the test do (connections, wake-ups), seen without reading the database."""
    return watching(monkeypatch)
