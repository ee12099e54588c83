"""TLS to the PBX, the same for every driver: one CA file (``ASTITRAY_PBX_CA_FILE``) or the system's store.

A PBX whose certificate comes from the organisation's own CA is trusted by
naming that CA's PEM file; without one, the system's trust store is used
(``/etc/ssl/certs``: add the CA there with ``update-ca-certificates`` to
trust it system-wide). A failed handshake is said in the admin's words:
"the PBX's certificate is not trusted (…)" with OpenSSL's reason, or "the CA
file … cannot be used (…)", rather than "the TLS connection failed".

Nothing here imports Django.
"""

from __future__ import annotations

import os
import ssl
from functools import lru_cache

from drivers.base import RequestNotSent
from drivers.translation import gettext as _


class CaFileUnusable(RequestNotSent):
    """The configured CA file is missing, unreadable or holds no certificate: nothing was sent."""


def verify_paths(ca_file: str) -> str | bool:
    """What ``requests`` takes as ``verify``: the CA file, else True (its own bundle is not used then)."""
    return ca_file or system_bundle() or True


@lru_cache(maxsize=1)
def system_bundle() -> str:
    """The system's trust store as one file (Debian: /etc/ssl/certs/ca-certificates.crt), or ""."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and os.path.isfile(candidate):
            return candidate
    return ""


def client_context(ca_file: str) -> ssl.SSLContext:
    """A context that checks the PBX's certificate and name against ``ca_file`` (else the system's store).

    :raises CaFileUnusable: the file cannot be read or holds no certificate.
    """
    if not ca_file:
        return ssl.create_default_context()
    try:
        stamp = os.stat(ca_file).st_mtime_ns
    except OSError as exc:
        raise unusable(ca_file, exc) from exc
    return _context_of(ca_file, stamp)


@lru_cache(maxsize=4)
def _context_of(ca_file: str, _stamp: int) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise unusable(ca_file, exc) from exc


def check_ca_file(ca_file: str) -> None:
    """Raise :class:`CaFileUnusable` unless ``ca_file`` is empty or a readable PEM file of certificates."""
    if ca_file:
        client_context(ca_file)


def unusable(ca_file: str, exc: BaseException) -> CaFileUnusable:
    reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or type(exc).__name__
    if isinstance(exc, ssl.SSLError) and exc.reason in (None, "NO_CERTIFICATE_OR_CRL_FOUND"):
        reason = _("no certificate in it")
    return CaFileUnusable(
        _("the CA file %(path)s cannot be used (%(reason)s)") % {"path": ca_file, "reason": reason}
    )


def verification_error(exc: BaseException | None) -> ssl.SSLCertVerificationError | None:
    """The certificate verification error inside ``exc`` (a requests or websocket error), if any."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        pending += [getattr(current, "reason", None), current.__cause__, current.__context__]
        pending += [arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException)]
    return None


def failure(exc: BaseException) -> str:
    """What a failed TLS handshake means, for the admin: an untrusted certificate, or a plain failure."""
    unverified = verification_error(exc)
    if unverified is not None:
        reason = unverified.verify_message or unverified.reason or "certificate verify failed"
        return _("the PBX's certificate is not trusted (%(reason)s)") % {"reason": reason}
    return _("the TLS connection to the PBX failed")
