"""The tray client as users install it: ``make tray-deb``'s package, installed with apt.

The desktop tests run the installed ``/usr/bin/astitray-tray`` with Debian's
``/usr/bin/python3`` (the path users take: no virtualenv, Debian's pystray,
keyring and Pillow). Installing needs root, as CI runs; elsewhere the tests
that need it skip with the reason, and fail when ASTITRAY_REQUIRE_SERVICES=1.

Several checkouts on one machine may run their tests at once: the package
is installed, and used, under an exclusive lock held for one test module,
so that nobody else's version replaces it midway (and installed again only
when the installed files are not this checkout's).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from testkit.desktop import INSTALLED_TRAY, ROOT

LOCK_PATH = Path("/var/lock/astitray-tray-package.lock")
LOCK_WAIT_S = 1800.0
PACKAGE_HOME = Path("/usr/share/astitray-tray")


def unavailable() -> str:
    """Why the package cannot be built and installed here ("" when it can)."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return "installing the tray's Debian package needs root (CI runs the tests as root)"
    missing = [tool for tool in ("dpkg-deb", "apt-get") if shutil.which(tool) is None]
    if missing:
        return f"installing the tray's Debian package needs {', '.join(missing)}"
    return ""


def build(output: Path) -> Path:
    """``scripts/tray-deb``: the package of this checkout."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "tray-deb"), "--output", str(output)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise AssertionError(f"scripts/tray-deb failed: {result.stderr}")
    return Path(result.stdout.strip().splitlines()[-1])


def lock() -> IO[str]:
    """The machine's package lock, held until the returned file is closed."""
    handle = LOCK_PATH.open("w")
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                raise AssertionError("another test session held the tray package for 30 minutes") from None
            time.sleep(1)


def install(deb: Path) -> str:
    """``apt-get install ./astitray-tray_….deb``, as the docs say (again if the same version is there)."""
    result = subprocess.run(
        ["apt-get", "install", "-y", "-q", "--reinstall", "-o", "DPkg::Lock::Timeout=600",
         str(deb.resolve())],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise AssertionError(
            f"apt-get could not install {deb.name}: {result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    return result.stdout


def installed_matches_checkout() -> bool:
    """Whether /usr/share/astitray-tray holds this checkout's tray_client, byte for byte."""

    def digest(root: Path) -> str:
        hashed = hashlib.sha256()
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".mo") and "__pycache__" not in path.parts:
                hashed.update(str(path.relative_to(root)).encode() + path.read_bytes())
        return hashed.hexdigest()

    return Path(INSTALLED_TRAY).exists() and digest(PACKAGE_HOME / "tray_client") == digest(
        ROOT / "tray_client"
    )
