"""A real X desktop for the tray's tests and benchmark, from Debian's packages.

Xvfb as the screen, openbox as the window manager (so that the keyboard goes
where a desktop sends it), trayer as the tray, a D-Bus session bus of its
own, xclip and xdotool to copy and click; dunst, the notification daemon,
when a test wants notifications (testkit/notifications.py). Used by
tests/tray_client/ and bench/tray.py. Every process started here is ended by
:meth:`Desktop.close`, by its own id.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = {
    "Xvfb": "xvfb",
    "openbox": "openbox",
    "trayer": "trayer",
    "xclip": "xclip",
    "xdotool": "xdotool",
    "import": "imagemagick",
    "dbus-daemon": "dbus-daemon",
    "dunst": "dunst",
}
# The installed package's command, what users run (testkit/tray_package.py installs it).
INSTALLED_TRAY = "/usr/bin/astitray-tray"
# A session bus that starts nothing by itself: a notification service is there only when a test runs one.
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={folder}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""
WIDTH, HEIGHT = 800, 500


def missing_programs() -> list[str]:
    """The programs (with their Debian package) this desktop needs and cannot find."""
    return [
        f"{name} (Debian package {package})" for name, package in PROGRAMS.items() if not shutil.which(name)
    ]


def wait_for(condition: Callable[[], Any], timeout_s: float = 30.0, what: str = "the desktop") -> Any:
    """Poll ``condition`` until it gives something true (generous timeouts: never a timing test)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass(frozen=True)
