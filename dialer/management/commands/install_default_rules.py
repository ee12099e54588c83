"""``manage.py install_default_rules FR --pbx "Paris office"``: starting rules for a country."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dialer.defaults import COUNTRIES, install_default_rules
from drivers.models import PbxServer


class Command(BaseCommand):
    help = (
        "Add a country's default rules: its emergency and service numbers go to the outside line, "
        "premium-rate and satellite numbers are denied. Rules already there are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("country", choices=COUNTRIES, type=str.upper, help="ISO country code")
        parser.add_argument(
            "--pbx", default="", help="name of the PBX whose rules these are (its prefixes are used)"
        )
        parser.add_argument(
            "--outside-prefix",
            default=None,
            help="without --pbx: the outside-line prefix of every PBX (e.g. 0 or 9; required)",
        )
        parser.add_argument(
            "--international-prefix", default="00", help="without --pbx: the international prefix (00)"
        )

    def handle(self, *args, **options) -> None:
        pbx = None
        if options["pbx"]:
            try:
                pbx = PbxServer.objects.get(name=options["pbx"])
            except PbxServer.DoesNotExist:
                raise CommandError(f"No PBX server named {options['pbx']!r}.") from None
            if options["outside_prefix"] is not None:
                raise CommandError("--outside-prefix is taken from the PBX; do not give both.")
        elif options["outside_prefix"] is None:
            raise CommandError(
                "Give --pbx NAME, or --outside-prefix for rules of every PBX (--outside-prefix '' if none)."
            )
        try:
            report = install_default_rules(
                options["country"],
                pbx=pbx,
                outside_prefix=options["outside_prefix"] or "",
                international_prefix=options["international_prefix"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        target = f"PBX {pbx.name}" if pbx else "every PBX"
        for name in report.created:
            self.stdout.write(f"added: {name}")
        for name in report.skipped:
            self.stdout.write(f"already there: {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{options['country']} rules for {target}: {len(report.created)} added, "
                f"{len(report.skipped)} already there."
            )
        )
