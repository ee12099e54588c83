"""What the three import commands share: options, progress, counts, all-or-nothing."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils.translation import gettext as _

from phonebook.errors import ImportFailed
from phonebook.importers.records import ContactRecord
from phonebook.importers.writer import ContactImport, ImportOptions
from phonebook.progress import Progress

logger = logging.getLogger(__name__)


def read_secret_file(path: str, option: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise CommandError(
            _("%(option)s: cannot read %(path)s: %(error)s")
            % {"option": option, "path": path, "error": exc.strerror}
        ) from None


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
            "--prune-limit",
            type=int,
            default=50,
            metavar="PERCENT",
            help="--prune refuses to remove more than this share of the source's contacts (default 50)",
        )
        common.add_argument(
            "--force",
            action="store_true",
            help="--prune removes what the source no longer has, however many that is",
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

    def warnings(self) -> list[str]:
        """What the admin should check after a successful import (one sentence each)."""
        return []

    def handle(self, *args, **options) -> None:
        country = (options["country"] or settings.ASTITRAY_DEFAULT_COUNTRY).upper()
        if len(country) != 2 or not country.isalpha():
            raise CommandError(
                _("--country: expected a two-letter country code, not %(country)r") % {"country": country}
            )
        if not 1 <= options["batch_size"] <= 10000:
            raise CommandError(_("--batch-size must be between 1 and 10000"))
        if not 0 <= options["prune_limit"] <= 100:
            raise CommandError(_("--prune-limit is a percentage, from 0 to 100"))
        verbosity = options["verbosity"]
        import_options = ImportOptions(
            source=self.source,
            source_name=self.source_name(options),
            country=country,
            prune=options["prune"],
            prune_limit=options["prune_limit"],
            force=options["force"],
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
            raise CommandError(_("%(error)s; nothing was changed") % {"error": exc}) from None
        except KeyboardInterrupt:
            raise CommandError(_("interrupted; nothing was changed")) from None
        except DatabaseError as exc:
            # The phonebook's own database (locked, gone, another import writing the same contacts).
            logger.warning("phonebook import failed", exc_info=exc)
            raise CommandError(
                _("database error (%(kind)s); nothing was changed") % {"kind": exc.__class__.__name__}
            ) from None
        finally:
            progress.close()
        if verbosity >= 1:
            prefix = _("dry run, nothing was changed: ") if import_options.dry_run else ""
            self.stdout.write(
                f"{prefix}{import_options.source_name}: {counts.summary(import_options.dry_run)}"
            )
        for warning in self.warnings():
            self.stderr.write(_("warning: %(warning)s") % {"warning": warning})
