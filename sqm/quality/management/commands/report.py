"""`sqm report monthly --month YYYY-MM --format html|xlsx|pdf --out FILE`: the monthly
service-quality report as a file."""

from __future__ import annotations

import argparse
from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from sqm.core.commands import BaseCommand


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "The monthly service-quality report. `monthly` writes the report of a month as "
            "HTML, XLSX or PDF."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub = actions.add_parser(
            "monthly",
            help=_("Write the monthly service-quality report of a month to a file."),
            description=_(
                "Write the service-quality report of MONTH to FILE. A published report is "
                "written as it was published (figures and text frozen); otherwise the "
                "figures come from the month's newest KPI run by province and city "
                "(computed first when there is none) with the draft's text, if a draft "
                "exists. HTML is one "
                "self-contained file, XLSX has the tables and the trends as Excel line "
                "charts, PDF is printed by headless Chromium. The export is audited. See "
                'docs/kpi.md, "Monthly report".'
            ),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument("--month", required=True, metavar="YYYY-MM",
                         help=_("the month of the report, e.g. 2026-10"))  # fmt: skip
        sub.add_argument("--format", required=True, choices=["html", "xlsx", "pdf"],
                         dest="fmt", help=_("html, xlsx or pdf"))  # fmt: skip
        sub.add_argument("--out", required=True, metavar="FILE", help=_("the file to write"))

    def handle(self, *args, **options) -> None:
        from sqm.core import context
        from sqm.core.pdf import PdfError
        from sqm.quality import report, report_exports, report_services, services

        try:
            month = services.parse_month(options["month"])
        except services.InputError as exc:
            raise CommandError(str(exc)) from exc
        out = Path(options["out"])
        if out.is_dir() or not out.parent.is_dir():
            raise CommandError(_("%(path)s: not a file in an existing folder") % {"path": out})
        with context.acting_as(None, label="cli"):
            try:
                if report.run_for(month) is None:
                    self._compute(month)
                shown = report_services.shown(month)
                state = shown.report.state if shown.report is not None else ""
                content, _type = report_exports.render(shown.figures, options["fmt"], state=state)
            except (report.NoRun, PdfError, services.InputError) as exc:
                raise CommandError(str(exc)) from exc
            out.write_bytes(content)
            report_exports.audit_export(None, shown.figures, options["fmt"])
        self.stdout.write(str(out))

    def _compute(self, month) -> None:
        """The month's run, computed here with a bar on the terminal (it may take a while)."""
        import sys

        from sqm.core.progress import Progress
        from sqm.quality import report, services

        bar = Progress(1000, _("indicators"), stream=sys.stderr)
        done = [0]

        def progress(stage: str, share: float) -> None:
            step = int(share * 1000) - done[0]
            if step > 0:
                bar.update(step)
                done[0] += step

        services.compute_now(month, breakdowns=report.REPORT_BREAKDOWNS, progress=progress)
        bar.close()
