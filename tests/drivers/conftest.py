"""Fixtures for the PBX driver tests: fake Asterisk servers, configs, an outcome recorder."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from drivers.asterisk.ajam import AjamTuning, AsteriskAjamDriver
from drivers.asterisk.ami import AmiTuning, AsteriskAmiDriver
from drivers.asterisk.ari import AsteriskAriDriver
from drivers.base import CallStatus, OriginateRequest, PbxConfig
from testkit.fake_asterisk import FakeAmi, FakeAsteriskHttp
from testkit.known_secrets import AMI_SECRET, ARI_SECRET

__all__ = ["AMI_SECRET", "ARI_SECRET"]


class Outcomes:
    """Records what drivers report through ``on_outcome``; ``wait()`` blocks until it came."""

    def __init__(self) -> None:
        self.items: list[tuple[str, CallStatus, str]] = []
        self._cond = threading.Condition()

    def __call__(self, reference: str, status: CallStatus, reason: str) -> None:
        with self._cond:
            self.items.append((reference, status, reason))
            self._cond.notify_all()

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[tuple[str, CallStatus, str]]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.items) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{count} outcome(s) expected, got {self.items}")
                self._cond.wait(remaining)
            return list(self.items)

    def of(self, reference: str, timeout: float = 10.0) -> tuple[CallStatus, str]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for ref, status, reason in self.items:
                    if ref == reference:
                        return (status, reason)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no outcome for {reference}; got {self.items}")
                self._cond.wait(remaining)


def call(**changes: object) -> OriginateRequest:
    fields: dict[str, object] = {
        "channel": "PJSIP/1001",
        "number": "0044207946095",
        "context": "outbound",
        "caller_id": '"Alice Martin" <1001>',
        "ring_timeout_s": 25,
        "call_id": "call-1",
    }
    fields.update(changes)
    return OriginateRequest(**fields)  # type: ignore[arg-type]


@pytest.fixture
def outcomes() -> Outcomes:
    return Outcomes()


@pytest.fixture
def ami() -> Iterator[FakeAmi]:
    with FakeAmi() as fake:
        yield fake


@pytest.fixture
def http() -> Iterator[FakeAsteriskHttp]:
    with FakeAsteriskHttp() as fake:
        yield fake


def ami_config(fake: FakeAmi | None, **changes: object) -> PbxConfig:
    fields: dict[str, object] = {
        "name": "test-ami",
        "host": "127.0.0.1",
        "port": fake.port if fake is not None else None,
        "username": "astitray",
        "secret": AMI_SECRET,
        "context": "outbound",
        "timeout_s": 5.0,
    }
    fields.update(changes)
    return PbxConfig(**fields)  # type: ignore[arg-type]


def http_config(fake: FakeAsteriskHttp, **changes: object) -> PbxConfig:
    return ami_config(None, port=fake.port, name="test-http", **changes)


@pytest.fixture
def make_ami(ami: FakeAmi, outcomes: Outcomes) -> Iterator:
    """Build AMI drivers on the fake (closed at the end): ``make_ami(secret=..., tuning=AmiTuning(...))``."""
    built: list[AsteriskAmiDriver] = []

    def make(
        fake: FakeAmi | None = None, tuning: AmiTuning | None = None, **changes: object
    ) -> AsteriskAmiDriver:
        driver = AsteriskAmiDriver(ami_config(fake or ami, **changes), on_outcome=outcomes, tuning=tuning)
        built.append(driver)
        return driver

    yield make
    for driver in built:
        driver.close()


@pytest.fixture
def make_ajam(http: FakeAsteriskHttp, outcomes: Outcomes) -> Iterator:
    built: list[AsteriskAjamDriver] = []

    def make(
        fake: FakeAsteriskHttp | None = None, tuning: AjamTuning | None = None, **changes: object
    ) -> AsteriskAjamDriver:
        driver = AsteriskAjamDriver(http_config(fake or http, **changes), on_outcome=outcomes, tuning=tuning)
        built.append(driver)
        return driver

    yield make
    for driver in built:
        driver.close()


@pytest.fixture
def make_ari(http: FakeAsteriskHttp, outcomes: Outcomes) -> Iterator:
    built: list[AsteriskAriDriver] = []

    def make(fake: FakeAsteriskHttp | None = None, **changes: object) -> AsteriskAriDriver:
        changes.setdefault("secret", ARI_SECRET)
        driver = AsteriskAriDriver(http_config(fake or http, **changes), on_outcome=outcomes)
        built.append(driver)
        return driver

    yield make
    for driver in built:
        driver.close()
