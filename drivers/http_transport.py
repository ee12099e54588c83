"""What the HTTP drivers (AJAM, ARI) share: the base URL, and what a failed request means.

A failed request either never reached the PBX (connection refused or timed
out while connecting: safe to report "unavailable") or may have been
executed (the connection broke or the answer did not come in time: an
originate must then be reported "outcome unknown" and never re-sent).
"""

from __future__ import annotations

import logging

import requests
from urllib3.exceptions import ConnectTimeoutError

from drivers.base import DriverError, PbxConfig, PbxUnavailable

logger = logging.getLogger(__name__)


class RequestNotSent(PbxUnavailable):
    """The request never reached the PBX (refused, no route, connect timeout)."""

    default_message = "the PBX cannot be reached"


class AnswerLost(PbxUnavailable):
    """The request was sent (perhaps executed) but no answer came."""

    default_message = "the PBX did not answer"


def base_url(config: PbxConfig, default_port: int, tls_port: int) -> str:
    """``http(s)://host:port`` plus the URL prefix (Asterisk's http.conf ``prefix``), no trailing slash."""
    scheme = "https" if config.use_tls else "http"
    port = config.port or (tls_port if config.use_tls else default_port)
    host = config.host or "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    prefix = config.url_prefix.strip("/")
    return f"{scheme}://{host}:{port}" + (f"/{prefix}" if prefix else "")


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
        return RequestNotSent("the TLS connection to the PBX failed")
    if _never_sent(exc):
        logger.warning("%s: cannot connect: %s", where, type(exc).__name__)
        return RequestNotSent()
    logger.warning("%s: no answer: %s", where, type(exc).__name__)
    return AnswerLost()
