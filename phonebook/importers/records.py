"""What every source yields: plain contact records (no Django here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from phonebook.text import fold

LABELS = ("work", "mobile", "home", "fax", "other")

# Words of the free-text labels of exports (Google's "Phone 1 - Label", Apple's X-ABLabel), by label;
# the first label with a word in the text wins.
_LABEL_WORDS = (
    ("fax", "fax faxes telecopie telefax"),
    ("mobile", "mobile cell cellular iphone portable handy mobil movil cellulare gsm car"),
    ("home", "home domicile maison prive private privat casa personnel personal"),
    ("work", "work office bureau main business professionnel pro buro arbeit trabajo lavoro company"),
)


def label_of(text: str) -> str:
    """The label of a number from an export's free text ("Work Fax", "* Mobile", "Bureau"); "" gives work."""
    words = set(fold(text).split())
    if not words:
        return "work"
    for label, label_words in _LABEL_WORDS:
        if words & set(label_words.split()):
            return label
    return "other"


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
