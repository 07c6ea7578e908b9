"""`sqm kpi compute --month YYYY-MM`: the service-quality indicators of a month."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from sqm.core.commands import BaseCommand
from sqm.quality.choices import Breakdown, Engine


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Service-quality indicators. `compute` computes the indicators of a month from "
            "the facts in the database and stores them as a new run; `list` prints the "
            "indicator registry."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub = actions.add_parser(
            "compute",
            help=_("Compute a month's indicators and store them as a run."),
            description=_(
                "Compute the indicators of MONTH (every indicator, or those named with "
                "--indicator) by each breakdown asked for with --by (city by default; an "
                "indicator that does not allow a breakdown is left out of it), store them as "
                "a new run and print one line per indicator and breakdown value; with "
                "--json one object per line: indicator, month, the breakdown columns, value "
                "(null when the denominator is 0), numerator, denominator, target and "
                "status (met, warning, missed). --engine spark runs the same indicators on a "
                "local Spark (Java 17 needed). See docs/kpi.md."
            ),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument("--month", required=True, metavar="YYYY-MM")
        sub.add_argument("--engine", choices=Engine.values, default=Engine.DUCKDB,
                         help=_("duckdb (default) or spark"))  # fmt: skip
        sub.add_argument("--indicator", nargs="+", metavar="CODE", default=[],
                         help=_("only these indicators (codes, see `sqm kpi list`)"))  # fmt: skip
        sub.add_argument("--by", nargs="+", choices=Breakdown.values, default=["city"],
                         metavar="BREAKDOWN",
                         help=_("breakdowns: province, city, district, product, channel, "
                                "cause (default: city)"))  # fmt: skip
        sub.add_argument("--json", action="store_true", help=_("one JSON object per line"))
        sub.add_argument("--snapshot", type=Path, metavar="DIR",
                         help=_("read the month's facts from the Parquet files of DIR (written "
                                "by `sqm kpi snapshot`) instead of the database"))  # fmt: skip
        snap = actions.add_parser(
            "snapshot",
            help=_("Write a month's facts as Parquet files."),
            description=_(
                "Extract the facts month MONTH needs from the database and write one Parquet "
                "file per fact into DIR: what a Spark cluster reads when the facts outgrow "
                "one machine, and what `compute --snapshot DIR` computes from."
            ),
        )
        snap.add_argument("--month", required=True, metavar="YYYY-MM")
        snap.add_argument("--out", type=Path, required=True, metavar="DIR")
        listing = actions.add_parser(
            "list",
            help=_("Print the indicator registry."),
            description=_("Print every indicator: code, name, product, phase, unit, target."),
        )
        listing.add_argument("--json", action="store_true", help=_("one JSON object per line"))
        listing.add_argument(
            "--markdown", action="store_true", help=_("the definitions as in docs/kpi.md")
        )

    def handle(self, *args, **options) -> None:
        if options["action"] == "list":
            return self._list(options)
        if options["action"] == "snapshot":
            return self._snapshot(options)
        return self._compute(options)

    def _snapshot(self, options) -> None:
        from sqm.quality import facts, services

        try:
            month = services.parse_month(options["month"])
        except services.InputError as exc:
            raise CommandError(str(exc)) from exc
        try:
            paths = facts.write_snapshot(facts.extract_all(month), options["out"])
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        for path in paths:
            self.stdout.write(str(path))

    def _list(self, options) -> None:
        from sqm.quality.registry import definitions_markdown, load_definitions

        if options["markdown"]:
            self.stdout.write(definitions_markdown(), ending="")
            return
        for d in load_definitions():
            if options["json"]:
                row = {
                    "code": d.code,
                    "name_zh": d.name_zh,
                    "name_en": d.name_en,
                    "product": d.product,
                    "phase": d.phase,
                    "unit": d.unit,
                    "better": d.better,
                    "target": d.target,
                    "warning": d.warning,
                    "breakdowns": list(d.breakdowns),
                }
                self.stdout.write(json.dumps(row, ensure_ascii=False))
            else:
                self.stdout.write(f"{d.code:28} {d.name_zh}")

    def _compute(self, options) -> None:
        from sqm.core import context
        from sqm.core.progress import Progress
        from sqm.quality import services

        try:
            month = services.parse_month(options["month"])
            services.check_request(options["indicator"], options["by"], options["engine"])
        except services.InputError as exc:
            raise CommandError(str(exc)) from exc
        bar = Progress(1000, _("indicators"), stream=sys.stderr)
        done = [0]

        def progress(stage: str, share: float) -> None:
            step = int(share * 1000) - done[0]
            if step > 0:
                bar.update(step)
                done[0] += step

        tables = None
        if options["snapshot"] is not None:
            tables = self._read_snapshot(options["snapshot"])
        with context.acting_as(None, label="cli"):
            run = services.compute_now(
                month,
                engine=options["engine"],
                codes=options["indicator"],
                breakdowns=options["by"],
                progress=progress,
                tables=tables,
            )
        bar.close()
        self._print(run, options)

    def _read_snapshot(self, folder: Path):
        from sqm.quality import facts

        if not folder.is_dir():
            raise CommandError(_("%(path)s is not a folder") % {"path": folder})
        try:
            tables = facts.read_snapshot(folder)
        except Exception as exc:  # pyarrow raises its own errors for unreadable files
            raise CommandError(
                _("%(path)s: cannot read the snapshot: %(error)s") % {"path": folder, "error": exc}
            ) from exc
        problems = facts.check_snapshot(tables)
        if problems:
            raise CommandError("\n".join(f"{folder}/{problem}" for problem in problems))
        return tables

    def _print(self, run, options) -> None:
        from sqm.quality.models import KpiValue

        values = (
            KpiValue.objects.filter(run=run)
            .select_related("indicator")
            .order_by("indicator__position", "breakdown", "key")
        )
        for v in values:
            key = _key_columns(v.breakdown, v.key)
            if options["json"]:
                row = {"indicator": v.indicator.code, "month": f"{run.month:%Y-%m}", **key}
                row.update(
                    value=None if v.value is None else round(v.value, 6),
                    numerator=_number(v.numerator),
                    denominator=_number(v.denominator),
                    target=v.target,
                    status=v.status or None,
                )
                self.stdout.write(json.dumps(row, ensure_ascii=False))
            else:
                value = "—" if v.value is None else f"{v.value:.4g}"
                where = v.key or _("province")
                self.stdout.write(f"{v.indicator.code:28} {where:12} {value:>10} {v.status}")


def _key_columns(breakdown: str, key: str) -> dict:
    from sqm.quality.measures import BREAKDOWN_COLUMNS

    columns = BREAKDOWN_COLUMNS[breakdown]
    if not columns:
        return {}
    return dict(zip(columns, key.split("/", len(columns) - 1), strict=False))


def _number(value):
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 6)
