"""The client's settings: an INI file in the XDG config folder, the password or token in the system keyring.

The file (``$XDG_CONFIG_HOME/astitray/tray.ini``, ``~/.config/astitray/``
by default; ``%APPDATA%\\Astitray`` on Windows) holds the server address,
the username and a few tunings. The password is never written there: it
lives in the system keyring (GNOME Keyring, KWallet, the Windows Credential
Manager, the macOS Keychain) through the ``keyring`` library. After "Log
in" in Settings the keyring holds an API token instead (its own entry, the
password's removed), and the file the token's id, to revoke it at the next
"Log in".
"""

from __future__ import annotations

import configparser
import contextlib
import logging
import math
import os
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import keyring
import keyring.errors

from tray_client import hotkey
from tray_client.api import DEFAULT_TIMEOUT_S, ApiClient, Credentials
from tray_client.i18n import _

logger = logging.getLogger(__name__)

FILE_NAME = "tray.ini"
KEYRING_SERVICE = "Astitray"
MAX_URL_LENGTH = 2000
MAX_USERNAME_LENGTH = 150
MAX_PASSWORD_LENGTH = 1000


class SettingsError(ValueError):
    """A value the user typed cannot be used; the message says why, in plain words."""


class KeyringProblem(Exception):
    """The system keyring could not store or give back the password."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Settings:
    """What the config file holds (never the password)."""

    server_url: str = ""
    username: str = ""
    timeout_s: float = DEFAULT_TIMEOUT_S
    # How often the clipboard is read to show its number in the menu (0: never).
    clipboard_poll_s: float = 1.0
    # Ask "Call … with your desk phone?" before dialing a clicked tel:/callto: link.
    confirm_links: bool = True
    # The global shortcut that dials the selected text (X11); "" turns it off.
    shortcut: str = hotkey.DEFAULT
    # The address opened in the browser when a call comes in ("{number}", "{e164}", "{name}" replaced);
    # "": none.
    incoming_url: str = ""
    # The id of the API token "Log in" made (0: none), revoked when logging in again.
    token_id: int = 0

    @property
    def configured(self) -> bool:
        return bool(self.server_url and self.username)


@dataclass(frozen=True)
class Profile:
    """The settings and the password or token from the keyring: everything needed to call the server."""

    settings: Settings = field(default_factory=Settings)
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.settings.server_url, self.settings.username, self.password, self.token)

    @property
    def complete(self) -> bool:
        return self.credentials.complete

    def client(self) -> ApiClient:
        return ApiClient(self.credentials, timeout_s=self.settings.timeout_s)

    def connection(self) -> dict[str, Any]:
        """What a window needs to call the server itself (read back by ``ChildWindow.api_client``)."""
        return {
            "url": self.settings.server_url,
            "username": self.settings.username,
            "password": self.password,
            "token": self.token,
            "timeout": self.settings.timeout_s,
        }


def config_dir() -> Path:
    """The folder of the config file (XDG; ``%APPDATA%`` on Windows)."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "Astitray"
    base = os.environ.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    return root / "astitray"


def config_path() -> Path:
    return config_dir() / FILE_NAME


def load(path: Path | None = None) -> Settings:
    """The settings from the file; defaults for a missing file and for each unusable value."""
    path = path or config_path()
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError, configparser.Error) as err:
        logger.warning("cannot read %s (%s): using the defaults", path, err)
        return Settings()
    defaults = Settings()
    settings = defaults
    try:
        settings = replace(
            settings, server_url=normalize_server_url(parser.get("server", "url", fallback=""))
        )
    except SettingsError as err:
        if parser.get("server", "url", fallback=""):
            logger.warning("ignoring the server url of %s: %s", path, err)
    with contextlib.suppress(SettingsError):
        settings = replace(settings, username=check_username(parser.get("server", "username", fallback="")))
    settings = replace(
        settings,
        timeout_s=_number(parser, "server", "timeout", default=defaults.timeout_s, low=0.5, high=120),
        clipboard_poll_s=_number(
            parser, "clipboard", "poll_seconds", default=defaults.clipboard_poll_s, low=0, high=60
        ),
        confirm_links=_flag(parser, "links", "ask_before_calling", default=defaults.confirm_links),
        shortcut=_shortcut(parser, default=defaults.shortcut),
        token_id=_token_id(parser.get("server", "token_id", fallback="")),
    )
    raw_url = parser.get("incoming", "open_url", fallback="")
    try:
        settings = replace(settings, incoming_url=check_incoming_url(raw_url))
    except SettingsError as err:
        logger.warning("ignoring incoming.open_url = %r: %s", raw_url, err)
    return settings


