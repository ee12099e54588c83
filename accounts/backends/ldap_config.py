"""django-auth-ldap's objects, built from the plain LDAP settings (read flat in ``astitray/settings.py``).

django-auth-ldap wants objects for some of its settings (``LDAPSearch``, a
group type, ``ldap.OPT_*`` connection options). Settings only read strings;
:func:`default_settings` builds those objects for :class:`LdapBackend`, as
its defaults: a Django setting of the same ``AUTH_LDAP_*`` name, if any,
still wins. What could be wrong with the strings is said by the system
checks (``accounts/checks.py``) before any login.
"""

from __future__ import annotations

from typing import Any

import django_auth_ldap.config as ldap_config
import ldap
from django.conf import settings

# AUTH_LDAP_GROUP_TYPE: the type, and the filter that finds its groups.
GROUP_TYPES: dict[str, tuple[type, str]] = {
    "groupOfNames": (ldap_config.GroupOfNamesType, "(objectClass=groupOfNames)"),
    "nestedGroupOfNames": (ldap_config.NestedGroupOfNamesType, "(objectClass=groupOfNames)"),
    "groupOfUniqueNames": (ldap_config.GroupOfUniqueNamesType, "(objectClass=groupOfUniqueNames)"),
    "posixGroup": (ldap_config.PosixGroupType, "(objectClass=posixGroup)"),
    "activeDirectory": (ldap_config.NestedActiveDirectoryGroupType, "(objectClass=group)"),
}
FLAGS = ("is_active", "is_staff", "is_superuser")


def flags_by_group(text: str) -> dict[str, str]:
    """``is_staff=cn=staff,ou=groups,dc=example,dc=org;is_superuser=...`` as a dict (DNs hold commas).

    :raises ValueError: an item is not ``flag=GROUP-DN`` with a known flag.
    """
    flags: dict[str, str] = {}
    for item in text.split(";"):
        if not item.strip():
            continue
        flag, sep, group_dn = item.partition("=")
        flag = flag.strip()
        if not sep or flag not in FLAGS or not group_dn.strip():
            raise ValueError(f"expected {'|'.join(FLAGS)}=GROUP-DN separated by ';', not {item!r}")
        flags[flag] = group_dn.strip()
    return flags


def extension_attribute() -> str:
    """The attribute giving each person's phone; "" when the directory gives none (``none``)."""
    attribute = settings.ASTITRAY_LDAP_EXTENSION_ATTR.strip()
    return "" if attribute.lower() == "none" else attribute


def _search(base: str, filterstr: str) -> ldap_config.LDAPSearch | None:
    return ldap_config.LDAPSearch(base, ldap.SCOPE_SUBTREE, filterstr) if base else None


def connection_options() -> dict[int, object]:
    """Timeouts (a directory that does not answer must not hang logins), and the CA file if set."""
    timeout = settings.ASTITRAY_LDAP_TIMEOUT
    options: dict[int, object] = {
        ldap.OPT_NETWORK_TIMEOUT: timeout,
        ldap.OPT_TIMEOUT: timeout,
        ldap.OPT_REFERRALS: 0,
    }
    if settings.ASTITRAY_LDAP_CA_FILE:
        options[ldap.OPT_X_TLS_CACERTFILE] = settings.ASTITRAY_LDAP_CA_FILE
        options[ldap.OPT_X_TLS_REQUIRE_CERT] = ldap.OPT_X_TLS_DEMAND
        options[ldap.OPT_X_TLS_NEWCTX] = 0  # last: applies the TLS options above
    return options


def default_settings() -> dict[str, Any]:
    """django-auth-ldap's settings (without their ``AUTH_LDAP_`` prefix) that are objects.

    Call only with settings the system checks find nothing wrong with.
    """
    group_type, group_filter = GROUP_TYPES[settings.ASTITRAY_LDAP_GROUP_TYPE]
    return {
        "USER_SEARCH": _search(settings.AUTH_LDAP_USER_SEARCH_BASE, settings.AUTH_LDAP_USER_SEARCH_FILTER),
        "GROUP_TYPE": group_type(),
        "GROUP_SEARCH": _search(
            settings.AUTH_LDAP_GROUP_SEARCH_BASE, settings.AUTH_LDAP_GROUP_SEARCH_FILTER or group_filter
        ),
        "USER_FLAGS_BY_GROUP": flags_by_group(settings.ASTITRAY_LDAP_USER_FLAGS_BY_GROUP),
        "CONNECTION_OPTIONS": connection_options(),
    }
