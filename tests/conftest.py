"""Fixtures shared by every test: named users, a console PBX, a clean cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from pytest_django.live_server_helper import LiveServer

import externaldb
from accounts.models import Extension
from drivers import services as driver_services
from drivers.models import PbxServer
from drivers.process_copy import cache_is_shared
from testkit import taking_turns
from testkit.known_secrets import ALICE_PASSWORD, BOB_PASSWORD

__all__ = ["ALICE_PASSWORD", "BOB_PASSWORD"]

# Every log of the run is scanned for the tests' secrets at the end (testkit/log_secrets.py).
pytest_plugins = ["testkit.log_secrets"]


@pytest.fixture(autouse=True)
def _fast_and_clean(settings):
    """A fast password hash (the default one is slow on purpose), and no state left between tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()
    driver_services.close_all()
    externaldb.forget_all()


@pytest.fixture(scope="session")
def live_server(request, django_db_setup) -> Iterator[LiveServer]:
    """pytest-django's live server, whose requests take turns on the in-memory SQLite test database.

    Its threads would otherwise use the test's one connection at the same time
    (``testkit/taking_turns.py``); on other databases they have their own, as
    with pytest-django's. Started once the test database exists
    (``django_db_setup``): started before, it would not know that database is
    in memory, and each thread would open its own connection to it (SQLite's
    shared cache, whose table locks fail at once instead of waiting).
    """
    address = (
        request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    )
    server = LiveServer(address, start=False)
    server.thread.server_class = taking_turns.TurnTakingServer
    with mock.patch("astitray.rpc.async_to_sync", taking_turns.async_to_sync_giving_up_the_turn):
        server.start()
        yield server
        server.stop()


@pytest.fixture
def console_pbx(db) -> PbxServer:
    return PbxServer.objects.create(
        name="Test console", driver="console", context="from-internal", is_default=True
    )


@pytest.fixture
def alice(db, console_pbx):
    """Alice has a phone: extension 1001 on the default (console) PBX."""
    user = get_user_model().objects.create_user(
        "alice", email="alice@example.org", password=ALICE_PASSWORD, first_name="Alice", last_name="Martin"
    )
    Extension.objects.create(user=user, number="1001", channel="PJSIP/1001")
    return user


@pytest.fixture
def bob(db):
    """Bob has no phone."""
    return get_user_model().objects.create_user("bob", password=BOB_PASSWORD, first_name="Bob")


@pytest.fixture
def alice_auth(alice) -> tuple[str, str]:
    return ("alice", ALICE_PASSWORD)


@pytest.fixture
def bob_auth(bob) -> tuple[str, str]:
    return ("bob", BOB_PASSWORD)


@pytest.fixture
def shared_cache(settings, tmp_path):
    """Django's file cache: one for every process, as Redis is (the embedded local memory is not)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    cache.clear()
    assert cache_is_shared()