class Window:
    id: str
    x: int
    y: int
    width: int
    height: int
    name: str

    @property
    def center(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2


class Desktop:
    """Xvfb on a free display, openbox managing its windows, trayer docked at the top right, a session bus."""

    def __init__(self, workdir: Path, window_manager: bool = True) -> None:
        self.workdir = workdir
        self.processes: list[subprocess.Popen[Any]] = []
        self.clipboard_owners: list[subprocess.Popen[Any]] = []
        self.logs: list[IO[Any]] = []
        read_end, write_end = os.pipe()
        xvfb = subprocess.Popen(
            [
                "Xvfb",
                "-displayfd",
                str(write_end),
                "-screen",
                "0",
                f"{WIDTH}x{HEIGHT}x24",
                "-nolisten",
                "tcp",
            ],
            pass_fds=(write_end,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(xvfb)
        os.close(write_end)
        with os.fdopen(read_end) as displayfd:
            number = displayfd.readline().strip()
        if not number:
            self.close()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"
        self.env = {**os.environ, "DISPLAY": self.display, "NO_AT_BRIDGE": "1"}
        self.env.pop("WAYLAND_DISPLAY", None)
        try:
            self.env["DBUS_SESSION_BUS_ADDRESS"] = self._start_bus()
            if window_manager:
                self._start_openbox()
            self._start_trayer()
        except BaseException:
            self.close()
            raise
        self.paint_background()

    def _start_bus(self) -> str:
        """A D-Bus session bus for this desktop (no service is started on demand); its address."""
        folder = self.workdir / "bus"
        folder.mkdir(exist_ok=True)
        config = self.workdir / "bus.conf"
        config.write_text(BUS_CONFIG.format(folder=folder), encoding="utf-8")
        daemon = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.processes.append(daemon)
        assert daemon.stdout is not None
        address = daemon.stdout.readline().strip()
        if not address:
            raise RuntimeError("dbus-daemon did not start")
        return address

    def _start_openbox(self) -> None:
        """Debian's openbox, as it comes: new windows get the keyboard, as on desktops.

        Its log says why it gave (or refused) a window the keyboard (--debug-focus), for the failures.
        Ready once it publishes its desktops (without a window manager, xdotool prints "0" and
        fails: that was once taken for ready, and a window manager that never started left every
        window without the keyboard). Started again, twice at most, if it exits or never gets there.
        """
        for attempt in (1, 2, 3):
            openbox = self.start(["openbox", "--sm-disable", "--debug-focus"], log="openbox")
            try:
                wait_for(
                    lambda: openbox.poll() is not None or self._desktops_published(),  # noqa: B023
                    timeout_s=15 * attempt,
                    what="openbox to manage the screen",
                )
                if openbox.poll() is None:
                    return
            except AssertionError:
                pass
            state = "running" if openbox.poll() is None else f"exited with {openbox.returncode}"
            self.stop(openbox)
            if attempt == 3:
                message = f"openbox never managed {self.display} (openbox {state})"
                raise AssertionError(f"{message}: {self.log('openbox')[-2000:]}")

    def _desktops_published(self) -> bool:
        """Whether a window manager publishes its desktops on this display (``_NET_NUMBER_OF_DESKTOPS``)."""
        result = subprocess.run(
            ["xdotool", "get_num_desktops"], env=self.env, capture_output=True, timeout=30, check=False
        )
        count = result.stdout.decode(errors="replace").strip()
        return result.returncode == 0 and count.isdigit() and int(count) >= 1

    def _start_trayer(self) -> None:
        """trayer docked at the top right; started again once if its panel does not show."""
        for attempt in (1, 2):
            trayer = self.start(["trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
                                 "--height", "28", "--SetDockType", "true", "--tint", "0xdfe6ee",
                                 "--transparent", "true", "--alpha", "0"], log="trayer")  # fmt: skip
            try:
                wait_for(lambda: self.windows("trayer"), timeout_s=15 * attempt, what="trayer's panel")
                return
            except AssertionError:
                state = "running" if trayer.poll() is None else f"exited with {trayer.returncode}"
                self.stop(trayer)
                if attempt == 2:
                    message = f"trayer's panel never showed on {self.display} (trayer {state})"
                    raise AssertionError(f"{message}: {self.log('trayer')[-2000:]}") from None

    def start(self, command: list[str], log: str, env: dict[str, str] | None = None) -> subprocess.Popen[Any]:
        """Start a process on this desktop, its output in ``workdir/<log>.log``."""
        handle = (self.workdir / f"{log}.log").open("ab")
        self.logs.append(handle)
        # A session of its own, so that close() ends it with everything it started (windows, D-Bus).
        process = subprocess.Popen(
            command,
            env=env or self.env,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def run(self, *command: str, check: bool = True, data: bytes | None = None) -> str:
        result = subprocess.run(
            command, env=self.env, input=data, capture_output=True, timeout=30, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{command[0]} failed: {result.stderr.decode(errors='replace')}")
        return result.stdout.decode(errors="replace")

    def windows(self, window_class: str, by: str = "--class") -> list[Window]:
        """The visible windows of a class (or, ``by="--name"``, of a title), with their geometry and name."""
        found = []
        ids = self.run("xdotool", "search", "--onlyvisible", by, window_class, check=False).split()
        for window_id in ids:
            shell = self.run("xdotool", "getwindowgeometry", "--shell", window_id, check=False)
            values = dict(re.findall(r"^(\w+)=(\S+)$", shell, re.MULTILINE))
            if not values:
                continue  # gone meanwhile
            name = self.run("xdotool", "getwindowname", window_id, check=False).rstrip("\n")
            found.append(
                Window(
                    window_id,
                    int(values["X"]),
                    int(values["Y"]),
                    int(values["WIDTH"]),
                    int(values["HEIGHT"]),
                    name,
                )
            )
        return found

    def active_window(self) -> str:
        """The id of the window the window manager gave the keyboard to ("" when none)."""
        return self.run("xdotool", "getactivewindow", check=False).strip()

    def wait_until_active(self, window: Window) -> None:
        """Until the window manager has given ``window`` the keyboard, as a person sees it happen."""
        try:
            wait_for(lambda: self.active_window() == window.id, what=f"{window.name!r} to have the keyboard")
        except AssertionError as failure:
            raise AssertionError(f"{failure}; {self.keyboard_report(window)}") from None

    def keyboard_report(self, window: Window) -> str:
        """Who has the keyboard instead of ``window``, what is on the screen, and what openbox said
        about focus (for a failure's message)."""
        active = self.active_window()
        name = self.run("xdotool", "getwindowname", active, check=False).strip() if active else ""
        focus = self.run("xdotool", "getwindowfocus", check=False).strip()
        visible = [
            f"{found} {self.run('xdotool', 'getwindowname', found, check=False).strip()!r}"
            for found in self.run("xdotool", "search", "--onlyvisible", "--name", ".", check=False).split()
        ]
        shown = "mapped" if any(line.startswith(f"{window.id} ") for line in visible) else "gone"
        return (
            f"active window {active or 'none'} {name!r}, X focus on {focus or 'none'}, {window.id} {shown}; "
            f"visible windows: {', '.join(visible) or 'none'}; openbox's log ends:\n"
            f"{self.log('openbox')[-3000:]}"
        )

    def tray_icon(self) -> Window | None:
        """The Astitray icon docked in trayer, or None."""
        panels = self.windows("trayer")
        icons = [
            window
            for window in self.windows("astitray")
            for panel in panels
            if panel.x <= window.x < panel.x + panel.width
            and window.height <= panel.height
            and window.width <= 64
        ]
        return icons[0] if icons else None

    def wait_for_icon(self, timeout_s: float = 60.0) -> Window:
        return wait_for(self.tray_icon, timeout_s, "the tray icon")

    def menus(self) -> list[Window]:
        """The icon's open menu and submenus (astitray pop-ups below the panel), tallest first."""
        popups = [window for window in self.windows("astitray") if window.height > 20 and window.y > 10]
        return sorted(popups, key=lambda window: -window.height)

    def menu(self) -> Window | None:
        """The icon's menu while it is open."""
        menus = [window for window in self.menus() if window.height > 60 and window.y < 100]
        return menus[0] if menus else None

    def click(self, x: int, y: int, button: int = 1) -> None:
        # (No --sync: it waits for a motion that never comes when the pointer is already there.)
        self.run("xdotool", "mousemove", str(x), str(y), "click", str(button))

    def open_menu(self) -> Window:
        icon = self.wait_for_icon()
        self.click(*icon.center, button=3)
        return wait_for(self.menu, what="the menu")

    def click_first_menu_item(self, menu: Window) -> None:
        """Click the first item ("Dial clipboard"): 16 pixels below the menu's top is within it."""
        self.click(menu.x + menu.width // 2, menu.y + 16)

    def close_menu(self) -> None:
        self.run("xdotool", "key", "Escape")
        wait_for(lambda: self.menu() is None, what="the menu to close")

    def copy_text(self, text: str) -> None:
        self._own_clipboard(["-target", "UTF8_STRING"], text.encode())

    def copy_image(self, png: Path) -> None:
        self._own_clipboard(["-target", "image/png"], png.read_bytes())

    def clear_clipboard(self) -> None:
        """Nobody owns the clipboard any more: it is empty."""
        for process in self.clipboard_owners:
            if process.poll() is None:
                process.terminate()
                process.wait(10)

    def _own_clipboard(self, target: list[str], data: bytes) -> None:
        self.clear_clipboard()
        process = subprocess.Popen(
            ["xclip", "-quiet", "-selection", "clipboard", *target],
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(process)
        self.clipboard_owners.append(process)
        assert process.stdin is not None
        process.stdin.write(data)
        process.stdin.close()
        wait_for(
            lambda: self.run("xclip", "-selection", "clipboard", "-out", "-target", "TARGETS", check=False),
            what="xclip to own the clipboard",
        )

    def screenshot(self, path: Path, crop: tuple[int, int, int, int] | None = None) -> Path:
        """The screen (or its ``crop``: x, y, width, height) as a PNG, with ImageMagick's import."""
        geometry = []
        if crop:
            x, y, width, height = crop
            geometry = ["-crop", f"{width}x{height}+{x}+{y}", "+repage"]
        self.run("import", "-window", "root", *geometry, str(path))
        return path

    def paint_background(self, colour: str = "#d5dce4") -> None:
        """A desktop-like background instead of Xvfb's black (for screenshots)."""
        background = self.workdir / "background.png"
        self.run("convert", "-size", f"{WIDTH}x{HEIGHT}", f"xc:{colour}", str(background))
        # (display says 1 even when it painted the root window.)
        self.run("display", "-window", "root", str(background), check=False)

    def stop(self, process: subprocess.Popen[Any]) -> None:
        """End ``process`` and its process group (if it leads one)."""
        leads_group = process.poll() is None and os.getpgid(process.pid) == process.pid
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if process.poll() is not None:
                break
            if leads_group:
                os.killpg(process.pid, sig)
            else:
                process.send_signal(sig)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                continue
        if leads_group:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)  # what it started and left behind

    def close(self) -> None:
        for process in reversed(self.processes):
            self.stop(process)
        for handle in self.logs:
            handle.close()


# The variables that give a process a home and XDG folders of its own, and their folder names.
PRIVATE_HOME = (
    ("HOME", "home"),
    ("XDG_CONFIG_HOME", "config"),
    ("XDG_DATA_HOME", "data"),
    ("XDG_STATE_HOME", "state"),
    ("XDG_RUNTIME_DIR", "run"),
)


def tray_environment(
    desktop: Desktop, home: Path, keyring_file: Path, *, installed: bool = False, **extra: str
) -> dict[str, str]:
    """The environment of an astitray-tray (or -dial, or a window) on ``desktop`` with a private home.

    ``installed``: for the package's commands, which must find nothing of this
    checkout: only the test keyring's module is added to their path.
    """
    env = dict(desktop.env)
    for variable, folder in PRIVATE_HOME:
        (home / folder).mkdir(parents=True, exist_ok=True, mode=0o700)
        env[variable] = str(home / folder)
    if installed:
        modules = home / "modules"
        modules.mkdir(exist_ok=True)
        shutil.copy(ROOT / "testkit" / "file_keyring.py", modules / "file_keyring.py")
        env.update({"PYTHONPATH": str(modules), "PYTHON_KEYRING_BACKEND": "file_keyring.FileKeyring"})
    else:
        env.update({"PYTHONPATH": str(ROOT), "PYTHON_KEYRING_BACKEND": "testkit.file_keyring.FileKeyring"})
    env.update(
        {
            "PYSTRAY_BACKEND": "gtk",
            "ASTITRAY_TEST_KEYRING_FILE": str(keyring_file),
            "LANGUAGE": "en",
            "LC_ALL": "C.UTF-8",
            **extra,
        }
    )
    return env


def tray_command(installed: bool = True) -> list[str]:
    """astitray-tray: the package's command (Debian's python3), or this checkout with this Python."""
    if installed:
        return [INSTALLED_TRAY, "--debug"]
    return [sys.executable, "-m", "tray_client.tray", "--debug"]


def no_session_bus(env: dict[str, str]) -> dict[str, str]:
    """``env`` of a bare X server: no D-Bus session bus, and none started behind our back."""
    return {**env, "DBUS_SESSION_BUS_ADDRESS": "disabled:"}
