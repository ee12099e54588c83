"""The secrets-in-logs check can fail, and the drivers mask what they log of the PBX credentials.

The check itself (testkit/log_secrets.py) runs at the end of every test run;
these tests prove that it reports a leak (label, file, line, never the
secret) and fails the run, and that a clean run passes.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from drivers.asterisk.ajam import AsteriskAjamDriver
from drivers.asterisk.ami import AmiTuning, AsteriskAmiDriver
from drivers.asterisk.ari import AsteriskAriDriver
from drivers.base import OriginateRequest, PbxConfig
from testkit.fake_asterisk import FakeAmi, FakeAsteriskHttp
from testkit.known_secrets import ALICE_PASSWORD, AMI_SECRET, ARI_SECRET, all_secrets
from testkit.log_secrets import log_files, scan

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def workdir():
    # Not under pytest's temporary directory: this run's own check would find the planted secret there.
    with tempfile.TemporaryDirectory(prefix="astitray-leak-test-") as directory:
        yield Path(directory)


def test_it_names_the_label_the_file_and_the_line(workdir):
    tmp_path = workdir  # not pytest's tmp_path: the check of this very run would find the planted secret
    (tmp_path / "server.log").write_text(
        "started\nlogin ok\nuser alice password " + "=".join(["", ALICE_PASSWORD])
    )
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "ami.log").write_text("Secret: ********\n")
    (tmp_path / "data.txt").write_text(ALICE_PASSWORD)  # not a log file: not scanned
    (tmp_path / "chromedriver.log").write_text(ALICE_PASSWORD)  # the browser test's tool echoes keystrokes
    leaks = scan(log_files(tmp_path), all_secrets())
    assert [(leak.label, leak.path.name, leak.line) for leak in leaks] == [
        ("ALICE_PASSWORD", "server.log", 3)
    ]
    assert ALICE_PASSWORD not in str(leaks[0])


def test_it_finds_a_secret_encoded_as_requests_and_bodies_carry_it(workdir):
    password = "пароль-密码-🔑 & <x>"  # a password of each kind of character an encoder rewrites
    for prefix in ("alice:", "bob:", "a:"):  # the three alignments of the password in the base64
        basic_header = base64.b64encode(f"{prefix}{password}".encode()).decode()
        (workdir / "server.log").write_text(
            f"GET /x\nAuthorization: Basic {basic_header}\nPOST /rawman?secret={quote(password)}\n"
            f"body Secret={quote_plus(password)}\n{json.dumps({'p': password})}\n"
            f"<p>{html.escape(password)}</p>\n"
        )
        leaks = scan(log_files(workdir), {"PASSWORD": password})
        assert {(leak.label.split(" ")[0], leak.line) for leak in leaks} == {
            ("PASSWORD", line) for line in (2, 3, 4, 5, 6)
        }, (prefix, leaks)
        assert any("base64" in leak.label for leak in leaks)
    assert scan(log_files(workdir), {"OTHER": "not-in-the-log"}) == []


def test_the_registry_names_each_secret_once():
    secrets = all_secrets()
    assert len(set(secrets.values())) == len(secrets)
    assert all(len(value) >= 8 for value in secrets.values())
    assert {
        "ALICE_PASSWORD",
        "AMI_SECRET",
        "ARI_SECRET",
        "LDAP_READER_PASSWORD",
        "LDAP_PASSWORDS[carol]",
    } <= set(secrets)


LEAKY_TEST = """
import logging

from testkit.known_secrets import AMI_SECRET


def test_it_logs(tmp_path):
    logging.getLogger("drivers.asterisk.manager.client").debug("Secret: %s", {leak})
    logging.getLogger("dialer.services").info("a call")
