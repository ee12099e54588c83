"""astitray-tray --install / --uninstall: autostart, the applications menu and the tel: handler."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from testkit.desktop import ROOT
from testkit.services import require_program
from tray_client import desktop


def test_install_writes_the_desktop_files_and_the_default_handlers(tmp_path):
    written = desktop.install()
    config, data = Path(desktop.config_home()), Path(desktop.data_home())
    assert set(written) == {
        config / "autostart" / "astitray-tray.desktop",
        data / "applications" / "astitray-tray.desktop",
        data / "applications" / "astitray-dial.desktop",
        *(
            data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "astitray.png"
            for size in desktop.ICON_SIZES
        ),
        config / "mimeapps.list",
    }
    dial = (data / "applications" / "astitray-dial.desktop").read_text()
    # A clicked link is asked about before it is dialed (astitray-dial --from-link).
    assert f"Exec={sys.executable} -m tray_client.dial --from-link %u\n" in dial
    assert "MimeType=x-scheme-handler/tel;x-scheme-handler/callto;\n" in dial
    autostart = (config / "autostart" / "astitray-tray.desktop").read_text()
    assert f"Exec={sys.executable} -m tray_client.tray\n" in autostart
    mimeapps = (config / "mimeapps.list").read_text()
    assert "[Default Applications]\nx-scheme-handler/tel=astitray-dial.desktop;\n" in mimeapps
    assert "x-scheme-handler/callto=astitray-dial.desktop;\n" in mimeapps


def test_installing_again_updates_an_older_exec_line():
    handler = desktop.data_home() / "applications" / "astitray-dial.desktop"
    handler.parent.mkdir(parents=True)
    # What an earlier version wrote: the link dialed at once, without asking.
    handler.write_text(
        "[Desktop Entry]\nType=Application\nName=Astitray dial\n"
        f"Exec={sys.executable} -m tray_client.dial %u\n"
        "MimeType=x-scheme-handler/tel;x-scheme-handler/callto;\n"
    )
    assert handler in desktop.install()
    exec_lines = [line for line in handler.read_text().splitlines() if line.startswith("Exec=")]
    assert exec_lines == [f"Exec={sys.executable} -m tray_client.dial --from-link %u"]


def test_the_tray_updates_a_handler_that_dials_without_asking_and_nothing_else():
    assert desktop.update_link_handler() is None  # nothing installed: nothing written
    assert not (desktop.data_home() / "applications").exists()
    handler = desktop.data_home() / "applications" / "astitray-dial.desktop"
    handler.parent.mkdir(parents=True)
    handler.write_text("[Desktop Entry]\nType=Application\nExec=/usr/bin/astitray-dial %u\n")
    assert desktop.update_link_handler() == handler
    assert f"Exec={sys.executable} -m tray_client.dial --from-link %u\n" in handler.read_text()
    # A handler that asks already is the user's: left as it is.
    asking = "[Desktop Entry]\nType=Application\nExec=/opt/astitray/bin/astitray-dial --from-link %u\n"
    handler.write_text(asking)
    assert desktop.update_link_handler() is None
    assert handler.read_text() == asking


def test_the_desktop_files_are_valid():
    validate = require_program("desktop-file-validate", "desktop-file-utils")
    for path in desktop.install():
        if path.suffix == ".desktop":
            result = subprocess.run([validate, str(path)], capture_output=True, text=True)
            assert result.returncode == 0 and not result.stdout.strip(), result.stdout


def test_other_handlers_are_kept_and_uninstall_removes_only_ours():
    mimeapps = desktop.mimeapps_path()
    mimeapps.parent.mkdir(parents=True, exist_ok=True)
    before = (
        "[Default Applications]\n"
        "text/html=firefox.desktop\n"
        "x-scheme-handler/tel=org.gnome.Calls.desktop;\n"
        "\n"
        "[Added Associations]\n"
        "x-scheme-handler/tel=org.gnome.Calls.desktop;\n"
    )
    mimeapps.write_text(before)
    desktop.install()
    installed = mimeapps.read_text()
    assert "text/html=firefox.desktop\n" in installed
    assert "x-scheme-handler/tel=astitray-dial.desktop;org.gnome.Calls.desktop;\n" in installed
    desktop.install()  # twice is the same
    assert mimeapps.read_text() == installed
    removed = desktop.uninstall()
    assert not (desktop.data_home() / "applications" / "astitray-dial.desktop").exists()
    assert not (desktop.config_home() / "autostart" / "astitray-tray.desktop").exists()
    assert mimeapps in removed
    after = mimeapps.read_text()
    assert "astitray" not in after
    assert "x-scheme-handler/tel=org.gnome.Calls.desktop;\n" in after
    assert "text/html=firefox.desktop\n" in after
    assert desktop.uninstall() == []


@pytest.mark.parametrize(
    ("argument", "quoted"),
    [
        ("/usr/bin/python3", "/usr/bin/python3"),
        ("/home/my user/.venv/bin/python", '"/home/my user/.venv/bin/python"'),
        ('/opt/a"b$c/python', '"/opt/a\\\\"b\\\\$c/python"'),
        ("/opt/100%/python", "/opt/100%%/python"),
    ],
)
def test_exec_arguments_are_quoted_by_the_desktop_entry_rules(argument, quoted):
    assert desktop.exec_argument(argument) == quoted


def test_the_command_line(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PYTHONPATH": str(ROOT),
        "LANGUAGE": "fr",
    }
    install = subprocess.run(
        [sys.executable, "-m", "tray_client.tray", "--install"], env=env, capture_output=True, text=True
    )
    assert install.returncode == 0, install.stderr
    assert install.stdout.startswith("Écrits :\n")
    assert (tmp_path / "data" / "applications" / "astitray-dial.desktop").exists()
    uninstall = subprocess.run(
        [sys.executable, "-m", "tray_client.tray", "--uninstall"], env=env, capture_output=True, text=True
    )
    assert uninstall.returncode == 0 and uninstall.stdout.startswith("Supprimés :\n")
    assert not (tmp_path / "data" / "applications" / "astitray-dial.desktop").exists()


def test_without_a_display_the_tray_says_why(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "LANGUAGE": "en"}
    result = subprocess.run(
        [sys.executable, "-m", "tray_client.tray"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "No system tray can be shown here:" in result.stderr
    again = subprocess.run(
        [sys.executable, "-m", "tray_client.tray", "--version"], env=env, capture_output=True, text=True
    )
    assert again.stdout.strip() == "astitray-tray 0.1.0"
