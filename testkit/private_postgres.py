"""A PostgreSQL server of the test's own, on a free port, that the test may stop and start again.

The machine's shared PostgreSQL is never stopped: a test that needs a
database going away (``/readyz`` answering 503) gets its own cluster, made
by ``initdb`` in a temporary folder and run by ``pg_ctl``. As root, both run
as the ``postgres`` user (PostgreSQL refuses to run as root).

    with PrivatePostgres() as pg:
        url = pg.url            # postgres://postgres@127.0.0.1:PORT/astitray
        pg.stop(); pg.start()
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from testkit.services import free_port, require


def postgres_bin() -> Path | None:
    """The newest installed ``/usr/lib/postgresql/*/bin`` holding initdb and pg_ctl, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    def __init__(self, database: str = "astitray") -> None:
        self.bin = postgres_bin()
        self.port = free_port()
        self.database = database
        self.dir: Path | None = None

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {result.stdout}{result.stderr}")
        return result

    def __enter__(self) -> PrivatePostgres:
        require(
            self.bin is not None, "PostgreSQL's server programs are not installed (Debian package postgresql)"
        )
        if os.geteuid() == 0:
            require(_user_exists("postgres"), "there is no postgres user to run a private PostgreSQL as")
        self.dir = Path(tempfile.mkdtemp(prefix="astitray-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        assert self.bin is not None
        self._run(
            str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--no-sync", "--no-instructions",
        )  # fmt: skip
        self.start()
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), self.database)
        return self

    def start(self) -> None:
        assert self.bin is not None and self.dir is not None
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir} "
            "-c fsync=off -c full_page_writes=off -c max_connections=40"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-o", options,
            "-l", str(self.dir / "server.log"), "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: sessions are ended, as a stopped service does)."""
        assert self.bin is not None and self.dir is not None
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", mode, "-w", "stop")

    def __exit__(self, *exc: object) -> None:
        if self.dir is None:
            return
        try:
            if (self.dir / "data" / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
