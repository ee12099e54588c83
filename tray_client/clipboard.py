"""Reading the desktop's clipboard as text, safely: bounded in size and time, never raising.

The clipboard is read with the platform's own tool (``xclip`` or ``xsel`` on
X11, ``wl-paste`` on Wayland, ``pbpaste`` on macOS, PowerShell on Windows)
in a child process, so that a clipboard owner that never answers, a huge
text or an image cannot freeze or crash the tray. Call it off the UI thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

# Text longer than this is no phone number (an e-mail signature is far shorter; tray_client.phonetext
# decides what may be sent).
MAX_TEXT_CHARS = 1000
# What is read at most from the clipboard tool; the rest is never looked at.
MAX_READ_BYTES = 64 * 1024
DEFAULT_TIMEOUT_S = 2.0
# How long a transfer the reader stopped waiting for may go on in the background.
DRAIN_GRACE_S = 60.0

# X11 targets and Wayland types that hold text.
TEXT_TARGETS = frozenset(
    {"UTF8_STRING", "STRING", "TEXT", "COMPOUND_TEXT", "text/plain", "text/plain;charset=utf-8"}
)
# What password managers add to the clipboard they fill, so that clipboard tools leave it alone:
# KDE's hint (KeePassXC, 1Password and Bitwarden on Linux set it, X11 and Wayland alike), the
# nspasteboard.org types (macOS managers) and Windows' clipboard-history opt-outs.
SECRET_TARGETS = frozenset(
    {
        "x-kde-passwordManagerHint",
        "org.nspasteboard.ConcealedType",
        "org.nspasteboard.TransientType",
        "ExcludeClipboardContentFromMonitorProcessing",
        "CanIncludeInClipboardHistory",
        "CanUploadToCloudClipboard",
    }
)
SELECTIONS = ("clipboard", "primary")


@dataclass(frozen=True)
class Clipboard:
    """The clipboard's text, or why there is none.

    ``reason``: empty, not_text, too_long, secret (a password manager's: never read), no_tool, error.
    """

    text: str = ""
    reason: str = ""

    @property
    def has_text(self) -> bool:
        return bool(self.text)


@dataclass(frozen=True)
class Tool:
    """How to ask one clipboard tool for its targets (optional) and its text."""

    name: str
    read_text: tuple[str, ...]
    list_targets: tuple[str, ...] | None = None


def platform_tools(selection: str = "clipboard") -> list[Tool]:
    """The tools reading ``selection`` (``clipboard``, or X11's ``primary``: the text last selected),
    best first, among those installed. macOS and Windows have no primary selection."""
    candidates: list[Tool] = []
    primary = selection == "primary"
    if sys.platform == "darwin":
        if not primary:
            candidates.append(Tool("pbpaste", ("pbpaste", "-Prefer", "txt")))
    elif sys.platform == "win32":
        if not primary:
            command = ("powershell", "-NoProfile", "-NonInteractive", "-Command", "Get-Clipboard -Raw")
            candidates.append(Tool("powershell", command))
    else:
        if os.environ.get("WAYLAND_DISPLAY"):
            option = ("--primary",) if primary else ()
            candidates.append(
                Tool(
                    "wl-paste",
                    ("wl-paste", *option, "--no-newline", "--type", "text"),
                    ("wl-paste", *option, "--list-types"),
                )
            )
        if os.environ.get("DISPLAY"):
            candidates.append(
                Tool(
                    "xclip",
                    ("xclip", "-selection", selection, "-out", "-target", "UTF8_STRING"),
                    ("xclip", "-selection", selection, "-out", "-target", "TARGETS"),
                )
            )
            candidates.append(Tool("xsel", ("xsel", f"--{selection}", "--output")))
    return [tool for tool in candidates if shutil.which(tool.read_text[0])]


class ClipboardReader:
    """Reads the clipboard's (or the primary selection's) text with the first available tool.

    A tool that can list what the clipboard holds is asked first: an image
    is not read, nor is a password manager's clipboard (:data:`SECRET_TARGETS`).
    """

    def __init__(
        self,
        tools: list[Tool] | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        selection: str = "clipboard",
    ) -> None:
        self.tools = platform_tools(selection) if tools is None else tools
        self.timeout_s = timeout_s
        self._lock = threading.Lock()  # one reader at a time: some owners serve no more

    def read(self) -> Clipboard:
        """The clipboard now. Never raises."""
        with self._lock:
            return self._read()

    def _read(self) -> Clipboard:
        if not self.tools:
            return Clipboard(reason="no_tool")
        tool = self.tools[0]
        try:
            if tool.list_targets is not None:
                code, output, _truncated = _run(tool.list_targets, MAX_READ_BYTES, self.timeout_s)
                if code != 0:
                    return Clipboard(reason="empty")
                targets = {line.strip() for line in output.decode("utf-8", "replace").splitlines()}
                if targets & SECRET_TARGETS:
                    return Clipboard(reason="secret")
                if not targets & TEXT_TARGETS:
                    return Clipboard(reason="not_text" if targets - {"TARGETS", "TIMESTAMP"} else "empty")
            code, output, truncated = _run(tool.read_text, MAX_READ_BYTES, self.timeout_s)
        except (OSError, subprocess.SubprocessError) as err:
            logger.warning("cannot read the clipboard with %s: %s", tool.name, err)
            return Clipboard(reason="error")
        if code != 0:
            return Clipboard(reason="empty")
        return decode(output, truncated)


def decode(output: bytes, truncated: bool = False) -> Clipboard:
    """The clipboard for what a tool printed (at most ``MAX_READ_BYTES``)."""
    if truncated:
        return Clipboard(reason="too_long")
    if b"\0" in output:
        return Clipboard(reason="not_text")
    try:
        text = output.decode("utf-8")
    except UnicodeDecodeError:
        return Clipboard(reason="not_text")
    text = text.strip()
    if not text:
        return Clipboard(reason="empty")
    if len(text) > MAX_TEXT_CHARS:
        return Clipboard(reason="too_long")
    return Clipboard(text=text)


def _run(command: tuple[str, ...], limit: int, timeout_s: float) -> tuple[int, bytes, bool]:
    """Run ``command``: its exit code, at most ``limit`` bytes of its output, and whether there was more.

    The rest of the output is read and dropped rather than cut off: a clipboard
    owner whose transfer is broken off midway (X11's INCR protocol; xclip does
    this) may serve nobody after. So a transfer still running when the caller
    stops waiting is left to end on its own in the background, and killed only
    if it has not ended after :data:`DRAIN_GRACE_S`. Raises
    ``subprocess.TimeoutExpired`` when it does not finish in time with no more
    than ``limit`` bytes.
    """
    process = subprocess.Popen(  # noqa: S603 (fixed argument lists of known tools)
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdout is not None
    kept = bytearray()

    def read() -> None:
        assert process.stdout is not None
        while chunk := process.stdout.read(65536):
            if len(kept) <= limit:
                kept.extend(chunk[: limit + 1 - len(kept)])

    reader = threading.Thread(target=read, name="clipboard-read", daemon=True)
    reader.start()
    reader.join(timeout_s)
    if reader.is_alive():
        snapshot = bytes(kept)
        threading.Thread(target=_finish, args=(process, reader), name="clipboard-drain", daemon=True).start()
        if len(snapshot) > limit:
            return 0, snapshot[:limit], True
        raise subprocess.TimeoutExpired(command, timeout_s)
    _finish(process, reader)
    if len(kept) > limit:
        return 0, bytes(kept[:limit]), True
    return process.returncode, bytes(kept), False


def _finish(process: subprocess.Popen[bytes], reader: threading.Thread) -> None:
    """Let ``process`` end its transfer (``reader`` drains it); kill it only if it never does."""
    reader.join(DRAIN_GRACE_S)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(0 if reader.is_alive() else DRAIN_GRACE_S)
    if process.poll() is None:
        process.kill()
        process.wait()
    reader.join(1.0)
    if process.stdout is not None:
        process.stdout.close()


class ClipboardWatcher:
    """Calls ``changed()`` the moment the X11 clipboard changes hands (XFixes), from a thread of its own.

    With it, the menu shows a freshly copied number at once instead of at the
    next poll. Only on X11 with python-xlib (pystray's own dependency there);
    :meth:`start` says False elsewhere, and the tray keeps polling.
    """

    def __init__(self, changed: Callable[[], None]) -> None:
        self.changed = changed
        self._display: Any = None

    def start(self) -> bool:
        if not os.environ.get("DISPLAY"):
            return False
        try:
            from Xlib import display as xdisplay
            from Xlib.ext import xfixes

            connection = xdisplay.Display()
            if not connection.has_extension("XFIXES"):
                connection.close()
                return False
            connection.xfixes_query_version()
            mask = (
                xfixes.XFixesSetSelectionOwnerNotifyMask
                | xfixes.XFixesSelectionWindowDestroyNotifyMask
                | xfixes.XFixesSelectionClientCloseNotifyMask
            )
            connection.xfixes_select_selection_input(
                connection.screen().root, connection.get_atom("CLIPBOARD"), mask
            )
            connection.flush()
        except Exception as err:  # python-xlib missing or the X server said no: polling will do
            logger.info("no clipboard change notifications (%s): the clipboard is polled", err)
            return False
        self._display = connection
        threading.Thread(target=self._watch, name="clipboard-watch", daemon=True).start()
        return True

    def _watch(self) -> None:
        while True:
            try:
                self._display.next_event()
            except Exception:  # the connection closed (quit) or broke: stop watching
                logger.debug("clipboard watch ends")
                return
            self.changed()


def copy_commands() -> list[tuple[str, ...]]:
    """The installed tools that put text on the clipboard (its text on their standard input), best first."""
    candidates: list[tuple[str, ...]] = []
    if sys.platform == "darwin":
        candidates.append(("pbcopy",))
    elif sys.platform == "win32":
        candidates.append(("clip",))
    else:
        if os.environ.get("WAYLAND_DISPLAY"):
            candidates.append(("wl-copy", "--type", "text/plain;charset=utf-8"))
        if os.environ.get("DISPLAY"):
            candidates.append(("xclip", "-selection", "clipboard", "-in"))
            candidates.append(("xsel", "--clipboard", "--input"))
    return [command for command in candidates if shutil.which(command[0])]


def copy_text(text: str, timeout_s: float = 5.0) -> bool:
    """Put ``text`` on the clipboard ("Copy number"); False when no tool could.

    X11's tools stay in the background to serve it: their output goes nowhere, so
    that nothing waits for them.
    """
    for command in copy_commands():
        try:
            result = subprocess.run(  # noqa: S603 (a fixed tool, the text on its standard input)
                command, input=text.encode("utf-8"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                timeout=timeout_s, check=False,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError) as err:
            logger.info("%s could not copy: %s", command[0], err)
            continue
        if result.returncode == 0:
            return True
    return False