def check_incoming_url(text: str) -> str:
    """The address to open for an incoming call (a CRM's search), or "" for none.

    An http(s) address with ``{number}`` or ``{e164}`` where the caller's number goes (``{name}`` too,
    where their name goes). Raises :class:`SettingsError`.
    """
    text = text.strip()
    if not text:
        return ""
    if len(text) > MAX_URL_LENGTH or any(not char.isprintable() or char.isspace() for char in text):
        raise SettingsError(_("The address for incoming calls is not a valid web address."))
    if urlsplit(text).scheme.lower() not in ("http", "https") or not urlsplit(text).hostname:
        raise SettingsError(_("The address for incoming calls must start with https:// or http://."))
    if "{number}" not in text and "{e164}" not in text:
        raise SettingsError(
            _("The address for incoming calls needs {number} or {e164} where the number goes.")
        )
    return text


def save(settings: Settings, path: Path | None = None) -> Path:
    """Write the settings (atomically: a crash never leaves half a file). Returns the path."""
    path = path or config_path()
    parser = configparser.ConfigParser(interpolation=None)
    parser["server"] = {
        "url": settings.server_url,
        "username": settings.username,
        "timeout": f"{settings.timeout_s:g}",
        **({"token_id": str(settings.token_id)} if settings.token_id else {}),
    }
    parser["clipboard"] = {"poll_seconds": f"{settings.clipboard_poll_s:g}"}
    parser["links"] = {"ask_before_calling": "true" if settings.confirm_links else "false"}
    parser["shortcut"] = {"dial_selection": settings.shortcut}
    parser["incoming"] = {"open_url": settings.incoming_url}
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=".tray-", suffix=".tmp", delete=False
    ) as handle:
        handle.write("# Astitray tray client. The password or token is in the system keyring, not here.\n")
        parser.write(handle)
    try:
        os.replace(handle.name, path)
    except OSError:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return path


def _number(
    parser: configparser.ConfigParser, section: str, key: str, *, default: float, low: float, high: float
) -> float:
    raw = parser.get(section, key, fallback="")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        logger.warning("ignoring %s.%s = %r: not a number", section, key, raw)
        return default
    if not math.isfinite(value) or not low <= value <= high:
        logger.warning("ignoring %s.%s = %r: not between %s and %s", section, key, raw, low, high)
        return default
    return value


def _token_id(raw: str) -> int:
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else 0


def _flag(parser: configparser.ConfigParser, section: str, key: str, *, default: bool) -> bool:
    raw = parser.get(section, key, fallback="").strip().lower()
    if raw in ("true", "false"):
        return raw == "true"
    if raw:
        logger.warning("ignoring %s.%s = %r: not true or false", section, key, raw)
    return default


def _shortcut(parser: configparser.ConfigParser, *, default: str) -> str:
    raw = parser.get("shortcut", "dial_selection", fallback=None)
    if raw is None:
        return default
    if not raw.strip():
        return ""  # turned off
    try:
        return hotkey.parse(raw).label
    except hotkey.ShortcutError as err:
        logger.warning("ignoring shortcut.dial_selection = %r: %s", raw, err)
        return default


def normalize_server_url(text: str) -> str:
    """The API address for what the user typed: ``astitray.example.org`` gives ``https://astitray.example.org/rpc/``."""
    text = text.strip()
    if not text:
        raise SettingsError(_("Enter the server address, for example https://astitray.example.org."))
    if len(text) > MAX_URL_LENGTH or any(not char.isprintable() or char.isspace() for char in text):
        raise SettingsError(_("The server address is not a valid web address."))
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise SettingsError(_("The server address must start with https:// or http://."))
    try:
        parts.port  # noqa: B018 (validates the port)
    except ValueError as err:
        raise SettingsError(_("The server address has an invalid port number.")) from err
    if not parts.hostname:
        raise SettingsError(_("The server address has no host name."))
    if parts.username is not None or parts.password is not None:
        raise SettingsError(_("Type the username and password in their own fields, not in the address."))
    if parts.query or parts.fragment:
        raise SettingsError(_("The server address cannot contain ? or #."))
    path = parts.path if parts.path not in ("", "/") else "/rpc/"
    return urlunsplit((scheme, parts.netloc.lower(), path, "", ""))


