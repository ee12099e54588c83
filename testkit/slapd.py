"""A throwaway OpenLDAP server (Debian's ``slapd``) on a free loopback port.

Used by the authentication and phonebook tests and by the benchmarks::

    with Slapd(size_limit=50) as ldap:        # stock=True: paged searches capped too
        ldap.add(ldif_text)                   # ldapadd as the root DN
        ldap.uri, ldap.base_dn, ldap.root_dn, ldap.root_password
        ldap.stop(); ldap.start()             # the server "goes down" and comes back

Entries can also be bulk-loaded before start with :meth:`Slapd.slapadd`.
The root DN is not subject to size limits; bind as :attr:`Slapd.reader_dn`
(created by :meth:`Slapd.add_base`) to see them.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from testkit.known_secrets import LDAP_READER_PASSWORD, LDAP_ROOT_PASSWORD

SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def slapd_binary() -> str | None:
    """The slapd program, or None when the Debian package is not installed."""
    for candidate in (shutil.which("slapd"), "/usr/sbin/slapd"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


class Slapd:
    base_dn = "dc=example,dc=org"
    root_dn = "cn=admin,dc=example,dc=org"
    root_password = LDAP_ROOT_PASSWORD
    reader_dn = "cn=reader,dc=example,dc=org"
    reader_password = LDAP_READER_PASSWORD

    def __init__(self, size_limit: int = 500, stock: bool = False) -> None:
        """``stock``: the size limit as a stock OpenLDAP has it (``sizelimit 500``), which also
        caps the total of a paged search; else paged searches may read everything."""
        binary = slapd_binary()
        if binary is None:
            raise RuntimeError("slapd is not installed (Debian package slapd)")
        self.binary = binary
        self.size_limit = size_limit
        self.stock = stock
        self.tmp = Path(tempfile.mkdtemp(prefix="astitray-slapd-"))
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        (self.tmp / "data").mkdir()
        self.config = self.tmp / "slapd.conf"
        self.config.write_text(self._config_text())

    @property
    def uri(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def _config_text(self) -> str:
        schemas = "\n".join(
            f"include {SCHEMA_DIR / name}.schema" for name in ("core", "cosine", "inetorgperson", "nis")
        )
        return f"""{schemas}
pidfile {self.tmp}/slapd.pid
argsfile {self.tmp}/slapd.args
modulepath {MODULE_DIR}
moduleload back_mdb
{self._size_limit_line()}

database mdb
maxsize 4294967296
suffix "{self.base_dn}"
rootdn "{self.root_dn}"
rootpw {self.root_password}
directory {self.tmp}/data
index objectClass eq
index cn,sn,givenName,mail,uid eq,sub
index telephoneNumber eq,sub
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
"""

    def _size_limit_line(self) -> str:
        if self.stock:
            return f"sizelimit {self.size_limit}"
        return f"sizelimit size.soft={self.size_limit} size.hard={self.size_limit} size.prtotal=unlimited"

    def start(self, timeout: float = 10.0) -> None:
        """Start slapd (again) on the same port and data; wait until it answers."""
        self.process = subprocess.Popen(
            [self.binary, "-f", str(self.config), "-h", f"{self.uri}/", "-d", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise RuntimeError(f"slapd exited: {error[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError("slapd did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Slapd:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def base_ldif(self) -> str:
        """The suffix entry, ``ou=people``, ``ou=groups`` and the read-only ``cn=reader``."""
        return f"""dn: {self.base_dn}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,{self.base_dn}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{self.base_dn}
objectClass: organizationalUnit
ou: groups

dn: {self.reader_dn}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: reader
userPassword: {self.reader_password}
"""

    def add_base(self) -> None:
        self.add(self.base_ldif())

    def add(self, ldif: str) -> None:
        """``ldapadd`` the entries, bound as the root DN."""
        self._ldap_tool("ldapadd", ldif)

    def modify(self, ldif: str) -> None:
        """``ldapmodify`` (changetype records), bound as the root DN."""
        self._ldap_tool("ldapmodify", ldif)

    def _ldap_tool(self, tool: str, ldif: str) -> None:
        subprocess.run(
            [tool, "-x", "-H", self.uri, "-D", self.root_dn, "-w", self.root_password],
            input=ldif.encode(),
            check=True,
            capture_output=True,
        )

    def slapadd(self, ldif_path: Path) -> None:
        """Bulk-load an LDIF file into the database (slapd must be stopped): fast, no checks."""
        if self.process is not None:
            raise RuntimeError("stop slapd before slapadd")
        subprocess.run(
            [str(Path(self.binary).with_name("slapadd")), "-q", "-f", str(self.config), "-l", str(ldif_path)],
            check=True,
            capture_output=True,
        )
