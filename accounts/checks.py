"""System checks of the authentication settings (``manage.py check``, every command, a server's start).

Settings only read values (``astitray/settings.py``); whether they fit
together is said here, each problem with an id and the variables to fix:

| id | what |
| --- | --- |
| accounts.W001 | a password file cannot be read |
| accounts.E001 | argon2 hashes are asked for but argon2-cffi is missing |
| accounts.E002 | the LDAP CA file cannot be read |
| accounts.E003 | the htpasswd backend without ``ASTITRAY_HTPASSWD_FILE`` |
| accounts.E004 | the ldap backend without ``AUTH_LDAP_SERVER_URI`` |
| accounts.E005 | the ldap backend without a DN template or a search base |
| accounts.E006 | the sql backend without ``ASTITRAY_AUTH_SQL_URL`` or ``…_QUERY`` |
| accounts.E007 | ``ASTITRAY_AUTH_SQL_QUERY`` is not one SELECT with one ``%s`` |
| accounts.E008 | ``ASTITRAY_AUTH_SQL_URL`` names no database Django can reach here |
| accounts.E009 | ``ASTITRAY_AUTH_SQL_HASH``: an unknown scheme, or plaintext without its switch |
| accounts.E010 | ``AUTH_LDAP_GROUP_TYPE`` is no known group type |
| accounts.E011 | ``AUTH_LDAP_USER_FLAGS_BY_GROUP`` is malformed |
| accounts.E012 | group rules without ``AUTH_LDAP_GROUP_SEARCH_BASE`` |
| accounts.E013 | ``ASTITRAY_LDAP_EXTENSION_REGEX`` is not a regular expression |
| accounts.E014 | a channel template has no ``{extension}``/``{username}`` or does not format |
"""

from __future__ import annotations

import os
import re
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

import externaldb
from accounts.backends import ldap_config
from accounts.backends.sql_config import check_query, check_schemes

# The configuration's checks: also run before a server serves (astitray/wsgi.py).
CONFIG = "config"


def _backends() -> list[str]:
    return list(settings.ASTITRAY_AUTH_BACKENDS)


