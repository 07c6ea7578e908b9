"""`sqm complaints ACTION`: complaint tools for scripts. `triage` applies the entry rules;
`train` trains the category classifier behind category suggestion."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from sqm.complaints import textmining
from sqm.complaints.services import IntakeBatch, read_intakes, triage
from sqm.core.commands import BaseCommand


def share(value: str) -> float:
    """argparse type of --test-share: a number from 0 up to (not including) 1."""
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number < 1:
        raise argparse.ArgumentTypeError(
            _("%(value)s is not a share from 0 up to (not including) 1") % {"value": value}
        )
    return number


class Command(BaseCommand):
    # Triage is pure (no database): skip the system checks so it is quick in a pipeline.
    # (`train` reads the database; a broken setup shows as its error instead.)
    requires_system_checks = []
    stealth_options = ("stdin",)  # call_command(..., stdin=StringIO(...)) in tests

    @property
    def help(self) -> str:  # a property: argparse needs a str, translated when asked
        return _(
            "Complaint tools for scripts. `triage` reads intake facts as JSON Lines and "
            "writes the record type each one gets under the operator's entry rules "
            "(投诉录入补充规定). `train` trains the category suggestion model on closed "
            "work orders."
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

        train_parser = actions.add_parser(
            "train",
            help=_("Train the category suggestion model on closed complaint work orders."),
            description=_(
                "Train the classifier that suggests a third-level category from a work "
                "order's description, on closed complaint work orders (complaint work "
                "orders and direct-answer complaints). A share of them, picked by the seed, "
                "is held out to measure how often the right category comes first (top-1) "
                "or among the first three (top-3). The model is saved under SQM_HOME/models "
                "and used from then on. With too little data (fewer than %(minimum)d "
                "orders, or one category) nothing is saved and the exit status is 1. See "
                "docs/category-suggestion.md."
            )
            % {"minimum": textmining.MIN_TRAINING_ORDERS},
            epilog=_("Example:\n  %(prog)s --test-share 0.2 --seed 0 --json")
            % {"prog": "sqm complaints train"},
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        train_parser.add_argument(
            "--test-share",
            type=share,
            default=0.2,
            metavar="SHARE",
            help=_("share of the orders held out to measure accuracy (default 0.2)"),
        )
        train_parser.add_argument(
            "--seed",
            type=int,
            default=0,
            help=_("seed of the held-out split; the same seed gives the same split (default 0)"),
        )
        train_parser.add_argument(
            "--json",
            dest="as_json",
            action="store_true",
            help=_(
                "print one JSON object (n_train, n_test, n_categories, top1, top3, "
                "trained_at, path, test_share, seed) instead of text"
            ),
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

    def handle_train(self, test_share: float, seed: int, as_json: bool, **options) -> None:
        try:
            report = textmining.train(test_share=test_share, seed=seed)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, sort_keys=True))
            return
        if report.top1 is None:
            self.stdout.write(_("Accuracy: not measured (no orders held out)."))
        else:
            self.stdout.write(
                _("Top-1 accuracy: %(top1).1f%%   top-3 accuracy: %(top3).1f%%")
                % {"top1": report.top1 * 100, "top3": report.top3 * 100}
            )
        self.stdout.write(
            _("Trained on %(train)d orders, tested on %(test)d, %(categories)d categories.")
            % {"train": report.n_train, "test": report.n_test, "categories": report.n_categories}
        )
        self.stdout.write(_("Model: %(path)s") % {"path": report.path})
