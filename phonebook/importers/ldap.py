"""Contacts from an LDAP directory, read with paged results (RFC 2696).

Paged results let a directory larger than the server's size limit import
completely, when the server lets the reading account page past that limit.
A stock OpenLDAP does not (its ``sizelimit 500`` also caps the total of a
paged search): the entries are then read in searches split by the first
letters of an attribute (:mod:`phonebook.importers.ldap_split`), with a
warning saying what the directory's admin can change; a page at a time is
in memory, and the DNs read so far. Any LDAP error ends the import
(nothing is written): a partial read must never look like a complete one,
above all with --prune.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import ldap
from ldap.controls import SimplePagedResultsControl

from phonebook.errors import ImportFailed
from phonebook.importers import ldap_split
from phonebook.importers.mapping import LDAP_DEFAULTS, Mapping
from phonebook.importers.records import LABELS, ContactRecord, NumberRecord

logger = logging.getLogger(__name__)

SCOPES = {"base": ldap.SCOPE_BASE, "one": ldap.SCOPE_ONELEVEL, "sub": ldap.SCOPE_SUBTREE}
# inetOrgPerson entries, and Active Directory's people (not its computers, which are "users" too).
DEFAULT_FILTER = "(|(objectClass=inetOrgPerson)(&(objectCategory=person)(objectClass=user)))"
# Without --key-attribute: the first of these the entry has, else its DN. Both survive renames.
AUTO_KEYS = ("entryUUID", "objectGUID")
_BINARY_KEYS = {"objectguid", "objectsid"}


@dataclass
class LdapConfig:
    uri: str
    base: str
    bind_dn: str = ""
    bind_password: str = field(default="", repr=False)
    filter: str = DEFAULT_FILTER
    scope: str = "sub"
    mapping: Mapping = field(default_factory=lambda: dict(LDAP_DEFAULTS))
    key_attribute: str = ""  # "" = entryUUID, objectGUID or the DN; "dn" = the DN
    start_tls: bool = False
    ca_file: str = ""
    page_size: int = 500
    timeout: float = 30.0
    # Past a size limit that caps paging: searches split by this attribute's first letters ("": fail).
    split_attribute: str = "cn"
    # What the admin should know after a successful read (filled while reading).
    warnings: list[str] = field(default_factory=list)

    def attributes(self) -> list[str]:
        names: dict[str, None] = {}
        for attrs in self.mapping.values():
            names.update(dict.fromkeys(attrs))
        if not self.key_attribute:
            names.update(dict.fromkeys(AUTO_KEYS))
        elif self.key_attribute.lower() != "dn":
            names[self.key_attribute] = None
        return list(names)


def _text(value: bytes) -> str:
    return value.decode("utf-8", errors="replace")


def entry_key(dn: str, attrs: dict[str, list[bytes]], key_attribute: str) -> str:
    """The source key of an entry (attribute names already lower case)."""
    if key_attribute.lower() == "dn":
        return dn.lower()
    candidates = (key_attribute,) if key_attribute else AUTO_KEYS
    for name in candidates:
        values = attrs.get(name.lower())
        if values:
            value = values[0]
            return value.hex() if name.lower() in _BINARY_KEYS else _text(value).strip().lower()
    if key_attribute:
        raise ImportFailed(f"{dn}: the entry has no {key_attribute} (--key-attribute)")
    return dn.lower()


def entry_to_record(
    dn: str, attrs: dict[str, list[bytes]], mapping: Mapping, key_attribute: str
) -> ContactRecord:
    """One LDAP entry as a contact record (pure)."""
    lowered = {name.lower(): values for name, values in attrs.items()}
    record = ContactRecord(name="", key=entry_key(dn, lowered, key_attribute), where=dn)
    fill_record(record, lowered, lower_mapping(mapping))
    return record


def lower_mapping(mapping: Mapping) -> Mapping:
    return {field_name: tuple(attr.lower() for attr in attrs) for field_name, attrs in mapping.items()}


_FIELDS = ("name", "company", "department", "title", "email")


def fill_record(record: ContactRecord, attrs: dict[str, list[bytes]], mapping: Mapping) -> None:
    """The fields of ``record`` from an entry's attributes (names, and the mapping's, lower case)."""
    for field_name in _FIELDS:  # the first non-blank value of the field's attributes
        text = ""
        for attr in mapping.get(field_name, ()):
            for value in attrs.get(attr, ()):
                if text := _text(value).strip():
                    break
            if text:
                break
        setattr(record, field_name, text)
    record.numbers = [
        NumberRecord(label, _text(value))
        for label in LABELS
        for attr in mapping.get(label, ())
        for value in attrs.get(attr, ())
    ]


def _connect(config: LdapConfig) -> ldap.ldapobject.LDAPObject:
    conn = ldap.initialize(config.uri)
    conn.set_option(ldap.OPT_PROTOCOL_VERSION, ldap.VERSION3)
    conn.set_option(ldap.OPT_REFERRALS, 0)
    conn.set_option(ldap.OPT_NETWORK_TIMEOUT, config.timeout)
    conn.set_option(ldap.OPT_TIMEOUT, config.timeout)
    if config.ca_file:
        conn.set_option(ldap.OPT_X_TLS_CACERTFILE, config.ca_file)
    if config.ca_file or config.start_tls or config.uri.lower().startswith("ldaps:"):
        conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
        conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
    if config.start_tls:
        conn.start_tls_s()
    conn.simple_bind_s(config.bind_dn, config.bind_password)
    return conn


def _unreachable(uri: str, timeout: float) -> str:
    """Why nothing answers at ``uri``, found by asking the network ourselves (libldap's own text,
    "Transport endpoint is not connected", says neither)."""
    try:
        url = urlsplit(uri)
        port_number = url.port or (636 if url.scheme.lower() == "ldaps" else 389)
    except ValueError:
        return "not an LDAP URI"
    if url.scheme.lower() == "ldapi":
        return "no LDAP server listens on that local socket"
    host = url.hostname or "localhost"
    try:
        socket.getaddrinfo(host, port_number, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return f"unknown host name {host!r}: check the URI"
    try:
        with socket.create_connection((host, port_number), timeout=min(timeout, 5.0)):
            return f"{host} port {port_number} accepts connections but does not answer as an LDAP server"
    except ConnectionRefusedError:
        return f"nothing listens on {host} port {port_number}: is the LDAP server stopped?"
    except OSError:
        return f"{host} port {port_number} does not answer: the host is down or a firewall drops the traffic"


def _size_limit(config: LdapConfig, read: int) -> ImportFailed:
    """The server capped a paged search: what the directory's admin must change."""
    who = f'dn.exact="{config.bind_dn}"' if config.bind_dn else "anonymous"
    return ImportFailed(
        f"the LDAP server {config.uri} stopped the search at its size limit after {read} entries, "
        "paged results notwithstanding: this account may not read more in one search. Ask the "
        f"directory's administrator to lift the limit for it (OpenLDAP: limits {who} "
        "size.prtotal=unlimited, in slapd.conf or as olcLimits of the database)"
    )


