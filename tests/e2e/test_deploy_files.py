"""The files of deploy/ do what docs/deploying.md says: the settings pass ``check --deploy``, the units run.

The units are run the way systemd would run them (:class:`tests.e2e.deployment.Host`):
their ``ExecStart``, with ``EnvironmentFile=`` (``deploy/astitray.env``),
``Environment=`` and the ``LoadCredential=`` secrets in a credential directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testkit.known_secrets import DEPLOY_SECRET_KEY
from testkit.services import free_port, require, require_program
from testkit.slapd import Slapd, slapd_binary
from tests.e2e.deployment import DEPLOY, ROOT, SRV, Host, Unit, children, read_env_file

SECRET = DEPLOY_SECRET_KEY
RUN: dict = {"capture_output": True, "text": True, "timeout": 120, "cwd": "/"}


def production_host(tmp_path: Path, cache_url: str = "redis://127.0.0.1:6379/0") -> Host:
    host = Host(tmp_path / "host")
    host.write_secret("secret_key", SECRET)
    host.write_secret("database_url", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    host.write_secret("cache_url", cache_url)
    return host


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_documented_production_settings_pass_check_deploy(tmp_path):
    _, env = production_host(tmp_path).command(Unit.read(DEPLOY / "systemd" / "astitray.service"))
    assert "SECRET_KEY" not in env and "DATABASE_URL" not in env  # secrets only as files
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

    shown = manage(
        env,
        "shell",
        "-c",
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'key': s.SECRET_KEY, 'db': s.DATABASES['default']['NAME'], 'cache': s.CACHES['default']['BACKEND'],"
        "'hsts': s.SECURE_HSTS_SECONDS, 'cookies': [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE],"
        "'redirect': s.SECURE_SSL_REDIRECT, 'proxy': s.SECURE_PROXY_SSL_HEADER, 'debug': s.DEBUG,"
        "'admin': s.ASTITRAY_ADMIN_PATH}))",
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout.strip().splitlines()[-1]) == {
        "key": SECRET,
        "db": str(tmp_path / "db.sqlite3"),
        "cache": "astitray.cache.SharedPoolRedisCache",
        "hsts": 31536000,
        "cookies": [True, True],
        "redirect": True,
        "proxy": ["HTTP_X_FORWARDED_PROTO", "https"],
        "debug": False,
        "admin": "office-admin/",
    }


def test_a_url_in_the_environment_and_in_a_file_is_refused(tmp_path):
    host = production_host(tmp_path)
    _, env = host.command(Unit.read(DEPLOY / "systemd" / "astitray.service"))
    result = manage({**env, "DATABASE_URL": "sqlite:///elsewhere.sqlite3"}, "check")
    assert result.returncode != 0
    assert "set DATABASE_URL or DATABASE_URL_FILE, not both" in result.stderr


ADMIN_PATHS = """
import json
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client()
answers = {}
for path in ("/", "/admin/", "/office-admin/"):
    response = client.get(path)
    answers[path] = [response.status_code, response.headers.get("Location", "")]
