"""The base of drivers that speak HTTP to their PBX (AJAM, ARI, a vendor's click-to-call API).

:class:`HttpDriver` holds what they share, as django-anymail's
``base_requests`` backend does for its HTTP backends: one
``requests.Session`` per driver (cookies and keep-alive connections reused
between calls, Basic authentication when the driver asks for it), the base
URL (``http`` or ``https``, the usual port, Asterisk's http.conf
``prefix``), certificates verified, an explicit timeout on every request,
and what a failed request means in the driver error tree:

- it never reached the PBX (connection refused, no route, connect
  timeout, TLS handshake failed): :class:`~drivers.base.RequestNotSent`,
  safe to report "unavailable";
- it may have been executed (the connection broke, or the answer did not
  come in time): :class:`~drivers.base.AnswerLost`, which
  :meth:`~drivers.base.Driver.placing` turns into "outcome unknown" for
  an originate, never sent again.

Nothing here imports Django.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any, ClassVar

import requests
from urllib3.exceptions import ConnectTimeoutError

from drivers import tls
from drivers.base import AnswerLost, Driver, DriverError, OutcomeCallback, PbxConfig, RequestNotSent

logger = logging.getLogger(__name__)

USER_AGENT = "Astitray"


class HttpDriver(Driver):
    """A driver whose PBX answers HTTP requests at :attr:`url` (the base URL plus ``api_path``)."""

    # The path of the API under the base URL ("/rawman", "/ari").
    api_path: ClassVar[str] = ""

    def __init__(self, config: PbxConfig, on_outcome: OutcomeCallback | None = None) -> None:
        super().__init__(config, on_outcome)
        self.url = self.base_url() + self.api_path
        self.http = self.new_session()

    @property
    def where(self) -> str:
        return self.url

    def base_url(self) -> str:
        """``http(s)://host:port`` and the URL prefix (Asterisk's http.conf ``prefix``), no trailing slash."""
        scheme = "https" if self.config.use_tls else "http"
        prefix = self.config.url_prefix.strip("/")
        return f"{scheme}://{super().where}" + (f"/{prefix}" if prefix else "")

    def auth(self) -> tuple[str, str] | None:
        """The session's HTTP authentication: None (the default), or ``(username, secret)`` for Basic."""
        return None

    def new_session(self) -> requests.Session:
        """A fresh session: our User-Agent, :meth:`auth`, certificates verified (drivers/tls.py's trust)."""
        session = requests.Session()
        session.headers["User-Agent"] = USER_AGENT
        session.auth = self.auth()
        session.verify = tls.verify_paths(self.config.ca_file)
        return session

    def request(
        self,
        method: str,
        path: str = "",
        *,
        session: requests.Session | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request to :attr:`url` + ``path`` (through ``session``, else the driver's own).

        ``timeout`` defaults to the PBX's network timeout. Any HTTP status is
        returned: what it means is the driver's business. Nothing of the
        request's body is logged here (it may hold a secret).

        :raises RequestNotSent: the PBX was not reached. :raises AnswerLost: sent, but no answer came.
        """
        where = f"{self.protocol or self.name} {self.config.name} ({self.url})"
        timeout = self.config.timeout_s if timeout is None else timeout
        if self.config.use_tls:
            tls.check_ca_file(self.config.ca_file)  # requests' own error would be an OSError, not said
        # Per request: a session's own ``verify`` loses to REQUESTS_CA_BUNDLE in the environment.
        kwargs.setdefault("verify", tls.verify_paths(self.config.ca_file))
        try:
            answer = (session or self.http).request(
                method, self.url + path, timeout=max(timeout, 0.1), **kwargs
            )
        except requests.RequestException as exc:
            raise request_error(exc, where) from exc
        logger.debug("%s <- HTTP %s (%s %s)", where, answer.status_code, method, path or "/")
        return answer

    def check_session(self) -> contextlib.AbstractContextManager[Any]:
        """A fresh session (:meth:`fresh_session`) for one check: the driver's own stays as it is."""
        return self.fresh_session()

    @contextlib.contextmanager
    def fresh_session(self) -> Iterator[requests.Session]:
        """A new session of its own, closed at the end of the block."""
        session = self.new_session()
        try:
            yield session
        finally:
            session.close()

    def close(self) -> None:
        """Close the session's connections; the next request opens a new session."""
        self.http.close()
        self.http = self.new_session()


def _never_sent(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        # urllib3: NewConnectionError (refused, unknown host) is a ConnectTimeoutError.
        if isinstance(current, ConnectTimeoutError):
            return True
        pending += [getattr(current, "reason", None), current.__cause__, current.__context__]
        pending += [arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException)]
    return False


def request_error(exc: requests.RequestException, where: str) -> DriverError:
    """The driver error for a request that raised ``exc`` (logged here, without secrets)."""
    if isinstance(exc, requests.exceptions.SSLError):
        logger.warning("%s: TLS failed: %s", where, exc)
        return RequestNotSent(tls.failure(exc))
    if _never_sent(exc):
        logger.warning("%s: cannot connect: %s", where, type(exc).__name__)
        return RequestNotSent()
    logger.warning("%s: no answer: %s", where, type(exc).__name__)
    return AnswerLost()
