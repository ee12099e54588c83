"""The "Call history…" window: your calls (``dialer.history``), searchable; Enter or double-click redials.

Beside the menu's "Recent calls" (the last ten), this window lists up to
200 calls with whom (the phonebook's name when known), the number as people
write it, the outcome and when. Typing filters them: words match names,
digits match numbers whatever their formatting. A redial sends what was
given the first time (the server's ``input``; see tray_client.redial).

What the tray writes on its standard input: the connection (``url``,
``username``, ``password``, ``timeout``) and ``known``: call_id -> ``{"title",
"text"}`` for the calls it already knows (names and numbers it found).
Others are looked up here, in the background, for the first ones shown.

This module is the window's logic, whatever draws it (``windows/gtk/``, ``windows/tk/``).

    python -m tray_client.windows.history   (started by the tray)
"""

from __future__ import annotations

import logging
import sys
import unicodedata
from dataclasses import dataclass, replace
from typing import Any, Protocol

from tray_client import api, messages
from tray_client.callee import Resolver
from tray_client.i18n import _
from tray_client.messages import describe
from tray_client.windows.host import Host, api_client, send

logger = logging.getLogger(__name__)

LIMIT = 200
# Calls whose name and number are looked up here (the others show the number as dialed).
RESOLVED = 20


def title() -> str:
    return _("Call history — Astitray")


@dataclass(frozen=True)
class HistoryRow:
    call_id: str
    who: str  # the phonebook's name ("" when unknown)
    number: str  # as people write it when known, else as dialed
    status: str  # in words
    when: str
    text: str  # what redials it


def fold(text: str) -> str:
    """``text`` without accents or case, for matching what people type."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def matches(row: HistoryRow, query: str) -> bool:
    """Every word of ``query`` is in the row's name or status; its digits are in the number's digits."""
    words = fold(query).split()
    haystack = fold(f"{row.who} {row.status} {row.when}")
    digits = "".join(char for char in row.number if char.isdigit())
    for word in words:
        word_digits = "".join(char for char in word if char.isdigit())
        if word_digits and word_digits == word.lstrip("+"):
            if word_digits not in digits:
                return False
        elif word not in haystack:
            return False
    return True


def row_for(call: api.CallInfo, known: dict[str, Any]) -> HistoryRow:
    entry = known.get(call.call_id)
    title_known = str(entry.get("title", "")) if isinstance(entry, dict) else ""
    text_known = str(entry.get("text", "")) if isinstance(entry, dict) else ""
    who, _dash, number = title_known.rpartition(" — ")
    status = messages.status_label(call.status)
    if call.direction == "in":
        status = _("incoming, %(status)s") % {"status": status}
    return HistoryRow(
        call_id=call.call_id,
        who=who or call.name,
        number=number or call.number,
        status=status,
        when=messages.when(call.created),
        text=text_known or call.input or call.number,
    )


class HistoryView(Protocol):
    def show(self, rows: list[HistoryRow], status: str) -> None: ...

    def set_status(self, status: str) -> None: ...

    def selected(self) -> int | None: ...


class History:
    """What the history window does; ``view`` shows it, ``host`` runs its threads."""

    def __init__(self, host: Host, view: HistoryView, payload: dict[str, Any]) -> None:
        self.host = host
        self.view = view
        self.client = api_client(payload)
        known = payload.get("known")
        self.known: dict[str, Any] = known if isinstance(known, dict) else {}
        self.all_rows: list[HistoryRow] = []
        self.rows: list[HistoryRow] = []
        self.query = ""

    def start(self) -> None:
        self.view.set_status(_("Loading your calls…"))
        self.host.in_background(lambda: self.client.history(LIMIT), self._loaded)

    def _loaded(self, result: Any) -> None:
        if isinstance(result, Exception):
            self.view.set_status(describe(result))
            return
        self.all_rows = [row_for(call, self.known) for call in result]
        self._filter()
        logger.info("history shown: %d calls", len(self.all_rows))
        unknown = [row for row in self.all_rows if not row.who and row.text][:RESOLVED]
        if unknown:
            self.host.in_background(lambda: self._names(unknown), self._named)

    def _names(self, rows: list[HistoryRow]) -> dict[str, HistoryRow]:
        """Each row with the name and number the server finds for its text (best effort)."""
        resolver = Resolver(lambda: self.client)
        named: dict[str, HistoryRow] = {}
        for row in rows:
            try:
                callee = resolver.resolve(row.text)[0]
            except (api.ApiError, IndexError):
                continue
            named[row.call_id] = replace(row, who=callee.who, number=callee.shown_number)
        return named

    def _named(self, result: Any) -> None:
        if isinstance(result, dict) and result:
            self.all_rows = [result.get(row.call_id, row) for row in self.all_rows]
            self._filter()

    def typed(self, query: str) -> None:
        self.query = query
        self._filter()

    def _filter(self) -> None:
        self.rows = [row for row in self.all_rows if matches(row, self.query)]
        if self.rows:
            status = _("Enter or double-click calls again; Escape closes.")
        elif self.all_rows:
            status = _("No call matches.")
        else:
            status = _("No calls yet.")
        self.view.show(self.rows, status)

    def dial_selected(self, index: int | None = None) -> None:
        if not self.rows:
            return
        chosen = self.view.selected() if index is None else index
        row = self.rows[chosen if chosen is not None and 0 <= chosen < len(self.rows) else 0]
        send({"dial": row.text, "name": row.who, "number": row.number})
        self.host.close()


def main() -> int:
    from tray_client.windows import toolkit

    return toolkit.run("history")


if __name__ == "__main__":
    sys.exit(main())
