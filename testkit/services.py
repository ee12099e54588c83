"""Real external services for the tests: find them, or skip (or fail) with a clear reason.

A test that needs PostgreSQL, MariaDB, slapd, Xvfb or Chromium calls
:func:`require` when the service is missing: the test is skipped with the
reason, except when ``ASTITRAY_REQUIRE_SERVICES=1`` (CI), where it fails.
"""

from __future__ import annotations

import os
import shutil
import socket

import pytest

POSTGRES_URL = os.environ.get("ASTITRAY_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
MARIADB_URL = os.environ.get("ASTITRAY_TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/test")


def services_required() -> bool:
    return os.environ.get("ASTITRAY_REQUIRE_SERVICES") == "1"


def require(available: bool, reason: str) -> None:
    """Skip the test with ``reason`` if the service is not available (fail in CI)."""
    if available:
        return
    if services_required():
        pytest.fail(f"{reason} (ASTITRAY_REQUIRE_SERVICES=1: required here)", pytrace=False)
    pytest.skip(reason)


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_postgres() -> str:
    """The URL of a reachable PostgreSQL server (trust auth) or skip."""
    require(port_open("127.0.0.1", 5432), "PostgreSQL is not running on 127.0.0.1:5432")
    return POSTGRES_URL


def require_mariadb() -> str:
    """The URL of a reachable MariaDB server (root, empty password) or skip."""
    require(port_open("127.0.0.1", 3306), "MariaDB is not running on 127.0.0.1:3306")
    return MARIADB_URL


def require_program(name: str, package: str) -> str:
    """The path of an installed program, or skip naming the Debian package to install."""
    path = shutil.which(name) or (f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}") else None)
    require(path is not None, f"{name} is not installed (Debian package {package})")
    assert path is not None
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
