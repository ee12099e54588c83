"""The "Call history…" window in GTK 3 (its logic: tray_client.windows.history)."""

from __future__ import annotations

from typing import Any

from tray_client.i18n import _
from tray_client.windows.gtk.base import ListWindow
from tray_client.windows.history import History, HistoryRow, title


class HistoryWindow(ListWindow):
    def __init__(self, payload: dict[str, Any] | None = None) -> None:
        columns = (
            (_("Name"), True, 160),
            (_("Number"), True, 150),
            (_("Outcome"), False, 90),
            (_("When"), False, 110),
        )
        super().__init__(
            title(), payload, width=680, caption=_("Filter by name or number"), columns=columns, height=320
        )
        self.logic = History(self, self, self.payload)
        self.follow(self.logic)
        self.logic.start()

    def values(self, row: HistoryRow) -> list[str]:
        return [row.who, row.number, row.status, row.when]


def main() -> int:
    window = HistoryWindow()
    return window.run(focus=window.entry)
