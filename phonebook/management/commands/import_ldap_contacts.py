"""``manage.py import_ldap_contacts``: the company directory into the phonebook."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from phonebook.importers import ldap as ldap_source
from phonebook.importers import ldap_split
from phonebook.importers.mapping import LDAP_DEFAULTS, format_mapping, parse_mapping
from phonebook.importers.records import ContactRecord
from phonebook.management.importing import ImportCommand, read_secret_file


class Command(ImportCommand):
    help = (
        "Import contacts from an LDAP directory (paged, so larger than the server's size limit). "
        "Options default to the ASTITRAY_PHONEBOOK_LDAP_* settings."
    )
    source = "ldap"
    default_source_name = "ldap"

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_argument_group("LDAP")
        group.add_argument("--uri", help="ldap://host, ldaps://host:636 (ASTITRAY_PHONEBOOK_LDAP_URI)")
        group.add_argument(
            "--bind-dn", help="DN to bind as; empty: anonymous (ASTITRAY_PHONEBOOK_LDAP_BIND_DN)"
        )
        group.add_argument(
            "--bind-password",
            help="its password: visible to other users of this machine, prefer --bind-password-file "
            "(ASTITRAY_PHONEBOOK_LDAP_BIND_PASSWORD)",
        )
        group.add_argument("--bind-password-file", help="a file holding the password")
        group.add_argument("--base", help="base DN of the search (ASTITRAY_PHONEBOOK_LDAP_BASE)")
        group.add_argument(
            "--filter",
            help=f"search filter (ASTITRAY_PHONEBOOK_LDAP_FILTER; default {ldap_source.DEFAULT_FILTER})",
        )
        group.add_argument("--scope", choices=("base", "one", "sub"), help="search scope (default sub)")
        group.add_argument(
            "--attrs",
            help="attribute mapping, field=attr|attr,... over the defaults "
            f"{format_mapping(LDAP_DEFAULTS)} (ASTITRAY_PHONEBOOK_LDAP_ATTRS)",
        )
        group.add_argument(
            "--key-attribute",
            help="unique attribute that identifies an entry across renames, or 'dn' "
            "(default: entryUUID, else objectGUID, else the DN; ASTITRAY_PHONEBOOK_LDAP_KEY_ATTR)",
        )
        tls = group.add_mutually_exclusive_group()
        tls.add_argument("--start-tls", action="store_true", default=None, help="StartTLS on ldap://")
        tls.add_argument("--no-start-tls", action="store_false", dest="start_tls")
        group.add_argument(
            "--ca-file", help="CA certificates to check the server's (ASTITRAY_PHONEBOOK_LDAP_CA_FILE)"
        )
        group.add_argument("--page-size", type=int, help="entries per page (default 500)")
        group.add_argument(
            "--split-attribute",
            help="past a size limit that caps paging, read by this attribute's first letters "
            "(ASTITRAY_PHONEBOOK_LDAP_SPLIT_ATTR, default cn; none: fail instead)",
        )
        group.add_argument("--timeout", type=int, help="seconds to wait for the server (default 30)")
        super().add_arguments(parser)

    def config(self, options: dict) -> ldap_source.LdapConfig:
        def pick(option: str, setting: str) -> str:
            value = options.get(option)
            return value if value is not None else getattr(settings, setting)

        uri = pick("uri", "ASTITRAY_PHONEBOOK_LDAP_URI")
        base = pick("base", "ASTITRAY_PHONEBOOK_LDAP_BASE")
        if not uri:
            raise CommandError(_("no LDAP server: give --uri or set ASTITRAY_PHONEBOOK_LDAP_URI"))
        if not uri.lower().startswith(("ldap://", "ldaps://", "ldapi://")):
            raise CommandError(_("--uri: expected ldap://, ldaps:// or ldapi://, not %(uri)r") % {"uri": uri})
        if not base:
            raise CommandError(_("no base DN: give --base or set ASTITRAY_PHONEBOOK_LDAP_BASE"))
        if options.get("bind_password") is not None and options.get("bind_password_file"):
            raise CommandError(_("give --bind-password or --bind-password-file, not both"))
        if options.get("bind_password_file"):
            password = read_secret_file(options["bind_password_file"], "--bind-password-file")
        else:
            password = pick("bind_password", "ASTITRAY_PHONEBOOK_LDAP_BIND_PASSWORD")
        try:
            mapping = parse_mapping(
                settings.ASTITRAY_PHONEBOOK_LDAP_ATTRS, LDAP_DEFAULTS, "ASTITRAY_PHONEBOOK_LDAP_ATTRS"
            )
            if options.get("attrs") is not None:
                mapping = parse_mapping(options["attrs"], mapping, "--attrs")
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if not mapping.get("name"):
            raise CommandError(_("the attribute mapping has no attribute for the name"))
        page_size = options.get("page_size") or settings.ASTITRAY_PHONEBOOK_LDAP_PAGE_SIZE
        timeout = options.get("timeout") or settings.ASTITRAY_PHONEBOOK_LDAP_TIMEOUT
        if not 1 <= page_size <= 10000:
            raise CommandError(_("--page-size must be between 1 and 10000"))
        if timeout < 1:
            raise CommandError(_("--timeout must be at least 1 second"))
        start_tls = options.get("start_tls")
        split = pick("split_attribute", "ASTITRAY_PHONEBOOK_LDAP_SPLIT_ATTR")
        split = "" if split.lower() == "none" else split
        if split and not ldap_split.ATTRIBUTE.match(split):
            raise CommandError(_("--split-attribute: %(name)r is not an attribute name") % {"name": split})
        return ldap_source.LdapConfig(
            uri=uri,
            base=base,
            bind_dn=pick("bind_dn", "ASTITRAY_PHONEBOOK_LDAP_BIND_DN"),
            bind_password=password,
            filter=pick("filter", "ASTITRAY_PHONEBOOK_LDAP_FILTER") or ldap_source.DEFAULT_FILTER,
            scope=pick("scope", "ASTITRAY_PHONEBOOK_LDAP_SCOPE"),
            mapping=mapping,
            key_attribute=pick("key_attribute", "ASTITRAY_PHONEBOOK_LDAP_KEY_ATTR"),
            start_tls=settings.ASTITRAY_PHONEBOOK_LDAP_START_TLS if start_tls is None else start_tls,
            ca_file=pick("ca_file", "ASTITRAY_PHONEBOOK_LDAP_CA_FILE"),
            page_size=page_size,
            timeout=float(timeout),
            split_attribute=split,
        )

    def records(self, options: dict) -> Iterable[ContactRecord]:
        self.ldap_config = self.config(options)
        return ldap_source.read_records(self.ldap_config)

    def warnings(self) -> list[str]:
        config = getattr(self, "ldap_config", None)
        return list(config.warnings) if config is not None else []

    def unique_keys(self, options: dict) -> bool:
        # A DN, an entryUUID, an objectGUID is unique in a directory; another attribute may not be.
        key = options.get("key_attribute")
        if key is None:
            key = settings.ASTITRAY_PHONEBOOK_LDAP_KEY_ATTR
        return key.lower() in ("", "dn", "entryuuid", "objectguid")
