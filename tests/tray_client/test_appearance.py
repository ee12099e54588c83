"""The windows follow the desktop's dark style: where each desktop keeps it, then the pixels on screen."""

from __future__ import annotations

import pytest
from PIL import Image

from tray_client.windows import appearance


@pytest.fixture(autouse=True)
def _no_portal_nor_gnome(monkeypatch):
    """This machine's own session must not answer for the desktop under test."""
    monkeypatch.delenv("GTK_THEME", raising=False)
    monkeypatch.setattr(appearance, "_portal", lambda: None)
    monkeypatch.setattr(appearance, "_gnome", lambda: None)


def test_gtk_theme_names_a_dark_variant(monkeypatch):
    assert appearance.prefers_dark() is False
    monkeypatch.setenv("GTK_THEME", "Adwaita:dark")
    assert appearance.prefers_dark() is True
    monkeypatch.setenv("GTK_THEME", "Arc-Dark")
    assert appearance.prefers_dark() is True
    monkeypatch.setenv("GTK_THEME", "Adwaita")
    assert appearance.prefers_dark() is False


def test_kde_s_colour_scheme(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "kdeglobals").write_text("[General]\nColorScheme=BreezeDark\n")
    assert appearance.prefers_dark() is True
    (tmp_path / "kdeglobals").write_text("[General]\nColorScheme=BreezeLight\n")
    assert appearance.prefers_dark() is False


def test_the_portal_s_answer_wins_over_kde_s_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "kdeglobals").write_text("[General]\nColorScheme=BreezeDark\n")
    monkeypatch.setattr(appearance, "_portal", lambda: False)  # "prefer light"
    assert appearance.prefers_dark() is False


def background(path, box) -> int:
    """The window's background: the median brightness of its pixels (text and buttons are the fewer)."""
    with Image.open(path) as image:
        counts = image.convert("L").crop(box).histogram()
    seen, half = 0, sum(counts) // 2
    for shade, count in enumerate(counts):
        seen += count
        if seen > half:
            return shade
    return 255


@pytest.mark.service
@pytest.mark.parametrize("toolkit", ["gtk", "tk"])
def test_a_window_on_a_dark_desktop_is_dark(desktop, stand_in, tmp_path, installed_tray, toolkit):
    """KDE says "BreezeDark": the About window's background is dark (and light otherwise)."""
    from tests.tray_client.test_windows_desktop import Window

    shades = {}
    for scheme in ("BreezeLight", "BreezeDark"):
        home = tmp_path / f"{toolkit}-{scheme}"
        (home / "config").mkdir(parents=True)
        (home / "config" / "kdeglobals").write_text(f"[General]\nColorScheme={scheme}\n")
        window = Window(desktop, home, "about", {}, installed=toolkit == "gtk", ASTITRAY_TOOLKIT=toolkit)
        box = window.window
        shot = desktop.screenshot(tmp_path / f"{toolkit}-{scheme}.png")
        shades[scheme] = background(shot, (box.x, box.y, box.x + box.width, box.y + box.height))
        window.close()
    assert shades["BreezeLight"] > 180, shades
    assert shades["BreezeDark"] < 90, shades
