"""`sqm import KIND FILE [--dry-run]`: validate every row, then all or nothing."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sqm.core.commands import BaseCommand
from sqm.core.importing import registry
from sqm.core.progress import Progress


class Command(BaseCommand):
    help = _(
        "Import an exchange file (CSV in UTF-8, or GBK with --encoding gbk, XLSX, or JSON "
        "Lines for complaints). "
        "Every row is validated; if any row is bad, each is printed as "
        "file:line: column: reason, nothing is changed, and the exit status is 1."
    )

    def add_arguments(self, parser) -> None:
        # The apps register their importers when they are ready (AppConfig.ready).
        parser.add_argument("kind", choices=sorted(registry), help=_("what the file holds"))
        parser.add_argument("file", type=Path, help=_("the .csv, .xlsx or .jsonl file"))
        parser.add_argument(
            "--dry-run", action="store_true", help=_("validate and count, change nothing")
        )
        parser.add_argument(
            "--encoding", default=None, help=_("CSV encoding: utf-8 (default) or gbk")
        )
        parser.add_argument(
            "--no-change-log",
            action="store_true",
            help=_(
                "skip per-row change-log entries (initial bulk loads); the "
                "import itself is still audited"
            ),
        )
        # Options of one kind only (the survey's --questionnaire), by kind.
        self.kind_options: dict[str, list[str]] = {}
        for kind, importer in sorted(registry.items()):
            before = {action.dest for action in parser._actions}
            importer.add_command_arguments(parser)
            self.kind_options[kind] = [a.dest for a in parser._actions if a.dest not in before]

    def handle(
        self,
        *args,
        kind: str,
        file: Path,
        dry_run: bool,
        encoding: str | None,
        no_change_log: bool,
        **options,
    ) -> None:
        if not file.is_file():
            raise CommandError(gettext("%(file)s: no such file") % {"file": file})
        for other, dests in self.kind_options.items():
            for dest in dests:
                if other != kind and options.get(dest) not in (None, False):
                    raise CommandError(
                        gettext("--%(option)s is only for %(kind)s")
                        % {"option": dest.replace("_", "-"), "kind": other},
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
        own = {dest: options.get(dest) for dest in self.kind_options.get(kind, [])}
        try:
            result = registry[kind].run_command(file, own, **common)
        finally:
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
