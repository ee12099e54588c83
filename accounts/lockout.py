"""Lockout after repeated failed logins (django-axes), for the RPC and the admin alike.

Failures are counted per (username, client address) pair by default
(``ASTITRAY_LOCKOUT_BY``), so one user's old password never locks out a
colleague behind the same NAT address, plus a much higher limit per address
for all usernames together (``ASTITRAY_LOCKOUT_ADDRESS_FAILURES``: a guesser
trying many names from one place). They are kept in the database (axes'
database handler), so every server process sees the same lockouts and
admins list and clear them in the admin (**Axes > Access attempts**: delete
the rows) or with ``manage.py axes_reset_username NAME``. A locked-out RPC
caller gets the usual ``AUTHENTICATION_FAILED`` fault: nothing tells a
guesser that the lockout, and not the password, refused them.

Asking the database on every API call whether a lockout covers the caller
costs two queries for an answer that is nearly always "no". With a cache
every process shares (Redis), each failure recorded also leaves a mark
there for its username and for its address, kept as long as the failure
counts (``ASTITRAY_LOCKOUT_MINUTES``): without a mark for either, there is
no recent failure to count and the database is not asked
(:func:`is_locked_out`). A mark only ever sends the question to the
database, so a lost mark of a cleared lockout costs a query, never a
refusal. With a cache of each process's own, the database is always asked.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Mapping
from functools import cache
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_failure_limit
from axes.middleware import AxesMiddleware
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache as django_cache
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.db.models.signals import post_save
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from drivers.process_copy import cache_is_shared

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


def address_failures(address: str | None) -> int:
    """Failed logins from ``address``, every username together, that still count towards a lockout."""
    if address is None:
        return 0
    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=threshold)
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler plus the per-address limit of ``ASTITRAY_LOCKOUT_ADDRESS_FAILURES``.

    axes has one failure limit for every lockout parameter: the pair's
    failures are compared with ``ASTITRAY_LOCKOUT_FAILURES`` as usual, and
    an address over its own limit counts as having reached that limit.
    """

    def get_failures(self, request, credentials=None) -> int:
        failures = super().get_failures(request, credentials)
        limit = settings.ASTITRAY_LOCKOUT_ADDRESS_FAILURES
        if limit and address_failures(getattr(request, "axes_ip_address", None)) >= limit:
            return max(failures, get_failure_limit(request, credentials))
        return failures


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


def is_locked_out(request: HttpRequest, username: str, marks: Mapping[str, object] | None = None) -> bool:
    """Whether a lockout covers this username at the request's address, or the address itself.

    The RPC server asks this before trusting a cached credential: otherwise a
    locked-out guesser would still be let in by the cache on the right password.
    The database is asked only when a failure of that username or address may count.
    ``marks``: what the cache answered for :func:`mark_keys` (read together with
    other keys, in one round trip); read here when not given.
    """
    if not settings.AXES_ENABLED:
        return False
    if not may_have_failures(username, client_address(request), marks):
        return False
    if AxesProxyHandler.is_allowed(request, {"username": username}):
        return False
    setattr(request, REFUSED_BY_LOCKOUT, True)
    return True


# --- Marks of recent failures in the shared cache ---------------------------------------------

_MARK = "astitray:lockout-failures:"
# Hosts' clocks differ a little: a mark outlives the failures it stands for by this much.
_MARK_MARGIN_S = 60


def _mark_keys(username: str | None, address: str | None) -> list[str]:
    # Folded: MariaDB compares usernames without case, so may axes' count. Hashed: any length, any text.
    user = hashlib.sha256((username or "").casefold().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return [f"{_MARK}u:{user}", f"{_MARK}a:{address or '-'}"]


def mark_keys(request: HttpRequest, username: str) -> list[str]:
    """The cache keys :func:`is_locked_out` reads for ``username`` at the request's address."""
    return _mark_keys(username, client_address(request))


def may_have_failures(username: str, address: str | None, marks: Mapping[str, object] | None = None) -> bool:
    """False only when the shared cache says that neither ``username`` nor ``address`` failed lately.

    ``marks``: the cache's answer to a ``get_many`` of (at least) these marks' keys, if already read.
    """
    if not cache_is_shared():
        return True
    keys = _mark_keys(username, address)
    if marks is None:
        marks = django_cache.get_many(keys)
    return any(key in marks for key in keys)


def mark_failure(username: str | None, address: str | None) -> None:
    """Leave the marks of a failure of ``username`` from ``address`` (kept while it counts)."""
    cooloff = settings.AXES_COOLOFF_TIME
    timeout = None if cooloff is None else int(cooloff.total_seconds()) + _MARK_MARGIN_S
    django_cache.set_many(dict.fromkeys(_mark_keys(username, address), 1), timeout=timeout)


def _failed_login(sender: object, credentials: dict, request: HttpRequest | None = None, **_: Any) -> None:
    if settings.AXES_ENABLED and request is not None:
        mark_failure(credentials.get("username"), client_address(request))


def _attempt_saved(sender: object, instance: AccessAttempt, **kwargs: Any) -> None:
    # Also an attempt written by anything else than a failed login (a script, the admin).
    if settings.AXES_ENABLED:
        mark_failure(instance.username, instance.ip_address)


def connect_signals() -> None:
    """Failures leave their marks (``AccountsConfig.ready``)."""
    user_login_failed.connect(_failed_login, dispatch_uid="lockout.mark_failure")
    post_save.connect(_attempt_saved, sender=AccessAttempt, dispatch_uid="lockout.mark_attempt")


def recent_failures(username: str) -> int:
    """Failed logins of ``username`` (from any address) that still count towards a lockout."""
    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(username=username, attempt_time__gte=threshold)
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def username_locked_out(username: str) -> bool:
    """Whether ``username`` is locked out anywhere: from every address, or at least from one.

    With the default (``username+address``) that is when the failures of
    one address alone reach the limit, not the failures of all addresses together.
    """
    limit = settings.AXES_FAILURE_LIMIT
    parameters = settings.AXES_LOCKOUT_PARAMETERS
    if "username" in parameters and recent_failures(username) >= limit:
        return True
    if ["username", "ip_address"] not in parameters:
        return False
    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(username=username, attempt_time__gte=threshold)
    by_address = attempts.values("ip_address").annotate(total=Sum("failures_since_start"))
    return by_address.filter(total__gte=limit).exists()


@cache
def _rpc_path() -> str:
    return reverse("rpc")


def is_rpc(request: HttpRequest) -> bool:
    """Whether ``request`` is an API request (``/rpc/``), not the admin's."""
    return request.path == _rpc_path()


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
