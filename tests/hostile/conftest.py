"""Fixtures of the hostile-input tests: a recording PBX for alice, and "nothing changed"."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model

from accounts.models import Extension
from dialer.models import Call
from drivers import services as driver_services
from drivers.models import PbxServer
from phonebook.models import Contact, PhoneNumber
from tests.dialing.drivers import TEST_DRIVERS, RecordingDriver
from tests.phonebook.helpers import add

# The API's fault codes (API.md, "Faults"): the only ones a client may ever see.
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = (
    -32700,
    -32600,
    -32601,
    -32602,
    -32603,
)
AUTHENTICATION_FAILED = -32098
NO_EXTENSION = -32089
INVALID_NUMBER = -32088
NUMBER_NOT_ALLOWED = -32087
RATE_LIMITED = -32086
NOT_FOUND = -32083
API_FAULTS = {PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR}
API_FAULTS |= {AUTHENTICATION_FAILED, NO_EXTENSION, INVALID_NUMBER, NUMBER_NOT_ALLOWED, RATE_LIMITED}
API_FAULTS |= {-32085, -32084, NOT_FOUND}

# What a fault or an error page must never show.
LEAKS = (
    "Traceback",
    'File "',
    "site-packages",
    "/work/",
    "Exception",
    "Error:",
    "0x7f",
    "psycopg",
    "MySQL",
    "sqlite",
)


def assert_clean_message(message: str) -> None:
    """A fault's message: one short sentence, no traceback or internal detail."""
    assert len(message) <= 200, message
    assert "\n" not in message, message
    for leak in LEAKS:
        assert leak not in message, message


@pytest.fixture(autouse=True)
def _test_drivers(settings):
    settings.ASTITRAY_DRIVERS = TEST_DRIVERS


@pytest.fixture
def recording_pbx(alice) -> PbxServer:
    """Alice's phone is on a PBX whose driver records every originate."""
    pbx = PbxServer.objects.create(name="Recording PBX", driver="recording", context="outbound")
    Extension.objects.filter(user=alice).update(pbx=pbx)
    return pbx


@pytest.fixture
def driver(recording_pbx) -> RecordingDriver:
    driver = driver_services.get_driver(recording_pbx)
    assert isinstance(driver, RecordingDriver)
    return driver


@pytest.fixture
def helene(db) -> Contact:
    return add("Hélène Dupont", "+44 20 7946 0958", company="ACME Corp")


def snapshot() -> tuple:
    """Every row a hostile request could change: users, phones, PBXs, contacts, calls, failed logins."""
    return (
        list(get_user_model().objects.order_by("pk").values()),
        list(Extension.objects.order_by("pk").values()),
        list(PbxServer.objects.order_by("pk").values()),
        list(Contact.objects.order_by("pk").values()),
        list(PhoneNumber.objects.order_by("pk").values()),
        list(Call.objects.order_by("pk").values()),
        list(AccessAttempt.objects.order_by("pk").values("username", "ip_address", "failures_since_start")),
    )


@pytest.fixture
def unchanged(alice, bob, driver, helene) -> Iterator[Callable[[], None]]:
    """Fails the test if any row changed or the PBX was asked for a call; ``check()`` checks mid-test."""
    before = snapshot()

    def check() -> None:
        assert snapshot() == before
        assert driver.requests == []

    yield check
    check()
