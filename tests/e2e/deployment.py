"""The production layout of ``deploy/``, run on this machine as systemd and nginx would run it.

- :func:`read_env_file` reads a systemd ``EnvironmentFile``; :class:`Unit`
  a unit file; :class:`Host` plays one server's ``/etc/astitray`` and
  systemd's credentials: :meth:`Host.command` is what systemd would start
  for a unit (its ``ExecStart``, environment and credentials), with
  ``/srv/astitray`` being this checkout and its ``.venv`` the running
  virtualenv.
- :class:`Nginx` runs ``deploy/nginx/astitray.conf`` (ports, certificate
  paths and upstream servers changed, nothing else) as its own process,
  with its own prefix, on free loopback ports.
- :func:`self_signed_certificate`, :func:`scratch_database` (a throwaway
  PostgreSQL or MariaDB database), :func:`query`, :class:`HttpsRpc` (an
  XML-RPC client that talks to nginx by name over TLS and sees which app
  server answered).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from testkit.services import free_port, port_open, require_mariadb, require_postgres

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
SRV = "/srv/astitray"
ETC = "/etc/astitray"
SITE_NAME = "astitray.example.org"
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


# --- systemd ---------------------------------------------------------------------------


def read_env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` lines of an ``EnvironmentFile`` (comments, blank lines, quotes: as systemd)."""
    env: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip().isidentifier():
            raise ValueError(f"{path}:{number}: not NAME=value: {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[name.strip()] = value
    return env


@dataclass
class Unit:
    """A unit file's settings: ``unit.values("ExecStart")`` (section ``Service`` unless named)."""

    path: Path
    sections: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Unit:
        unit = cls(path)
        section = ""
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                unit.sections.setdefault(section, [])
                continue
            key, sep, value = line.partition("=")
            if not sep or not section:
                raise ValueError(f"{path}:{number}: not key=value in a section: {raw!r}")
            unit.sections[section].append((key.strip(), value.strip()))
        return unit

    def values(self, key: str, section: str = "Service") -> list[str]:
        return [value for name, value in self.sections.get(section, []) if name == key]

    def value(self, key: str, section: str = "Service") -> str:
        found = self.values(key, section)
        return found[-1] if found else ""


class Host:
    """One app server's ``/etc/astitray`` and systemd credential directory, in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.etc = directory / "etc-astitray"
        self.credentials = directory / "credentials"
        self.etc.mkdir(parents=True)
        self.credentials.mkdir(mode=0o700)
        self.runtime = directory / "run"  # systemd's /run (%t)
        shutil.copy(DEPLOY / "astitray.env", self.etc / "astitray.env")

    def write_secret(self, name: str, text: str) -> Path:
        """``/etc/astitray/<name>``, readable by its owner only (what LoadCredential= reads)."""
        path = self.etc / name
        path.touch(mode=0o600)
        path.write_text(text + "\n", encoding="utf-8")
        return path

    def local(self, path: str) -> str:
        """A path of the production layout, on this machine."""
        if path.startswith(f"{SRV}/.venv/bin/"):
            return str(Path(sys.executable).parent / path.removeprefix(f"{SRV}/.venv/bin/"))
        if path == SRV or path.startswith(f"{SRV}/"):
            return str(ROOT) + path.removeprefix(SRV)
        if path.startswith(f"{ETC}/"):
            return str(self.etc) + path.removeprefix(ETC)
        return path

    def _specifiers(self, text: str) -> str:
        """systemd's ``%%``, ``%d`` (the credential directory) and ``%t`` (the runtime directory)."""
        values = {"%": "%", "d": str(self.credentials), "t": str(self.runtime)}
        return re.sub(r"%([%dt])", lambda m: values[m.group(1)], text)

    def command(
        self, unit: Unit, overrides: dict[str, str] | None = None
    ) -> tuple[list[str], dict[str, str]]:
        """The ``ExecStart`` command line and environment systemd would give ``unit``'s service.

        ``EnvironmentFile=``, then ``Environment=`` (``%d``: the credential
        directory, ``%t``: the runtime directory), then ``overrides`` (as a
        drop-in would); ``LoadCredential=`` files are copied into the
        credential directory, ``RuntimeDirectory=`` ones are created. The working
        directory must be ``/srv/astitray`` (this checkout).
        """
        assert unit.value("WorkingDirectory") == SRV, unit.path
        env = {"PATH": SYSTEMD_PATH}
        for path in unit.values("EnvironmentFile"):
            env.update(read_env_file(Path(self.local(path.removeprefix("-")))))
        for line in unit.values("Environment"):
            for item in shlex.split(self._specifiers(line)):
                name, _, value = item.partition("=")
                env[name] = value
        for name in unit.values("RuntimeDirectory"):
            (self.runtime / name).mkdir(parents=True, exist_ok=True, mode=0o700)
        for line in unit.values("LoadCredential"):
            name, _, source = line.partition(":")
            target = self.credentials / name
            shutil.copyfile(self.local(source), target)
            target.chmod(0o400)
        env.update(overrides or {})
        exec_start = unit.value("ExecStart").lstrip("-@:+!")
        argv = [self.local(arg) for arg in shlex.split(self._specifiers(exec_start))]
        return argv, env


# --- TLS, nginx -----------------------------------------------------------------------------


def self_signed_certificate(directory: Path, name: str = SITE_NAME) -> tuple[Path, Path]:
    """(certificate, key) for ``name``, made with ``openssl``: the certificate is also the client's CA."""
    cert, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


class Nginx:
    """``deploy/nginx/astitray.conf`` in front of app servers on loopback ``upstream_ports``.

    What changes from the shipped file: the upstream servers' addresses (their
    options kept), the listening ports (127.0.0.1 only), the certificate
    paths, the path of the included proxy snippet, and one added response
    header, ``X-Astitray-Upstream`` (nginx's ``$upstream_addr``: which app
    server answered). Each change must match the shipped file exactly as
    expected, so that a reshaped file fails here rather than going untested.
    """

    def __init__(self, directory: Path, upstream_ports: list[int], cert: Path, key: Path) -> None:
        self.program = shutil.which("nginx") or "/usr/sbin/nginx"
        self.dir = directory
        self.upstream_ports = upstream_ports
        self.cert, self.key = cert, key
        self.https_port, self.http_port = free_port(), free_port()
        self.down: set[int] = set()
        self.process: subprocess.Popen | None = None

    def site(self) -> str:
        text = (DEPLOY / "nginx" / "astitray.conf").read_text(encoding="utf-8")

        def upstream(match: re.Match) -> str:
            servers = re.findall(r"^\s*server \S+( [^;]*)?;$", match.group(1), flags=re.M)
            assert servers, "no server in the upstream block"
            options = servers[0] or ""
            lines = "".join(
                f"    server 127.0.0.1:{port}{options}{' down' if port in self.down else ''};\n"
                for port in self.upstream_ports
            )
            return "upstream astitray {\n" + lines + "}"

        text = substitute(r"upstream astitray \{\n(.*?)\n\}", upstream, text, 1, flags=re.S)
        text = substitute(r"^\s*listen \[::\]:\d+.*;\n", "", text, 3, flags=re.M)
        text = substitute(r"listen 80;", f"listen 127.0.0.1:{self.http_port};", text, 1)
        text = substitute(r"listen 443 ssl", f"listen 127.0.0.1:{self.https_port} ssl", text, 2)
        text = substitute(r"/etc/ssl/astitray/fullchain\.pem", str(self.cert), text, 1)
        text = substitute(r"/etc/ssl/astitray/privkey\.pem", str(self.key), text, 1)
        return substitute(
            r"include /etc/nginx/snippets/astitray-proxy\.conf;",
            f"include {DEPLOY / 'nginx' / 'astitray-proxy.conf'};\n"
            "        add_header X-Astitray-Upstream $upstream_addr always;",
            text,
            1,
        )

    def main_config(self) -> str:
        user = "user root root;\n" if os.geteuid() == 0 else ""  # the workers read this test's folders
        d = self.dir
        return f"""{user}worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log notice;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    include {d}/astitray.conf;
}}
"""

    def _args(self) -> list[str]:
        return [
            self.program,
            "-p",
            str(self.dir),
            "-c",
            str(self.dir / "nginx.conf"),
            "-e",
            str(self.dir / "error.log"),
        ]

    def __enter__(self) -> Nginx:
        (self.dir / "astitray.conf").write_text(self.site(), encoding="utf-8")
        (self.dir / "nginx.conf").write_text(self.main_config(), encoding="utf-8")
        checked = subprocess.run([*self._args(), "-t"], capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen(
            [*self._args(), "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while not (port_open("127.0.0.1", self.https_port) and port_open("127.0.0.1", self.http_port)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"nginx did not start: {self.error_log()}")
            time.sleep(0.05)
        return self

    def reload(self, down: set[int], timeout: float = 60) -> None:
        """Mark the app servers on ports ``down`` as down (the others up), as ``nginx -s reload`` does.

        Returns once the old worker is gone: every later request follows the new configuration.
        """
        assert self.process is not None
        self.down = set(down)
        (self.dir / "astitray.conf").write_text(self.site(), encoding="utf-8")
        old = children(self.process.pid)
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while children(self.process.pid) & old or not children(self.process.pid):
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not reload: {self.error_log()}")
            time.sleep(0.05)

    def error_log(self) -> str:
        with contextlib.suppress(OSError):
            return (self.dir / "error.log").read_text(errors="replace")[-2000:]
        return ""

    def __exit__(self, *exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)  # graceful: finish the requests under way
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def children(parent: int) -> set[int]:
    """The processes whose parent is ``parent`` (gunicorn's or nginx's workers), read from ``/proc``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == parent:
                found.add(int(entry.name))
    return found


def substitute(pattern: str, replacement: Any, text: str, count: int, flags: int = 0) -> str:
    """``re.subn`` that insists on exactly ``count`` matches."""
    result, made = re.subn(pattern, replacement, text, flags=flags)
    assert made == count, f"{pattern!r}: {made} matches in the shipped file, expected {count}"
    return result


# --- Databases -----------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """The URL of a new, empty database, dropped afterwards.

    MariaDB when the test suite runs on MariaDB, else PostgreSQL (skipped,
    or failed in CI, when it is not running). Its name starts with the
    suite's database name and ends with a random part: concurrent runs
    never share one.
    """
    suite = urlsplit(os.environ.get("DATABASE_URL", ""))
    prefix = suite.path.strip("/") if suite.scheme in ("postgres", "postgresql", "mysql") else "astitray"
    name = f"{prefix}_scaleout_{secrets.token_hex(3)}"
    if suite.scheme == "mysql":
        require_mariadb()
        import MySQLdb

        def mariadb(statement: str) -> None:
            connection = MySQLdb.connect(host="127.0.0.1", port=3306, user="root")
            try:
                connection.cursor().execute(statement)
            finally:
                connection.close()

        mariadb(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        try:
            yield f"mysql://root@127.0.0.1:3306/{name}"
        finally:
            mariadb(f"DROP DATABASE IF EXISTS `{name}`")
        return

    require_postgres()
    import psycopg

    def postgres(statement: str) -> None:
        with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True) as db:
            db.execute(statement)

    postgres(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(database_url: str, sql: str, *params: object) -> list[tuple]:
    """Rows of ``sql`` (``%s`` parameters) on the PostgreSQL or MariaDB database ``database_url``."""
    parts = urlsplit(database_url)
    if parts.scheme == "mysql":
        import MySQLdb

        connection = MySQLdb.connect(
            host=parts.hostname,
            port=parts.port or 3306,
            user=parts.username or "root",
            database=parts.path.strip("/"),
        )
        try:
            cursor = connection.cursor()
            cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            connection.close()
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as db:
        return [tuple(row) for row in db.execute(sql, params).fetchall()]


# --- Redis -------------------------------------------------------------------------------------


def require_redis() -> None:
    from testkit.services import require

    require(
        port_open("127.0.0.1", 6379),
        "Redis is not running on 127.0.0.1:6379 (Debian package redis-server; .ci/run starts it)",
    )


def delete_redis_keys(prefix: str) -> int:
    """Delete the keys Django's cache wrote with ``KEY_PREFIX`` ``prefix``; how many there were."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=0)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
        if keys:
            client.delete(*keys)
        return len(keys)
    finally:
        client.close()


# --- An XML-RPC client through nginx ----------------------------------------------------------------


@dataclass
class Answer:
    """One call through the proxy: its value or fault code, or the transport error; who answered."""

    value: Any = None
    fault: int | None = None
    error: str = ""
    status: int = 0
    upstreams: tuple[str, ...] = ()
    started: float = 0.0
    ended: float = 0.0

    @property
    def upstream(self) -> str:
        """The app server that answered (after nginx tried another one, the last)."""
        return self.upstreams[-1] if self.upstreams else ""


class _Connection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1, by name (SNI, certificate check, Host header): what DNS would give."""

    def __init__(self, name: str, port: int, context: ssl.SSLContext, timeout: float) -> None:
        super().__init__(name, port, context=context, timeout=timeout)
        self.tls = context

    def connect(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


class HttpsRpc:
    """XML-RPC (``xmlrpc.client``'s own marshalling) through nginx at ``https://<name>:<port>/rpc/``."""

    def __init__(self, port: int, cafile: Path, name: str = SITE_NAME, timeout: float = 60.0) -> None:
        self.port, self.name, self.timeout = port, name, timeout
        self.context = ssl.create_default_context(cafile=str(cafile))

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        connection = _Connection(self.name, self.port, self.context, self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def call(
        self, procedure: str, *params: Any, auth: tuple[str, str] | None = None, bearer: str = ""
    ) -> Answer:
        """One call with Basic credentials (``auth``) or an API token (``bearer``)."""
        headers = {"Content-Type": "text/xml"}
        if auth is not None:
            headers["Authorization"] = xmlrpc_basic(*auth)
        elif bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        body = xmlrpc.client.dumps(params, procedure).encode()
        answer = Answer(started=time.monotonic())
        try:
            status, response_headers, content = self.request("POST", "/rpc/", body, headers)
        except OSError as exc:
            answer.error = type(exc).__name__
            answer.ended = time.monotonic()
            return answer
        answer.ended = time.monotonic()
        answer.status = status
        upstream = response_headers.get("X-Astitray-Upstream", "")
        answer.upstreams = tuple(item.strip() for item in upstream.split(",") if item.strip())
        if status != 200:
            answer.error = f"HTTP {status}"
            return answer
        try:
            (answer.value,), _ = xmlrpc.client.loads(content)
        except xmlrpc.client.Fault as fault:
            answer.fault = fault.faultCode
        return answer


def xmlrpc_basic(username: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
