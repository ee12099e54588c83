"""The question before a clicked link is dialed, in GTK 3 (its logic: tray_client.windows.confirm)."""

from __future__ import annotations

import logging
from typing import Any

from gi.repository import GLib

from tray_client.i18n import _
from tray_client.windows.confirm import Confirm, link_line, title, warning_line
from tray_client.windows.gtk.base import Gdk, Gtk, GtkWindow, label

logger = logging.getLogger(__name__)


class ConfirmWindow(GtkWindow):
    def __init__(self, payload: dict[str, Any] | None = None) -> None:
        super().__init__(title(), payload, width=520, resizable=False)
        self.heading = label()
        self.body.pack_start(self.heading, False, False, 0)
        self.body.pack_start(label(link_line(str(self.payload.get("link", "")))), False, False, 0)
        self.check = label(dim=True)
        self.body.pack_start(self.check, False, False, 0)
        self.body.pack_start(label(warning_line(), dim=True), False, False, 4)
        buttons = Gtk.Box(spacing=6)
        self.call_button = Gtk.Button.new_with_mnemonic(_("Call"))
        self.call_button.get_style_context().add_class("suggested-action")
        self.call_button.set_sensitive(False)
        cancel = Gtk.Button.new_with_mnemonic(_("Cancel"))
        buttons.pack_end(self.call_button, False, False, 0)
        buttons.pack_end(cancel, False, False, 0)
        self.body.pack_end(buttons, False, False, 0)
        self.cancel_button = cancel
        self.window.set_keep_above(True)

        self.logic = Confirm(self, self, self.payload)
        self.call_button.connect("clicked", lambda _button: self.logic.call())
        cancel.connect("clicked", lambda _button: self.logic.cancel())
        self.window.connect("map-event", lambda *_args: self.logic.shown())
        self.logic.start()

    def escape(self) -> None:
        self.logic.cancel()

    def _key(self, window: Gtk.Window, event: Gdk.EventKey) -> bool:
        if (
            event.keyval in (Gdk.KEY_Return, Gdk.KEY_KP_Enter)
            and self.window.get_focus() is not self.cancel_button
        ):
            self.logic.call()  # only once armed (see Confirm.call)
            return True
        return super()._key(window, event)

    # -- ConfirmView -----------------------------------------------------------------------------

    def set_question(self, text: str) -> None:
        self.heading.set_markup(f"<big><b>{GLib.markup_escape_text(text)}</b></big>")

    def set_check(self, text: str) -> None:
        self.check.set_text(text)

    def arm(self) -> None:
        self.call_button.set_sensitive(True)
        self.call_button.grab_focus()


def main() -> int:
    window = ConfirmWindow()
    return window.run(focus=window.cancel_button)
