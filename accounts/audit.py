"""The audit trail of logins: failures, lockouts and successes, never a password.

Each line names the user (as typed, quoted so that nothing typed can forge a
log line), the client address and the backends: for a failure, what each
configured backend said (``htpasswd: wrong password; ldap: directory
unreachable; django: refused``), for a success, the one that accepted.
Backends add their reason with :func:`note`; the line is written when Django
reports the failure (``user_login_failed``, whose credentials Django has
already stripped of the password).
"""

from __future__ import annotations

import logging
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.lockout import REFUSED_BY_LOCKOUT, client_address, is_rpc
from monitoring import metrics

logger = logging.getLogger(__name__)

_TRACE = "_astitray_auth_trace"
# The "backend" of failures the lockout refused before any source was asked (astitray_auth_failures).
LOCKOUT = "lockout"
# The "backend" of a refused API token (accounts.tokens): no source is asked for a token.
TOKEN = "token"  # noqa: S105 (a name, not a secret)
_USERNAME_LIMIT = 150


def backend_name(path: str) -> str:
    """``ldap`` for ``accounts.backends.ldap.LdapBackend``: the name used in ASTITRAY_AUTH_BACKENDS."""
    for name, known in settings.ASTITRAY_AUTH_BACKEND_PATHS.items():
        if known == path:
            return name
    return path


def note(request: HttpRequest | None, backend: str, reason: str) -> None:
    """Record why ``backend`` refused this login attempt (for the failure's log line)."""
    if request is not None:
        trace = getattr(request, _TRACE, None)
        if trace is None:
            trace = {}
            setattr(request, _TRACE, trace)
        trace[backend] = reason


def reasons(request: HttpRequest | None) -> dict[str, str]:
    """What each backend said about this request's login attempt, by backend name."""
    return dict(getattr(request, _TRACE, None) or {})


def _user(username: Any) -> str:
    return repr(str(username)[:_USERNAME_LIMIT])


def _address(request: HttpRequest | None) -> str:
    return (client_address(request) if request is not None else None) or "-"


def _via(request: HttpRequest | None) -> str:
    """``rpc`` for an API request, ``admin`` for anything else (the admin's login form)."""
    if request is not None and is_rpc(request):
        return "rpc"
    return "admin"


def _configured_backends() -> list[str]:
    names = list(settings.ASTITRAY_AUTH_BACKENDS)
    return [*names, "django"] if "django" not in names else names


@receiver(user_login_failed, dispatch_uid="astitray-audit-failure")
def log_failure(sender: object, credentials: dict, request: HttpRequest | None = None, **kwargs: Any) -> None:
    username = credentials.get("username", "")
    if request is not None and getattr(request, REFUSED_BY_LOCKOUT, False):
        metrics.count_auth_failure([LOCKOUT])
        logger.warning(
            "login refused: user=%s address=%s locked out (no backend asked)",
            _user(username),
            _address(request),
        )
        return
    said = reasons(request)
    if TOKEN in said:
        metrics.count_auth_failure([TOKEN])
        summary = f"{TOKEN}: {said[TOKEN]}"
    else:
        metrics.count_auth_failure(_configured_backends())
        summary = "; ".join(f"{name}: {said.get(name, 'refused')}" for name in _configured_backends())
    logger.warning(
        "login failed: user=%s address=%s backends=%s", _user(username), _address(request), summary
    )


@receiver(user_locked_out, dispatch_uid="astitray-audit-lockout")
def log_lockout(
    sender: object, request: HttpRequest | None = None, username: Any = None, **kwargs: Any
) -> None:
    if not (request is not None and getattr(request, REFUSED_BY_LOCKOUT, False)):
        # axes says it again for each attempt while locked out: only the start is a new lockout.
        metrics.count_lockout(_via(request))
    logger.warning(
        "lockout: user=%s address=%s after %d failed logins (for %d minutes)",
        _user(username or ""),
        _address(request),
        settings.AXES_FAILURE_LIMIT,
        settings.AXES_COOLOFF_TIME.total_seconds() // 60,
    )


def log_locked_out_cached(request: HttpRequest, username: str) -> None:
    """A cached credential refused because its user or address is locked out."""
    metrics.count_auth_failure([LOCKOUT])
    logger.warning("login refused: user=%s address=%s locked out", _user(username), _address(request))


def log_success(request: HttpRequest | None, user: AbstractBaseUser) -> None:
    """A checked (not cached) login: which backend accepted it."""
    logger.info(
        "login: user=%s address=%s backend=%s",
        _user(user.get_username()),
        _address(request),
        backend_name(getattr(user, "backend", "") or ""),
    )


@receiver(user_logged_in, dispatch_uid="astitray-audit-session")
def log_session_login(
    sender: object, request: HttpRequest | None = None, user: Any = None, **kwargs: Any
) -> None:
    if user is not None:
        log_success(request, user)
