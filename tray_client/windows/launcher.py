"""The tray's side of the windows: start a window's process, talk to it, end it.

A window is a process of its own (``python -m tray_client.windows.<name>``),
run by the tray's own interpreter, so that its toolkit never shares a
process with the tray's UI loop and a window can never freeze the icon.
Before one is started, :func:`tray_client.windows.toolkit.problem` says
whether this Python can draw it at all: if not, :class:`WindowFailed`
carries the plain-words reason (what to install) for the tray to show.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

logger = logging.getLogger(__name__)

WINDOWS = ("search", "settings", "about", "history")
MAX_LINE = 64 * 1024

OnMessage = Callable[[str, dict[str, Any]], None]


class WindowLauncher:
    """Starts at most one process per window; a second ``open`` brings the open one to the front."""

    def __init__(self, python: str = sys.executable) -> None:
        self.python = python
        self._processes: dict[str, subprocess.Popen[str]] = {}
        self._lock = threading.Lock()

    def open(self, name: str, payload: dict[str, Any], on_message: OnMessage) -> None:
        """Show window ``name`` (or bring it to the front). Raises :class:`WindowFailed`."""
        if name not in WINDOWS:
            raise ValueError(f"no window {name!r}")
        _check_toolkit()
        with self._lock:
            process = self._processes.get(name)
            if process is not None and process.poll() is None:
                _send(process.stdin, {"raise": True})
                return
            process = _start(self.python, name)
            self._processes[name] = process
        _send(process.stdin, payload)
        threading.Thread(
            target=self._listen, args=(name, process, on_message), name=f"window-{name}", daemon=True
        ).start()

    def is_open(self, name: str) -> bool:
        with self._lock:
            process = self._processes.get(name)
            return process is not None and process.poll() is None

    def _listen(self, name: str, process: subprocess.Popen[str], on_message: OnMessage) -> None:
        """Hand the window's messages over; ``{"failed": code}`` when it ended in error without a word."""
        assert process.stdout is not None
        said = False
        for line in iter(lambda: process.stdout.readline(MAX_LINE), ""):  # type: ignore[union-attr]
            try:
                message = json.loads(line)
            except ValueError:
                logger.warning("window %s wrote something that is not JSON", name)
                continue
            if isinstance(message, dict):
                said = True
                on_message(name, message)
        process.wait()
        logger.debug("window %s closed (exit code %s)", name, process.returncode)
        if process.returncode > 0 and not said:
            on_message(name, {"failed": process.returncode})

    def close_all(self, timeout_s: float = 3.0) -> None:
        """Close every open window (they end when their standard input closes)."""
        with self._lock:
            processes = list(self._processes.values())
            self._processes.clear()
        for process in processes:
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()
        for process in processes:
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class WindowFailed(Exception):
    """A window could not be started or shown (no display, no toolkit); ``str()`` says why in plain words."""


def _check_toolkit() -> None:
    from tray_client.windows import toolkit

    problem = toolkit.problem()
    if problem:
        raise WindowFailed(problem)


def run_window(
    name: str, payload: dict[str, Any], timeout_s: float, python: str = sys.executable
) -> list[dict[str, Any]]:
    """Show window ``name`` until it closes (at most ``timeout_s``); the messages it wrote.

    For a program without a tray (``astitray-dial``): the same child process
    and protocol as :class:`WindowLauncher`. Raises :class:`WindowFailed`
    when the window ended without a word (it could not show).
    """
    _check_toolkit()
    process = _start(python, name)
    messages: list[dict[str, Any]] = []

    def listen() -> None:
        assert process.stdout is not None
        for line in iter(lambda: process.stdout.readline(MAX_LINE), ""):  # type: ignore[union-attr]
            with contextlib.suppress(ValueError):
                message = json.loads(line)
                if isinstance(message, dict):
                    messages.append(message)

    reader = threading.Thread(target=listen, name=f"window-{name}", daemon=True)
    reader.start()
    _send(process.stdin, payload)  # its input stays open: the window closes when it is closed
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        logger.warning("window %s still open after %.0f s: closed", name, timeout_s)
        process.kill()
        process.wait()
    finally:
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
    reader.join(5)
    if not messages and process.returncode != 0:
        raise WindowFailed(f"window {name} ended with exit code {process.returncode}")
    return messages


def _start(python: str, name: str) -> subprocess.Popen[str]:
    """The process of window ``name``, run by ``python``. Raises :class:`WindowFailed`."""
    try:
        return subprocess.Popen(  # noqa: S603 (our own module, by our own interpreter)
            [python, "-m", f"tray_client.windows.{name}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=_child_environment(),
        )
    except OSError as err:
        raise WindowFailed(str(err)) from err


def _child_environment() -> dict[str, str]:
    """Our environment, with this package importable whatever the current folder."""
    root = str(Path(__file__).resolve().parent.parent.parent)
    environment = dict(os.environ)
    paths = [root, *filter(None, environment.get("PYTHONPATH", "").split(os.pathsep))]
    environment["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return environment


def _send(stream: IO[str] | None, message: dict[str, Any]) -> None:
    if stream is None:
        return
    try:
        stream.write(json.dumps(message) + "\n")
        stream.flush()
    except (OSError, ValueError):  # the window is closing
        logger.debug("window gone before a message")
