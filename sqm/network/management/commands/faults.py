"""`sqm faults replay FILE`: what the fault SMS rules would send for an alarm file."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from sqm.core.commands import BaseCommand
from sqm.network.alarms import read_alarm_lines
from sqm.network.faults import replay
from sqm.notify.rules import Rules, Window


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _("Fault tools for operators. `replay` shows the SMS an alarm file would cause.")

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub = actions.add_parser(
            "replay",
            help=_("Replay an alarm file against the loaded topology; print the SMS it causes."),
            description=_(
                "Read alarms as JSON Lines (docs/formats.md, alarms) and replay them against "
                "the loaded topology, using the alarms' own timestamps as the clock. Print, one "
                "JSON object per line, every SMS the rules would send: account_id, kind (fault "
                "or recovery) and send_at, sorted by send_at, then account_id, then fault before "
                "recovery. Outages still open at the end of the file are ongoing: their fault "
                "SMS is listed, no recovery. Nothing is stored or sent. A summary goes to "
                "stderr. If any line is bad, each problem is printed as FILE:LINE: key: reason "
                "and the exit status is 1."
            ),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument("file", type=Path, metavar="FILE")
        sub.add_argument(
            "--hold-down",
            type=int,
            default=None,
            metavar="MINUTES",
            help=_("minutes an outage must last before its fault SMS (default: the setting)"),
        )
        sub.add_argument(
            "--window",
            default=None,
            metavar="HH:MM-HH:MM",
            help=_("local hours in which SMS may be sent (default: the setting)"),
        )

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        try:
            window = Window.parse(options["window"] or settings.SQM_SMS_WINDOW)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        hold = options["hold_down"]
        if hold is None:
            hold = settings.SQM_SMS_HOLD_DOWN_MINUTES
        if hold < 0:
            raise CommandError(_("--hold-down must not be negative."))
        try:
            with path.open("rb") as handle:
                alarms, errors = read_alarm_lines(handle)
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        if errors:
            for error in errors:
                self.stderr.write(f"{path}:{error}")
            raise CommandError(
                _("%(n)d bad lines; nothing replayed.") % {"n": len({e.line for e in errors})}
            )
        result = replay(alarms, Rules(window=window, hold_down=timedelta(minutes=hold)))
        for message in result.messages:
            self.stdout.write(json.dumps(message, ensure_ascii=False))
        summary = ", ".join(f"{key} {value}" for key, value in sorted(result.counts.items()))
        self.stderr.write(_("replayed: %(summary)s") % {"summary": summary or "-"})