print(json.dumps(answers))
"""


@pytest.mark.parametrize(
    ("admin_path", "expected"),
    [
        (
            "office-admin/",
            {
                "/": [404, ""],
                "/admin/": [404, ""],
                "/office-admin/": [302, "/office-admin/login/?next=/office-admin/"],
            },
        ),
        (
            "",
            {
                "/": [302, "/admin/"],
                "/admin/": [302, "/admin/login/?next=/admin/"],
                "/office-admin/": [404, ""],
            },
        ),
    ],
)
def test_the_admin_moves_and_nothing_points_to_it(tmp_path, admin_path, expected):
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ASTITRAY_ADMIN_PATH": admin_path,
    }
    result = manage(env, "shell", "-c", ADMIN_PATHS)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == expected


def test_the_gunicorn_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("ASTITRAY_BIND", "127.0.0.1:8001, 10.0.0.11:8000")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    config = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert config["bind"] == ["127.0.0.1:8001", "10.0.0.11:8000"]
    assert (config["workers"], config["worker_class"], config["graceful_timeout"]) == (
        3,
        "uvicorn_worker.UvicornWorker",
        30,
    )
    names = ("max_requests", "preload_app", "control_socket_disable")
    assert [config[name] for name in names] == [0, False, True]
    monkeypatch.setenv("WEB_CONCURRENCY", "many")
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY must be a number of worker processes, not 'many'"):
        runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


def test_the_environment_file_names_only_known_settings():
    """Every variable of deploy/astitray.env is one docs/ documents (a typo would be ignored)."""
    readme = "".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").glob("*.md")))
    names = list(read_env_file(DEPLOY / "astitray.env"))
    assert names, "no setting in deploy/astitray.env"
    assert [name for name in names if f"`{name}`" not in readme] == []


def test_systemd_accepts_the_units(tmp_path):
    analyze = require_program("systemd-analyze", "systemd")
    host = Host(tmp_path / "host")
    for unit in (DEPLOY / "systemd").iterdir():
        text = unit.read_text(encoding="utf-8")
        # Where the executables are on this machine (systemd-analyze checks they exist).
        text = text.replace(f"{SRV}/.venv/bin/", f"{Path(sys.executable).parent}/")
        text = text.replace(f"{SRV}/", f"{ROOT}/").replace("/etc/astitray", str(host.etc))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    units = sorted(str(path) for path in tmp_path.glob("astitray*"))
    assert len(units) == 4
    result = subprocess.run(
        [analyze, "verify", "--man=no", *units], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        # A container without systemd running as PID 1 says so; not a problem of the units.
        if line.strip() and "Failed to connect" not in line and "System has not been booted" not in line
    ]
    assert problems == [], "\n".join(problems)
    timer = Unit.read(DEPLOY / "systemd" / "astitray-import-contacts.timer")
    assert (DEPLOY / "systemd" / timer.value("Unit", "Timer")).exists()


def test_the_timer_unit_imports_the_phonebook(tmp_path):
    """``astitray-import-contacts.service``'s command, with its credentials, against a real directory."""
    require(slapd_binary() is not None, "slapd is not installed (Debian package slapd)")
    host = production_host(tmp_path, cache_url="locmem://")
    with Slapd() as directory:
        directory.add_base()
        directory.add(
            "".join(
                f"dn: uid=p{n},ou=people,{directory.base_dn}\nobjectClass: inetOrgPerson\nuid: p{n}\n"
                f"cn: Person {n}\nsn: Person\ntelephoneNumber: +33 1 42 68 00 {n:02d}\n\n"
                for n in range(3)
            )
        )
        host.write_secret("phonebook_ldap_password", directory.reader_password)
        # What the admin adds to /etc/astitray/astitray.env for the import.
        with (host.etc / "astitray.env").open("a", encoding="utf-8") as env_file:
            env_file.write(
                f"ASTITRAY_PHONEBOOK_LDAP_URI={directory.uri}\n"
                f"ASTITRAY_PHONEBOOK_LDAP_BASE=ou=people,{directory.base_dn}\n"
                f"ASTITRAY_PHONEBOOK_LDAP_BIND_DN={directory.reader_dn}\n"
            )
        unit = Unit.read(DEPLOY / "systemd" / "astitray-import-contacts.service")
        argv, env = host.command(unit)
        assert "ASTITRAY_PHONEBOOK_LDAP_BIND_PASSWORD" not in env  # only as a file
        migrated = manage(env, "migrate", "--noinput", "-v", "0")
        assert migrated.returncode == 0, migrated.stderr
        assert argv[1:4] == ["manage.py", "import_ldap_contacts", "--prune"]
        result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 read: 3 created" in result.stdout
    with contextlib.closing(sqlite3.connect(tmp_path / "db.sqlite3")) as db:
        names = sorted(name for (name,) in db.execute("SELECT name FROM phonebook_contact"))
    assert names == ["Person 0", "Person 1", "Person 2"]


def test_astitray_manage_runs_manage_py_with_the_service_settings(tmp_path):
    host = production_host(tmp_path)
    template = "uid=%(user)s,ou=people,dc=example,dc=org"
    with (host.etc / "astitray.env").open("a", encoding="utf-8") as env_file:
        env_file.write(f"AUTH_LDAP_USER_DN_TEMPLATE='{template}'\n")  # shell characters, quoted
    _, service_env = host.command(Unit.read(DEPLOY / "systemd" / "astitray.service"))
    assert service_env["AUTH_LDAP_USER_DN_TEMPLATE"] == template  # as systemd reads it
    env = {
        "PATH": "/usr/bin:/bin",
        "ASTITRAY_ETC": str(host.etc),
        "ASTITRAY_HOME": str(ROOT),
        "ASTITRAY_PYTHON": sys.executable,
    }
    script = str(DEPLOY / "astitray-manage")
    checked = subprocess.run([script, "check", "--deploy", "--fail-level", "WARNING"], env=env, **RUN)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    code = (
        "from django.conf import settings as s; "
        f"print(s.AUTH_LDAP_USER_DN_TEMPLATE, s.SECRET_KEY == {SECRET!r})"
    )
    shown = subprocess.run([script, "shell", "-c", code], env=env, **RUN)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().splitlines()[-1] == f"{template} True"  # as the shell reads it


