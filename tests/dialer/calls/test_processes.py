"""Several server processes: the rate limit through Redis, outcomes heard by whichever worker."""

from __future__ import annotations

import time
import xmlrpc.client

import pytest

from testkit.fake_asterisk import FakeAmi
from testkit.known_secrets import ALICE_LIVE_PASSWORD, AMI_SECRET
from testkit.liveserver import LiveServer
from testkit.redis_server import RedisServer

PASSWORD = ALICE_LIVE_PASSWORD

CREATE_ALICE = f"""
from django.contrib.auth import get_user_model
from accounts.models import Extension
user = get_user_model().objects.create_user("alice", password={PASSWORD!r})
Extension.objects.create(user=user, number="1001", channel="PJSIP/1001")
"""

AMI_PBX = f"""
from drivers.models import PbxServer
PbxServer.objects.all().delete()
PbxServer.objects.create(name="Asterisk", driver="asterisk_ami", host="127.0.0.1", port={{port}},
                         username="astitray", secret={AMI_SECRET!r}, context="outbound", is_default=True)
"""


DENY_PREMIUM = """
from dialer.models import NumberRule
NumberRule.objects.create(pattern="^0089", action="deny")
"""


def fault_code(call, *params) -> int:
    with pytest.raises(xmlrpc.client.Fault) as caught:
        call(*params)
    return caught.value.faultCode


def test_limits_guard_and_rules_hold_across_two_servers_sharing_redis(tmp_path):
    database_url = f"sqlite:///{tmp_path}/shared.sqlite3"
    with RedisServer() as redis:
        env = {"SECRET_KEY": "x" * 60, "CACHE_URL": redis.url, "ASTITRAY_RATE_LIMIT": "4"}
        with (
            LiveServer(env=env, workers=1, database_url=database_url) as first,
            LiveServer(env=env, workers=1, database_url=database_url) as second,
        ):
            first.manage("shell", "-c", CREATE_ALICE)
            for n in range(2):
                first.proxy("alice", PASSWORD).dialer.dial(f"01 23 45 67 0{n}")
                second.proxy("alice", PASSWORD).dialer.dial(f"01 23 45 68 0{n}")
            assert fault_code(first.proxy("alice", PASSWORD).dialer.dial, "01 23 45 69 00") == -32086
            # The double-click guard is shared too: the second server answers the first one's call.
            again = second.proxy("alice", PASSWORD).dialer.dial("01 23 45 67 00")
            assert again["status"] == "answered"
            history = second.proxy("alice", PASSWORD).dialer.history()
            assert len(history) == 4
            assert again["call_id"] in {h["call_id"] for h in history}

            # The rules each server keeps: a rule added by a third process counts at once.
            premium = "08 99 12 34 56"
            assert (
                fault_code(second.proxy("alice", PASSWORD).dialer.dial, premium) == -32086
            )  # allowed, but...
            first.manage("shell", "-c", DENY_PREMIUM)
            assert fault_code(second.proxy("alice", PASSWORD).dialer.dial, premium) == -32087


def test_outcomes_land_whichever_worker_placed_the_call(tmp_path):
    with FakeAmi() as ami, LiveServer(env={"SECRET_KEY": "x" * 60}, workers=3) as server:
        ami.outcome_delay = 0.2
        server.manage("shell", "-c", CREATE_ALICE + AMI_PBX.format(port=ami.port))
        placed = [server.proxy("alice", PASSWORD).dialer.dial(f"01 23 45 67 {n:02d}") for n in range(8)]
        assert {p["status"] for p in placed} == {"queued"}
        assert ami.wait_for(lambda: len(ami.originates) == 8)
        deadline = time.monotonic() + 30
        while True:
            proxy = server.proxy("alice", PASSWORD)
            statuses = {p["call_id"]: proxy.dialer.call_status(p["call_id"])["status"] for p in placed}
            if set(statuses.values()) == {"answered"} or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert set(statuses.values()) == {"answered"}, statuses