def _failure(exc: ldap.LDAPError, config: LdapConfig, read: int = 0) -> ImportFailed:
    """A message for the admin: what went wrong, never the password."""
    info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    detail = info.get("info") or info.get("desc") or exc.__class__.__name__
    if isinstance(exc, ldap.SERVER_DOWN):
        return ImportFailed(
            f"cannot reach the LDAP server {config.uri} ({_unreachable(config.uri, config.timeout)})"
        )
    if isinstance(exc, ldap.SIZELIMIT_EXCEEDED):
        return _size_limit(config, read)
    if isinstance(exc, ldap.INVALID_CREDENTIALS):
        return ImportFailed(f"the LDAP server refused the bind DN {config.bind_dn!r} or its password")
    if isinstance(exc, ldap.NO_SUCH_OBJECT):
        return ImportFailed(f"the base DN {config.base!r} does not exist on {config.uri}")
    if isinstance(exc, ldap.FILTER_ERROR):
        return ImportFailed(f"the LDAP filter {config.filter!r} is not valid")
    if isinstance(exc, ldap.UNAVAILABLE_CRITICAL_EXTENSION):
        return ImportFailed(f"the LDAP server {config.uri} does not offer paged results (RFC 2696)")
    if isinstance(exc, ldap.CONNECT_ERROR):
        return ImportFailed(f"cannot set up TLS with {config.uri} ({detail})")
    return ImportFailed(f"LDAP error from {config.uri}: {detail}")


