"""What the accounts app refuses, in its own words (no RPC, no HTTP).

A refused login never becomes a specific fault: the RPC server answers
every failed authentication alike (``AUTHENTICATION_FAILED``), and the
reason goes to the audit log (``accounts.audit``) and to
``manage.py check_login``.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop


class AccountsError(Exception):
    """Base of the accounts app's errors."""


class Refused(AccountsError):
    """An outside source refuses a login; the message (never a secret) goes to the audit log."""


class SourceUnavailable(AccountsError):
    """No outside source said yes and one of them could not be asked (directory down, table unreachable).

    Not a refusal: nothing is counted towards a lockout, and the caller is told the server could not
    complete the request, so a device keeps its token and tries again after the outage.
    """


class TokenNotFound(AccountsError):
    """No API token of this user has that id (someone else's, revoked, or never made)."""

    message = gettext_noop("No such API token of yours.")
