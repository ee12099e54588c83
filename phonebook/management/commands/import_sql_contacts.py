"""``manage.py import_sql_contacts``: contacts from a query on another database (any Django speaks)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from phonebook.importers import sql as sql_source
from phonebook.importers.records import ContactRecord
from phonebook.management.importing import ImportCommand, read_secret_file


class Command(ImportCommand):
    help = (
        "Import contacts from a query on another database (PostgreSQL, MySQL/MariaDB, an SQLite file, "
        "Oracle, SQL Server); the query's columns name the fields (SELECT id AS key, full_name AS name, "
        "phone AS work, ...)."
    )
    source = "sql"
    default_source_name = "sql"

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_argument_group("SQL")
        group.add_argument(
            "--url",
            help="postgres://user:pw@host/db, mysql://..., sqlite:////path/file.sqlite3, oracle://...: "
            "visible to other users of this machine, prefer --url-file or ASTITRAY_PHONEBOOK_SQL_URL(_FILE)",
        )
        group.add_argument("--url-file", help="a file holding the URL")
        group.add_argument("--query", help="the SELECT (ASTITRAY_PHONEBOOK_SQL_QUERY)")
        group.add_argument("--timeout", type=int, default=30, help="seconds to wait for the connection (30)")
        super().add_arguments(parser)

    def records(self, options: dict) -> Iterable[ContactRecord]:
        if options.get("url") and options.get("url_file"):
            raise CommandError(_("give --url or --url-file, not both"))
        if options.get("url_file"):
            url = read_secret_file(options["url_file"], "--url-file")
        else:
            url = options.get("url") or settings.ASTITRAY_PHONEBOOK_SQL_URL
        query = options.get("query") or settings.ASTITRAY_PHONEBOOK_SQL_QUERY
        if not url:
            raise CommandError(_("no database: give --url or set ASTITRAY_PHONEBOOK_SQL_URL"))
        if not query.strip():
            raise CommandError(_("no query: give --query or set ASTITRAY_PHONEBOOK_SQL_QUERY"))
        if options["timeout"] < 1:
            raise CommandError(_("--timeout must be at least 1 second"))
        return sql_source.read_records(sql_source.SqlConfig(url=url, query=query, timeout=options["timeout"]))
