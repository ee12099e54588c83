"""What the external SQL table's settings must be (pure; ``accounts/checks.py`` reports it).

The query has exactly one ``%s``, the login, always sent as a bound parameter:
the login is never formatted into the SQL text. The URL is checked by
:func:`externaldb.engine_of` (any database Django has a backend for).
"""

from __future__ import annotations

import re

# Hash schemes of ASTITRAY_AUTH_SQL_HASH: libpass (passlib) names, plus Django's own formats.
PASSLIB_SCHEMES = ("bcrypt", "argon2", "sha512_crypt", "sha256_crypt", "md5_crypt", "apr_md5_crypt")
SCHEMES = (*PASSLIB_SCHEMES, "django", "plaintext")


def check_query(query: str) -> None:
    """ValueError unless the query has exactly one ``%s`` (a literal percent sign is ``%%``)."""
    rest = query.replace("%%", "")
    if rest.count("%s") != 1 or rest.replace("%s", "").count("%"):
        raise ValueError(
            "ASTITRAY_AUTH_SQL_QUERY must hold exactly one %s (the login, sent as a bound parameter) "
            "and no other % placeholder (write a literal percent sign as %%)"
        )
    if not re.match(r"\s*(select|with)\b", query, re.IGNORECASE):
        raise ValueError("ASTITRAY_AUTH_SQL_QUERY must be a SELECT query")


def check_schemes(schemes: list[str], allow_plaintext: bool) -> None:
    """ValueError unless every scheme is known, and plaintext only with its loudly named switch."""
    unknown = [name for name in schemes if name not in SCHEMES]
    if unknown or not schemes:
        raise ValueError(
            f"ASTITRAY_AUTH_SQL_HASH: unknown scheme(s) {', '.join(unknown) or '(none)'} "
            f"(choose from {', '.join(SCHEMES)})"
        )
    if "plaintext" in schemes and not allow_plaintext:
        raise ValueError(
            "ASTITRAY_AUTH_SQL_HASH has plaintext: passwords stored in clear are refused unless "
            "ASTITRAY_AUTH_SQL_ALLOW_INSECURE_PLAINTEXT=True"
        )
