"""No login attempt after the server refused the credentials, until they change (or once an hour).

A server counts failed logins to lock accounts out (and, by default, every
account of the same address). A tray that kept asking with a stale password
every few seconds locked its user out within a minute, and their colleagues
behind the same address with them. :class:`LoginGate` remembers the refusal:
every later call fails at once, without a word to the server, until the
settings change (:meth:`LoginGate.reset`) or an hour has passed, when one
call, and only one, may ask again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from tray_client import api

logger = logging.getLogger(__name__)

RETRY_REFUSED_S = 3600.0


class LoginGate:
    def __init__(self, retry_s: float = RETRY_REFUSED_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.retry_s = retry_s
        self.clock = clock
        self._lock = threading.Lock()
        self._refused_at: float | None = None
        self._refusals = 0  # how many refusals so far: a call's answer speaks only of what came before it

    @property
    def refused(self) -> bool:
        with self._lock:
            return self._refused_at is not None

    def reset(self) -> None:
        """The credentials changed (or were accepted): the server may be asked again."""
        with self._lock:
            self._refused_at = None

    def allow(self) -> int | None:
        """A ticket if a call may go to the server now (after a refusal: one an hour), else None.

        The ticket goes to :meth:`accepted` with the call's answer.
        """
        with self._lock:
            if self._refused_at is None:
                return self._refusals
            now = self.clock()
            if now - self._refused_at >= self.retry_s:
                self._refused_at = now  # this call is the hour's one: the others keep waiting
                return self._refusals
            return None

    def accepted(self, ticket: int) -> None:
        """A call let through with ``ticket`` was answered: the credentials are good again, unless a
        refusal came since that call was sent (a long poll sent before a token was revoked still
        answers afterwards: that says nothing of the credentials now)."""
        with self._lock:
            if self._refusals == ticket:
                self._refused_at = None

    def refuse(self) -> bool:
        """The server refused the credentials; True the first time (since the last reset)."""
        with self._lock:
            first = self._refused_at is None
            self._refused_at = self.clock()
            self._refusals += 1
        if first:
            logger.info("the server refused the credentials: no more logins until they change")
        return first


class GuardedClient(api.ApiClient):
    """An :class:`api.ApiClient` that asks its gate before each call and tells it of each refusal."""

    def __init__(self, credentials: api.Credentials, timeout_s: float, gate: LoginGate) -> None:
        super().__init__(credentials, timeout_s)
        self.gate = gate

    def call(self, method: str, *params: Any, anonymous: bool = False) -> Any:
        if anonymous:  # no credentials sent: nothing to refuse
            return super().call(method, *params, anonymous=True)
        ticket = self.gate.allow()
        if ticket is None:
            raise api.AuthenticationRefused(
                "refused before: not asked again", held=True, token=bool(self.credentials.token)
            )
        try:
            answer = super().call(method, *params)
        except api.AuthenticationRefused:
            self.gate.refuse()
            raise
        self.gate.accepted(ticket)
        return answer
