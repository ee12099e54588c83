"""Lockout after repeated failures: per (username, address), per address, cached credentials included."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from astitray.faults import AuthenticationFailed
from testkit.rpc import basic
from tests.accounts.conftest import AUTH_CODE, bcrypt_hash, whoami, whoami_fault
from tests.conftest import ALICE_PASSWORD, BOB_PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = 5  # ASTITRAY_LOCKOUT_FAILURES' default


def fail(client, username: str, times: int, address: str = "127.0.0.1") -> None:
    for attempt in range(times):
        assert whoami_fault(client, username, f"wrong-{attempt}", address).faultCode == AUTH_CODE


def test_the_settings_lock_out_a_username_at_an_address(settings):
    assert settings.AXES_ENABLED is True
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.ASTITRAY_LOCKOUT_ADDRESS_FAILURES == 100
    assert settings.AUTHENTICATION_BACKENDS[0] == "accounts.lockout.LockoutBackend"


def test_failures_below_the_limit_do_not_lock(client, alice_auth):
    fail(client, "alice", LIMIT - 1)
    assert whoami(client, "alice", ALICE_PASSWORD, address="10.0.0.1")["username"] == "alice"


def test_a_locked_out_user_gets_the_usual_fault_at_that_address_only(client, alice_auth):
    fail(client, "alice", LIMIT, address="10.0.0.1")
    fault = whoami_fault(client, "alice", ALICE_PASSWORD, address="10.0.0.1")
    assert (fault.faultCode, fault.faultString) == (AUTH_CODE, AuthenticationFailed.default_message)
    assert whoami(client, "alice", ALICE_PASSWORD, address="10.0.0.2")["username"] == "alice"


def test_one_users_old_password_never_locks_out_a_colleague_at_the_same_address(client, alice_auth, bob_auth):
    # An office behind NAT: alice's tray still has her old password.
    fail(client, "alice", LIMIT * 3, address="10.0.0.1")
    assert whoami(client, "bob", BOB_PASSWORD, address="10.0.0.1")["username"] == "bob"


def test_many_usernames_guessed_from_one_address_lock_that_address_out(client, bob_auth, settings):
    settings.ASTITRAY_LOCKOUT_ADDRESS_FAILURES = 8
    for attempt in range(8):
        whoami_fault(client, f"guess{attempt}", "password", address="10.0.0.9")
    assert whoami_fault(client, "bob", BOB_PASSWORD, address="10.0.0.9").faultCode == AUTH_CODE
    assert whoami(client, "bob", BOB_PASSWORD, address="10.0.0.10")["username"] == "bob"


def test_the_address_limit_can_be_turned_off(client, bob_auth, settings):
    settings.ASTITRAY_LOCKOUT_ADDRESS_FAILURES = 0
    for attempt in range(3 * LIMIT):
        whoami_fault(client, f"guess{attempt}", "password", address="10.0.0.9")
    assert whoami(client, "bob", BOB_PASSWORD, address="10.0.0.9")["username"] == "bob"


def test_lockout_by_username_locks_it_out_from_anywhere(client, alice_auth, settings):
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]  # ASTITRAY_LOCKOUT_BY=username
    fail(client, "alice", LIMIT, address="10.0.0.1")
    assert whoami_fault(client, "alice", ALICE_PASSWORD, address="10.0.0.2").faultCode == AUTH_CODE


def test_a_cached_credential_is_refused_during_a_lockout(client, alice_auth):
    assert whoami(client, "alice", ALICE_PASSWORD, address="10.0.0.1")["username"] == "alice"  # now cached
    fail(client, "alice", LIMIT, address="10.0.0.1")
    assert whoami_fault(client, "alice", ALICE_PASSWORD, address="10.0.0.1").faultCode == AUTH_CODE
    assert whoami(client, "alice", ALICE_PASSWORD, address="10.0.0.2")["username"] == "alice"


def test_the_lockout_ends_after_the_cool_off(client, alice_auth):
    fail(client, "alice", LIMIT)
    assert whoami_fault(client, "alice", ALICE_PASSWORD).faultCode == AUTH_CODE
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert whoami(client, "alice", ALICE_PASSWORD)["username"] == "alice"


def test_attempts_during_a_lockout_do_not_extend_it(client, alice_auth):
    fail(client, "alice", LIMIT)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    fail(client, "alice", 3)  # still locked out: not counted, the end stays where it was
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert whoami(client, "alice", ALICE_PASSWORD)["username"] == "alice"


def test_every_backend_is_locked_out_alike(client, password_files):
    password_files.write({"omar": bcrypt_hash("omar-File-1")})
    fail(client, "omar", LIMIT)
    assert whoami_fault(client, "omar", "omar-File-1").faultCode == AUTH_CODE


def test_lockout_can_be_turned_off(client, alice_auth, settings):
    settings.AXES_ENABLED = False
    fail(client, "alice", LIMIT + 2)
    assert whoami(client, "alice", ALICE_PASSWORD)["username"] == "alice"


def test_an_admin_sees_and_clears_a_lockout(client, admin_client, alice_auth):
    fail(client, "alice", LIMIT, address="10.0.0.1")
    listing = admin_client.get("/admin/axes/accessattempt/?q=alice")
    assert listing.status_code == 200
    assert b"10.0.0.1" in listing.content
    attempts = list(AccessAttempt.objects.filter(username="alice").values_list("pk", flat=True))
    answer = admin_client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )
    assert answer.status_code == 302
    assert not AccessAttempt.objects.filter(username="alice").exists()
    assert whoami(client, "alice", ALICE_PASSWORD, address="10.0.0.1")["username"] == "alice"


def test_the_admin_login_shows_the_lockout_page(client, alice):
    alice.is_staff = True
    alice.save()
    for attempt in range(LIMIT):
        client.post("/admin/login/", {"username": "alice", "password": f"wrong-{attempt}"})
    answer = client.post("/admin/login/", {"username": "alice", "password": ALICE_PASSWORD})
    assert answer.status_code == 429
    assert b"too many login attempts" in answer.content.lower()
    assert "_auth_user_id" not in client.session


def test_the_rpc_never_gets_the_lockout_page(client, alice):
    fail(client, "alice", LIMIT + 1, address="10.0.0.1")
    answer = client.post(
        "/rpc/",
        data='{"jsonrpc": "2.0", "id": 1, "method": "accounts.whoami"}',
        content_type="application/json",
        REMOTE_ADDR="10.0.0.1",
        **basic("alice", ALICE_PASSWORD),
    )
    assert answer.status_code == 200
    assert answer.json()["error"] == {"code": AUTH_CODE, "message": AuthenticationFailed.default_message}
