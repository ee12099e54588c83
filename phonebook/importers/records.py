"""What every source yields: plain contact records (no Django here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

LABELS = ("work", "mobile", "home", "fax", "other")


class ImportFailed(Exception):
    """The import cannot go on; the message says why, for an admin, without secrets."""


class NumberRecord(NamedTuple):  # a tuple: made by the hundred thousand
    label: str
    raw: str


@dataclass
class ContactRecord:
    """One contact as a source gives it.

    ``key`` identifies it in its source (entryUUID, DN, row key, vCard UID);
    empty when the source has none (then name, company and e-mail do).
    ``where`` says where it was found, for error messages ("line 12").

    A source may give a ``fingerprint`` of its own data for the record, with a
    ``loader`` that fills the fields only when they are needed: an import that
    finds the same fingerprint as last time then skips reading the record at
    all (what makes a re-import of an unchanged directory cheap).
    """

    name: str
    key: str = ""
    company: str = ""
    department: str = ""
    title: str = ""
    email: str = ""
    numbers: list[NumberRecord] = field(default_factory=list)
    where: str = ""
    fingerprint: str = ""
    loader: Callable[[ContactRecord], None] | None = field(default=None, repr=False, compare=False)

    def load(self) -> None:
        """Fill the fields, for a record given with a ``loader`` (once)."""
        if self.loader is not None:
            loader, self.loader = self.loader, None
            loader(self)
