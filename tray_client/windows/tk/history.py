"""The "Call history…" window in Tk (its logic: tray_client.windows.history)."""

from __future__ import annotations

from typing import Any

from tray_client.i18n import _
from tray_client.windows.history import History, HistoryRow, title
from tray_client.windows.tk.base import ListWindow


class HistoryWindow(ListWindow):
    def __init__(self, payload: dict[str, Any] | None = None) -> None:
        columns = (
            ("who", _("Name"), 190, True),
            ("number", _("Number"), 160, True),
            ("status", _("Outcome"), 100, False),
            ("when", _("When"), 120, False),
        )
        super().__init__(
            title(), payload, caption=_("Filter by name or number"), columns=columns, size=(680, 460)
        )
        self.logic = History(self, self, self.payload)
        self.follow(self.logic)
        self.logic.start()

    def values(self, row: HistoryRow) -> list[str]:
        return [row.who, row.number, row.status, row.when]


def main() -> int:
    return HistoryWindow().run()
