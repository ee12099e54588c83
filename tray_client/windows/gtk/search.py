"""The "Search phonebook…" window in GTK 3 (its logic: tray_client.windows.search)."""

from __future__ import annotations

from typing import Any

from tray_client.i18n import _
from tray_client.windows.gtk.base import ListWindow
from tray_client.windows.search import Row, Search, title


class SearchWindow(ListWindow):
    def __init__(self, payload: dict[str, Any] | None = None) -> None:
        columns = (
            (_("Name"), True, 140),
            (_("Company"), True, 120),
            (_("Type"), False, 60),
            (_("Number"), False, 150),
            (_("Status"), False, 100),
        )
        super().__init__(
            title(),
            payload,
            width=720,
            caption=_("Name, company or part of a number:"),
            columns=columns,
            height=260,
        )
        self.logic = Search(self, self, self.payload)
        self.follow(self.logic)
        self.logic.start()

    def values(self, row: Row) -> list[str]:
        return [row.name, row.company, row.label, row.number, row.presence]


def main() -> int:
    window = SearchWindow()
    return window.run(focus=window.entry)
