"""The "Search phonebook…" window in Tk (its logic: tray_client.windows.search)."""

from __future__ import annotations

from typing import Any

from tray_client.i18n import _
from tray_client.windows.search import Row, Search, title
from tray_client.windows.tk.base import ListWindow


class SearchWindow(ListWindow):
    def __init__(self, payload: dict[str, Any] | None = None) -> None:
        columns = (
            ("name", _("Name"), 180, True),
            ("company", _("Company"), 160, True),
            ("label", _("Type"), 70, False),
            ("number", _("Number"), 150, False),
            ("presence", _("Status"), 110, False),
        )
        super().__init__(
            title(),
            payload,
            caption=_("Name, company or part of a number:"),
            columns=columns,
            size=(740, 420),
        )
        self.logic = Search(self, self, self.payload)
        self.follow(self.logic)
        self.logic.start()

    def values(self, row: Row) -> list[str]:
        return [row.name, row.company, row.label, row.number, row.presence]


def main() -> int:
    return SearchWindow().run()
