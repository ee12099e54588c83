"""The "Settings…" window in GTK 3 (its logic: tray_client.windows.settings).

Enter in a text field saves (Save is the window's default button); Enter on
"Test connection" tests, as GTK does for any focused button.
"""

from __future__ import annotations

from typing import Any

from tray_client import config
from tray_client.i18n import _
from tray_client.windows.gtk.base import Gtk, GtkWindow, label
from tray_client.windows.settings import SettingsForm, incoming_url_hint, keyring_note, title


class SettingsWindow(GtkWindow):
    def __init__(self, payload: dict[str, Any] | None = None) -> None:
        super().__init__(title(), payload, width=560, resizable=False)
        current = config.load()
        grid = Gtk.Grid(column_spacing=10, row_spacing=6)
        self.body.pack_start(grid, False, False, 0)
        self.url = self._field(grid, 0, _("Server address:"), current.server_url)
        self.url.set_placeholder_text("astitray.example.org")
        self.url.set_input_purpose(Gtk.InputPurpose.URL)
        self.username = self._field(grid, 1, _("Username:"), current.username)
        self.password = self._field(grid, 2, _("Password:"), str(self.payload.get("password", "")))
        self.password.set_visibility(False)
        self.password.set_input_purpose(Gtk.InputPurpose.PASSWORD)

        self.warning_bar = Gtk.InfoBar(message_type=Gtk.MessageType.WARNING)
        self.warning = label()
        self.warning_bar.get_content_area().add(self.warning)
        self.warning_bar.set_no_show_all(True)
        self.body.pack_start(self.warning_bar, False, False, 0)
        token = str(self.payload.get("token", ""))
        note = keyring_note(config.keyring_name(), bool(token))
        self.body.pack_start(label(note, dim=True), False, False, 0)
        self.confirm_links = Gtk.CheckButton.new_with_mnemonic(_("Ask before calling a link"))
        self.confirm_links.set_active(current.confirm_links)
        self.body.pack_start(self.confirm_links, False, False, 0)
        self.crm_url = self._crm_field(current.incoming_url)
        self.result = label()
        self.body.pack_start(self.result, False, False, 0)

        buttons = Gtk.Box(spacing=6)
        self.test_button = Gtk.Button.new_with_mnemonic(_("Test connection"))
        self.spinner = Gtk.Spinner()
        self.login_button = Gtk.Button.new_with_mnemonic(_("_Log in"))  # Alt+L
        cancel = Gtk.Button.new_with_mnemonic(_("Cancel"))
        self.save_button = Gtk.Button.new_with_mnemonic(_("Save"))
        self.save_button.get_style_context().add_class("suggested-action")
        self.save_button.set_can_default(True)
        buttons.pack_start(self.test_button, False, False, 0)
        buttons.pack_start(self.login_button, False, False, 0)
        buttons.pack_start(self.spinner, False, False, 0)
        buttons.pack_end(self.save_button, False, False, 0)
        buttons.pack_end(cancel, False, False, 0)
        self.body.pack_end(buttons, False, False, 0)
        self.window.set_default(self.save_button)

        self._focus_before: Gtk.Widget | None = None
        self.logic = SettingsForm(self, self, current, token=token)
        self.url.connect("changed", lambda entry: self.logic.url_changed(entry.get_text()))
        self.test_button.connect("clicked", lambda _button: self.logic.test())
        self.save_button.connect("clicked", lambda _button: self.logic.save())
        self.login_button.connect("clicked", lambda _button: self.logic.log_in())
        cancel.connect("clicked", lambda _button: self.close())
        self.logic.url_changed(current.server_url)
        # The keyboard goes where typing is needed first: the address, else a missing password.
        wanted = self.payload.get("focus") == "password" or (
            current.server_url and not self.password.get_text() and not token
        )
        self.first = self.password if wanted else self.url

    def _crm_field(self, value: str) -> Gtk.Entry:
        """The optional address opened for incoming calls, with what it may hold under it."""
        grid = Gtk.Grid(column_spacing=10, row_spacing=2)
        self.body.pack_start(grid, False, False, 0)
        entry = self._field(grid, 0, _("Open for incoming calls:"), value)
        entry.set_placeholder_text("https://crm.example.org/search?phone={e164}")
        entry.set_input_purpose(Gtk.InputPurpose.URL)
        grid.attach(label(incoming_url_hint(), dim=True), 1, 1, 1, 1)
        return entry

    def _field(self, grid: Gtk.Grid, row: int, text: str, value: str) -> Gtk.Entry:
        caption = Gtk.Label(label=text, xalign=0.0)
        entry = Gtk.Entry(text=value, hexpand=True, activates_default=True)
        caption.set_mnemonic_widget(entry)
        grid.attach(caption, 0, row, 1, 1)
        grid.attach(entry, 1, row, 1, 1)
        return entry

    # -- SettingsView ----------------------------------------------------------------------------

    def values(self) -> tuple[str, str, str, bool]:
        return (
            self.url.get_text(),
            self.username.get_text(),
            self.password.get_text(),
            self.confirm_links.get_active(),
        )

    def incoming_url(self) -> str:
        return self.crm_url.get_text()

    def set_result(self, text: str) -> None:
        self.result.set_text(text)

    def set_warning(self, text: str) -> None:
        self.warning.set_text(text)
        self.warning.show()
        self.warning_bar.set_visible(bool(text))

    def set_url(self, url: str) -> None:
        self.url.set_text(url)

    def busy(self, busy: bool) -> None:
        if busy:
            # A button made insensitive loses the keyboard: it gets it back once the work is done.
            self._focus_before = self.window.get_focus()
        self.test_button.set_sensitive(not busy)
        self.save_button.set_sensitive(not busy)
        self.login_button.set_sensitive(not busy)
        if busy:
            self.spinner.start()
            return
        self.spinner.stop()
        if self._focus_before is not None:
            self._focus_before.grab_focus()
            self._focus_before = None


def main() -> int:
    window = SettingsWindow()
    return window.run(focus=window.first)
