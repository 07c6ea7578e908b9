"""`sqm import KIND FILE [--dry-run]`: validate every row, then all or nothing."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sqm.core.commands import BaseCommand
from sqm.core.importing import registry, run_import
from sqm.core.progress import Progress


class Command(BaseCommand):
    help = _(
        "Import an exchange file (CSV in UTF-8, or GBK with --encoding gbk, XLSX, or JSON "
        "Lines for complaints). "
        "Every row is validated; if any row is bad, each is printed as "
        "file:line: column: reason, nothing is changed, and the exit status is 1."
    )

    def add_arguments(self, parser) -> None:
        import sqm.complaints.importers  # noqa: F401 - registers complaints
        import sqm.customers.importers  # noqa: F401 - registers customers, accounts
        import sqm.network.importers  # noqa: F401 - registers topology
        import sqm.surveys.importers  # noqa: F401 - registers survey

        parser.add_argument("kind", choices=sorted(registry), help=_("what the file holds"))
        parser.add_argument("file", type=Path, help=_("the .csv, .xlsx or .jsonl file"))
        parser.add_argument(
            "--dry-run", action="store_true", help=_("validate and count, change nothing")
        )
        parser.add_argument(
            "--encoding", default=None, help=_("CSV encoding: utf-8 (default) or gbk")
        )
        parser.add_argument(
            "--questionnaire",
            metavar="Q",
            help=_(
                "survey only: the questionnaire's code, or its .yaml file (loaded, or brought "
                "up to date, together with the responses)"
            ),
        )
        parser.add_argument(
            "--no-change-log",
            action="store_true",
            help=_(
                "skip per-row change-log entries (initial bulk loads); the "
                "import itself is still audited"
            ),
        )

    def handle(
        self,
        *args,
        kind: str,
        file: Path,
        dry_run: bool,
        encoding: str | None,
        no_change_log: bool,
        questionnaire: str | None,
        **options,
    ) -> None:
        if not file.is_file():
            raise CommandError(gettext("%(file)s: no such file") % {"file": file})
        if (kind == "survey") != bool(questionnaire):
            raise CommandError(
                gettext("--questionnaire is required for survey and only for survey"),
                returncode=2,
            )
        bar = Progress(0, f"{kind} rows", stream=sys.stderr)

        def on_progress(rows: int, fraction: float | None) -> None:
            # Row count of a streamed file is known only at the end: estimate it from the
            # share of bytes (CSV) or sheet rows (XLSX) read so far.
            if fraction:
                bar.total = max(rows, int(rows / fraction))
            bar.update(rows - bar.done)

        common = {"encoding": encoding, "dry_run": dry_run, "progress": on_progress,
                  "log_changes": not no_change_log}  # fmt: skip
        if kind == "survey":
            from sqm.surveys.services import InputError, import_survey

            try:
                _found, result = import_survey(file, questionnaire, **common)
            except InputError as exc:
                bar.close()
                raise CommandError(str(exc)) from exc
        else:
            result = run_import(kind, file, **common)
        bar.close()
        if not result.ok:
            for line in result.error_lines():
                self.stderr.write(line)
            if result.error_count > len(result.errors):
                self.stderr.write(
                    gettext("… and %(n)d more") % {"n": result.error_count - len(result.errors)}
                )
            raise CommandError(
                gettext("%(file)s: %(bad)d bad row(s) in %(rows)d; nothing was imported")
                % {"file": file, "bad": result.error_count, "rows": result.rows}
            )
        message = (
            gettext(
                "%(file)s: %(rows)d rows checked, would create %(created)d, "
                "would update %(updated)d; nothing was changed (dry run)"
            )
            if dry_run
            else gettext("%(file)s: %(rows)d rows, created %(created)d, updated %(updated)d")
        )
        self.stdout.write(
            message
            % {
                "file": file,
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
            }
        )
