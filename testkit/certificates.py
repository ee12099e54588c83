"""A test CA and a server certificate it signed, made with the ``openssl`` command (Debian: openssl).

``make_certificates(directory)`` writes ``ca.pem`` (the CA), ``server.pem``
and ``server.key`` (for 127.0.0.1 and ``localhost``), and
:func:`server_context` is a server-side TLS context of them, for fake PBXs.
"""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(directory: Path) -> Path:
    """ca.pem, and server.pem/server.key for 127.0.0.1 signed by it, in ``directory`` (returned)."""
    _openssl("req", "-x509", *_EC, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=Astitray Test Organisation CA", cwd=directory)  # fmt: skip
    _openssl(
        "req", *_EC, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=directory
    )
    (directory / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf", cwd=directory)  # fmt: skip
    return directory


def server_context(directory: Path) -> ssl.SSLContext:
    """A server context presenting ``server.pem`` (made by :func:`make_certificates`)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "server.pem", directory / "server.key")
    return context
