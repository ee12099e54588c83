"""End-to-end tests: the scale-out test's figures are printed at the end of the run, whatever ``-s``."""

from __future__ import annotations

import pytest

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
