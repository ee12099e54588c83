"""Reading the clipboard never raises, never hangs and never takes in more than it must."""

from __future__ import annotations

import sys
import time

import pytest

from tray_client import clipboard
from tray_client.clipboard import Clipboard, ClipboardReader, Tool, decode


@pytest.mark.parametrize(
    ("output", "truncated", "result"),
    [
        (b"+44 20 7946 0958\n", False, Clipboard("+44 20 7946 0958")),
        ("Hélène: 01 23 45 67 89".encode(), False, Clipboard("Hélène: 01 23 45 67 89")),
        (b"", False, Clipboard(reason="empty")),
        (b"  \n\t ", False, Clipboard(reason="empty")),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", False, Clipboard(reason="not_text")),
        (b"\xff\xfe\xfa", False, Clipboard(reason="not_text")),
        (b"7" * 1001, False, Clipboard(reason="too_long")),
        (b"x" * clipboard.MAX_READ_BYTES, True, Clipboard(reason="too_long")),
    ],
)
def test_it_decodes_what_the_tool_printed(output, truncated, result):
    assert decode(output, truncated) == result


def python_tool(code: str, targets: str | None = None) -> Tool:
    """A clipboard "tool" that is a small Python program (a real process, like xclip)."""
    return Tool(
        "test",
        (sys.executable, "-c", code),
        (sys.executable, "-c", targets) if targets is not None else None,
    )


def test_it_reads_text():
    reader = ClipboardReader([python_tool("print('Call +33 1 23 45 67 89')")])
    assert reader.read() == Clipboard("Call +33 1 23 45 67 89")


def test_a_megabyte_of_text_is_too_long_and_is_not_read_whole():
    code = "import sys; sys.stdout.write('1' * 1024 * 1024)"
    assert ClipboardReader([python_tool(code)]).read() == Clipboard(reason="too_long")


def test_a_tool_that_hangs_is_given_up():
    reader = ClipboardReader([python_tool("import time; time.sleep(30)")], timeout_s=0.5)
    assert reader.read() == Clipboard(reason="error")


def test_a_slow_transfer_is_given_up_but_never_cut_off(tmp_path):
    """The reader stops waiting, yet lets the owner's transfer end (X11 INCR: a broken one hangs xclip)."""
    done = tmp_path / "transfer-ended"
    code = (
        "import sys, time\n"
        "for _ in range(16):\n"
        "    sys.stdout.write('1' * 65536); sys.stdout.flush(); time.sleep(0.1)\n"
        f"open({str(done)!r}, 'w').close()\n"
    )
    reader = ClipboardReader([python_tool(code)], timeout_s=0.5)
    assert reader.read() == Clipboard(reason="too_long")
    assert not done.exists()  # given up before the end ...
    deadline = time.monotonic() + 30
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert done.exists()  # ... and the transfer was left to end, not killed


def test_an_image_is_not_text():
    reader = ClipboardReader(
        [python_tool("print('never read')", targets="print('TARGETS'); print('image/png')")]
    )
    assert reader.read() == Clipboard(reason="not_text")


def test_an_empty_clipboard():
    reader = ClipboardReader([python_tool("print('never read')", targets="import sys; sys.exit(1)")])
    assert reader.read() == Clipboard(reason="empty")
    reader = ClipboardReader([python_tool("import sys; sys.exit(1)", targets="print('UTF8_STRING')")])
    assert reader.read() == Clipboard(reason="empty")


def test_no_tool_and_a_missing_tool():
    assert ClipboardReader([]).read() == Clipboard(reason="no_tool")
    assert ClipboardReader([Tool("gone", ("/nonexistent/xclip",))]).read() == Clipboard(reason="error")


def test_the_platform_tools_on_x11(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(clipboard.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert [tool.name for tool in clipboard.platform_tools()] == ["xclip", "xsel"]
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert [tool.name for tool in clipboard.platform_tools()] == ["wl-paste", "xclip", "xsel"]
    monkeypatch.setattr(clipboard.shutil, "which", lambda name: None)
    assert clipboard.platform_tools() == []
