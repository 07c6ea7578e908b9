"""`sqm audit verify`: prove the audit log has not been altered, reordered or cut."""

from __future__ import annotations

import json

from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sqm.core import audit
from sqm.core.commands import BaseCommand


class Command(BaseCommand):
    help = _(
        "Audit log tools. `verify` recomputes the keyed hash chain, checks it against the "
        "head file (SQM_AUDIT_HEAD_FILE) and exits 1 naming the first entry that does not fit."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check the hash chain")
        verify.add_argument("--json", action="store_true", help="one JSON object")

    def handle(self, *args, action: str, **options) -> None:
        result = audit.verify()
        audit.record_check(result)  # the auditor's home page shows when and how it went
        if options.get("json"):
            self.stdout.write(
                json.dumps(
                    {
                        "ok": result.ok,
                        "checked": result.checked,
                        "broken_at": result.broken_at,
                        "problem": result.problem,
                        "legacy": result.legacy,
                        "warnings": result.warnings,
                    },
                    ensure_ascii=False,
                )
            )
        for warning in result.warnings:
            self.stderr.write(warning)
        if not result.ok:
            raise CommandError(
                f"audit log broken at entry {result.broken_at}: {result.problem} "
                f"({result.checked} entries verified before it)"
            )
        if not options.get("json"):
            self.stdout.write(
                gettext("audit log intact: %(n)d entries verified") % {"n": result.checked}
            )
            if result.legacy:
                self.stdout.write(
                    gettext("%(n)d of them were written before the chain was keyed (plain SHA-256)")
                    % {"n": result.legacy}
                )
