"""Lockout after repeated failed logins (django-axes), for the RPC and the admin alike.

Failures are counted per username and per client address in the database
(axes' database handler), so every server process sees the same lockouts and
admins list and clear them in the admin (**Axes > Access attempts**: delete
the rows) or with ``manage.py axes_reset_username NAME``. A locked-out RPC
caller gets the usual ``AUTHENTICATION_FAILED`` fault: nothing tells a
guesser that the lockout, and not the password, refused them.
"""

from __future__ import annotations

import ipaddress
from functools import cache

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.middleware import AxesMiddleware
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

# Set on the request when the lockout, not a backend, refused the attempt (read by the audit log).
REFUSED_BY_LOCKOUT = "_astitray_locked_out"


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address: the peer, or behind the reverse proxy the last X-Forwarded-For entry.

    Only the entry the proxy itself appended is trusted: the ones before it
    are whatever the client chose to send. None when that entry is not an
    address: falling back to the peer would give the proxy's own address
    (often one ``/cid/`` allows) to whoever sent a malformed header.
    """
    candidate = request.META.get("REMOTE_ADDR", "")
    if settings.ASTITRAY_CLIENT_ADDRESS_FROM_FORWARDED_FOR and "HTTP_X_FORWARDED_FOR" in request.META:
        candidate = request.META["HTTP_X_FORWARDED_FOR"].split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


class LockoutBackend(AxesStandaloneBackend):
    """axes' backend, first in AUTHENTICATION_BACKENDS: refuses a locked-out username or address.

    Without a request (``manage.py`` commands, the test client's ``login()``)
    there is no address to count and nothing is checked.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        except PermissionDenied:
            setattr(request, REFUSED_BY_LOCKOUT, True)
            raise


def is_locked_out(request: HttpRequest, username: str) -> bool:
    """Whether a lockout covers this username or the request's address.

    The RPC server asks this before trusting a cached credential: otherwise a
    locked-out guesser would still be let in by the cache on the right password.
    """
    if not settings.AXES_ENABLED:
        return False
    if AxesProxyHandler.is_allowed(request, {"username": username}):
        return False
    setattr(request, REFUSED_BY_LOCKOUT, True)
    return True


def recent_failures(username: str) -> int:
    """Failed logins of ``username`` (from any address) that still count towards a lockout."""
    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(username=username, attempt_time__gte=threshold)
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


@cache
def _rpc_path() -> str:
    return reverse("rpc")


class LockoutMiddleware(AxesMiddleware):
    """axes' middleware (the "too many attempts" page of the admin login), except for the RPC.

    The RPC answers a lockout with its own ``AUTHENTICATION_FAILED`` fault,
    not with an HTML page.
    """

    async_capable = False
    sync_capable = True

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == _rpc_path():
            return self.get_response(request)
        return super().__call__(request)
