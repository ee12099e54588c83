"""``astitray-tray --install``: the XDG desktop files that start the tray and handle ``tel:`` links.

Written for the current user (nothing needs root):

- ``$XDG_CONFIG_HOME/autostart/astitray-tray.desktop``: start the tray at login;
- ``$XDG_DATA_HOME/applications/astitray-tray.desktop``: "Astitray" in the applications menu;
- ``$XDG_DATA_HOME/applications/astitray-dial.desktop``: the handler of
  ``x-scheme-handler/tel`` and ``x-scheme-handler/callto``, made the default
  in ``$XDG_CONFIG_HOME/mimeapps.list``; it runs ``astitray-dial --from-link %u``,
  which asks before calling (see :mod:`tray_client.dial`);
- ``$XDG_DATA_HOME/icons/hicolor/<size>/apps/astitray.png``: the icon, 16 to 256 pixels.

Installing again rewrites them (an older Exec line is replaced).
``--uninstall`` removes them, and our lines from ``mimeapps.list`` (other
applications' lines are left as they were).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tray_client import icons

TRAY_ID = "astitray-tray.desktop"
DIAL_ID = "astitray-dial.desktop"
SCHEMES = ("tel", "callto")
DEFAULTS_SECTION = "[Default Applications]"
ADDED_SECTION = "[Added Associations]"

# Where the Debian package puts the client (its /usr/bin commands add it to sys.path).
PACKAGE_HOME = Path("/usr/share/astitray-tray")
COMMANDS = {"tray_client.tray": "astitray-tray", "tray_client.dial": "astitray-dial"}

# Characters that make the Desktop Entry spec quote an Exec argument.
_RESERVED = re.compile(r"[\s\"'\\><~|&;$*?#()`]")


def _home(variable: str, default: str) -> Path:
    value = os.environ.get(variable, "")
    return Path(value) if os.path.isabs(value) else Path.home() / default


def config_home() -> Path:
    return _home("XDG_CONFIG_HOME", ".config")


def data_home() -> Path:
    return _home("XDG_DATA_HOME", ".local/share")


def exec_argument(argument: str) -> str:
    """One argument of an Exec key, quoted by the Desktop Entry rules (then escaped as a string value)."""
    argument = argument.replace("%", "%%")
    if _RESERVED.search(argument):
        argument = '"' + re.sub(r'(["`$\\])', r"\\\1", argument) + '"'
    return argument.replace("\\", "\\\\")


def packaged() -> bool:
    """Whether this client is the Debian package's."""
    return Path(__file__).resolve().parent.parent == PACKAGE_HOME


def command(module: str, field_code: str = "", *, package: bool | None = None) -> str:
    """The Exec line running ``module``: the package's command, else this very interpreter (so the
    right environment: a virtualenv, a user's Python)."""
    if packaged() if package is None else package:
        return " ".join(filter(None, [COMMANDS[module], field_code]))
    return " ".join(filter(None, [exec_argument(sys.executable), "-m", module, field_code]))


def entries(*, package: bool | None = None) -> dict[Path, str]:
    """The desktop files to write, by path (under the user's XDG folders)."""
    texts = entry_texts(package=package)
    applications = data_home() / "applications"
    return {
        config_home() / "autostart" / TRAY_ID: texts["autostart"],
        applications / TRAY_ID: texts["tray"],
        applications / DIAL_ID: texts["dial"],
    }


def entry_texts(*, package: bool | None = None) -> dict[str, str]:
    """The texts of the autostart entry, the applications menu's entry and the link handler."""
    tray = "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Name=Astitray",
            "GenericName=Click-to-dial",
            "GenericName[fr]=Appel en un clic",
            "Comment=Dial the clipboard, the phonebook and tel: links from your desk phone",
            "Comment[fr]=Appeler le presse-papiers, l'annuaire et les liens tel: depuis votre poste",
            f"Exec={command('tray_client.tray', package=package)}",
            "Icon=astitray",
            "Terminal=false",
            "Categories=Network;Telephony;",
            "StartupNotify=false",
            "",
        ]
    )
    dial = "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Name=Astitray dial",
            "Name[fr]=Astitray appel",
            "Comment=Call a phone link with your desk phone",
            "Comment[fr]=Appeler un lien téléphonique avec votre poste",
            # --from-link: a clicked link is asked about before it is dialed (tray_client.dial).
            f"Exec={command('tray_client.dial', '--from-link %u', package=package)}",
            "Icon=astitray",
            "Terminal=false",
            "NoDisplay=true",
            "MimeType=" + "".join(f"x-scheme-handler/{scheme};" for scheme in SCHEMES),
            "",
        ]
    )
    autostart = tray.replace("StartupNotify=false\n", "StartupNotify=false\nX-GNOME-Autostart-enabled=true\n")
    return {"autostart": autostart, "tray": tray, "dial": dial}


