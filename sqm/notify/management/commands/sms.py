"""`sqm sms send`: the outbox worker (docs/notify.md)."""

from __future__ import annotations

import argparse
import json
import signal
from datetime import timedelta

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from sqm.core.commands import BaseCommand
from sqm.notify import outbox
from sqm.notify.pdu import SmppError


def positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(
            _("%(value)s is not a whole number above 0") % {"value": value}
        )
    return number


def seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if number < 0:
        raise argparse.ArgumentTypeError(
            _("%(value)s is not a number of seconds") % {"value": value}
        )
    return number


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _("Send the SMS of the outbox: `send` runs the worker.")

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        send = actions.add_parser(
            "send",
            help=_("Send due SMS through the configured sender (SQM_SMS_BACKEND)."),
            description=_(
                "Send scheduled SMS whose time has come through the sender SQM_SMS_BACKEND "
                "names (console or smpp), record what the SMSC answered and apply its "
                "delivery receipts. Without --once it keeps running (Ctrl-C or SIGTERM "
                "stops it after the messages in flight are answered) and looks for due "
                "messages every --idle seconds. On start, messages left `sending` for more "
                "than --stale-after seconds by a sender that stopped are put back and "
                "counted as possible duplicates. See docs/notify.md."
            ),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        send.add_argument(
            "--once", action="store_true", help=_("one pass over the due messages, then exit")
        )
        send.add_argument(
            "--limit",
            type=positive,
            default=None,
            metavar="N",
            help=_("take at most N messages a pass"),
        )
        send.add_argument(
            "--stale-after",
            type=seconds,
            default=None,
            metavar="SECONDS",
            help=_("put back `sending` messages older than this (default SQM_SMS_STALE_SECONDS)"),
        )
        send.add_argument(
            "--idle",
            type=seconds,
            default=1.0,
            metavar="SECONDS",
            help=_("between passes, wait this long for receipts (default 1)"),
        )
        send.add_argument(
            "--receipt-wait",
            type=seconds,
            default=0.0,
            metavar="SECONDS",
            help=_("with --once, wait up to this long for the receipts of what was sent"),
        )
        send.add_argument(
            "--any-time",
            action="store_true",
            help=_("send due messages outside the allowed hours too (SMSC link tests)"),
        )
        send.add_argument(
            "--json",
            dest="as_json",
            action="store_true",
            help=_("print the summary as one JSON object"),
        )

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"handle_{action}")(**options)

    def handle_send(
        self,
        once: bool,
        limit: int | None,
        stale_after: float | None,
        idle: float,
        receipt_wait: float,
        any_time: bool,
        as_json: bool,
        **options,
    ) -> None:
        self.verbosity = options.get("verbosity", 1)
        stopping = False

        def stop(*_args) -> None:
            nonlocal stopping
            stopping = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            worker = outbox.send(
                once=once,
                limit=limit,
                stale_after=None if stale_after is None else timedelta(seconds=stale_after),
                any_time=any_time,
                idle_seconds=idle,
                receipt_wait=receipt_wait,
                stop=lambda: stopping,
                on_pass=None if once else self.progress,
            )
        except SmppError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        summary = worker.summary
        if as_json:
            data = summary.as_dict()
            data["requeued_keys"] = worker.requeued_keys
            data["backend"] = settings.SQM_SMS_BACKEND
            self.stdout.write(json.dumps(data, ensure_ascii=False, sort_keys=True))
            return
        self.stdout.write(self.describe(summary))

    def progress(self, worker: outbox.Worker) -> None:
        if self.verbosity >= 2 and worker.summary.taken:
            self.stdout.write(self.describe(worker.summary))

    @staticmethod
    def describe(summary: outbox.Summary) -> str:
        text = _(
            "Taken %(taken)d, sent %(sent)d, to be retried %(retried)d, failed %(failed)d, "
            "cancelled (opted out) %(cancelled)d; receipts: delivered %(delivered)d, "
            "undelivered %(undelivered)d, unmatched %(unmatched)d."
        ) % {
            "taken": summary.taken,
            "sent": summary.sent,
            "retried": summary.retried,
            "failed": summary.failed,
            "cancelled": summary.cancelled,
            "delivered": summary.delivered,
            "undelivered": summary.undelivered,
            "unmatched": summary.receipts_unmatched,
        }
        if summary.possible_duplicates:
            text += " " + _(
                "Possible duplicates: %(requeued)d message(s) found in flight from a sender "
                "that stopped, %(resubmitted)d part(s) written again after a lost connection."
            ) % {"requeued": summary.requeued, "resubmitted": summary.resubmitted}
        return text
