"""The "Search phonebook…" window: a search box, results as you type, Enter or double-click dials.

Up and Down choose among the results without leaving the search box.
Results come from ``phonebook.search``, asked a moment after the last key
(debounced) in a thread; an answer to an older query is dropped. Every
number of a contact is a row of its own; a colleague's row says whether
their phone is available, ringing, on the phone or not connected (the
search's ``presence``, from servers that give it). The chosen number goes back to the
tray (``{"dial", "name", "company", "number"}``), which dials it and
notifies, and the window closes.

The tray also opens it to choose among the numbers of a copied signature
(``choices`` in its payload: rows shown before anything is typed).

This module is the window's logic, whatever draws it (``windows/gtk/search.py``
on free desktops, ``windows/tk/search.py`` elsewhere).

    python -m tray_client.windows.search   (started by the tray)
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import Any, Protocol

from tray_client import api
from tray_client.i18n import _
from tray_client.messages import describe
from tray_client.windows.host import Host, api_client, send

logger = logging.getLogger(__name__)

MIN_QUERY = 2
RESULTS = 50


def title() -> str:
    return _("Search phonebook — Astitray")


@dataclass(frozen=True)
class Row:
    name: str
    company: str
    label: str
    number: str
    dial: str  # what is sent to dialer.dial
    presence: str = ""  # a colleague's phone, in words ("" for other contacts)

    @property
    def title(self) -> str:
        """ "Hélène Dupont (ACME) — +44 20 7946 0958", as the tray's notifications show it."""
        who = f"{self.name} ({self.company})" if self.name and self.company else self.name
        return f"{who} — {self.number}" if who else self.number


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
                    presence=presence_name(contact.presence),
                )
            )
    return rows


def rows_for_choices(choices: Any) -> list[Row]:
    """Rows for the numbers the tray found in a text (its payload's ``choices``; bad items skipped)."""
    rows = []
    for item in choices if isinstance(choices, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"]:
            continue
        rows.append(
            Row(
                name=str(item.get("name", "")),
                company=str(item.get("company", "")),
                label=label_name(str(item.get("label", ""))),
                number=str(item.get("number", "")) or item["text"],
                dial=item["text"],
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


def presence_name(state: str) -> str:
    """A colleague's phone as the Status column says it ("" when not a colleague or not known)."""
    names = {
        "idle": _("available"),
        "ringing": _("ringing"),
        "in_use": _("on the phone"),
        "unavailable": _("not connected"),
    }
    return names.get(state, "")


def choices_status() -> str:
    return _("Numbers found in the clipboard: Enter calls the selected one. Or type to search.")


class SearchView(Protocol):
    def show(self, rows: list[Row], status: str) -> None:
        """Show ``rows`` (the first selected) and ``status`` under them."""

    def set_status(self, status: str) -> None: ...

    def selected(self) -> int | None:
        """The index of the selected row, if any."""


class Search:
    """What the search window does; ``view`` shows it, ``host`` runs its timers and threads."""

    def __init__(self, host: Host, view: SearchView, payload: dict[str, Any]) -> None:
        self.host = host
        self.view = view
        self.client = api_client(payload)
        self.debounce_ms = int(payload.get("debounce_ms", 300))
        self.choices = rows_for_choices(payload.get("choices"))
        self.rows: list[Row] = self.choices
        self.query = ""
        self._pending: Any = None
        self._sequence = 0
        self._searching = False
        self._dial_when_found = False

    def start(self) -> None:
        if self.choices:
            self._show(self.choices, choices_status())
        else:
            self.view.set_status(_("Type to search. Enter or double-click calls; Escape closes."))

    def typed(self, query: str) -> None:
        """The search box now holds ``query``: search a moment after the last key."""
        self.query = query
        if self._pending is not None:
            self.host.cancel(self._pending)
        self._pending = self.host.after(self.debounce_ms, self.search)

    def search(self) -> None:
        self._pending = None
        query = self.query.strip()
        self._sequence += 1
        sequence = self._sequence
        if len(query) < MIN_QUERY:
            # No search now: the one in flight is answered to nobody, and an Enter that waited for it is void.
            self._searching = self._dial_when_found = False
            if not query and self.choices:
                self._show(self.choices, choices_status())
            else:
                self._show([], _("Type at least two characters."))
            return
        self.view.set_status(_("Searching…"))
        self._searching = True
        self.host.in_background(
            lambda: self.client.search(query, RESULTS), lambda result: self._found(sequence, result)
        )

    def _found(self, sequence: int, result: Any) -> None:
        if sequence != self._sequence:
            return  # an answer to an older query
        self._searching = False
        dial_now, self._dial_when_found = self._dial_when_found, False
        if isinstance(result, Exception):
            self._show([], describe(result, in_settings=False))
            return
        rows = rows_for(result)
        if not rows:
            self._show([], _("No contact found."))
            return
        self._show(rows, _("Enter or double-click calls the selected number; Escape closes."))
        if dial_now:
            self.dial_selected()

    def _show(self, rows: list[Row], status: str) -> None:
        logger.info(
            "search results shown: %d (phone status of %d)", len(rows), sum(1 for row in rows if row.presence)
        )
        self.rows = rows
        self.view.show(rows, status)

    def dial_selected(self, index: int | None = None) -> None:
        """Dial the selected row (Enter, a double-click); right after typing, the first result once found."""
        if self._pending is not None:
            self.host.cancel(self._pending)
            self.search()
        if self._searching:
            self._dial_when_found = True
            return
        if not self.rows:
            return
        chosen = self.view.selected() if index is None else index
        row = self.rows[chosen if chosen is not None and 0 <= chosen < len(self.rows) else 0]
        send({"dial": row.dial, "name": row.name, "company": row.company, "number": row.number})
        self.host.close()


def main() -> int:
    from tray_client.windows import toolkit

    return toolkit.run("search")


if __name__ == "__main__":
    sys.exit(main())
