"""System checks of the authentication sources (``manage.py check``; also at server start)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register


@register()
def check_authentication_sources(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    backends = settings.ASTITRAY_AUTH_BACKENDS
    if "htpasswd" in backends:
        for name in ("ASTITRAY_HTPASSWD_FILE", "ASTITRAY_HTPASSWD_EXTENSIONS_FILE"):
            path = getattr(settings, name)
            if path and not os.access(path, os.R_OK):
                messages.append(
                    Warning(
                        f"{name}: {path} cannot be read; password-file logins are refused until it can.",
                        id="accounts.W001",
                    )
                )
    if "sql" in backends and "argon2" in settings.ASTITRAY_AUTH_SQL_HASH:
        try:
            import argon2  # noqa: F401
        except ImportError:
            messages.append(
                Error(
                    "ASTITRAY_AUTH_SQL_HASH has argon2 but argon2-cffi is not installed.",
                    hint="pip install argon2-cffi",
                    id="accounts.E001",
                )
            )
    ca_file = settings.ASTITRAY_LDAP_CA_FILE
    if "ldap" in backends and ca_file and not os.access(ca_file, os.R_OK):
        messages.append(Error(f"ASTITRAY_LDAP_CA_FILE: {ca_file} cannot be read.", id="accounts.E002"))
    return messages
