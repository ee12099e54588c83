"""The "Search phonebook…" window: a search box, results as you type, Enter or double-click dials.

Up and Down choose among the results without leaving the search box.
Results come from ``phonebook.search``, asked a moment after the last key
(debounced) in a thread; an answer to an older query is dropped. Every
number of a contact is a row of its own. The chosen number goes back to the
tray (``{"dial": ...}``), which dials it and notifies, and the window closes.

    python -m tray_client.windows.search   (started by the tray)
"""

from __future__ import annotations

import logging
import tkinter as tk
from dataclasses import dataclass
from tkinter import ttk
from typing import Any

from tray_client import api
from tray_client.i18n import _
from tray_client.messages import describe
from tray_client.windows.base import ChildWindow, send

logger = logging.getLogger(__name__)

MIN_QUERY = 2
RESULTS = 50


@dataclass(frozen=True)
class Row:
    name: str
    company: str
    label: str
    number: str
    dial: str  # what is sent to dialer.dial


def rows_for(contacts: list[api.Contact]) -> list[Row]:
    """One row per number of each contact, in the server's order."""
    rows = []
    for contact in contacts:
        for number in contact.numbers:
            rows.append(
                Row(
                    name=contact.name,
                    company=contact.organisation,
                    label=label_name(number.label),
                    number=number.number,
                    # The canonical form is unambiguous; the number as written otherwise.
                    dial=number.e164 or number.number,
                )
            )
    return rows


def label_name(label: str) -> str:
    names = {
        "work": _("work"),
        "mobile": _("mobile"),
        "home": _("home"),
        "fax": _("fax"),
        "other": _("other"),
    }
    return names.get(label, label)


class SearchWindow(ChildWindow):
    def __init__(self, payload: dict[str, Any] | None = None) -> None:
        super().__init__(_("Search phonebook — Astitray"), payload)
        self.client = self.api_client()
        self.debounce_ms = int(self.payload.get("debounce_ms", 300))
        self.rows: list[Row] = []
        self._pending: str | None = None
        self._sequence = 0
        self._searching = False
        self._dial_when_found = False

        frame = ttk.Frame(self.root, padding=10)
        frame.pack(fill=tk.BOTH, expand=True)
        ttk.Label(frame, text=_("Name, company or part of a number:")).pack(anchor=tk.W)
        self.query = tk.StringVar()
        self.entry = ttk.Entry(frame, textvariable=self.query, width=50)
        self.entry.pack(fill=tk.X, pady=(2, 8))
        self.query.trace_add("write", lambda *_args: self._typed())

        columns = ("name", "company", "label", "number")
        self.table = ttk.Treeview(frame, columns=columns, show="headings", height=12, selectmode="browse")
        for column, heading, width in zip(
            columns, (_("Name"), _("Company"), _("Type"), _("Number")), (180, 180, 70, 150), strict=True
        ):
            self.table.heading(column, text=heading)
            self.table.column(column, width=width, stretch=column in ("name", "company"))
        self.table.pack(fill=tk.BOTH, expand=True)
        self.status = tk.StringVar(value=_("Type to search. Enter or double-click calls; Escape closes."))
        ttk.Label(frame, textvariable=self.status, wraplength=560).pack(anchor=tk.W, pady=(6, 0))

        self.entry.bind("<Return>", lambda _event: self.dial_selected())
        # Up and Down move through the results while the keyboard stays in the search box.
        self.entry.bind("<Down>", lambda _event: self.move(1))
        self.entry.bind("<Up>", lambda _event: self.move(-1))
        self.table.bind("<Return>", lambda _event: self.dial_selected())
        self.table.bind("<Double-1>", lambda _event: self.dial_selected())
        self.center(620, 400)
        self.entry.focus_set()

    def _typed(self) -> None:
        if self._pending is not None:
            self.root.after_cancel(self._pending)
        self._pending = self.root.after(self.debounce_ms, self.search)

    def search(self) -> None:
        self._pending = None
        query = self.query.get().strip()
        self._sequence += 1
        sequence = self._sequence
        if len(query) < MIN_QUERY:
            # No search now: the one in flight is answered to nobody, and an Enter that waited for it is void.
            self._searching = self._dial_when_found = False
            self.show([], _("Type at least two characters."))
            return
        self.status.set(_("Searching…"))
        self._searching = True
        self.in_background(
            lambda: self.client.search(query, RESULTS), lambda result: self._found(sequence, result)
        )

    def _found(self, sequence: int, result: Any) -> None:
        if sequence != self._sequence:
            return  # an answer to an older query
        self._searching = False
        dial_now, self._dial_when_found = self._dial_when_found, False
        if isinstance(result, Exception):
            self.show([], describe(result))
            return
        rows = rows_for(result)
        if not rows:
            self.show([], _("No contact found."))
            return
        self.show(rows, _("Enter or double-click calls the selected number; Escape closes."))
        if dial_now:
            self.dial_selected()

    def show(self, rows: list[Row], status: str) -> None:
        logger.info("search results shown: %d", len(rows))
        self.rows = rows
        self.table.delete(*self.table.get_children())
        for index, row in enumerate(rows):
            self.table.insert(
                "", tk.END, iid=str(index), values=(row.name, row.company, row.label, row.number)
            )
        if rows:
            self.table.selection_set("0")
        self.status.set(status)

    def move(self, step: int) -> None:
        if not self.rows:
            return
        selected = self.table.selection()
        index = int(selected[0]) + step if selected else 0
        index = max(0, min(len(self.rows) - 1, index))
        self.table.selection_set(str(index))
        self.table.see(str(index))

    def dial_selected(self) -> None:
        if self._pending is not None:
            self.root.after_cancel(self._pending)
            self.search()
        if self._searching:
            # Enter right after typing: call the first result once it is there.
            self._dial_when_found = True
            return
        if not self.rows:
            return
        selected = self.table.selection()
        row = self.rows[int(selected[0])] if selected else self.rows[0]
        send({"dial": row.dial, "name": row.name})
        self.close()


def main() -> None:
    SearchWindow().run()


if __name__ == "__main__":
    main()
