"""Try a login the way the server does, and say what happened (``manage.py check_login``).

Each configured backend is asked in order, as Django's ``authenticate()``
does, until one accepts; for each, what it said. Like a real login, an
accepting outside source creates or updates the user and their Extension.
Unlike a real login, nothing is counted towards a lockout and no lockout
refuses it: the report says whether one is in force.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import load_backend
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts import audit, lockout
from accounts.models import Extension
from accounts.services import extension_of


@dataclass(frozen=True)
class BackendAnswer:
    name: str  # "ldap", as in ASTITRAY_AUTH_BACKENDS
    path: str
    accepted: bool
    reason: str


@dataclass
class LoginCheck:
    username: str
    answers: list[BackendAnswer] = field(default_factory=list)
    user: AbstractBaseUser | None = None
    extension: Extension | None = None
    recent_failures: int = 0
    locked_out: bool = False

    @property
    def accepted_by(self) -> BackendAnswer | None:
        return next((answer for answer in self.answers if answer.accepted), None)


def check_login(username: str, password: str) -> LoginCheck:
    """Ask the backends about ``username``/``password``; never raises for a refusal."""
    result = LoginCheck(username=username)
    request = HttpRequest()
    for path in settings.AUTHENTICATION_BACKENDS:
        backend = load_backend(path)
        if isinstance(backend, lockout.LockoutBackend):
            continue
        name = audit.backend_name(path)
        try:
            user = backend.authenticate(request, username=username, password=password)
        except PermissionDenied:
            user = None
        if user is None:
            reason = audit.reasons(request).get(name, "refused")
            result.answers.append(BackendAnswer(name, path, False, reason))
            continue
        if not getattr(user, "is_active", True):
            result.answers.append(BackendAnswer(name, path, False, "inactive user"))
            continue
        result.answers.append(BackendAnswer(name, path, True, "accepted"))
        result.user = user
        result.extension = extension_of(user)
        break
    if settings.AXES_ENABLED:
        result.recent_failures = lockout.recent_failures(username)
        result.locked_out = lockout.username_locked_out(username)
    return result
