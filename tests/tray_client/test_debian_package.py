"""``make tray-deb``: the Debian package is the whole install; what it installs runs on Debian's python3."""

from __future__ import annotations

import subprocess
from pathlib import Path

from testkit import tray_package
from testkit.desktop import INSTALLED_TRAY
from tray_client import __version__, desktop

DEPENDS = {
    "python3 (>= 3.11)",
    "python3-gi",
    "gir1.2-gtk-3.0",
    "gir1.2-ayatanaappindicator3-0.1",
    "python3-pystray (>= 0.19.4)",
    "python3-keyring",
    "python3-pil",
    "python3-xlib",
    "xclip",
}


def field(info: str, name: str) -> str:
    return next(
        line.split(":", 1)[1].strip() for line in info.splitlines() if line.strip().startswith(f"{name}:")
    )


def test_the_package_holds_the_client_its_commands_desktop_files_and_icons(tmp_path):
    deb = tray_package.build(tmp_path)
    assert deb.name == f"astitray-tray_{__version__}-1_all.deb"
    info = subprocess.run(["dpkg-deb", "--info", str(deb)], capture_output=True, text=True, check=True).stdout
    assert set(field(info, "Depends").split(", ")) == DEPENDS  # all from Debian: nothing from PyPI
    assert field(info, "Architecture") == "all"
    files = subprocess.run(
        ["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    paths = {line.split()[-1].removeprefix(".") for line in files.splitlines()}
    for path in (
        "/usr/bin/astitray-tray",
        "/usr/bin/astitray-dial",
        "/usr/share/astitray-tray/tray_client/app.py",
        "/usr/share/astitray-tray/tray_client/windows/gtk/search.py",
        "/usr/share/astitray-tray/tray_client/locale/fr/LC_MESSAGES/astitray.mo",
        "/usr/share/applications/astitray-tray.desktop",
        "/usr/share/applications/astitray-dial.desktop",
        "/etc/xdg/autostart/astitray-tray.desktop",
        *(f"/usr/share/icons/hicolor/{size}x{size}/apps/astitray.png" for size in desktop.ICON_SIZES),
        "/usr/share/doc/astitray-tray/copyright",
    ):
        assert path in paths, path
    assert not [path for path in paths if "__pycache__" in path or path.endswith(".pyc")]
    assert not [path for path in paths if path.startswith("/usr/share/astitray-tray/") and "/tests" in path]


def test_the_package_s_desktop_files_run_its_commands():
    texts = desktop.entry_texts(package=True)
    assert "\nExec=astitray-tray\n" in texts["tray"]
    assert "\nExec=astitray-dial --from-link %u\n" in texts["dial"]
    assert "MimeType=x-scheme-handler/tel;x-scheme-handler/callto;" in texts["dial"]
    assert "X-GNOME-Autostart-enabled=true" in texts["autostart"]


def run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    home = {"HOME": "/nonexistent", "PATH": "/usr/bin:/bin", "LANGUAGE": "en", "LC_ALL": "C.UTF-8"}
    return subprocess.run(
        command, env={**home, **(env or {})}, cwd="/", capture_output=True, text=True, timeout=60
    )


def test_apt_installs_the_package_as_the_docs_say(installed_tray, tmp_path):
    """``sudo apt install ./astitray-tray_*.deb``: again, even when the same version is installed."""
    output = tray_package.install(tray_package.build(tmp_path))
    assert "Setting up astitray-tray" in output
    assert tray_package.installed_matches_checkout()


def test_the_installed_commands_run_with_debian_s_python(installed_tray, tmp_path):
    assert Path(INSTALLED_TRAY).read_text().startswith("#!/usr/bin/python3\n")
    assert run(INSTALLED_TRAY, "--version").stdout.strip() == f"astitray-tray {__version__}"
    assert run("/usr/bin/astitray-dial", "--help").returncode == 0
    check = run(INSTALLED_TRAY, "--check", env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert "✓ Windows        GTK 3" in check.stdout, check.stdout
    assert "/usr/bin/python3" in check.stdout.splitlines()[0]
    # The client is the package's own, not a module for every Python program.
    assert run("/usr/bin/python3", "-c", "import tray_client").returncode != 0
    installed = Path("/usr/share/applications/astitray-dial.desktop").read_text()
    assert installed == desktop.entry_texts(package=True)["dial"]


def test_without_a_gui_toolkit_help_and_check_say_what_to_install(installed_tray, tmp_path):
    """A Python without GTK for Python (a broken install): said before any window fails to open."""
    broken = tmp_path / "modules" / "gi"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('gi is broken here')\n")
    env = {"PYTHONPATH": str(tmp_path / "modules"), "XDG_CONFIG_HOME": str(tmp_path)}
    expected = "GTK 3 for Python is missing. Install the packages python3-gi and gir1.2-gtk-3.0"
    check = run(INSTALLED_TRAY, "--check", env=env)
    assert check.returncode == 1
    assert expected in check.stdout
    assert expected in " ".join(run(INSTALLED_TRAY, "--help", env=env).stdout.split())
