"""Password hash checks shared by the password file and the SQL table (libpass, Django's hashers)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from django.contrib.auth.hashers import check_password, identify_hasher

if TYPE_CHECKING:
    from passlib.context import CryptContext

# bcrypt looks at the first 72 bytes of a password (Apache's htpasswd, PHP, ...
# hash only those); bcrypt 5 refuses longer ones instead of cutting them.
_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
_BCRYPT_MAX_BYTES = 72


class UnsupportedHash(ValueError):
    """The stored hash is of no scheme the configuration accepts."""


@cache
def context(schemes: tuple[str, ...]) -> CryptContext:
    """A libpass context verifying the given schemes (the first one also serves dummy checks).

    libpass is imported here, on first use: about 90 ms that every process
    (each ``manage.py`` command, each server worker) would otherwise pay at
    start-up, though most sites use neither a password file nor a SQL table.
    """
    from passlib.context import CryptContext

    return CryptContext(schemes=list(schemes))


def verify(password: str, stored: str, schemes: tuple[str, ...]) -> bool:
    """Whether ``password`` matches ``stored``, a hash of one of ``schemes``.

    ``django`` stands for Django's own formats (``pbkdf2_sha256$...``,
    ``argon2$...``), checked by Django's hashers; the other names are libpass
    schemes. Raises :class:`UnsupportedHash` if the hash is of none of them.
    """
    if "django" in schemes:
        try:
            identify_hasher(stored)
        except ValueError:
            pass
        else:
            return check_password(password, stored)
    # plaintext "identifies" any string: it must come last.
    passlib_schemes = tuple(name for name in schemes if name not in ("django", "plaintext"))
    if "plaintext" in schemes:
        passlib_schemes += ("plaintext",)
    if not passlib_schemes:
        raise UnsupportedHash("not a Django password hash")
    secret = password.encode("utf-8")
    if stored.startswith(_BCRYPT_PREFIXES):
        secret = secret[:_BCRYPT_MAX_BYTES]
    try:
        return context(passlib_schemes).verify(secret, stored)
    except (ValueError, TypeError) as exc:
        raise UnsupportedHash(str(exc)) from None


def dummy_verify(schemes: tuple[str, ...]) -> None:
    """Spend about the time of a real check, so that an unknown login answers as slowly as a known one."""
    passlib_schemes = tuple(name for name in schemes if name not in ("django", "plaintext"))
    if passlib_schemes:
        context(passlib_schemes).dummy_verify()
