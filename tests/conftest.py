"""Fixtures shared by every test: named users, a console PBX, a clean cache."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

import externaldb
from accounts.models import Extension
from drivers import services as driver_services
from drivers.models import PbxServer
from drivers.process_copy import cache_is_shared
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
