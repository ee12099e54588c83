"""What callers and admins see when a shared service of the deployment (Redis) is down."""

from __future__ import annotations

import logging
import xmlrpc.client
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.db import OperationalError
from django.test import override_settings

from testkit.rpc import xmlrpc_call
from testkit.services import free_port

pytestmark = pytest.mark.django_db


def test_a_wrong_password_is_no_error_in_the_log(client, alice, caplog):
    with caplog.at_level(logging.ERROR, logger="astitray.rpc"), pytest.raises(xmlrpc.client.Fault) as refused:
        xmlrpc_call(client, "accounts.whoami", auth=("alice", "wrong"))
    assert refused.value.faultCode == -32098
    assert [record for record in caplog.records if record.name == "astitray.rpc"] == []


def test_with_redis_down_calls_are_refused_and_the_log_says_why(client, alice_auth, caplog):
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    with (
        override_settings(CACHES=unreachable),
        caplog.at_level(logging.ERROR, logger="astitray.rpc"),
        pytest.raises(xmlrpc.client.Fault) as refused,
    ):
        xmlrpc_call(client, "accounts.whoami", auth=alice_auth)
    # Refused (nobody is let in unchecked) as the server's failure, not as a wrong password: the
    # tray would otherwise stop trying the right one until its user changes the settings.
    assert refused.value.faultCode == -32603
    errors = [record for record in caplog.records if record.name == "astitray.rpc"]
    assert [record.getMessage() for record in errors] == ["RPC authentication could not be checked"]
    assert "ConnectionError" in caplog.text and "Connection refused" in caplog.text
    assert alice_auth[1] not in caplog.text
    assert AccessAttempt.objects.count() == 0  # not a failed login: nobody is locked out by an outage


def test_a_database_error_while_checking_credentials_is_no_wrong_password(client, alice_auth, caplog):
    failing = mock.patch(
        "accounts.rpc_auth.authenticate", side_effect=OperationalError("sorry, too many clients already")
    )
    with (
        failing,
        caplog.at_level(logging.ERROR, logger="astitray.rpc"),
        pytest.raises(xmlrpc.client.Fault) as refused,
    ):
        xmlrpc_call(client, "accounts.whoami", auth=alice_auth)
    assert refused.value.faultCode == -32603
    assert "password" not in refused.value.faultString
    errors = [record for record in caplog.records if record.name == "astitray.rpc"]
    assert [record.getMessage() for record in errors] == ["RPC authentication could not be checked"]
    assert alice_auth[1] not in caplog.text
    # The next call, the database back, is let in as before.
    assert xmlrpc_call(client, "accounts.whoami", auth=alice_auth)["username"] == "alice"
