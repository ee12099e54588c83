"""End-to-end tests: the scale-out test's figures are printed at the end of the run, whatever ``-s``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import chromium

FIGURES = "scale_out"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per figure the scale-out tests recorded (``record_property("scale_out", ...)``)."""
    lines = [
        f"{report.nodeid.rpartition('::')[2]}: {value}"
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "when", "") == "call"
        for name, value in getattr(report, "user_properties", [])
        if name == FIGURES
    ]
    if lines:
        terminalreporter.write_sep("-", "scale-out figures")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Chromium in English (the admin as most screenshots show it)."""
    yield from chromium(tmp_path)


@pytest.fixture
def french_browser(tmp_path: Path) -> Iterator[Any]:
    """Chromium whose language is French (Accept-Language: fr-FR, fr)."""
    yield from chromium(tmp_path, "fr-FR")