def test_gunicorn_makes_the_metrics_directory_and_refuses_one_it_cannot_write(monkeypatch, tmp_path):
    config = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    config["on_starting"](None)
    assert (tmp_path / "metrics").is_dir()
    if os.geteuid() != 0:  # root writes anywhere
        (tmp_path / "metrics").chmod(0o500)
        with pytest.raises(SystemExit, match="is not writable"):
            config["on_starting"](None)


class NotifySocket:
    """systemd's notification socket (``NOTIFY_SOCKET``), as the service manager reads it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))

    def received(self, seconds: float) -> list[str]:
        """What was sent during the next ``seconds``."""
        states: list[str] = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                states.append(self.sock.recv(4096).decode())
            except TimeoutError:
                break
        return states

    def wait_for(self, state: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(state in line for line in self.received(0.5)):
                return
        raise AssertionError(f"systemd was never told {state}")


def test_the_watchdog_is_fed_only_while_healthz_answers(tmp_path):
    """astitray.service's ExecStart with WatchdogSec: WATCHDOG=1 while workers answer, none once they hang."""
    unit = Unit.read(DEPLOY / "systemd" / "astitray.service")
    assert unit.value("WatchdogSec")
    assert (unit.value("Type"), unit.value("NotifyAccess")) == ("notify", "main")
    host = production_host(tmp_path, cache_url="locmem://")
    notify = NotifySocket(tmp_path / "notify")
    port = free_port()
    argv, env = host.command(
        unit,
        {
            "NOTIFY_SOCKET": str(notify.path),
            "WATCHDOG_USEC": "900000",  # a probe every 0.3 s
            "ASTITRAY_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
            "ALLOWED_HOSTS": "astitray.example.org",
        },
    )
    assert manage(env, "migrate", "--noinput", "-v", "0").returncode == 0
    server = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        notify.wait_for("READY=1", 60)
        notify.wait_for("WATCHDOG=1", 60)
        assert notify.received(2).count("WATCHDOG=1") >= 3

        workers = children(server.pid)
        assert len(workers) == 2
        for pid in workers:
            os.kill(pid, signal.SIGSTOP)  # every worker hangs: the master alone answers nothing
        try:
            notify.received(1)  # a probe under way when they stopped
            assert "WATCHDOG=1" not in notify.received(2)
        finally:
            for pid in workers:
                os.kill(pid, signal.SIGCONT)
        notify.wait_for("WATCHDOG=1", 30)
    finally:
        server.terminate()
        server.wait(timeout=60)
        notify.sock.close()


def test_the_listener_unit_listens_and_stops_cleanly_on_sigterm(tmp_path):
    """``astitray-events.service``'s command with the service's environment: it holds the console PBX's
    lease, connects, and on SIGTERM (systemctl stop) gives the lease back and exits 0."""
    host = production_host(tmp_path, cache_url="locmem://")
    unit = Unit.read(DEPLOY / "systemd" / "astitray-events.service")
    argv, env = host.command(unit)
    assert argv[1:] == ["manage.py", "pbx_events"]
    assert unit.value("KillSignal") == "SIGTERM" and unit.value("Restart") == "always"
    migrated = manage(env, "migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    listener = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        held: list[tuple[str]] = []
        while time.monotonic() < deadline and not held:
            time.sleep(0.2)
            with contextlib.closing(sqlite3.connect(tmp_path / "db.sqlite3", timeout=5)) as db:
                held = db.execute("SELECT holder FROM events_listenerlease WHERE connected = 1").fetchall()
        assert held and held[0][0].endswith(f":{listener.pid}")
    finally:
        listener.send_signal(signal.SIGTERM)
        output = listener.communicate(timeout=30)[0].decode()
    assert listener.returncode == 0, output
    assert "leases given back" in output
    with contextlib.closing(sqlite3.connect(tmp_path / "db.sqlite3")) as db:
        assert db.execute("SELECT holder, connected FROM events_listenerlease").fetchall() == [("", 0)]
