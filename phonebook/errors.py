"""What the phonebook refuses, in its own words (no RPC, no HTTP).

The import commands show the message to the admin as it is; nothing here
becomes an API fault (searches and lookups refuse nothing: they find
nobody).
"""

from __future__ import annotations


class PhonebookError(Exception):
    """Base of the phonebook's errors."""


class ImportFailed(PhonebookError):
    """The import cannot go on; the message says why, for an admin, without secrets. Nothing was changed."""
