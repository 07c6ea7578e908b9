"""`sqm faults replay FILE`: what the fault SMS rules would send for an alarm file.
`sqm faults close-stale`: close the stale fault events (docs/faults.md, "Lost clears")."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from sqm.core.commands import BaseCommand
from sqm.network import fault_queries, stale
from sqm.network.alarms import read_alarm_lines
from sqm.network.fault_services import close_stale_events
from sqm.network.faults import replay
from sqm.notify.rules import Rules, Window


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Fault tools for operators. `replay` shows the SMS an alarm file would cause; "
            "`close-stale` closes the fault events whose clear was lost."
        )

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

        close = actions.add_parser(
            "close-stale",
            help=_("Close the stale fault events (no alarm activity for long: a lost clear)."),
            description=_(
                "Close every active fault event of every city that had no alarm activity (a "
                "raise, clear or re-sent raise of any of its alarms) for at least the hours "
                "given, which may not be fewer than SQM_FAULT_STALE_HOURS. Each is closed as "
                "on its page: its open outages end now, its fault SMS still waiting are "
                "cancelled, no recovery SMS is sent unless asked, and the change log keeps "
                "the reason. Prints one line per event."
            ),
        )
        close.add_argument(
            "--older-than-hours",
            type=int,
            default=None,
            metavar="HOURS",
            help=_("hours without alarm activity (default: SQM_FAULT_STALE_HOURS)"),
        )
        close.add_argument(
            "--reason", required=True, help=_("why the events are closed, kept in the change log")
        )
        close.add_argument(
            "--send-recovery-notice",
            action="store_true",
            help=_("send the recovery SMS to the customers who were told of the fault"),
        )
        close.add_argument(
            "--dry-run", action="store_true", help=_("list the events, change nothing")
        )
        close.add_argument(
            "--now",
            default=None,
            metavar="TIME",
            help=_("the moment to judge and close at, ISO 8601 (default: now; for tests)"),
        )

    def handle(self, *args, **options) -> None:
        if options["action"] == "close-stale":
            self._close_stale(options)
            return
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

    def _close_stale(self, options) -> None:
        hours = options["older_than_hours"]
        hours = stale.stale_hours() if hours is None else hours
        now = timezone.now()
        if options["now"]:
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError as exc:
                raise CommandError(_("--now is not an ISO 8601 time.")) from exc
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        try:
            found, results = close_stale_events(
                None,
                older_than=timedelta(hours=hours),
                reason=options["reason"],
                notify=options["send_recovery_notice"],
                now=now,
                dry_run=options["dry_run"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        closed = {r.fault: r for r in results}
        for fault in found:
            line = _("#%(id)d %(city)s %(element)s, last alarm activity %(at)s") % {
                "id": fault.pk,
                "city": fault.city.name,
                "element": fault_queries.element_label(fault),
                "at": f"{timezone.localtime(fault.last_activity):%Y-%m-%d %H:%M}",
            }
            result = closed.get(fault.pk)
            if result is not None:
                line += ": " + _(
                    "closed, %(outages)d outages ended, %(cancelled)d SMS cancelled, "
                    "%(recoveries)d recovery SMS planned"
                ) % {
                    "outages": result.outages_ended,
                    "cancelled": result.notices_cancelled,
                    "recoveries": result.recoveries_scheduled,
                }
            elif not options["dry_run"]:
                line += ": " + _("left alone (it changed meanwhile)")
            self.stdout.write(line)
        if options["dry_run"]:
            summary = _("%(n)d stale events would be closed (dry run).") % {"n": len(found)}
        else:
            summary = _("%(n)d stale events closed.") % {"n": len(results)}
        self.stderr.write(summary)
