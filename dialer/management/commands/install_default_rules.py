"""``manage.py install_default_rules FR --pbx "Paris office"``: starting rules for a country."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

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
                raise CommandError(_("No PBX server named %(name)r.") % {"name": options["pbx"]}) from None
            if options["outside_prefix"] is not None:
                raise CommandError(_("--outside-prefix is taken from the PBX; do not give both."))
        elif options["outside_prefix"] is None:
            raise CommandError(
                _(
                    "Give --pbx NAME, or --outside-prefix for rules of every PBX "
                    "(--outside-prefix '' if none)."
                )
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
        target = _("PBX %(name)s") % {"name": pbx.name} if pbx else _("every PBX")
        for name in report.created:
            self.stdout.write(_("added: %(rule)s") % {"rule": name})
        for name in report.skipped:
            self.stdout.write(_("already there: %(rule)s") % {"rule": name})
        summary = _("%(country)s rules for %(target)s: %(added)d added, %(skipped)d already there.") % {
            "country": options["country"],
            "target": target,
            "added": len(report.created),
            "skipped": len(report.skipped),
        }
        self.stdout.write(self.style.SUCCESS(summary))
