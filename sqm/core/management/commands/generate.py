"""`sqm generate`: write a deterministic synthetic province in the import formats."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from sqm.core.commands import BaseCommand
from sqm.core.generator import DEFAULT_AS_OF, DEFAULT_MONTHS, generate_province


def _as_of(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("%(value)r is not a date like 2026-06-30") % {"value": value}
        ) from None


class Command(BaseCommand):
    # argparse needs real strings, so help texts are translated when the parser is built.
    @property
    def help(self) -> str:
        return _(
            "Write a synthetic province (customers.csv, accounts.csv, topology.csv, "
            "complaints.jsonl, alarms.jsonl and manifest.json) into a directory. The same seed "
            "always gives the same files, and `sqm import KIND DIR/KIND.csv` (complaints: "
            "DIR/complaints.jsonl) loads them."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out",
            required=True,
            type=Path,
            help=_("Directory to write into (created if missing)."),
        )
        parser.add_argument(
            "--customers",
            required=True,
            type=int,
            help=_("Number of customers to generate."),
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help=_("Random seed; the same seed gives byte-identical files (default 1)."),
        )
        parser.add_argument(
            "--months",
            type=int,
            default=DEFAULT_MONTHS,
            help=_(
                "Months of complaint history before --as-of written to complaints.jsonl; "
                "0 writes no complaints (default 12)."
            ),
        )
        parser.add_argument(
            "--alarm-days",
            type=int,
            default=None,
            metavar="D",
            help=_(
                "Network alarms (alarms.jsonl) for the last D days before --as-of instead of "
                "the --months window; 0 writes no alarms (default: the --months window)."
            ),
        )
        parser.add_argument(
            "--survey-waves",
            type=int,
            default=0,
            metavar="W",
            help=_(
                "Satisfaction-survey waves to write: survey.csv holds the last W quarters up "
                "to --as-of and questionnaire.yaml describes its items and PLS model; 0 "
                "writes no survey (default 0)."
            ),
        )
        parser.add_argument(
            "--survey-respondents",
            type=int,
            default=1000,
            metavar="N",
            help=_("Respondents per survey wave (default %(default)s)."),
        )
        parser.add_argument(
            "--fact-months",
            type=int,
            default=None,
            metavar="M",
            help=_(
                "Quality facts (repairs.csv, activations.csv, transfers.csv, speed_tests.csv, "
                "operations.csv, circuits.csv, circuit_outages.csv) for the M complete months "
                "before --as-of and its month so far; 0 writes none (default: --months)."
            ),
        )
        parser.add_argument(
            "--repair-scale",
            type=float,
            default=1.0,
            metavar="X",
            help=_(
                "Multiply the background rate of fault reports by X, for benchmarks that "
                "want many repairs (default 1)."
            ),
        )
        parser.add_argument(
            "--as-of",
            type=_as_of,
            default=DEFAULT_AS_OF,
            metavar="YYYY-MM-DD",
            help=_(
                "The generated world's today: ages, opening dates and the complaint history "
                "count back from it (default %(default)s)."
            ),
        )

    def handle(self, *args: object, **options: object) -> None:
        out: Path = options["out"]
        customers: int = options["customers"]
        months: int = options["months"]
        if customers < 1:
            raise CommandError(_("--customers must be at least 1, got %(n)s.") % {"n": customers})
        if months < 0:
            raise CommandError(_("--months must not be negative, got %(n)s.") % {"n": months})
        alarm_days: int | None = options["alarm_days"]
        if alarm_days is not None and alarm_days < 0:
            raise CommandError(
                _("--alarm-days must not be negative, got %(n)s.") % {"n": alarm_days}
            )
        survey_waves: int = options["survey_waves"]
        if survey_waves < 0:
            raise CommandError(
                _("--survey-waves must not be negative, got %(n)s.") % {"n": survey_waves}
            )
        respondents: int = options["survey_respondents"]
        if survey_waves and respondents < 1:
            raise CommandError(
                _("--survey-respondents must be at least 1, got %(n)s.") % {"n": respondents}
            )
        fact_months: int | None = options["fact_months"]
        if fact_months is not None and fact_months < 0:
            raise CommandError(
                _("--fact-months must not be negative, got %(n)s.") % {"n": fact_months}
            )
        if out.exists() and not out.is_dir():
            raise CommandError(_("--out %(path)s is a file, not a directory.") % {"path": out})
        try:
            counts = generate_province(
                out,
                customers=customers,
                seed=options["seed"],
                months=months,
                progress=True,
                as_of=options["as_of"],
                alarm_days=alarm_days,
                survey_waves=survey_waves,
                survey_respondents=respondents,
                fact_months=fact_months,
                repair_scale=options["repair_scale"],
            )
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        summary = _(
            "Wrote %(customers)s customers, %(accounts)s accounts, %(onus)s ONUs, "
            "%(complaints)s complaints and %(alarms)s alarm events to %(out)s "
            "(seed %(seed)s, %(months)s months)."
        ) % {
            "customers": f"{counts['customers']:,}",
            "accounts": f"{counts['accounts']:,}",
            "onus": f"{counts['topology']:,}",
            "complaints": f"{counts.get('complaints', 0):,}",
            "alarms": f"{counts.get('alarms', 0):,}",
            "out": out,
            "seed": options["seed"],
            "months": months,
        }
        if "survey" in counts:
            summary += " " + _(
                "Survey: %(respondents)s respondents in %(waves)s waves (survey.csv, "
                "questionnaire.yaml)."
            ) % {"respondents": f"{counts['survey']:,}", "waves": survey_waves}
        if "repairs" in counts:
            summary += " " + _(
                "Quality facts: %(repairs)s repairs, %(activations)s activations, "
                "%(transfers)s transfers, %(tests)s speed tests, %(circuits)s circuits with "
                "%(outages)s outages."
            ) % {
                "repairs": f"{counts['repairs']:,}",
                "activations": f"{counts['activations']:,}",
                "transfers": f"{counts['transfers']:,}",
                "tests": f"{counts['speed_tests']:,}",
                "circuits": f"{counts['circuits']:,}",
                "outages": f"{counts['circuit_outages']:,}",
            }
        self.stdout.write(summary)
