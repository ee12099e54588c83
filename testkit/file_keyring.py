"""A keyring backend for the desktop tests: a JSON file named by ``ASTITRAY_TEST_KEYRING_FILE``.

A real desktop keyring (GNOME Keyring, KWallet) needs a logged-in session;
the tray processes of the tests select this one with
``PYTHON_KEYRING_BACKEND=testkit.file_keyring.FileKeyring``. The code
under test goes through the keyring library exactly as on a desktop.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1
    name = "test file keyring"

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        self._path = path

    @property
    def path(self) -> Path:
        return self._path or Path(os.environ["ASTITRAY_TEST_KEYRING_FILE"])

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\0{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\0{username}"] = password
        self.path.write_text(json.dumps(data), encoding="utf-8")

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}\0{username}", None) is None:
            raise PasswordDeleteError(username)
        self.path.write_text(json.dumps(data), encoding="utf-8")
