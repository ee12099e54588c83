"""A progress line for the import commands, shown only on a terminal."""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    """``\\r``-rewritten status line: records so far, rate and, when the size is known, a bar."""

    def __init__(
        self, stream: TextIO, enabled: bool, label: str = "importing", interval: float = 0.2
    ) -> None:
        self.stream = stream
        self.enabled = enabled
        self.label = label
        self.interval = interval
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def update(self, records: int, fraction: float | None = None, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        rate = records / max(now - self.started, 1e-6)
        bar = ""
        if fraction is not None:
            fraction = min(max(fraction, 0.0), 1.0)
            filled = int(fraction * 30)
            bar = f"[{'#' * filled}{'.' * (30 - filled)}] {fraction * 100:3.0f}% "
        self.stream.write(f"\r{self.label}: {bar}{records:,} records ({rate:,.0f}/s)   ")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.enabled and self.shown:
            self.stream.write("\r" + " " * 79 + "\r")
            self.stream.flush()
