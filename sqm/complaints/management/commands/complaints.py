"""`sqm complaints ACTION`: complaint tools for scripts. `triage` applies the entry rules."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from sqm.complaints.services import IntakeBatch, read_intakes, triage


class Command(BaseCommand):
    # Triage is pure (no database): skip the system checks so it is quick in a pipeline.
    requires_system_checks = []
    stealth_options = ("stdin",)  # call_command(..., stdin=StringIO(...)) in tests

    @property
    def help(self) -> str:  # a property: argparse needs a str, translated when asked
        return _(
            "Complaint tools for scripts. `triage` reads intake facts as JSON Lines and "
            "writes the record type each one gets under the operator's entry rules "
            "(投诉录入补充规定)."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        triage_parser = actions.add_parser(
            "triage",
            help=_("Decide the record type of each intake (JSON Lines in, JSON Lines out)."),
            description=_(
                "Read intake facts as JSON Lines (one object per line; blank lines are "
                "skipped) on stdin or from --input FILE, and write one decision per line "
                "with the keys record_type (service, direct_answer_complaint, "
                "complaint_work_order), order (business, consultation, blocking, refund or "
                "null) and reason (one sentence in Chinese).\n\n"
                "Input keys: topic (unsubscribe, resend, block, refund, other) and accepted "
                "(true or false) are required; demands (a list of ask_reason, "
                "unknowing_subscription, restore, compensation, apology, manager, "
                "rule_change, other) defaults to none; dissatisfied (read for topic other) "
                "and needs_handover (dispatch, investigation or another department) default "
                "to false.\n\n"
                "Every line is checked before anything is written: if any line is bad, each "
                "problem is printed as stdin:LINE: key: reason, nothing is written and the "
                "exit status is 1. The rules are in docs/complaint-rules.md."
            ),
            epilog=_('Example:\n  echo \'{"topic": "refund", "accepted": true}\' | %(prog)s')
            % {"prog": "sqm complaints triage"},
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        triage_parser.add_argument(
            "--input",
            dest="input_file",
            type=Path,
            default=None,
            metavar="FILE",
            help=_("read this JSON Lines file instead of stdin (messages then name FILE)"),
        )

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"handle_{action}")(**options)

    def handle_triage(self, input_file: Path | None, **options) -> None:
        if input_file is not None:
            if not input_file.is_file():
                raise CommandError(_("%(file)s: no such file") % {"file": input_file})
            name = str(input_file)
            with input_file.open("rb") as lines:
                batch = read_intakes(lines)
        else:
            name = "stdin"
            stream = options.get("stdin") or sys.stdin
            # Read bytes when we can, so a line that is not UTF-8 is reported, not fatal.
            batch = read_intakes(getattr(stream, "buffer", stream))
        if not batch.ok:
            self.report(batch, name)
        for _line, intake in batch.intakes:
            self.stdout.write(json.dumps(triage(intake).as_dict(), ensure_ascii=False))

    def report(self, batch: IntakeBatch, name: str) -> None:
        for error in batch.errors:
            self.stderr.write(error.format(name))
        raise CommandError(
            _("%(name)s: %(bad)d bad line(s) in %(lines)d; nothing was triaged")
            % {"name": name, "bad": batch.bad_lines, "lines": batch.lines}
        )