"""


def run_pytest(test_source: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    """A pytest run of ``test_source`` with the check, in its own directories (outside ours)."""
    (workdir / "test_it.py").write_text(textwrap.dedent(test_source))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("ASTITRAY_TEST_LOG_DIR", "DJANGO_SETTINGS_MODULE")
    }
    env["PYTHONPATH"] = str(ROOT)
    env["ASTITRAY_TEST_LOG_DIR"] = str(workdir / "logs")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:django",
            "-p",
            "testkit.log_secrets",
            "--basetemp",
            str(workdir / "tmp"),
            "--rootdir",
            str(workdir),
            "-c",
            os.devnull,
            str(workdir / "test_it.py"),
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_run_whose_logs_hold_a_secret_fails(workdir):
    result = run_pytest(LEAKY_TEST.format(leak="AMI_SECRET"), workdir)
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, output
    assert "1 passed" in output  # the test passed: the run failed on the check
    assert "secrets found in logs" in output
    assert f"AMI_SECRET found in {workdir / 'logs' / 'tests.log'}, line 1" in output
    assert AMI_SECRET not in output
    assert (workdir / "logs" / "tests.log").exists()  # kept for the reader


def test_a_secret_in_a_servers_own_log_fails_the_run_too(workdir):
    source = """
    from testkit.known_secrets import LDAP_READER_PASSWORD

    def test_a_server_writes_its_log(tmp_path):
        (tmp_path / "gunicorn.log").write_text("bind " + LDAP_READER_PASSWORD)
    """
    result = run_pytest(source, workdir)
    assert result.returncode == pytest.ExitCode.TESTS_FAILED
    assert "LDAP_READER_PASSWORD found in" in result.stdout and "gunicorn.log, line 1" in result.stdout


def test_a_run_whose_logs_hold_no_secret_passes(workdir):
    result = run_pytest(LEAKY_TEST.format(leak='"********"'), workdir)
    assert result.returncode == pytest.ExitCode.OK, result.stdout + result.stderr
    assert f"none of the {len(all_secrets())} test secrets in the logs" in result.stdout


# --- The drivers mask the PBX credentials in their DEBUG log -------------------------------


def call() -> OriginateRequest:
    return OriginateRequest(channel="PJSIP/1001", number="0044207946095", context="outbound", call_id="c-1")


def config(port: int, **changes: object) -> PbxConfig:
    fields: dict[str, object] = {
        "name": "mask",
        "host": "127.0.0.1",
        "port": port,
        "username": "astitray",
        "secret": AMI_SECRET,
        "context": "outbound",
        "timeout_s": 5.0,
    }
    return PbxConfig(**{**fields, **changes})  # type: ignore[arg-type]


def test_the_ami_driver_masks_the_md5_key_in_its_debug_log(caplog):
    with FakeAmi() as ami, caplog.at_level(logging.DEBUG):
        driver = AsteriskAmiDriver(config(ami.port), tuning=AmiTuning(auth="md5"))
        try:
            driver.originate(call())
        finally:
            driver.close()
        key = ami.actions_named("Login")[0]["Key"]
    assert len(key) == 32  # the MD5 of the challenge and the secret was sent...
    assert key not in caplog.text and AMI_SECRET not in caplog.text  # ...and never logged
    assert "Key: ********" in caplog.text
    assert "Action: Originate" in caplog.text  # the raw protocol is logged at DEBUG


def test_the_ajam_driver_masks_the_secret_in_its_debug_log(caplog):
    with FakeAsteriskHttp() as http, caplog.at_level(logging.DEBUG):
        driver = AsteriskAjamDriver(config(http.port))
        try:
            driver.originate(call())
        finally:
            driver.close()
    assert AMI_SECRET not in caplog.text
    assert "Secret: ********" in caplog.text


def test_the_ari_driver_logs_neither_the_password_nor_the_basic_header(caplog):
    with FakeAsteriskHttp() as http, caplog.at_level(logging.DEBUG):
        driver = AsteriskAriDriver(config(http.port, secret=ARI_SECRET))
        try:
            driver.originate(call())
        finally:
            driver.close()
    assert "POST /channels" in caplog.text  # the request is logged at DEBUG
    token = base64.b64encode(f"astitray:{ARI_SECRET}".encode()).decode()
    assert ARI_SECRET not in caplog.text and token not in caplog.text
