"""``manage.py import_contacts FILE``: a vCard or CSV file into the phonebook."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from phonebook.errors import ImportFailed
from phonebook.importers import files
from phonebook.importers.mapping import parse_mapping
from phonebook.importers.records import ContactRecord
from phonebook.management.importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Import contacts from a vCard (2.1, 3.0, 4.0) or CSV file (header row; Google, Outlook, "
        "Thunderbird exports are understood). --source-name defaults to the file's name."
    )
    source = "file"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the .vcf or .csv file")
        group = parser.add_argument_group("file")
        group.add_argument(
            "--format", choices=("auto", "vcard", "csv"), default="auto", help="default: guessed"
        )
        group.add_argument(
            "--encoding",
            default="auto",
            help="utf-8, latin-1, cp1252, utf-16... for the whole file (default: each line as UTF-8, "
            "else as cp1252 for that line alone, reported; UTF-16 recognised)",
        )
        group.add_argument(
            "--columns",
            default="",
            help='CSV: field=Header|Header,... e.g. "name=Full Name,work=Office|Desk,key=Employee ID"',
        )
        group.add_argument(
            "--delimiter", default="", help="CSV: the separator (default: guessed from , ; tab)"
        )
        super().add_arguments(parser)

    def source_name(self, options: dict) -> str:
        return options["source_name"] or Path(options["file"]).name[:100]

    def records(self, options: dict) -> Iterable[ContactRecord]:
        try:
            overrides = parse_mapping(options["columns"], {}, "--columns", allow_key=True)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        delimiter = {"tab": "\t", "\\t": "\t"}.get(options["delimiter"], options["delimiter"])
        if len(delimiter) > 1:
            raise CommandError(_("--delimiter is one character (or 'tab')"))
        try:
            self.file = files.FileSource(Path(options["file"]), options["encoding"])
        except ImportFailed as exc:
            raise CommandError(str(exc)) from None
        return files.read_file(self.file, options["format"], overrides, delimiter)

    def progress_fraction(self) -> float | None:
        return self.file.fraction

    def warnings(self) -> list[str]:
        return self.file.warnings()
