"""`sqm alarms ingest FILE`: take a JSON Lines alarm file into the live fault path."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from sqm.core.commands import BaseCommand
from sqm.network.alarms import read_alarm_lines
from sqm.network.ingest import ingest


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _("Alarm tools. `ingest` takes an alarm file into the live fault path.")

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub = actions.add_parser(
            "ingest",
            help=_("Ingest alarms from a JSON Lines file (docs/formats.md, alarms)."),
            description=_(
                "Read alarms as JSON Lines and apply them like POST /api/v1/alarms/: fault "
                "events, outages and SMS in the outbox. Bad lines are printed as FILE:LINE: "
                "key: reason and skipped; the valid ones are still taken, and the exit status "
                "is then 1. Repeated alarm events change nothing, so a file can be ingested "
                "again. The counts are printed as JSON."
            ),
        )
        sub.add_argument("file", type=Path, metavar="FILE")
        sub.add_argument(
            "--batch",
            type=int,
            default=2000,
            metavar="N",
            help=_("alarms per transaction (default 2000)"),
        )

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        batch = options["batch"]
        if batch < 1:
            raise CommandError(_("--batch must be at least 1."))
        try:
            with path.open("rb") as handle:
                alarms, errors = read_alarm_lines(handle)
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        for error in errors:
            self.stderr.write(f"{path}:{error}")
        # In time order across batches too, so batch edges do not reorder events.
        alarms.sort(key=lambda a: (a.occurred_at, a.line))
        counts: Counter = Counter()
        for start in range(0, len(alarms), batch):
            counts.update(ingest(alarms[start : start + batch]))
        counts["rejected"] = len({e.line for e in errors})
        self.stdout.write(json.dumps(dict(sorted(counts.items())), ensure_ascii=False))
        if errors:
            raise CommandError(
                _("%(n)d bad lines skipped; the other %(m)d alarms were taken.")
                % {"n": counts["rejected"], "m": len(alarms)}
            )
