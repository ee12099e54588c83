"""Logins from an Apache password file (``htpasswd``), re-read whenever it changes.

Accepted hashes: bcrypt (``$2y$``, ``$2b$``, ``$2a$``), Apache MD5
(``$apr1$``), ``{SHA}``, SHA-256 and SHA-512 crypt (``$5$``, ``$6$``). Old
DES crypt and plaintext lines are refused. The file is read with libpass (the
maintained passlib) and parsed again whenever its content changes, so an
edit or a replacement of the file counts at the next login, in every process.

``ASTITRAY_HTPASSWD_EXTENSIONS_FILE`` optionally gives each login its phone,
one ``login:extension`` or ``login:extension:channel`` line each; without a
channel, ``ASTITRAY_HTPASSWD_CHANNEL_TEMPLATE`` makes it (``PJSIP/{extension}``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from django.conf import settings
from django.http import HttpRequest

from accounts.backends import hashes
from accounts.backends.base import ExternalBackend, check_username
from accounts.errors import Refused
from accounts.provisioning import Identity, Phone, fixed_phone, phone_from_values

logger = logging.getLogger(__name__)

# The schemes of an htpasswd file we accept; bcrypt first, it serves the dummy check of unknown logins.
SCHEMES = ("bcrypt", "apr_md5_crypt", "ldap_sha1", "sha256_crypt", "sha512_crypt")

T = TypeVar("T")


class WatchedFile(Generic[T]):
    """A file parsed again whenever its content changes.

    The file is read at each call (password files are small, and this runs
    only for logins the RPC cache does not already know): comparing the
    content, not only the modification time, also sees two edits within the
    same clock tick. A file that cannot be read or parsed raises
    OSError/ValueError and is tried again at the next call (a half-written
    file is never kept).
    """

    def __init__(self, path: str, parse: Callable[[str], T]) -> None:
        self.path = path
        self.parse = parse
        self._lock = threading.Lock()
        self._digest = b""
        self._value: T | None = None

    def get(self) -> T:
        content = Path(self.path).read_bytes()
        digest = hashlib.sha256(content).digest()
        with self._lock:
            if digest != self._digest or self._value is None:
                self._value = self.parse(content.decode("utf-8"))
                self._digest = digest
                logger.info("read %s", self.path)
            return self._value


def parse_passwords(text: str) -> dict[str, str]:
    """login -> hash of an htpasswd file's text (ValueError if a line is malformed)."""
    from passlib.apache import HtpasswdFile  # on first use, as in hashes.context()

    passwords = HtpasswdFile.from_string(text)
    return {user: passwords.get_hash(user).decode("utf-8") for user in passwords.users()}


def parse_extensions(text: str) -> dict[str, tuple[str, str]]:
    """login -> (extension, channel or "") of ``login:extension[:channel]`` lines; ``#`` comments."""
    extensions: dict[str, tuple[str, str]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        login, sep, rest = line.partition(":")
        extension, _, channel = rest.partition(":")
        if not sep or not login.strip() or not extension.strip():
            raise ValueError(f"line {number}: expected login:extension[:channel]")
        extensions[login.strip()] = (extension.strip(), channel.strip())
    return extensions


_files: dict[tuple[str, str], WatchedFile] = {}
_files_lock = threading.Lock()


def _watched(path: str, parse: Callable[[str], T]) -> WatchedFile[T]:
    key = (path, parse.__name__)
    with _files_lock:
        if key not in _files:
            _files[key] = WatchedFile(path, parse)
        return _files[key]


def _read(path: str, parse: Callable[[str], T], what: str) -> T:
    try:
        return _watched(path, parse).get()
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        logger.error("cannot read the %s %s: %s", what, path, exc)
        raise Refused(f"{what} unreadable") from None


class HtpasswdBackend(ExternalBackend):
    """Logins of ``ASTITRAY_HTPASSWD_FILE``."""

    name = "htpasswd"

    def identify(self, request: HttpRequest | None, username: str, password: str) -> Identity:
        check_username(username)
        passwords = _read(settings.ASTITRAY_HTPASSWD_FILE, parse_passwords, "password file")
        stored = passwords.get(username)
        if stored is None:
            hashes.dummy_verify(SCHEMES)
            raise Refused("not in the password file")
        try:
            accepted = hashes.verify(password, stored, SCHEMES)
        except hashes.UnsupportedHash:
            logger.warning(
                "the password file %s has a hash of an unsupported scheme for %r",
                settings.ASTITRAY_HTPASSWD_FILE,
                username,
            )
            raise Refused("unsupported hash in the password file") from None
        if not accepted:
            raise Refused("wrong password")

        extensions_path = settings.ASTITRAY_HTPASSWD_EXTENSIONS_FILE
        if not extensions_path:
            return Identity(username=username)
        extensions = _read(extensions_path, parse_extensions, "extensions file")
        return Identity(username=username, manages_phone=True, phone=self._phone(username, extensions))

    @staticmethod
    def _phone(username: str, extensions: dict[str, tuple[str, str]]) -> Phone | None:
        entry = extensions.get(username)
        if entry is None:
            return None
        number, channel = entry
        if channel:
            return fixed_phone(number, channel, username, "extensions file")
        return phone_from_values(
            [number], "", settings.ASTITRAY_HTPASSWD_CHANNEL_TEMPLATE, username, "extensions file"
        )


def knows(username: str) -> bool:
    """Whether the password file has a line for ``username`` (API tokens: :mod:`accounts.sources`)."""
    return username in _read(settings.ASTITRAY_HTPASSWD_FILE, parse_passwords, "password file")
