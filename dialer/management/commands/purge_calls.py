"""``manage.py purge_calls --older-than 365``: the call log's retention."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dialer.models import Call

BATCH = 1000
# A century: more is a typing error (and past ~2.7 million days, no date at all).
MAX_DAYS = 36500


class Command(BaseCommand):
    help = (
        "Delete the calls placed more than DAYS days ago (the call log holds who called which number: "
        "personal data to keep no longer than needed). Newer calls are never touched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            required=True,
            metavar="DAYS",
            help=f"delete calls placed more than DAYS days ago (1 to {MAX_DAYS})",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="only count the calls that would be deleted"
        )

    def handle(self, *args, **options) -> None:
        days = options["older_than"]
        if days < 1:
            raise CommandError(_("--older-than must be at least 1 day."))
        if days > MAX_DAYS:
            raise CommandError(_("--older-than must be at most %(days)d days.") % {"days": MAX_DAYS})
        cutoff = timezone.now() - datetime.timedelta(days=days)
        old = Call.objects.filter(created__lt=cutoff)
        if options["dry_run"]:
            count = old.count()
            self.stdout.write(
                ngettext(
                    "%(count)d call placed before %(cutoff)s UTC would be deleted.",
                    "%(count)d calls placed before %(cutoff)s UTC would be deleted.",
                    count,
                )
                % {"count": count, "cutoff": f"{cutoff:%Y-%m-%d %H:%M}"}
            )
            return
        deleted = 0
        while True:
            # In batches of primary keys: bounded memory and short transactions, whatever the log's size.
            with transaction.atomic():
                ids = list(old.order_by("pk").values_list("pk", flat=True)[:BATCH])
                if not ids:
                    break
                deleted += Call.objects.filter(pk__in=ids).delete()[0]
        done = ngettext(
            "%(count)d call placed before %(cutoff)s UTC deleted.",
            "%(count)d calls placed before %(cutoff)s UTC deleted.",
            deleted,
        ) % {"count": deleted, "cutoff": f"{cutoff:%Y-%m-%d %H:%M}"}
        self.stdout.write(self.style.SUCCESS(done))
