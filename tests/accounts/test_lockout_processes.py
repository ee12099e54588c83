"""A lockout made on one server process holds on another one sharing the database."""

from __future__ import annotations

import xmlrpc.client

import pytest

from testkit.liveserver import LiveServer

CREATE_ALICE = """
from django.contrib.auth import get_user_model
from accounts.models import Extension
user = get_user_model().objects.create_user("alice", password="alice-Live-1")
Extension.objects.create(user=user, number="1001", channel="PJSIP/1001")
"""


def fault_code(call) -> int:
    with pytest.raises(xmlrpc.client.Fault) as caught:
        call()
    return caught.value.faultCode


def test_a_lockout_holds_across_two_server_processes(tmp_path):
    database_url = f"sqlite:///{tmp_path}/shared.sqlite3"
    env = {"SECRET_KEY": "x" * 60, "ASTITRAY_AUTH_CACHE_SECONDS": "60", "ASTITRAY_LOCKOUT_FAILURES": "3"}
    with (
        LiveServer(env=env, workers=1, database_url=database_url) as first,
        LiveServer(env=env, workers=1, database_url=database_url) as second,
    ):
        first.manage("shell", "-c", CREATE_ALICE)
        # Known to the second server, and cached there.
        assert second.proxy("alice", "alice-Live-1").accounts.whoami()["extension"] == "1001"

        for attempt in range(3):
            assert fault_code(first.proxy("alice", f"wrong-{attempt}").accounts.whoami) == -32098

        # The second process never saw a failure, and has the right password cached: still refused.
        assert fault_code(second.proxy("alice", "alice-Live-1").accounts.whoami) == -32098

        second.manage("axes_reset_username", "alice")
        assert first.proxy("alice", "alice-Live-1").accounts.whoami()["username"] == "alice"
        assert second.proxy("alice", "alice-Live-1").accounts.whoami()["username"] == "alice"