@register(CONFIG)
def check_password_files(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The htpasswd backend's files (W001, E003)."""
    if "htpasswd" not in _backends():
        return []
    messages: list[CheckMessage] = []
    if not settings.ASTITRAY_HTPASSWD_FILE:
        messages.append(
            Error(
                "ASTITRAY_HTPASSWD_FILE must be set when ASTITRAY_AUTH_BACKENDS has htpasswd",
                id="accounts.E003",
            )
        )
    for name in ("ASTITRAY_HTPASSWD_FILE", "ASTITRAY_HTPASSWD_EXTENSIONS_FILE"):
        path = getattr(settings, name)
        if path and not os.access(path, os.R_OK):
            messages.append(
                Warning(
                    f"{name}: {path} cannot be read; password-file logins are refused until it can.",
                    id="accounts.W001",
                )
            )
    return messages


@register(CONFIG)
def check_ldap(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The LDAP settings (E002, E004, E005, E010, E011, E012)."""
    enabled = "ldap" in _backends()
    messages: list[CheckMessage] = []
    if enabled and not settings.AUTH_LDAP_SERVER_URI:
        messages.append(
            Error("AUTH_LDAP_SERVER_URI must be set when ASTITRAY_AUTH_BACKENDS has ldap", id="accounts.E004")
        )
    if enabled and not (settings.AUTH_LDAP_USER_DN_TEMPLATE or settings.AUTH_LDAP_USER_SEARCH_BASE):
        messages.append(
            Error(
                "AUTH_LDAP_USER_DN_TEMPLATE (direct bind) or AUTH_LDAP_USER_SEARCH_BASE (search then bind) "
                "must be set when ASTITRAY_AUTH_BACKENDS has ldap",
                id="accounts.E005",
            )
        )
    ca_file = settings.ASTITRAY_LDAP_CA_FILE
    if enabled and ca_file and not os.access(ca_file, os.R_OK):
        messages.append(Error(f"ASTITRAY_LDAP_CA_FILE: {ca_file} cannot be read.", id="accounts.E002"))
    if settings.ASTITRAY_LDAP_GROUP_TYPE not in ldap_config.GROUP_TYPES:
        messages.append(
            Error(
                f"AUTH_LDAP_GROUP_TYPE: unknown type {settings.ASTITRAY_LDAP_GROUP_TYPE!r} "
                f"(choose from {', '.join(ldap_config.GROUP_TYPES)})",
                id="accounts.E010",
            )
        )
    return messages + _check_ldap_groups()


def _check_ldap_groups() -> list[CheckMessage]:
    try:
        flags = ldap_config.flags_by_group(settings.ASTITRAY_LDAP_USER_FLAGS_BY_GROUP)
    except ValueError as exc:
        return [Error(f"AUTH_LDAP_USER_FLAGS_BY_GROUP: {exc}", id="accounts.E011")]
    if (settings.AUTH_LDAP_REQUIRE_GROUP or settings.AUTH_LDAP_DENY_GROUP or flags) and not (
        settings.AUTH_LDAP_GROUP_SEARCH_BASE
    ):
        return [
            Error(
                "AUTH_LDAP_GROUP_SEARCH_BASE must be set to use AUTH_LDAP_REQUIRE_GROUP, "
                "AUTH_LDAP_DENY_GROUP or AUTH_LDAP_USER_FLAGS_BY_GROUP",
                id="accounts.E012",
            )
        ]
    return []


@register(CONFIG)
def check_sql_table(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The external SQL table's settings (E001, E006, E007, E008, E009)."""
    messages: list[CheckMessage] = []
    url, query = settings.ASTITRAY_AUTH_SQL_URL, settings.ASTITRAY_AUTH_SQL_QUERY
    if "sql" in _backends():
        for name, value in (("ASTITRAY_AUTH_SQL_URL", url), ("ASTITRAY_AUTH_SQL_QUERY", query)):
            if not value:
                messages.append(
                    Error(f"{name} must be set when ASTITRAY_AUTH_BACKENDS has sql", id="accounts.E006")
                )
    if query:
        try:
            check_query(query)
        except ValueError as exc:
            messages.append(Error(str(exc), id="accounts.E007"))
    if url:
        try:
            externaldb.engine_of(url)
        except (ValueError, ImproperlyConfigured) as exc:
            messages.append(
                Error(
                    f"ASTITRAY_AUTH_SQL_URL: {exc}",
                    hint="postgres://, mysql:// (also MariaDB), sqlite:////absolute/path, oracle://, mssqlms://",
                    id="accounts.E008",
                )
            )
    try:
        check_schemes(settings.ASTITRAY_AUTH_SQL_HASH, settings.ASTITRAY_AUTH_SQL_ALLOW_INSECURE_PLAINTEXT)
    except ValueError as exc:
        messages.append(Error(str(exc), id="accounts.E009"))
    return messages + _check_argon2()


def _check_argon2() -> list[CheckMessage]:
    if "sql" not in _backends() or "argon2" not in settings.ASTITRAY_AUTH_SQL_HASH:
        return []
    try:
        import argon2  # noqa: F401
    except ImportError:
        return [
            Error(
                "ASTITRAY_AUTH_SQL_HASH has argon2 but argon2-cffi is not installed.",
                hint="pip install argon2-cffi",
                id="accounts.E001",
            )
        ]
    return []


@register(CONFIG)
def check_phone_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """How the sources give each person a phone: the LDAP regex, the channel templates (E013, E014)."""
    messages: list[CheckMessage] = []
    try:
        re.compile(settings.ASTITRAY_LDAP_EXTENSION_REGEX)
    except re.error as exc:
        messages.append(
            Error(
                f"ASTITRAY_LDAP_EXTENSION_REGEX: {settings.ASTITRAY_LDAP_EXTENSION_REGEX!r} "
                f"is not a regular expression: {exc}",
                id="accounts.E013",
            )
        )
    for name in (
        "ASTITRAY_LDAP_CHANNEL_TEMPLATE",
        "ASTITRAY_HTPASSWD_CHANNEL_TEMPLATE",
        "ASTITRAY_AUTH_SQL_CHANNEL_TEMPLATE",
    ):
        problem = _template_problem(getattr(settings, name))
        if problem:
            messages.append(Error(f"{name}: {problem}", id="accounts.E014"))
    return messages


def _template_problem(template: str) -> str:
    """What is wrong with a dial-string template such as ``PJSIP/{extension}`` (also ``{username}``)."""
    try:
        template.format(extension="1001", username="alice")
    except (KeyError, IndexError, ValueError, AttributeError):
        return f"{template!r} is not a valid template (use {{extension}} and/or {{username}})"
    if "{extension}" not in template and "{username}" not in template:
        return f"{template!r} must contain {{extension}} or {{username}}"
    return ""
