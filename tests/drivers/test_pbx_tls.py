"""TLS to the PBX: one CA file (ASTITRAY_PBX_CA_FILE) trusted by every driver, and failures said plainly.

The fake PBXs serve a certificate signed by a CA of their own (an
organisation's CA, not in any trust store): without the CA file nobody may
trust it, and "Test connection" says why; with it, AMI, AJAM, ARI, the
ARI events WebSocket and FreeSWITCH's Event Socket (behind the TLS tunnel
docs/freeswitch.md describes) all connect.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from drivers.asterisk.ajam import AsteriskAjamDriver
from drivers.asterisk.ami import AsteriskAmiDriver
from drivers.asterisk.ari import AsteriskAriDriver
from drivers.base import CallStatus, OriginateRequest, PbxConfig, PbxUnavailable
from drivers.freeswitch.esl import FreeSwitchEslDriver
from drivers.models import PbxServer
from testkit.certificates import make_certificates, server_context
from testkit.fake_asterisk import FakeAmi, FakeAsteriskHttp
from testkit.fake_freeswitch import FakeEsl
from testkit.known_secrets import ESL_PASSWORD
from testkit.services import require_program
from tests.drivers.conftest import ARI_SECRET, Outcomes, ami_config, http_config

NOT_TRUSTED = "the PBX's certificate is not trusted (unable to get local issuer certificate)"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Path:
    require_program("openssl", "openssl")
    return make_certificates(tmp_path_factory.mktemp("pbx-tls"))


@pytest.fixture
def tls_ami(certificates) -> Iterator[FakeAmi]:
    with FakeAmi(tls=server_context(certificates)) as fake:
        yield fake


@pytest.fixture
def tls_http(certificates) -> Iterator[FakeAsteriskHttp]:
    with FakeAsteriskHttp(tls=server_context(certificates)) as fake:
        yield fake


@pytest.fixture
def tls_esl(certificates) -> Iterator[FakeEsl]:
    with FakeEsl(tls=server_context(certificates)) as fake:
        yield fake


def esl_config(fake: FakeEsl, **changes: object) -> PbxConfig:
    fields: dict[str, object] = {
        "name": "test-fs",
        "host": "127.0.0.1",
        "port": fake.port,
        "secret": ESL_PASSWORD,
        "context": "outbound",
        "timeout_s": 5.0,
        "use_tls": True,
    }
    fields.update(changes)
    return PbxConfig(**fields)  # type: ignore[arg-type]


def checked(driver) -> tuple[bool, str]:
    try:
        result = driver.check()
    finally:
        driver.close()
    return result.ok, " ".join(result.messages)


def test_ami_over_tls_trusts_the_ca_file(tls_ami, certificates):
    ca_file = str(certificates / "ca.pem")
    ok, messages = checked(AsteriskAmiDriver(ami_config(tls_ami, use_tls=True, ca_file=ca_file)))
    assert ok, messages


def test_ami_without_the_ca_file_says_the_certificate_is_not_trusted(tls_ami):
    ok, messages = checked(AsteriskAmiDriver(ami_config(tls_ami, use_tls=True)))
    assert not ok
    assert NOT_TRUSTED in messages
    assert "the TLS connection to the PBX failed" not in messages


def test_ajam_over_https_trusts_the_ca_file(tls_http, certificates):
    ca_file = str(certificates / "ca.pem")
    ok, messages = checked(AsteriskAjamDriver(http_config(tls_http, use_tls=True, ca_file=ca_file)))
    assert ok, messages
    ok, messages = checked(AsteriskAjamDriver(http_config(tls_http, use_tls=True)))
    assert (ok, NOT_TRUSTED in messages) == (False, True), messages


def test_ari_and_its_events_websocket_trust_the_ca_file(tls_http, certificates):
    ca_file = str(certificates / "ca.pem")
    config = http_config(tls_http, use_tls=True, ca_file=ca_file, secret=ARI_SECRET)
    ok, messages = checked(AsteriskAriDriver(config))
    assert ok, messages
    driver = AsteriskAriDriver(config)
    # The handshake passes (this fake has no events WebSocket: its HTTP answer comes through TLS).
    with pytest.raises(PbxUnavailable, match=r"refused the events WebSocket \(HTTP 404\)"):
        driver.event_stream().open()
    driver.close()
    untrusted = http_config(tls_http, use_tls=True, secret=ARI_SECRET)
    driver = AsteriskAriDriver(untrusted)
    with pytest.raises(PbxUnavailable, match="certificate is not trusted"):
        driver.event_stream().open()
    driver.close()
    ok, messages = checked(AsteriskAriDriver(untrusted))
    assert (ok, NOT_TRUSTED in messages) == (False, True), messages


def test_esl_through_a_tls_tunnel_trusts_the_ca_file_and_dials(tls_esl, certificates):
    config = esl_config(tls_esl, ca_file=str(certificates / "ca.pem"))
    ok, messages = checked(FreeSwitchEslDriver(config))
    assert ok, messages
    outcomes = Outcomes()
    driver = FreeSwitchEslDriver(config, on_outcome=outcomes)
    call_id = str(uuid.uuid4())
    request = OriginateRequest(
        channel="user/1001", number="0044207946095", context="", caller_id="<0044207946095>",
        ring_timeout_s=20, call_id=call_id,
    )  # fmt: skip
    try:
        assert driver.originate(request).status is CallStatus.QUEUED
        assert outcomes.of(call_id) == (CallStatus.ANSWERED, "answered")
    finally:
        driver.close()
    assert len(tls_esl.originates) == 1


def test_esl_without_the_ca_file_says_the_certificate_is_not_trusted(tls_esl):
    ok, messages = checked(FreeSwitchEslDriver(esl_config(tls_esl)))
    assert (ok, NOT_TRUSTED in messages) == (False, True), messages
    driver = FreeSwitchEslDriver(esl_config(tls_esl))
    try:
        with pytest.raises(PbxUnavailable, match="certificate is not trusted"):
            driver.event_stream().open()
    finally:
        driver.close()
    assert tls_esl.received == []  # nothing was said to a PBX we could not trust


@pytest.mark.parametrize(
    "case",
    [
        pytest.param((None, "No such file or directory"), id="missing"),
        pytest.param(("not a certificate\n", "no certificate in it"), id="not-pem"),
    ],
)
@pytest.mark.parametrize("make", [AsteriskAmiDriver, AsteriskAjamDriver], ids=["ami", "ajam"])
def test_a_bad_ca_file_is_said_by_test_connection(tls_ami, tls_http, tmp_path, case, make):
    content, reason = case
    ca_file = tmp_path / "ca.pem"
    if content is not None:
        ca_file.write_text(content)
    fake = tls_ami if make is AsteriskAmiDriver else tls_http
    config = (ami_config if make is AsteriskAmiDriver else http_config)(
        fake, use_tls=True, ca_file=str(ca_file)
    )
    ok, messages = checked(make(config))
    assert not ok
    assert f"the CA file {ca_file} cannot be used ({reason})" in messages


@pytest.mark.django_db
def test_the_setting_reaches_every_driver_and_is_checked(settings, certificates, tmp_path):
    settings.ASTITRAY_PBX_CA_FILE = str(certificates / "ca.pem")
    pbx = PbxServer(name="Paris", driver="asterisk_ami", host="pbx.example.org", use_tls=True)
    assert pbx.to_config().ca_file == settings.ASTITRAY_PBX_CA_FILE
    call_command("check", "--deploy", "--fail-level", "ERROR", verbosity=0)  # no drivers.E002
    settings.ASTITRAY_PBX_CA_FILE = str(tmp_path / "missing.pem")
    with pytest.raises(
        SystemCheckError, match=r"drivers.E002.*ASTITRAY_PBX_CA_FILE: the CA file .*missing.pem"
    ):
        call_command("check", verbosity=0)
