"""`sqm customers lookup`: find a caller by mobile or ID number from a script, under the
same rules as the pages and the API (role, hourly limit, audit; see customers.lookups)."""

from __future__ import annotations

import json
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from sqm.core.commands import BaseCommand
from sqm.core.context import acting_as
from sqm.customers import lookups
from sqm.customers.api import CustomerSerializer
from sqm.customers.models import Customer


class Command(BaseCommand):
    stealth_options = ("stdin",)  # call_command(..., stdin=StringIO(...)) in tests

    @property
    def help(self) -> str:
        return _(
            "Customer tools for scripts. `lookup` finds customers by mobile or ID number for "
            "a named user, under that user's role, cities and hourly limit, and audits it."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        lookup = actions.add_parser(
            "lookup",
            help=_("Find customers by mobile or ID number (the number is read from stdin)."),
            description=_(
                "Reads one mobile or ID number per line on stdin — never on the command "
                "line, where shell history and the process list would keep it — and writes "
                "one JSON object per line: the number's line and the customers found, "
                "personal data masked. Each number counts against the user's hourly "
                "look-ups and is audited with its lookup hash."
            ),
        )
        lookup.add_argument(
            "--user", required=True, help=_("the user name the look-ups are made as")
        )

    def handle(self, *args, action: str, user: str, **options) -> None:
        stdin = options.get("stdin") or sys.stdin
        account = get_user_model().objects.filter(username=user, is_active=True).first()
        if account is None:
            raise CommandError(_("No active user %(user)s.") % {"user": user})
        with acting_as(account, label="cli"):
            for line_number, line in enumerate(stdin, start=1):
                term = line.strip()
                if not term:
                    continue
                number = lookups.classify(term)
                if number is None:
                    raise CommandError(
                        _("stdin:%(line)d: not a mobile or ID number") % {"line": line_number}
                    )
                try:
                    ids = lookups.find_by_number(account, number, channel="cli")
                except (lookups.LookupRefused, lookups.LookupLimitReached) as exc:
                    raise CommandError(f"stdin:{line_number}: {exc}") from exc
                found = Customer.objects.filter(pk__in=ids).select_related("city")
                self.stdout.write(
                    json.dumps(
                        {
                            "line": line_number,
                            "kind": number.kind,
                            "customers": CustomerSerializer(found, many=True).data,
                        },
                        ensure_ascii=False,
                    )
                )
