"""The cached caller and the lockout marks, in one process (across processes: test_caller_cache_processes.py).

A shared cache is played by Django's file-based cache (every process of a
host would read the same files); the embedded default, local memory, is
each process's own and never trusted across calls.
"""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.cache import cache, caches

from accounts import callers, lockout
from accounts.models import Extension
from accounts.services import extension_of
from drivers.default_pbx import VERSION_KEY as PBX_VERSION_KEY
from drivers.models import PbxServer
from drivers.process_copy import cache_is_shared
from testkit.known_secrets import CALLER_CACHE_PBX_SECRET
from tests.accounts.conftest import AUTH_CODE, whoami, whoami_fault
from tests.conftest import ALICE_PASSWORD

pytestmark = pytest.mark.django_db


def present(value: Any) -> Any:
    assert value is not None
    return value


def caller(pk: int) -> Any:
    user = callers.active_user(pk)
    assert user is not None
    return user


def phone_of(pk: int) -> Any:
    """The Extension of user ``pk`` as the API sees it (None: no phone)."""
    return extension_of(caller(pk))


def test_local_memory_is_not_a_shared_cache():
    assert not cache_is_shared()


def test_a_cached_caller_costs_no_query_and_brings_the_extension(
    shared_cache, alice, django_assert_num_queries
):
    with django_assert_num_queries(2):  # the user with their Extension, and the PBX servers
        assert phone_of(alice.pk).effective_pbx() is not None
    with django_assert_num_queries(0):
        user = callers.active_user(alice.pk)
        extension = extension_of(user)
        assert user is not None and extension is not None
        assert extension.number == "1001" and extension.effective_pbx() is not None


def test_the_cache_holds_neither_the_password_hash_nor_the_pbx_secret(shared_cache, alice, console_pbx):
    pbx = console_pbx
    pbx.secret = CALLER_CACHE_PBX_SECRET
    pbx.save()
    Extension.objects.filter(user=alice).update(pbx=pbx)
    callers.user_changed(alice.pk)
    caller(alice.pk)
    cached = repr(cache.get(f"astitray:caller:{alice.pk}"))
    assert alice.password not in cached and CALLER_CACHE_PBX_SECRET not in cached
    assert "alice" in cached and "1001" in cached
    user = caller(alice.pk)  # from the cache: the PBX from this process's copy, the hash when asked for
    assert present(extension_of(user)).pbx.secret == CALLER_CACHE_PBX_SECRET
    assert user.check_password(ALICE_PASSWORD)


def test_without_a_shared_cache_every_call_reads_the_rows(alice, django_assert_num_queries):
    for _ in range(2):
        with django_assert_num_queries(1):
            user = caller(alice.pk)
        with django_assert_num_queries(0):
            assert present(extension_of(user)).number == "1001"


def test_saving_or_deleting_the_user_is_seen_by_the_next_read(shared_cache, alice):
    callers.active_user(alice.pk)
    alice.first_name = "Alicia"
    alice.save()
    assert caller(alice.pk).first_name == "Alicia"
    alice.is_active = False
    alice.save()
    assert callers.active_user(alice.pk) is None
    alice.is_active = True
    alice.save()
    assert callers.active_user(alice.pk) is not None
    pk = alice.pk
    alice.delete()
    assert callers.active_user(pk) is None


def test_a_change_of_the_extension_or_of_any_pbx_is_seen_by_the_next_read(shared_cache, alice, bob):
    callers.active_user(alice.pk)
    extension = Extension.objects.get(user=alice)
    extension.number = "1002"
    extension.save()
    assert phone_of(alice.pk).number == "1002"

    PbxServer.objects.update(context="elsewhere")  # a bulk update: no post_save
    assert phone_of(alice.pk).effective_pbx().context == "elsewhere"

    callers.active_user(bob.pk)
    extension.user = bob  # given to Bob: Alice has none any more
    extension.save()
    assert phone_of(alice.pk) is None
    assert phone_of(bob.pk).number == "1002"


def test_rows_read_before_a_change_commits_are_not_kept(
    shared_cache, alice, django_capture_on_commit_callbacks
):
    stale = callers.active_user(alice.pk)
    with django_capture_on_commit_callbacks(execute=True):
        alice.first_name = "Alicia"
        alice.save()
        # Another process read the rows before the commit, under the version the save has just set.
        versions = (cache.get(f"astitray:caller-version:{alice.pk}"), cache.get(PBX_VERSION_KEY))
        cache.set(f"astitray:caller:{alice.pk}", (versions, callers._values(stale)))
        assert caller(alice.pk).first_name == "Alice"
    # The commit set a newer version: that entry is read again.
    assert caller(alice.pk).first_name == "Alicia"


def test_no_mark_no_lockout_query(shared_cache, alice, rf, django_assert_num_queries):
    request = rf.post("/rpc/", REMOTE_ADDR="10.0.0.7")
    with django_assert_num_queries(0):
        assert not lockout.is_locked_out(request, "alice")


def test_a_failed_login_marks_its_username_and_its_address(shared_cache, client, alice):
    assert not lockout.may_have_failures("alice", "10.0.0.7")
    assert whoami_fault(client, "Alice", "wrong", address="10.0.0.8").faultCode == AUTH_CODE
    assert lockout.may_have_failures("alice", "10.0.0.7")  # the username (any case), from anywhere
    assert lockout.may_have_failures("bob", "10.0.0.8")  # the address, for anyone
    assert not lockout.may_have_failures("bob", "10.0.0.7")


def test_an_attempt_written_otherwise_marks_too(shared_cache, alice):
    AccessAttempt.objects.create(username="alice", ip_address="10.0.0.9", failures_since_start=9)
    assert lockout.may_have_failures("alice", None)
    assert lockout.may_have_failures("bob", "10.0.0.9")


def test_a_cached_whoami_asks_the_shared_cache_three_times_and_the_database_never(
    shared_cache, client, alice, monkeypatch, django_assert_num_queries
):
    for _ in range(2):  # the credential cached, then the caller (the login saved the user)
        assert whoami(client, "alice", ALICE_PASSWORD)["can_dial"]
    asked: list[str] = []
    backend = caches["default"]
    depth = [0]  # the file cache's get_many calls its get: one question, counted once

    def counted(name: str) -> Any:
        method = getattr(backend, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if not depth[0]:
                asked.append(name)
            depth[0] += 1
            try:
                return method(*args, **kwargs)
            finally:
                depth[0] -= 1

        return call

    for name in ("get", "get_many", "add", "set"):
        monkeypatch.setattr(backend, name, counted(name))
    with django_assert_num_queries(0):
        assert whoami(client, "alice", ALICE_PASSWORD)["can_dial"]
    # The credential with the lockout's marks; the caller's entry with its versions (the PBX
    # servers' and the rules', read once for the whole call); the phone's presence.
    assert asked == ["get_many", "get_many", "get_many"]


def test_without_a_shared_cache_the_database_is_always_asked():
    assert lockout.may_have_failures("alice", "10.0.0.7")


def test_a_lockout_refuses_cached_credentials_with_a_shared_cache(shared_cache, client, alice):
    assert whoami(client, "alice", ALICE_PASSWORD)["username"] == "alice"  # cached
    for attempt in range(5):
        assert whoami_fault(client, "alice", f"wrong-{attempt}").faultCode == AUTH_CODE
    assert whoami_fault(client, "alice", ALICE_PASSWORD).faultCode == AUTH_CODE
    assert get_user_model().objects.filter(username="alice").exists()
