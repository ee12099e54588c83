"""The tray client installs alone: `pip install .` gives tray_client, its commands, its own dependencies."""

from __future__ import annotations

import ast
import email
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import tray_client
from testkit.desktop import ROOT

SERVER_PACKAGES = {
    "django",
    "modernrpc",
    "astitray",
    "accounts",
    "dialer",
    "phonebook",
    "drivers",
    "tests",
    "bench",
}


def test_the_client_never_imports_server_code():
    for path in Path(tray_client.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            assert not {name.split(".")[0] for name in names} & SERVER_PACKAGES, f"{path}: {names}"


def test_importing_every_module_loads_nothing_of_the_server():
    modules = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in Path(tray_client.__file__).parent.rglob("*.py")
        if path.name != "__main__.py"
    ]
    code = (
        f"import importlib, sys; sys.path.insert(0, {str(ROOT)!r})\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(sorted(name for name in sys.modules if name.split('.')[0] in {sorted(SERVER_PACKAGES)!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code],
        cwd=ROOT,
        env={"PYSTRAY_BACKEND": "dummy", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_wheel_holds_the_client_its_commands_and_its_own_dependencies(tmp_path):
    # Built from a copy of what `pip install .` reads, so that the build leaves nothing in the work tree.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT / "tray_client", source / "tray_client", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", source / "pyproject.toml")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            ".",
        ],
        cwd=source,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("astitray_tray-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
        assert top == {"tray_client"}
        assert "tray_client/locale/fr/LC_MESSAGES/astitray.mo" in names
        assert "tray_client/windows/search.py" in names
        info = next(name for name in names if name.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(info))
        entry_points = archive.read(
            next(name for name in names if name.endswith("entry_points.txt"))
        ).decode()
    requires = metadata.get_all("Requires-Dist") or []
    # The desktop wheel describes the desktop program, not the server's manual.
    description = str(metadata.get_payload())
    assert description.startswith("# Astitray tray client")
    assert "make run" not in description
    assert metadata["Version"] == tray_client.__version__
    packages = {re.match(r"[A-Za-z0-9_.-]+", line).group() for line in requires}  # type: ignore[union-attr]
    assert packages == {"pystray", "keyring", "Pillow", "python-xlib", "PyGObject"}
    assert any("PyGObject" in line and 'extra == "linux"' in line for line in requires)
    assert "astitray-tray = tray_client.tray:main" in entry_points
    assert "astitray-dial = tray_client.dial:main" in entry_points


def test_the_listed_requirements_agree_with_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = [
        line.strip()
        for line in (ROOT / "tray_client" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    extra = project["optional-dependencies"]["linux"]
    assert [line.replace('"', "'") for line in listed] == project["dependencies"] + extra
