"""``manage.py check_login USERNAME``: which backend accepts this login, and which phone it gives.

The password is read from the terminal (not echoed) or, when standard input
is not a terminal, from its first line; never from the command line, where
other users of the machine would see it.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts.login_check import LoginCheck, check_login


class Command(BaseCommand):
    help = (
        "Try a login against the configured authentication backends: says which one accepts it "
        "and which extension the user gets. The password is prompted for, or read from standard input."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the login to try")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        password = self._password(options.get("stdin") or sys.stdin, username)
        if not password:
            raise CommandError(_("no password given"))
        result = check_login(username, password)
        self._report(result)
        if result.accepted_by is None:
            raise CommandError(_("no backend accepted %(username)r") % {"username": username})

    @staticmethod
    def _password(stdin: Any, username: str) -> str:
        if stdin.isatty():
            return getpass.getpass(_("Password for %(username)s: ") % {"username": username})
        return stdin.readline().rstrip("\r\n")

    def _report(self, result: LoginCheck) -> None:
        width = max(len(answer.name) for answer in result.answers) if result.answers else 0
        for answer in result.answers:
            self.stdout.write(f"{answer.name:<{width}}  {answer.reason}")
        accepted = result.accepted_by
        if accepted is not None and result.user is not None:
            user = result.user
            self.stdout.write(
                _("Accepted by %(name)s (%(path)s).") % {"name": accepted.name, "path": accepted.path}
            )
            full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
            flags = ", ".join(flag for flag in ("is_staff", "is_superuser") if getattr(user, flag, False))
            self.stdout.write(
                _("User: %(username)s") % {"username": user.get_username()}
                + (f" ({full_name})" if full_name else "")
                + (f", {flags}" if flags else "")
            )
            extension = result.extension
            if extension is None:
                self.stdout.write(_("Extension: none (this user cannot dial)."))
            else:
                pbx = extension.effective_pbx()
                self.stdout.write(
                    _(
                        "Extension: %(number)s, channel %(channel)s, source %(source)s, %(enabled)s, "
                        "PBX %(pbx)s."
                    )
                    % {
                        "number": extension.number,
                        "channel": extension.channel,
                        "source": extension.source,
                        "enabled": _("enabled") if extension.enabled else _("DISABLED"),
                        "pbx": pbx.name if pbx else _("none"),
                    }
                )
        if result.locked_out:
            self.stdout.write(
                _(
                    "Locked out: %(count)d recent failed logins. The API refuses this user until "
                    "the lockout ends or an admin clears it (admin: Access attempts; "
                    "or manage.py axes_reset_username %(username)s)."
                )
                % {"count": result.recent_failures, "username": result.username}
            )
        elif result.recent_failures:
            self.stdout.write(
                _("Recent failed logins: %(count)d (not locked out).") % {"count": result.recent_failures}
            )