def read_entries(config: LdapConfig) -> Iterator[tuple[str, dict[str, list[bytes]]]]:
    """Every entry of the search, a page at a time: ``(dn, attributes)``. Raises ImportFailed.

    When the server's size limit stops the paged search (a stock OpenLDAP),
    the same entries are read again in searches split by the first letters
    of ``config.split_attribute`` (:mod:`phonebook.importers.ldap_split`),
    each entry once.
    """
    if config.scope not in SCOPES:
        raise ImportFailed(f"unknown scope {config.scope!r} (base, one or sub)")
    try:
        conn = _connect(config)
    except ldap.LDAPError as exc:
        raise _failure(exc, config) from exc
    seen: set[str] = set()

    def search(search_filter: str) -> Iterator[tuple[str, dict[str, list[bytes]]]]:
        return _paged(conn, config, search_filter, seen)

    try:
        try:
            yield from search(config.filter)
        except ldap.SIZELIMIT_EXCEEDED:
            if not config.split_attribute:
                raise
            config.warnings.append(_splitting(config, len(seen)))
            logger.warning("%s", config.warnings[-1])
            yield from ldap_split.split_search(search, config.filter, config.split_attribute)
    except ldap.LDAPError as exc:
        raise _failure(exc, config, len(seen)) from exc
    finally:
        with contextlib.suppress(ldap.LDAPError):
            conn.unbind_s()


def _splitting(config: LdapConfig, read: int) -> str:
    who = f'dn.exact="{config.bind_dn}"' if config.bind_dn else "anonymous"
    return (
        f"the LDAP server {config.uri} stopped the paged search at its size limit after {read} entries: "
        f"reading by the first letters of {config.split_attribute} instead (slower; the directory's "
        f"administrator can lift the limit: OpenLDAP limits {who} size.prtotal=unlimited)"
    )


def _paged(
    conn: ldap.ldapobject.LDAPObject, config: LdapConfig, search_filter: str, seen: set[str]
) -> Iterator[tuple[str, dict[str, list[bytes]]]]:
    """The entries of one paged search not in ``seen`` (their DNs added). Raises LDAPError, ImportFailed."""
    control = SimplePagedResultsControl(criticality=True, size=config.page_size, cookie=b"")
    attributes = config.attributes()

    def ask() -> int:
        return conn.search_ext(
            config.base, SCOPES[config.scope], search_filter, attributes, serverctrls=[control]
        )

    msgid = ask()
    pages = 0
    while True:
        _rtype, entries, _msgid, controls = conn.result3(msgid, timeout=config.timeout)
        pages += 1
        cookie = next(
            (c.cookie for c in controls if c.controlType == SimplePagedResultsControl.controlType), None
        )
        if cookie:
            # Ask for the next page before this one is processed: the server prepares it
            # meanwhile (at most two pages are in memory).
            control.cookie = cookie
            msgid = ask()
        for dn, attrs in entries:
            if dn is not None and isinstance(attrs, dict) and dn not in seen:  # not a search reference
                seen.add(dn)
                yield dn, attrs
        if cookie is None:
            if pages == 1:
                break  # the whole answer fitted: some servers then send no paging control
            raise ImportFailed(f"the LDAP server {config.uri} stopped paging in the middle of the results")
        if not cookie:
            break


def entry_fingerprint(attrs: dict[str, list[bytes]], salt: bytes) -> str:
    """A hash of everything the entry says (attribute names lower case), for unchanged entries.

    The ``repr`` of sorted (name, [bytes...]) pairs is unambiguous, and made in C."""
    return hashlib.sha256(salt + repr(sorted(attrs.items())).encode()).hexdigest()


def read_records(config: LdapConfig) -> Iterator[ContactRecord]:
    """Records keyed and fingerprinted at once; their fields are only read when needed."""
    salt = repr((sorted(config.mapping.items()), config.key_attribute)).encode()
    mapping = lower_mapping(config.mapping)

    def fill(attrs: dict[str, list[bytes]], record: ContactRecord) -> None:
        fill_record(record, attrs, mapping)

    for dn, attrs in read_entries(config):
        lowered = {name.lower(): values for name, values in attrs.items()}
        yield ContactRecord(
            name="",
            key=entry_key(dn, lowered, config.key_attribute),
            where=dn,
            fingerprint=entry_fingerprint(lowered, salt),
            loader=functools.partial(fill, lowered),
        )
