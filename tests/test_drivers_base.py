"""The driver interface, the registry, the console driver and per-process driver reuse."""

from __future__ import annotations

import logging

import pytest

from drivers import registry, services
from drivers.base import (
    CallStatus,
    CheckResult,
    Driver,
    OriginateRequest,
    OriginateResult,
    PbxConfig,
    UnsafeValue,
)
from drivers.console import ConsoleDriver


def request(**changes) -> OriginateRequest:
    fields = {"channel": "PJSIP/1001", "number": "00442079460958", "context": "from-internal"}
    return OriginateRequest(**{**fields, **changes})


BAD_TEXTS = [
    "1\r\nApplication: System",
    "1\nData: x",
    "1\r",
    "1\x00",
    "1\x1b[2J",
    "1\u2028",
    "1\u200b\x7f",
    "1\ud800",
]


@pytest.mark.parametrize("field", ["channel", "number", "context", "caller_id", "account_code", "call_id"])
@pytest.mark.parametrize("text", BAD_TEXTS)
def test_a_request_refuses_control_characters_in_every_field(field, text):
    with pytest.raises(UnsafeValue) as caught:
        request(**{field: text})
    assert text not in str(caught.value)


@pytest.mark.parametrize("text", BAD_TEXTS)
def test_a_request_refuses_control_characters_in_variables(text):
    with pytest.raises(UnsafeValue):
        request(variables={"ASTITRAY_CALL": text})
    with pytest.raises(UnsafeValue):
        request(variables={text: "1"})


def test_a_request_refuses_a_variable_name_with_equals():
    with pytest.raises(UnsafeValue):
        request(variables={"A=B": "1"})


def test_a_request_keeps_plain_values():
    req = request(caller_id='"Hélène Dupont" <0123>', variables={"X": "y z"})
    assert req.caller_id == '"Hélène Dupont" <0123>'


def test_the_config_never_shows_the_secret():
    assert "s3cret" not in repr(PbxConfig(name="pbx", secret="s3cret"))


def test_the_registry_loads_the_console_driver():
    assert registry.load_driver_class("console") is ConsoleDriver


def test_the_registry_names_an_unknown_driver():
    with pytest.raises(registry.UnknownDriver, match="no PBX driver named 'nope'"):
        registry.load_driver_class("nope")


class RecordingDriver(Driver):
    """A third-party driver, registered through ASTITRAY_DRIVERS."""

    name = "recording"

    def originate(self, request: OriginateRequest) -> OriginateResult:
        return OriginateResult(reference="r-1")

    def check(self) -> CheckResult:
        return CheckResult(True, True, True, ("fine",))


def test_the_registry_takes_extra_drivers():
    extra = {"recording": f"{__name__}.RecordingDriver"}
    assert registry.load_driver_class("recording", extra) is RecordingDriver
    with pytest.raises(registry.UnknownDriver, match="not a Driver subclass"):
        registry.load_driver_class("bad", {"bad": "os.path.join"})
    with pytest.raises(registry.UnknownDriver, match="cannot import"):
        registry.load_driver_class("bad", {"bad": "no.such.module.Driver"})


def test_the_console_driver_logs_the_call_and_reports_it_answered(caplog):
    driver = ConsoleDriver(PbxConfig(name="demo", secret="s3cret"))
    with caplog.at_level(logging.INFO, logger="drivers.console"):
        result = driver.originate(request(caller_id="Alice"))
    assert result.status is CallStatus.ANSWERED
    assert result.reference.startswith("console-")
    assert "PJSIP/1001" in caplog.text
    assert "00442079460958" in caplog.text
    assert "s3cret" not in caplog.text
    assert driver.check().ok


@pytest.mark.django_db
def test_a_driver_is_reused_until_its_pbx_changes(console_pbx):
    first = services.get_driver(console_pbx)
    assert services.get_driver(console_pbx) is first
    console_pbx.context = "other"
    console_pbx.save()
    second = services.get_driver(console_pbx)
    assert second is not first
    assert second.config.context == "other"


@pytest.mark.django_db
def test_outcomes_reach_the_registered_handler(console_pbx):
    heard = []
    services.set_outcome_handler(lambda ref, status, reason: heard.append((ref, status, reason)))
    try:
        services.get_driver(console_pbx).report_outcome("ref-1", CallStatus.BUSY, "busy")
    finally:
        services.set_outcome_handler(None)
    assert heard == [("ref-1", CallStatus.BUSY, "busy")]


@pytest.mark.django_db
def test_check_connection_explains_a_missing_driver(console_pbx):
    console_pbx.driver = "gone"
    result = services.check_connection(console_pbx)
    assert not result.ok
    assert "No PBX driver named 'gone'" in result.summary()
