"""The "About" window in GTK 3: GTK's own about dialog (its text: tray_client.windows.about)."""

from __future__ import annotations

from typing import Any

from tray_client import __version__
from tray_client.windows.about import about_lines, title
from tray_client.windows.gtk.base import Gtk, GtkWindow, pixbuf, set_icon


class AboutWindow(GtkWindow):
    """A Gtk.AboutDialog in place of the base's plain window (replaced before anything is shown)."""

    def __init__(self, payload: dict[str, Any] | None = None) -> None:
        super().__init__(title(), payload)
        self.window.destroy()
        lines = about_lines(self.payload)
        dialog = Gtk.AboutDialog(program_name="Astitray", version=__version__)
        dialog.set_title(title())  # after the name: GTK sets a title of its own with it
        dialog.set_logo(pixbuf(96))
        set_icon(dialog)
        dialog.set_comments("\n".join(lines[1:]).strip())
        dialog.connect("response", lambda *_args: self.close())
        dialog.connect("delete-event", self._deleted)
        dialog.connect("key-press-event", self._key)
        self.window = dialog

    def run(self, focus: Gtk.Widget | None = None) -> int:
        self.window.show()
        self.window.present()
        Gtk.main()
        return 0


def main() -> int:
    return AboutWindow().run()
