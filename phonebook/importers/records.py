"""What every source yields: plain contact records (no Django here)."""

from __future__ import annotations

from dataclasses import dataclass, field

LABELS = ("work", "mobile", "home", "fax", "other")


class ImportFailed(Exception):
    """The import cannot go on; the message says why, for an admin, without secrets."""


@dataclass(frozen=True)
class NumberRecord:
    label: str
    raw: str


@dataclass
class ContactRecord:
    """One contact as a source gives it.

    ``key`` identifies it in its source (entryUUID, DN, row key, vCard UID);
    empty when the source has none (then name, company and e-mail do).
    ``where`` says where it was found, for error messages ("line 12").
    """

    name: str
    key: str = ""
    company: str = ""
    department: str = ""
    title: str = ""
    email: str = ""
    numbers: list[NumberRecord] = field(default_factory=list)
    where: str = ""
