"""The driver interface, the registry, the console driver and per-process driver reuse."""

from __future__ import annotations

import logging

import pytest

from drivers import registry, services
from drivers.base import (
    CallStatus,
    CheckProbe,
    CheckResult,
    Driver,
    OriginateRequest,
    OriginateResult,
    PbxAuthFailed,
    PbxConfig,
    PbxUnavailable,
    UnsafeValue,
)
from drivers.console import ConsoleDriver
from drivers.signals import call_outcome
from tests.outcome_receiver import outcomes_to


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
        return CheckResult.logged_in(True, "fine")


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
def test_outcomes_are_sent_as_the_call_outcome_signal(console_pbx):
    heard = []

    def receiver(sender, **kwargs):
        heard.append((sender, kwargs["reference"], kwargs["status"], kwargs["reason"]))

    call_outcome.connect(receiver)
    try:
        services.get_driver(console_pbx).report_outcome("ref-1", CallStatus.BUSY, "busy")
    finally:
        call_outcome.disconnect(receiver)
    assert heard == [(ConsoleDriver, "ref-1", CallStatus.BUSY, "busy")]


@pytest.mark.django_db
def test_a_failing_receiver_is_logged_and_the_others_still_hear_the_outcome(console_pbx, caplog):
    heard = []

    def broken(sender, **kwargs):
        raise RuntimeError("receiver bug")

    def receiver(sender, **kwargs):
        heard.append(kwargs["reference"])

    call_outcome.connect(broken)
    call_outcome.connect(receiver)
    try:
        with outcomes_to(lambda *args: None), caplog.at_level(logging.ERROR):
            services.get_driver(console_pbx).report_outcome("ref-2", CallStatus.FAILED, "failed")
    finally:
        call_outcome.disconnect(broken)
        call_outcome.disconnect(receiver)
    assert heard == ["ref-2"]
    assert "receiver bug" in caplog.text


def test_the_dialer_receives_call_outcomes():
    from dialer.outcomes import OUTCOME_RECEIVER

    assert call_outcome.has_listeners()
    assert any(key[0] == OUTCOME_RECEIVER for key, *_ in call_outcome.receivers)


@pytest.mark.django_db
def test_check_connection_explains_a_missing_driver(console_pbx):
    console_pbx.driver = "gone"
    result = services.check_connection(console_pbx)
    assert not result.ok
    assert "No PBX driver named 'gone'" in result.summary()


class PortDriver(RecordingDriver):
    default_port = 5038
    tls_port = 5039


class OnePortDriver(RecordingDriver):
    default_port = 8080


@pytest.mark.parametrize(
    ("cls", "port", "use_tls", "expected"),
    [
        (PortDriver, None, False, 5038),
        (PortDriver, None, True, 5039),
        (PortDriver, 6000, True, 6000),  # the admin's port wins
        (OnePortDriver, None, True, 8080),  # no TLS port of its own: the usual one
        (RecordingDriver, None, False, None),
    ],
)
def test_the_port_is_the_admins_else_the_usual_one_for_plain_or_tls(cls, port, use_tls, expected):
    assert cls(PbxConfig(name="p", port=port, use_tls=use_tls)).port == expected


def test_where_names_host_and_port_with_ipv6_in_brackets():
    assert PortDriver(PbxConfig(name="p")).where == "127.0.0.1:5038"
    assert PortDriver(PbxConfig(name="p", host="::1", port=7)).where == "[::1]:7"
    assert RecordingDriver(PbxConfig(name="p", host="pbx")).where == "pbx"


def test_check_results_are_built_by_name():
    assert CheckResult.unreachable("down.").headline() == "reachable: no"
    refused = CheckResult.login_refused("Reached.", "Refused.", banner="PBX/1")
    assert refused.headline() == "reachable: yes, login accepted: no"
    assert (refused.summary(), refused.banner, refused.ok) == ("Reached. Refused.", "PBX/1", False)
    assert CheckResult.logged_in(None).headline().endswith("may originate calls: cannot tell")
    assert CheckResult.logged_in(None).ok
    assert not CheckResult.logged_in(False).ok


class HookedDriver(PortDriver):
    """Fills in the hooks of the check template; ``steps`` says how each one behaves."""

    protocol = "Hooked"
    steps: dict[str, object] = {}

    def check(self) -> CheckResult:
        return Driver.check(self)

    def check_login(self, probe: CheckProbe) -> str:
        if self.steps.get("answers", True):
            probe.answered(str(self.steps.get("banner", "")))
        failure = self.steps.get("login")
        if isinstance(failure, Exception):
            raise failure
        return "token"

    def check_may_originate(self, probe: CheckProbe) -> tuple[bool | None, str]:
        failure = self.steps.get("probe")
        if isinstance(failure, Exception):
            raise failure
        return (False, "Not allowed.")


def hooked(**steps: object) -> CheckResult:
    driver = HookedDriver(PbxConfig(name="p", host="pbx", username="bob"))
    driver.steps = steps
    return driver.check()


def test_the_check_template_says_what_each_hook_found():
    result = hooked(banner="PBX/2")
    assert result.headline() == "reachable: yes, login accepted: yes, may originate calls: no"
    assert result.summary().startswith(
        "Reached Hooked at pbx:5038 (PBX/2). Logged in as 'bob' (token). Not allowed. The PBX answers in"
    )
    assert result.banner == "PBX/2"


def test_the_check_template_tells_unreachable_from_refused():
    down = hooked(answers=False, login=PbxUnavailable("the PBX refused the connection"))
    assert down.headline() == "reachable: no"
    assert down.summary() == "Cannot reach Hooked at pbx:5038: the PBX refused the connection."
    refused = hooked(login=PbxAuthFailed())
    assert refused.headline() == "reachable: yes, login accepted: no"
    assert "The login as 'bob' was refused: check the username and secret." in refused.summary()
    odd = hooked(login=PbxUnavailable("no API here"))
    assert odd.headline() == "reachable: yes, login accepted: no"
    assert odd.summary().endswith("The login failed: no API here.")
    stopped = hooked(probe=PbxUnavailable("gone"))
    assert stopped.headline() == "reachable: yes, login accepted: yes, may originate calls: cannot tell"
    assert stopped.summary().endswith("Logged in, then the PBX stopped answering: gone.")
