"""Settings come from the environment, strictly; production settings pass `check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from astitray import env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("raw", "expected"), [("True", True), ("false", False), ("1", True), ("off", False)])
def test_env_bool_reads_true_and_false(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env.env_bool("X_FLAG") is expected


def test_env_bool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env.env_bool("X_FLAG")


def test_env_int_checks_range(monkeypatch):
    monkeypatch.setenv("X_NUM", "5")
    assert env.env_int("X_NUM", 1, minimum=0) == 5
    with pytest.raises(ImproperlyConfigured, match="X_NUM must be at most 3"):
        env.env_int("X_NUM", 1, maximum=3)
    monkeypatch.setenv("X_NUM", "five")
    with pytest.raises(ImproperlyConfigured, match="X_NUM must be an integer"):
        env.env_int("X_NUM", 1)


def test_env_secret_reads_a_file(monkeypatch, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("s3cret\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret_file))
    assert env.env_secret("X_SECRET") == "s3cret"
    monkeypatch.setenv("X_SECRET", "other")
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env.env_secret("X_SECRET")


def test_env_secret_names_an_unreadable_file(monkeypatch, tmp_path):
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="X_SECRET_FILE"):
        env.env_secret("X_SECRET")


def test_env_mapping(monkeypatch):
    monkeypatch.setenv("X_MAP", "acme=acme.Driver, other = x.Y")
    assert env.env_mapping("X_MAP") == {"acme": "acme.Driver", "other": "x.Y"}
    monkeypatch.setenv("X_MAP", "acme")
    with pytest.raises(ImproperlyConfigured, match="X_MAP"):
        env.env_mapping("X_MAP")


def run_settings(extra_env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with only ``extra_env`` set."""
    environment = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "astitray.settings", **extra_env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


PRINT_DB = "from django.conf import settings as s; d = s.DATABASES['default']; print(d['ENGINE'], d['NAME'])"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@db.example.org:5432/astitray", "django.db.backends.postgresql astitray"),
        ("mysql://root@127.0.0.1:3306/astitray", "django.db.backends.mysql astitray"),
        ("sqlite:////tmp/x.sqlite3", "django.db.backends.sqlite3 /tmp/x.sqlite3"),
    ],
)
def test_database_url_selects_the_engine(url, expected, tmp_path):
    result = run_settings({"DATABASE_URL": url, "SECRET_KEY": "x" * 60}, PRINT_DB)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_the_default_database_is_a_sqlite_file_in_the_project():
    result = run_settings({"SECRET_KEY": "x" * 60}, PRINT_DB)
    assert result.stdout.strip() == f"django.db.backends.sqlite3 {ROOT / 'astitray.sqlite3'}"


def test_a_bad_variable_stops_start_up_naming_it():
    result = run_settings({"SECRET_KEY": "x" * 60, "DEBUG": "perhaps"}, "import django; django.setup()")
    assert result.returncode != 0
    assert "DEBUG must be True or False" in result.stderr


def test_an_unknown_auth_backend_is_named():
    result = run_settings(
        {"SECRET_KEY": "x" * 60, "ASTITRAY_AUTH_BACKENDS": "django,kerberos"}, "import django; django.setup()"
    )
    assert "ASTITRAY_AUTH_BACKENDS: unknown value(s) kerberos" in result.stderr


@pytest.mark.parametrize("entry_point", ["astitray.wsgi", "astitray.asgi"])
def test_a_server_does_not_start_with_settings_that_do_not_fit_together(entry_point):
    result = run_settings({"SECRET_KEY": "x" * 60, "ASTITRAY_AUTH_BACKENDS": "ldap"}, f"import {entry_point}")
    assert result.returncode != 0
    assert "(accounts.E004) AUTH_LDAP_SERVER_URI must be set" in result.stderr
    fine = run_settings({"SECRET_KEY": "x" * 60}, f"import {entry_point}")
    assert fine.returncode == 0, fine.stderr


def test_without_a_key_one_is_generated_once_into_a_file(tmp_path):
    key_path = tmp_path / "key"
    code = "from django.conf import settings as s; print(s.SECRET_KEY)"
    first = run_settings({"ASTITRAY_SECRET_KEY_PATH": str(key_path)}, code)
    second = run_settings({"ASTITRAY_SECRET_KEY_PATH": str(key_path)}, code)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert len(first.stdout.strip()) >= 50
    assert key_path.read_text().strip() == first.stdout.strip()
    assert key_path.stat().st_mode & 0o077 == 0


def test_the_key_comes_from_a_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("k" * 60 + "\n")
    result = run_settings(
        {"SECRET_KEY_FILE": str(key_file)}, "from django.conf import settings as s; print(s.SECRET_KEY)"
    )
    assert result.stdout.strip() == "k" * 60


def test_the_production_settings_pass_check_deploy(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("p-" + "Zq8v3LmN4xT7yB2cR5kW9jH1gF6dS0aE" * 2 + "\n")
    production = {
        "SECRET_KEY_FILE": str(key_file),
        "ALLOWED_HOSTS": "astitray.example.org",
        "ASTITRAY_HTTPS": "True",
        "ASTITRAY_BEHIND_PROXY": "True",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    environment = {"PATH": os.environ["PATH"], **production}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_unless_asked():
    result = run_settings({"SECRET_KEY": "x" * 60}, "from django.conf import settings as s; print(s.DEBUG)")
    assert result.stdout.strip() == "False"
