"""`sqm survey pls --data FILE --model MODEL.yaml`: PLS path modelling of survey responses."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from sqm.core.commands import BaseCommand
from sqm.surveys.services import InputError, estimate_pls, json_lines


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Survey analytics. `pls` estimates a PLS path model from a response file; `csi` "
            "analyses the imported responses of a questionnaire (indices, drivers, short "
            "boards, fuzzy evaluation)."
        )

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

        csi = actions.add_parser(
            "csi",
            help=_("Satisfaction indices, drivers and short boards of an imported survey."),
            description=_(
                "Analyse the responses imported with `sqm import survey`: the PLS model, "
                "satisfaction indices 0–100 (ACSI: PLS-weighted means of the rescaled "
                "answers) and the composite index by segment and against competitors, the "
                "gap table, drivers among business processes (stepwise regression with VIF, "
                "LMG shares of R²), importance–performance quadrants with the short boards, "
                "the fuzzy comprehensive evaluation and SERVQUAL gaps. See docs/surveys.md."
            ),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        csi.add_argument("--questionnaire", required=True, metavar="Q",
                         help=_("the questionnaire's code"))  # fmt: skip
        csi.add_argument("--wave", default="", help=_("only this wave (default: all)"))
        csi.add_argument("--model", default="", metavar="NAME",
                         help=_("structural model (default: the default one)"))  # fmt: skip
        csi.add_argument("--bootstrap", type=int, default=0, metavar="N",
                         help=_("bootstrap resamples (default: none)"))  # fmt: skip
        csi.add_argument("--seed", type=int, default=1, help=_("bootstrap seed (default 1)"))
        csi.add_argument("--enter", type=float, default=0.05,
                         help=_("stepwise entry p-value (default 0.05)"))  # fmt: skip
        csi.add_argument("--remove", type=float, default=0.10,
                         help=_("stepwise removal p-value (default 0.10)"))  # fmt: skip
        csi.add_argument(
            "--grades",
            default="100,80,60,40,20",
            metavar="V1,V2,…",
            help=_("fuzzy grade values, best first (default %(default)s)"),
        )
        csi.add_argument("--json", action="store_true", help=_("one JSON object per line"))

    def handle(self, *args, **options) -> None:
        if options["bootstrap"] < 0 or options["bootstrap"] == 1:
            raise CommandError(_("--bootstrap must be 0 (none) or at least 2."))
        if options["action"] == "csi":
            self._csi(options)
            return
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

    def _csi(self, options: dict) -> None:
        from sqm.surveys.csi import Options
        from sqm.surveys.models import Questionnaire
        from sqm.surveys.services import csi_lines, run_csi

        questionnaire = Questionnaire.objects.filter(code=options["questionnaire"]).first()
        if questionnaire is None:
            raise CommandError(
                _("no questionnaire with code %(code)s (import a survey with its .yaml file)")
                % {"code": options["questionnaire"]}
            )
        model = None
        if options["model"]:
            model = questionnaire.structural_models.filter(name=options["model"]).first()
            if model is None:
                raise CommandError(
                    _("%(code)s has no structural model named %(name)s")
                    % {"code": questionnaire.code, "name": options["model"]}
                )
        from sqm.surveys.csi import grades_from_values

        try:
            grades = grades_from_values(options["grades"])
        except ValueError as exc:
            raise CommandError(f"--grades: {exc}", returncode=2) from exc
        settings = Options(
            bootstrap=options["bootstrap"], seed=options["seed"], enter=options["enter"],
            remove=options["remove"], grades=grades,
        )  # fmt: skip
        try:
            out = run_csi(questionnaire, model, options["wave"], settings)
        except InputError as exc:
            raise CommandError(str(exc)) from exc
        lines = csi_lines(out)
        if options["json"]:
            for line in lines:
                self.stdout.write(json.dumps(line, ensure_ascii=False))
            return
        self._csi_table(lines)

    def _csi_table(self, lines: list[dict]) -> None:
        out = self.stdout.write
        by_type: dict[str, list[dict]] = {}
        for line in lines:
            by_type.setdefault(line["type"], []).append(line)
        out(_("Satisfaction index by segment (0–100)"))
        for row in by_type.get("index", []):
            scores = {k: v for k, v in row.items()
                      if k not in ("type", "segment", "value", "n", "small")}  # fmt: skip
            shown = "  ".join(f"{k} {v:.1f}" for k, v in scores.items() if v is not None)
            flag = " *" if row["small"] else ""
            out(f"  {row['segment']} {row['value']} (n={row['n']}{flag}): {shown}")
        if by_type.get("driver"):
            out(_("Drivers (stepwise regression: estimate, p, VIF; LMG share of R²)"))
            for row in by_type["driver"]:
                vif = "" if row["vif"] is None else f" VIF {row['vif']:.2f}"
                share = "" if row["lmg_share"] is None else f" LMG {row['lmg_share']:.3f}"
                out(f"  {row['name']}: {row['estimate']:.4f} p {row['p']:.4f}{vif}{share}")
        if by_type.get("short_board"):
            out(_("Short boards (high importance, low performance)"))
            for row in by_type["short_board"]:
                out(f"  {row['element']}: {row['performance']:.1f} ({', '.join(row['items'])})")
        fit = by_type["fit"][0]
        out(
            _("GoF %(gof).4f; %(n)d respondents in the model, %(dropped)d left out for missing "
              "answers.") % {"gof": fit["gof"], "n": fit["respondents"], "dropped": fit["dropped"]}
        )  # fmt: skip

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
