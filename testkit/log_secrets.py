"""Secrets never in logs: every log the test run writes is scanned for the tests' secrets.

A pytest plugin (loaded by ``tests/conftest.py``; ``-p testkit.log_secrets``
elsewhere):

- at the start, a handler on the root logger writes EVERY record (DEBUG and
  up, with its arguments and traceback) of the run to
  ``<log dir>/tests.log``; the root logger and the loggers of Astitray and of
  the libraries that see credentials (Django, django-auth-ldap, modernrpc,
  requests/urllib3) are set to DEBUG, so the raw AMI/AJAM/ARI traffic is
  logged too. The console keeps its own level: only the file gets more.
- servers the tests start in other processes (``testkit.liveserver``) write
  their output to the same directory (``ASTITRAY_TEST_LOG_DIR``, set here).
- at the end, every ``*.log`` file of that directory and of pytest's
  temporary directory (servers with their own log file, nginx, the tray
  client on its test desktop) is searched for each value of
  :mod:`testkit.known_secrets`, as written and as a log would hold it
  encoded (percent-encoded in a URL or a form, JSON- or XML-escaped, inside
  the base64 of an ``Authorization: Basic`` header). A hit fails the run: the secret's label, the
  file and the line are named, never the secret nor the line.

The log directory is ``ASTITRAY_TEST_LOG_DIR`` if set (kept), else a new
temporary directory, removed after a clean run and kept (its path printed)
after a leak. Loggers and logs of test tools that echo what the tests type
into a browser (selenium, ``chromedriver.log``, the browser's profile) are
left out: they are not Astitray's logs.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from testkit.known_secrets import all_secrets

LOG_DIR_ENV = "ASTITRAY_TEST_LOG_DIR"
LOG_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
# Loggers set to DEBUG even if a configuration (Django's LOGGING) set them higher.
DEBUG_LOGGERS = (
    "accounts",
    "astitray",
    "dialer",
    "drivers",
    "phonebook",
    "events",
    "tray_client",
    "tests",
    "bench",
    "django",
    "django.db.backends",
    "django.request",
    "django.security",
    "django_auth_ldap",
    "modernrpc",
    "requests",
    "urllib3",
    "gunicorn",
)
# Test tools, not Astitray: selenium logs every keystroke the browser test types (passwords too).
QUIET_LOGGERS = ("selenium", "PIL", "asyncio", "faker", "hypothesis")
# Files of test tools, not scanned: chromedriver's verbose log has every keystroke typed in the
# browser; the browser's profile holds its own databases (LevelDB's *.log are not logs).
NOT_ASTITRAYS = frozenset({"chromedriver.log", "chromium-profile"})


@dataclass(frozen=True)
class Leak:
    label: str
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.label} found in {self.path}, line {self.line}"


def encoded_forms(value: str) -> dict[str, bytes]:
    """How ``value`` may appear in a log: as written, and each way a request or a body encodes it.

    Base64 (a Basic header holds ``user:password``): the secret starts at any of
    three alignments; for each, the characters that depend on the secret only.
    """
    raw = value.encode()
    forms = {
        "percent-encoded": quote(value, safe="").encode(),
        "form-encoded": quote_plus(value, safe="").encode(),
        "JSON-escaped": json.dumps(value)[1:-1].encode(),
        "XML-escaped": html.escape(value).encode(),
    }
    for skip in range(3):
        whole_groups = raw[skip:][: (len(raw) - skip) // 3 * 3]
        if len(whole_groups) >= 6:
            forms[f"base64/{skip}"] = base64.b64encode(whole_groups)
    found = {"": raw}
    for form, needle in forms.items():
        if needle not in found.values():
            found[form] = needle
    return found


def scan(paths: Iterable[Path], secrets: dict[str, str]) -> list[Leak]:
    """Every (secret label, file, line) where a secret's value, or an encoding of it, is in ``paths``."""
    needles = {
        f"{label} ({form})" if form else label: needle
        for label, value in secrets.items()
        if value
        for form, needle in encoded_forms(value).items()
    }
    leaks = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for label, needle in needles.items():
            start = data.find(needle)
            while start >= 0:
                leaks.append(Leak(label, path, data.count(b"\n", 0, start) + 1))
                start = data.find(needle, start + 1)
    return leaks


