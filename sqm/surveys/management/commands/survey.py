"""`sqm survey pls --data FILE --model MODEL.yaml`: PLS path modelling of survey responses."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from sqm.surveys.services import InputError, estimate_pls, json_lines


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _("Survey analytics. `pls` estimates a PLS path model from survey responses.")

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub = actions.add_parser(
            "pls",
            help=_("Estimate a PLS path model (ECSI/CCSI) from a response table."),
            description=_(
                "Read the responses (CSV or XLSX, a header row naming the items) and the "
                "model (YAML: constructs with mode and items, paths, scheme, scaled; see "
                "docs/surveys.md) and print path coefficients, outer weights and loadings, "
                "R² and AVE per construct and the goodness of fit. Respondents missing an "
                "answer to one of the model's items are left out and counted. With "
                "--bootstrap N, standard errors and 95 % percentile intervals from N "
                "resamples. Bad input exits 1 with the file, line and field named."
            ),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument("--data", type=Path, required=True, metavar="FILE")
        sub.add_argument("--model", type=Path, required=True, metavar="MODEL.yaml")
        sub.add_argument("--bootstrap", type=int, default=0, metavar="N",
                         help=_("bootstrap resamples (default: none)"))  # fmt: skip
        sub.add_argument("--seed", type=int, default=1, help=_("bootstrap seed (default 1)"))
        sub.add_argument("--json", action="store_true", help=_("one JSON object per line"))

    def handle(self, *args, **options) -> None:
        if options["bootstrap"] < 0 or options["bootstrap"] == 1:
            raise CommandError(_("--bootstrap must be 0 (none) or at least 2."))
        try:
            found = estimate_pls(
                options["data"], options["model"], options["bootstrap"], options["seed"]
            )
        except InputError as exc:
            raise CommandError(str(exc)) from exc
        lines = json_lines(found)
        if options["json"]:
            for line in lines:
                self.stdout.write(json.dumps(line, ensure_ascii=False))
            return
        self._table(lines)

    def _table(self, lines: list[dict]) -> None:
        out = self.stdout.write
        out(_("Paths"))
        for line in (x for x in lines if x["type"] == "path"):
            ci = ""
            if "ci_low" in line:
                ci = f"  [{line['ci_low']:.3f}, {line['ci_high']:.3f}]"
            out(f"  {line['from']} -> {line['to']}: {line['estimate']:.4f}{ci}")
        out(_("Outer model (weight, loading)"))
        for line in (x for x in lines if x["type"] == "outer"):
            out(f"  {line['construct']} {line['item']}: {line['weight']:.4f} {line['loading']:.4f}")
        out(_("Constructs (R², AVE, Cronbach's alpha, Dillon-Goldstein's rho)"))
        for line in (x for x in lines if x["type"] == "construct"):
            out(
                f"  {line['name']}: {line['r2']:.4f} {line['ave']:.4f} "
                f"{line['cronbach_alpha']:.4f} {line['dg_rho']:.4f}"
            )
        fit = lines[-1]
        out(
            _("GoF %(gof).4f; %(n)d respondents, %(dropped)d left out for missing answers.")
            % {"gof": fit["gof"], "n": fit["respondents"], "dropped": fit["dropped"]}
        )