def server_url_candidates(text: str) -> list[str]:
    """The addresses to try for what the user typed: as typed when it has a scheme, else https first,
    then http (``127.0.0.1:8201`` may be a server that speaks plain http only). Raises :class:`SettingsError`.
    """
    url = normalize_server_url(text)
    if "://" in text:
        return [url]
    return [url, normalize_server_url(f"http://{text.strip()}")]


def check_username(text: str) -> str:
    username = text.strip()
    if not username:
        raise SettingsError(_("Enter your username."))
    if len(username) > MAX_USERNAME_LENGTH or ":" in username or not username.isprintable():
        raise SettingsError(_("That username cannot be used (no colon, at most 150 characters)."))
    return username


def check_password(text: str) -> str:
    if not text:
        raise SettingsError(_("Enter your password."))
    if len(text) > MAX_PASSWORD_LENGTH or any(char in text for char in "\r\n\0"):
        raise SettingsError(_("That password cannot be used (one line, at most 1000 characters)."))
    return text


def is_insecure(url: str) -> bool:
    """True when the password would cross the network unencrypted (plain http to another machine)."""
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") not in ("localhost", "127.0.0.1", "::1")


def _keyring_service(settings: Settings, what: str = "") -> str:
    # One entry per server, so that switching servers keeps each password; the token's entry apart.
    return f"{KEYRING_SERVICE} {what}{settings.server_url}"


def keyring_name() -> str:
    """The name of the keyring in use, to tell the user where the password goes."""
    try:
        return str(getattr(keyring.get_keyring(), "name", type(keyring.get_keyring()).__name__))
    except (keyring.errors.KeyringError, OSError) as err:
        return type(err).__name__


def read_password(settings: Settings) -> str:
    """The stored password ("" when there is none). Raises :class:`KeyringProblem`."""
    if not settings.configured:
        return ""
    try:
        return keyring.get_password(_keyring_service(settings), settings.username) or ""
    except (keyring.errors.KeyringError, OSError) as err:
        logger.warning("cannot read the password from the keyring: %s", type(err).__name__)
        raise KeyringProblem(_keyring_reason(err)) from err


def store_password(settings: Settings, password: str) -> None:
    """Keep ``password`` in the system keyring (a token kept before is removed).

    Raises :class:`KeyringProblem`."""
    try:
        keyring.set_password(_keyring_service(settings), settings.username, password)
    except (keyring.errors.KeyringError, OSError) as err:
        logger.warning("cannot store the password in the keyring: %s", type(err).__name__)
        raise KeyringProblem(_keyring_reason(err)) from err
    forget_password(settings, TOKEN)


def forget_password(settings: Settings, what: str = "") -> None:
    """Remove the stored password (``what="token "``: the token), if any. Raises :class:`KeyringProblem`."""
    try:
        keyring.delete_password(_keyring_service(settings, what), settings.username)
    except keyring.errors.PasswordDeleteError:
        pass
    except (keyring.errors.KeyringError, OSError) as err:
        raise KeyringProblem(_keyring_reason(err)) from err


TOKEN = "token "  # noqa: S105 (a name: the token's keyring entry is "Astitray token <server url>")


def read_token(settings: Settings) -> str:
    """The stored API token ("" when there is none). Raises :class:`KeyringProblem`."""
    if not settings.configured:
        return ""
    try:
        return keyring.get_password(_keyring_service(settings, TOKEN), settings.username) or ""
    except (keyring.errors.KeyringError, OSError) as err:
        logger.warning("cannot read the token from the keyring: %s", type(err).__name__)
        raise KeyringProblem(_keyring_reason(err)) from err


def store_token(settings: Settings, token: str) -> None:
    """Keep the API token in the keyring and remove the password: one of them is kept, never both."""
    try:
        keyring.set_password(_keyring_service(settings, TOKEN), settings.username, token)
    except (keyring.errors.KeyringError, OSError) as err:
        logger.warning("cannot store the token in the keyring: %s", type(err).__name__)
        raise KeyringProblem(_keyring_reason(err)) from err
    forget_password(settings)


def _keyring_reason(err: BaseException) -> str:
    if isinstance(err, keyring.errors.NoKeyringError):
        return _("no system keyring was found (install GNOME Keyring or KWallet).")
    if isinstance(err, keyring.errors.KeyringLocked):
        return _("the keyring is locked.")
    return _("the keyring answered with an error (%(error)s).") % {"error": type(err).__name__}


def load_profile(path: Path | None = None) -> Profile:
    """The settings and the stored token, else password. Raises :class:`KeyringProblem`."""
    settings = load(path)
    token = read_token(settings)
    return Profile(settings, "" if token else read_password(settings), token)