# The icon's sizes in the hicolor theme (HiDPI panels and menus take the larger ones).
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def icon_paths(root: Path | None = None) -> dict[int, Path]:
    """Where the icon goes at each size, under ``root`` (default: the user's XDG data folder)."""
    base = (root or data_home()) / "icons" / "hicolor"
    return {size: base / f"{size}x{size}" / "apps" / "astitray.png" for size in ICON_SIZES}


def mimeapps_path() -> Path:
    return config_home() / "mimeapps.list"


def install() -> list[Path]:
    """Write the desktop files, the icon and the default handlers. Returns what was written."""
    written = []
    for path, text in entries().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    for size, icon in icon_paths().items():
        icon.parent.mkdir(parents=True, exist_ok=True)
        icons.image("ok", size).save(icon, "PNG")
        written.append(icon)
    mimeapps = mimeapps_path()
    lines = _read_lines(mimeapps)
    for scheme in SCHEMES:
        lines = set_association(lines, DEFAULTS_SECTION, f"x-scheme-handler/{scheme}", DIAL_ID, first=True)
        lines = set_association(lines, ADDED_SECTION, f"x-scheme-handler/{scheme}", DIAL_ID, first=True)
    mimeapps.parent.mkdir(parents=True, exist_ok=True)
    mimeapps.write_text("".join(lines), encoding="utf-8")
    written.append(mimeapps)
    _refresh_caches()
    return written


def update_link_handler() -> Path | None:
    """Rewrite an installed link handler that dials without asking (written before ``--from-link``).

    The tray calls it when it starts, so that an upgrade protects links
    without a new ``--install``. A handler that already asks, or none at
    all, is left alone. Returns the path rewritten, if any.
    """
    path = data_home() / "applications" / DIAL_ID
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    exec_lines = [line for line in text.splitlines() if line.startswith("Exec=")]
    if not exec_lines or all("--from-link" in line for line in exec_lines):
        return None
    try:
        path.write_text(entries()[path], encoding="utf-8")
    except OSError:
        return None
    return path


def uninstall() -> list[Path]:
    """Remove what :func:`install` wrote. Returns what was removed or changed."""
    removed = []
    for path in [*entries(), *icon_paths().values()]:
        if path.exists():
            path.unlink()
            removed.append(path)
    mimeapps = mimeapps_path()
    if mimeapps.exists():
        lines = _read_lines(mimeapps)
        cleaned = remove_association(lines, DIAL_ID)
        if cleaned != lines:
            mimeapps.write_text("".join(cleaned), encoding="utf-8")
            removed.append(mimeapps)
    _refresh_caches()
    return removed


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def set_association(lines: list[str], section: str, key: str, desktop_id: str, first: bool) -> list[str]:
    """``lines`` of a mimeapps.list with ``desktop_id`` in ``key`` of ``section`` (first when ``first``)."""
    result = list(lines)
    start = next((i for i, line in enumerate(result) if line.strip() == section), None)
    if start is None:
        if result and result[-1].strip():
            result.append("\n")
        return [*result, f"{section}\n", f"{key}={desktop_id};\n"]
    end = next((i for i in range(start + 1, len(result)) if result[i].lstrip().startswith("[")), len(result))
    for index in range(start + 1, end):
        name, equals, value = result[index].partition("=")
        if equals and name.strip() == key:
            others = [item for item in value.strip().split(";") if item and item != desktop_id]
            ordered = [desktop_id, *others] if first else [*others, desktop_id]
            result[index] = f"{key}={';'.join(ordered)};\n"
            return result
    insert_at = end
    while insert_at > start + 1 and not result[insert_at - 1].strip():
        insert_at -= 1
    result.insert(insert_at, f"{key}={desktop_id};\n")
    return result


def remove_association(lines: list[str], desktop_id: str) -> list[str]:
    """``lines`` without ``desktop_id`` in any association (a key left empty goes)."""
    result = []
    for line in lines:
        name, equals, value = line.partition("=")
        if equals and not line.lstrip().startswith(("#", "[")):
            items = [item for item in value.strip().split(";") if item]
            if desktop_id in items:
                kept = [item for item in items if item != desktop_id]
                if kept:
                    result.append(f"{name}={';'.join(kept)};\n")
                continue
        result.append(line)
    return result


def _refresh_caches() -> None:
    """Let the desktop see the new handlers now (optional tools: nothing happens without them)."""
    tool = shutil.which("update-desktop-database")
    if tool:
        subprocess.run(  # noqa: S603
            [tool, str(data_home() / "applications")], capture_output=True, timeout=30, check=False
        )