def log_files(*directories: Path | None) -> Iterator[Path]:
    """Every ``*.log`` file under ``directories`` (each once)."""
    seen: set[Path] = set()
    for directory in directories:
        if directory is None or not directory.is_dir():
            continue
        for path in sorted(directory.rglob("*.log")):
            resolved = path.resolve()
            # (profiles are named chromium-profile-<language>: tests/e2e/browser.py)
            tool = any(
                part in NOT_ASTITRAYS or part.startswith("chromium-profile")
                for part in path.relative_to(directory).parts
            )
            if path.is_file() and not tool and resolved not in seen:
                seen.add(resolved)
                yield path


class _LogFile(logging.FileHandler):
    """A file handler that does not flush after each record (the whole suite logs a lot)."""

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.acquire()
        try:
            if self.stream is not None:
                self.stream.flush()
        finally:
            self.release()
        super().close()


class SecretsInLogs:
    """The plugin's state: the log directory, the handler, pytest's temporary directory."""

    def __init__(self) -> None:
        given = os.environ.get(LOG_DIR_ENV)
        self.own_directory = not given
        self.directory = Path(given) if given else Path(tempfile.mkdtemp(prefix="astitray-test-logs-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        os.environ[LOG_DIR_ENV] = str(self.directory)
        self.handler = _LogFile(self.directory / "tests.log", encoding="utf-8", delay=False)
        self.handler.setFormatter(logging.Formatter(LOG_FORMAT))
        self.handler.setLevel(logging.DEBUG)
        self.basetemp: Path | None = None
        self.leaks: list[Leak] = []

    def attach(self) -> None:
        """The handler on the root logger, the levels at DEBUG (again, if a test reconfigured logging)."""
        root = logging.getLogger()
        if self.handler not in root.handlers:
            # The console handlers keep showing what they showed (the root's level until now).
            console_level = root.getEffectiveLevel()
            for handler in root.handlers:
                if handler.level == logging.NOTSET and not type(handler).__module__.startswith("_pytest"):
                    handler.setLevel(console_level)
            root.addHandler(self.handler)
        root.setLevel(logging.DEBUG)
        for name in DEBUG_LOGGERS:
            logger = logging.getLogger(name)
            if logger.level > logging.DEBUG:
                logger.setLevel(logging.DEBUG)
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.INFO)

    def finish(self) -> list[Leak]:
        logging.getLogger().removeHandler(self.handler)
        self.handler.close()
        self.leaks = scan(log_files(self.directory, self.basetemp), all_secrets())
        return self.leaks


_STATE_KEY = pytest.StashKey[SecretsInLogs]()


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # pragma: no cover (no xdist here; a worker's own run)
        return
    config.stash[_STATE_KEY] = SecretsInLogs()


def pytest_sessionstart(session: pytest.Session) -> None:
    state = session.config.stash.get(_STATE_KEY, None)
    if state is not None:
        state.attach()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    state = item.config.stash.get(_STATE_KEY, None)
    if state is not None:
        state.attach()


@pytest.fixture(scope="session", autouse=True)
def _secrets_in_logs_basetemp(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Remember pytest's temporary directory: servers and tools write their own logs there."""
    state = request.config.stash.get(_STATE_KEY, None)
    if state is not None:
        state.basetemp = tmp_path_factory.getbasetemp()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_STATE_KEY, None)
    if state is None:
        return
    leaks = state.finish()
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif state.own_directory:
        shutil.rmtree(state.directory, ignore_errors=True)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    state = config.stash.get(_STATE_KEY, None)
    if state is None:
        return
    if not state.leaks:
        checked = len(all_secrets())
        terminalreporter.write_line(f"secrets in logs: none of the {checked} test secrets in the logs")
        return
    terminalreporter.section("secrets found in logs", red=True)
    for leak in state.leaks[:50]:
        terminalreporter.write_line(str(leak), red=True)
    if len(state.leaks) > 50:
        terminalreporter.write_line(f"... and {len(state.leaks) - 50} more", red=True)
    terminalreporter.write_line(f"(logs kept in {state.directory})")
