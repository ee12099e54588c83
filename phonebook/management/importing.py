"""What the three import commands share: options, progress, counts, all-or-nothing."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from phonebook.importers.records import ContactRecord, ImportFailed
from phonebook.importers.writer import ContactImport, ImportOptions
from phonebook.progress import Progress

logger = logging.getLogger(__name__)


def read_secret_file(path: str, option: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise CommandError(f"{option}: cannot read {path}: {exc.strerror}") from None


class ImportCommand(BaseCommand):
    """Subclasses set ``source`` and ``default_source_name`` and implement ``records()``."""

    source = ""
    default_source_name = ""

    def add_arguments(self, parser: CommandParser) -> None:
        common = parser.add_argument_group("every import")
        common.add_argument(
            "--dry-run",
            action="store_true",
            help="do everything, report what would change, then change nothing",
        )
        common.add_argument(
            "--prune",
            action="store_true",
            help="remove the contacts of this source (same --source-name) that the source no longer has",
        )
        common.add_argument(
            "--source-name",
            default="",
            help="which import this is, to tell two imports of the same kind apart "
            "(--prune only touches contacts of this name)",
        )
        common.add_argument(
            "--country",
            default="",
            help="country (ISO code) of numbers written without a country code "
            "(default ASTITRAY_DEFAULT_COUNTRY)",
        )
        common.add_argument(
            "--keep-without-number",
            action="store_true",
            help="also import contacts that have no phone number (skipped by default)",
        )
        common.add_argument("--batch-size", type=int, default=500, help="contacts written per batch (500)")

    def records(self, options: dict) -> Iterable[ContactRecord]:
        raise NotImplementedError

    def source_name(self, options: dict) -> str:
        return options["source_name"] or self.default_source_name

    def unique_keys(self, options: dict) -> bool:
        """Whether the source itself guarantees that no key comes twice."""
        return False

    def progress_fraction(self) -> float | None:
        """How far the source is read (0..1) when it knows, for the progress bar."""
        return None

    def handle(self, *args, **options) -> None:
        country = (options["country"] or settings.ASTITRAY_DEFAULT_COUNTRY).upper()
        if len(country) != 2 or not country.isalpha():
            raise CommandError(f"--country: expected a two-letter country code, not {country!r}")
        if not 1 <= options["batch_size"] <= 10000:
            raise CommandError("--batch-size must be between 1 and 10000")
        verbosity = options["verbosity"]
        import_options = ImportOptions(
            source=self.source,
            source_name=self.source_name(options),
            country=country,
            prune=options["prune"],
            dry_run=options["dry_run"],
            keep_without_number=options["keep_without_number"],
            batch_size=options["batch_size"],
            unique_keys=self.unique_keys(options),
        )
        # The bar goes to standard error, and only to a terminal: cron mails stay clean.
        progress = Progress(sys.stderr, enabled=verbosity >= 1 and sys.stderr.isatty())
        job = ContactImport(
            import_options,
            progress=lambda count: progress.update(count, self.progress_fraction()),
            report=self.stdout.write if verbosity >= 2 else None,
        )
        try:
            counts = job.run(self.records(options))
        except ImportFailed as exc:
            raise CommandError(f"{exc}; nothing was changed") from None
        except KeyboardInterrupt:
            raise CommandError("interrupted; nothing was changed") from None
        except DatabaseError as exc:
            # The phonebook's own database (locked, gone, another import writing the same contacts).
            logger.warning("phonebook import failed", exc_info=exc)
            raise CommandError(f"database error ({exc.__class__.__name__}); nothing was changed") from None
        finally:
            progress.close()
        if verbosity >= 1:
            prefix = "dry run, nothing was changed: " if import_options.dry_run else ""
            self.stdout.write(
                f"{prefix}{import_options.source_name}: {counts.summary(import_options.dry_run)}"
            )
