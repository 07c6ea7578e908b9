"""`sqm import KIND FILE [--dry-run]`: validate every row, then all or nothing."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sqm.core.importing import registry, run_import
from sqm.core.progress import Progress


class Command(BaseCommand):
    help = (
        "Import an exchange file (CSV in UTF-8, or GBK with --encoding gbk, or XLSX). "
        "Every row is validated; if any row is bad, each is printed as "
        "file:line: column: reason, nothing is changed, and the exit status is 1."
    )

    def add_arguments(self, parser) -> None:
        import sqm.customers.importers  # noqa: F401 - registers customers, accounts
        import sqm.network.importers  # noqa: F401 - registers topology

        parser.add_argument("kind", choices=sorted(registry), help="what the file holds")
        parser.add_argument("file", type=Path, help="the .csv or .xlsx file")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and count, change nothing"
        )
        parser.add_argument("--encoding", default=None, help="CSV encoding: utf-8 (default) or gbk")
        parser.add_argument(
            "--no-change-log",
            action="store_true",
            help="skip per-row change-log entries (initial bulk loads); the "
            "import itself is still audited",
        )

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
            raise CommandError(f"{file}: no such file")
        bar = Progress(0, f"{kind} rows", stream=sys.stderr)

        def on_progress(rows: int, fraction: float | None) -> None:
            # Row count of a streamed file is known only at the end: estimate it from the
            # share of bytes (CSV) or sheet rows (XLSX) read so far.
            if fraction:
                bar.total = max(rows, int(rows / fraction))
            bar.update(rows - bar.done)

        result = run_import(
            kind,
            file,
            encoding=encoding,
            dry_run=dry_run,
            progress=on_progress,
            log_changes=not no_change_log,
        )
        bar.close()
        if not result.ok:
            for line in result.error_lines():
                self.stderr.write(line)
            if result.error_count > len(result.errors):
                self.stderr.write(f"… and {result.error_count - len(result.errors)} more")
            raise CommandError(
                f"{file}: {result.error_count} bad row(s) in {result.rows}; nothing was imported"
            )
        verb = "would create" if dry_run else "created"
        self.stdout.write(
            f"{file}: {result.rows} rows, {verb} {result.created}, "
            f"{'would update' if dry_run else 'updated'} {result.updated}"
        )
