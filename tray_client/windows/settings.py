"""The "Settings…" window: server address, username, password, "Test connection", Save.

"Ask before calling a link" (on by default) makes a clicked ``tel:`` or
``callto:`` link ask "Call … with your desk phone?" first (tray_client.dial).
The address, username and that choice go to the config file, the password to the system
keyring (never to the file). "Test connection" asks ``accounts.whoami``
with what is typed, saved or not, and says who you are and your extension,
or why it failed, in plain words. Saving tells the tray (``{"saved": true}``),
which reads the settings again.

    python -m tray_client.windows.settings   (started by the tray)
"""

from __future__ import annotations

import tkinter as tk
from dataclasses import replace
from tkinter import ttk
from typing import Any

from tray_client import api, config
from tray_client.i18n import _
from tray_client.messages import describe
from tray_client.windows.base import ChildWindow, send


def connection_report(who: api.WhoAmI) -> str:
    """What "Test connection" says when the server accepted us."""
    name = who.full_name or who.username
    if who.extension and who.can_dial:
        return _("Connected: you are %(name)s (%(username)s), extension %(extension)s.") % {
            "name": name,
            "username": who.username,
            "extension": who.extension,
        }
    return _(
        "Connected: you are %(name)s (%(username)s), but you have no phone set up for dialing. "
        "Ask your administrator."
    ) % {
        "name": name,
        "username": who.username,
    }


def read_form(
    url: str, username: str, password: str, current: config.Settings, confirm_links: bool = True
) -> tuple[config.Settings, str]:
    """The settings and password for what was typed. Raises ``config.SettingsError``."""
    settings = replace(
        current,
        server_url=config.normalize_server_url(url),
        username=config.check_username(username),
        confirm_links=confirm_links,
    )
    return settings, config.check_password(password)


class SettingsWindow(ChildWindow):
    def __init__(self, payload: dict[str, Any] | None = None) -> None:
        super().__init__(_("Settings — Astitray"), payload)
        self.current = config.load()
        frame = ttk.Frame(self.root, padding=12)
        frame.pack(fill=tk.BOTH, expand=True)
        frame.columnconfigure(1, weight=1)

        self.url = tk.StringVar(value=self.current.server_url)
        self.username = tk.StringVar(value=self.current.username)
        self.password = tk.StringVar(value=str(self.payload.get("password", "")))
        fields = (
            (_("Server address:"), self.url, ""),
            (_("Username:"), self.username, ""),
            (_("Password:"), self.password, "•"),
        )
        self.entries = []
        for row, (label, variable, show) in enumerate(fields):
            ttk.Label(frame, text=label).grid(row=row, column=0, sticky=tk.W, pady=3)
            entry = ttk.Entry(frame, textvariable=variable, width=46, show=show)
            entry.grid(row=row, column=1, sticky=tk.EW, pady=3)
            self.entries.append(entry)
        self.warning = tk.StringVar()
        ttk.Label(frame, textvariable=self.warning, foreground="#b35c00", wraplength=440).grid(
            row=3, column=0, columnspan=2, sticky=tk.W
        )
        self.url.trace_add("write", lambda *_args: self._check_url())
        self._check_url()
        ttk.Label(
            frame,
            text=_("The password is kept in the system keyring (%(keyring)s), never in a file.")
            % {"keyring": config.keyring_name()},
            wraplength=440,
            foreground="#555555",
        ).grid(row=4, column=0, columnspan=2, sticky=tk.W, pady=(4, 8))
        self.confirm_links = tk.BooleanVar(value=self.current.confirm_links)
        ttk.Checkbutton(
            frame,
            text=_("Ask before calling a link"),
            variable=self.confirm_links,
        ).grid(row=5, column=0, columnspan=2, sticky=tk.W, pady=(0, 8))

        self.result = tk.StringVar()
        ttk.Label(frame, textvariable=self.result, wraplength=440).grid(
            row=6, column=0, columnspan=2, sticky=tk.W, pady=(0, 8)
        )
        buttons = ttk.Frame(frame)
        buttons.grid(row=7, column=0, columnspan=2, sticky=tk.EW)
        self.test_button = ttk.Button(buttons, text=_("Test connection"), command=self.test)
        self.test_button.pack(side=tk.LEFT)
        ttk.Button(buttons, text=_("Cancel"), command=self.close).pack(side=tk.RIGHT)
        self.save_button = ttk.Button(buttons, text=_("Save"), command=self.save)
        self.save_button.pack(side=tk.RIGHT, padx=6)
        self.root.bind("<Return>", lambda _event: self.save())
        self.center(560, 310)
        self.entries[0 if not self.current.server_url else 2 if not self.password.get() else 0].focus_set()

    def _check_url(self) -> None:
        try:
            url = config.normalize_server_url(self.url.get())
        except config.SettingsError:
            self.warning.set("")
            return
        if config.is_insecure(url):
            self.warning.set(
                _(
                    "This address is not encrypted (http://): your password would cross the network "
                    "readable. Use https:// if you can."
                )
            )
        else:
            self.warning.set("")

    def _form(self) -> tuple[config.Settings, str] | None:
        try:
            return read_form(
                self.url.get(),
                self.username.get(),
                self.password.get(),
                self.current,
                confirm_links=self.confirm_links.get(),
            )
        except config.SettingsError as err:
            self.result.set(str(err))
            return None

    def _busy(self, busy: bool) -> None:
        state = ["disabled"] if busy else ["!disabled"]
        self.test_button.state(state)
        self.save_button.state(state)

    def test(self) -> None:
        form = self._form()
        if form is None:
            return
        settings, password = form
        client = api.ApiClient(
            api.Credentials(settings.server_url, settings.username, password), settings.timeout_s
        )
        self.result.set(_("Connecting to %(url)s…") % {"url": settings.server_url})
        self._busy(True)
        self.in_background(client.whoami, self._tested)

    def _tested(self, result: Any) -> None:
        self._busy(False)
        self.result.set(describe(result) if isinstance(result, Exception) else connection_report(result))

    def save(self) -> None:
        form = self._form()
        if form is None:
            return
        settings, password = form

        def store() -> None:
            config.store_password(settings, password)
            config.save(settings)

        self.result.set(_("Saving…"))
        self._busy(True)
        self.in_background(store, self._saved)

    def _saved(self, result: Any) -> None:
        self._busy(False)
        if isinstance(result, Exception):
            self.result.set(describe(result))
            return
        send({"saved": True})
        self.close()


def main() -> None:
    SettingsWindow().run()


if __name__ == "__main__":
    main()
