"""The "Settings…" window in Tk (its logic: tray_client.windows.settings).

Enter in a text field saves; Enter on a button is that button ("Test connection" tests).
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Any

from tray_client import config
from tray_client.i18n import _
from tray_client.windows.settings import SettingsForm, incoming_url_hint, keyring_note, title
from tray_client.windows.tk.base import TkWindow


class SettingsWindow(TkWindow):
    def __init__(self, payload: dict[str, Any] | None = None) -> None:
        super().__init__(title(), payload)
        current = config.load()
        self.frame.columnconfigure(1, weight=1)
        self.url = tk.StringVar(value=current.server_url)
        self.username = tk.StringVar(value=current.username)
        self.password = tk.StringVar(value=str(self.payload.get("password", "")))
        fields = (
            (_("Server address:"), self.url, ""),
            (_("Username:"), self.username, ""),
            (_("Password:"), self.password, "•"),
        )
        entries = []
        for row, (text, variable, show) in enumerate(fields):
            ttk.Label(self.frame, text=text).grid(row=row, column=0, sticky=tk.W, pady=3)
            entry = ttk.Entry(self.frame, textvariable=variable, width=46, show=show)
            entry.grid(row=row, column=1, sticky=tk.EW, pady=3)
            entries.append(entry)
        self.warning = tk.StringVar()
        ttk.Label(self.frame, textvariable=self.warning, style="Warning.TLabel", wraplength=460).grid(
            row=3, column=0, columnspan=2, sticky=tk.W
        )
        token = str(self.payload.get("token", ""))
        ttk.Label(
            self.frame,
            text=keyring_note(config.keyring_name(), bool(token)),
            wraplength=460,
            style="Dim.TLabel",
        ).grid(row=4, column=0, columnspan=2, sticky=tk.W, pady=(4, 8))
        self.confirm_links = tk.BooleanVar(value=current.confirm_links)
        ttk.Checkbutton(self.frame, text=_("Ask before calling a link"), variable=self.confirm_links).grid(
            row=5, column=0, columnspan=2, sticky=tk.W, pady=(0, 8)
        )
        self.crm_url = tk.StringVar(value=current.incoming_url)
        ttk.Label(self.frame, text=_("Open for incoming calls:")).grid(row=6, column=0, sticky=tk.W, pady=3)
        ttk.Entry(self.frame, textvariable=self.crm_url, width=46).grid(row=6, column=1, sticky=tk.EW, pady=3)
        ttk.Label(self.frame, text=incoming_url_hint(), wraplength=460, style="Dim.TLabel").grid(
            row=7, column=0, columnspan=2, sticky=tk.W, pady=(0, 8)
        )
        self.result = tk.StringVar()
        ttk.Label(self.frame, textvariable=self.result, wraplength=460).grid(
            row=8, column=0, columnspan=2, sticky=tk.W, pady=(0, 8)
        )
        buttons = ttk.Frame(self.frame)
        buttons.grid(row=9, column=0, columnspan=2, sticky=tk.EW)
        self.logic = SettingsForm(self, self, current, token=token)
        self.test_button = ttk.Button(buttons, text=_("Test connection"), command=self.logic.test)
        self.test_button.pack(side=tk.LEFT)
        ttk.Button(buttons, text=_("Cancel"), command=self.close).pack(side=tk.RIGHT)
        self.save_button = ttk.Button(buttons, text=_("Save"), command=self.logic.save, default="active")
        self.save_button.pack(side=tk.RIGHT, padx=6)
        login = _("_Log in")  # Alt+L, as in GTK
        self.login_button = ttk.Button(
            buttons, text=login.replace("_", "", 1), underline=login.find("_"), command=self.logic.log_in
        )
        self.login_button.pack(side=tk.LEFT, padx=6)
        key = login[login.find("_") + 1].lower()
        self.root.bind(f"<Alt-KeyPress-{key}>", lambda _event: self.logic.log_in())
        self.url.trace_add("write", lambda *_args: self.logic.url_changed(self.url.get()))
        self.logic.url_changed(current.server_url)
        self.center(600, 440)
        # The keyboard goes where typing is needed first: the address, else a missing password.
        wanted = self.payload.get("focus") == "password" or (
            current.server_url and not self.password.get() and not token
        )
        self.first = entries[2] if wanted else entries[0]

    def default_action(self) -> None:
        self.logic.save()

    # -- SettingsView ----------------------------------------------------------------------------

    def values(self) -> tuple[str, str, str, bool]:
        return self.url.get(), self.username.get(), self.password.get(), self.confirm_links.get()

    def incoming_url(self) -> str:
        return self.crm_url.get()

    def set_result(self, text: str) -> None:
        self.result.set(text)

    def set_warning(self, text: str) -> None:
        self.warning.set(text)

    def set_url(self, url: str) -> None:
        self.url.set(url)

    def busy(self, busy: bool) -> None:
        state = ["disabled"] if busy else ["!disabled"]
        self.test_button.state(state)
        self.save_button.state(state)
        self.login_button.state(state)


def main() -> int:
    return SettingsWindow().run()
