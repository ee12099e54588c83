"""docs/configuration.md's table holds every variable the server reads, and only those.

What is read is taken from the code itself: the settings run in a fresh
interpreter with no environment (``astitray.env`` remembers every name its
helpers read; settings read every variable, flat), the names the settings
module passes to those helpers (so that no read hides behind a condition),
and what the deploy files read (gunicorn's configuration, ``astitray-manage``).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "docs" / "configuration.md"
NAME = re.compile(r"`([A-Z][A-Z0-9_]*[A-Z0-9])`")
HELPERS = re.compile(r"env_[a-z_]+")


def table_names() -> set[str]:
    """The variables named in the first column of the table that starts the document."""
    text = TABLE.read_text(encoding="utf-8")
    start = text.index("| variable | default | meaning |")
    names: set[str] = set()
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        names.update(NAME.findall(line.split("|")[1]))
    return names


def names_read_by_settings() -> set[str]:
    code = "import astitray.settings, astitray.env as e; print(' '.join(sorted(e.names_read())))"
    environment = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "astitray.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def names_passed_to_helpers() -> set[str]:
    """Literal names given to an ``env_*`` helper in astitray/settings.py (``NAME_FILE`` too for secrets)."""
    names: set[str] = set()
    tree = ast.parse((ROOT / "astitray" / "settings.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and HELPERS.fullmatch(node.func.id)
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            name = str(node.args[0].value)
            names.add(name)
            if node.func.id in ("env_secret", "env_database", "env_cache", "env_secret_key"):
                names.add(f"{name}_FILE")
    return names


def names_read_by_deploy_files() -> set[str]:
    names: set[str] = set()
    gunicorn = ast.parse((ROOT / "deploy" / "gunicorn.conf.py").read_text(encoding="utf-8"))
    for node in ast.walk(gunicorn):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "getenv")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value))
    script = (ROOT / "deploy" / "astitray-manage").read_text(encoding="utf-8")
    names.update(re.findall(r"\$\{(ASTITRAY_[A-Z_]+):-", script))
    return names


def test_it_finds_what_the_code_reads():
    read = names_read_by_settings()
    assert {"DATABASE_URL", "DATABASE_URL_FILE", "AUTH_LDAP_SERVER_URI", "ASTITRAY_CID_ALLOWED"} <= read
    assert names_passed_to_helpers() <= read  # no read hides behind a condition: settings are flat
    assert {"ASTITRAY_BIND", "WEB_CONCURRENCY", "ASTITRAY_ETC"} <= names_read_by_deploy_files()


def test_it_lists_every_variable_the_server_reads_and_no_other():
    read = names_read_by_settings() | names_passed_to_helpers() | names_read_by_deploy_files()
    documented = table_names()
    assert sorted(read - documented) == [], "read by the code but not in docs/configuration.md's table"
    assert sorted(documented - read) == [], "in docs/configuration.md's table but read by nothing"
