"""What the run page, the XLSX and the PDF show of an analysis: one set of labelled tables
built from the run's results, so the three always agree."""

from __future__ import annotations

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from sqm.core import audit
from sqm.core.exporting import XLSX_TYPE, XlsxWriter
from sqm.core.models import AuditAction
from sqm.surveys.choices import Construct, Process, ServqualDimension


def _grade_labels() -> dict[str, str]:
    numbered = {f"grade_{n}": _("grade %(n)d") % {"n": n} for n in range(1, 11)}
    return {
        **numbered,
        "very_satisfied": _("very satisfied"), "satisfied": _("satisfied"),
        "neutral": _("neutral"), "dissatisfied": _("dissatisfied"),
        "very_dissatisfied": _("very dissatisfied"),
    }  # fmt: skip


def _quadrant_labels() -> dict[str, str]:
    return {
        "keep_up": _("keep up (important, performing)"),
        "short_board": _("short board (important, underperforming)"),
        "low_priority": _("low priority"),
        "overkill": _("possible overkill"),
    }


def labels_for(run) -> dict[str, str]:
    """Display names of constructs, processes, items and the composite."""
    labels = {"composite": _("composite satisfaction"), "overall": _("overall")}
    labels.update({c.value: str(c.label) for c in Construct})
    labels.update({p.value: str(p.label) for p in Process})
    labels.update({d.value: str(d.label) for d in ServqualDimension})
    for code, text in run.questionnaire.items.values_list("code", "text"):
        labels[code] = f"{code} {text}".strip()
    return labels


def tables(run, label: dict[str, str] | None = None) -> dict:
    """The analysis as labelled tables: {key: (title, header, rows)}."""
    r = run.results
    label = label or labels_for(run)
    name = lambda key: label.get(key, key)  # noqa: E731
    keys = [e["key"] for e in r["elements"] if e["kind"] != "item"]
    segment_names = {"operator": _("own customers"), "competitor": _("competitor"),
                     "brand": _("brand"), "city": _("city"), "product": _("product"),
                     "wave": _("wave")}  # fmt: skip
    out = {}
    out["index"] = (
        _("Satisfaction index by segment (0–100)"),
        [_("Segment"), _("Value"), _("Respondents")] + [name(k) for k in keys],
        [[segment_names.get(s["segment"], s["segment"]), s["value"], s["n"]]
         + [s["scores"].get(k) for k in keys] for s in r["segments"]],
    )  # fmt: skip
    competitors = [s["value"] for s in r["segments"] if s["segment"] == "competitor"]
    header = [_("Element"), _("Own score")]
    for c in competitors:
        header += [c, _("Gap vs %(operator)s") % {"operator": c}]
    rows = []
    for g in r["gaps"]:
        row = [name(g["element"]), g["own"]]
        for c in competitors:
            row += [g["competitors"][c]["score"], g["competitors"][c]["gap"]]
        rows.append(row)
    out["gaps"] = (_("Gap table: own score against competitors"), header, rows)
    out["paths"] = (
        _("Path coefficients"),
        [_("From"), _("To"), _("Estimate"), _("Std. error"), "t", "p",
         _("95 percent interval, low"), _("95 percent interval, high")],
        [[name(p["from"]), name(p["to"]), p["estimate"], p.get("boot_std_error", p["std_error"]),
          p["t"], p["p"], p.get("ci_low"), p.get("ci_high")] for p in r["pls"]["paths"]],
    )  # fmt: skip
    out["constructs"] = (
        _("Constructs"),
        [_("Construct"), "R²", "AVE", "Cronbach α", "Dillon-Goldstein ρ"],
        [[name(c["name"]), c["r2"], c["ave"], c["cronbach_alpha"], c["dg_rho"]]
         for c in r["pls"]["constructs"]],
    )  # fmt: skip
    out["outer"] = (
        _("Measurement model"),
        [_("Construct"), _("Item"), _("Outer weight"), _("Loading"), _("Index weight")],
        [[name(o["construct"]), name(o["item"]), o["weight"], o["loading"],
          next((w["weight"] for w in r["index_weights"] if w["item"] == o["item"]), None)]
         for o in r["pls"]["outer"]],
    )  # fmt: skip
    d = r.get("drivers")
    if d:
        shares, relative = d["lmg"]["shares"], d["lmg"]["relative"]
        rows = [
            [
                name(c["name"]) if c["name"] != "(intercept)" else _("(intercept)"),
                c["estimate"],
                c["std_error"],
                c["t"],
                c["p"],
                c["beta"],
                c["vif"],
                shares.get(c["name"]),
                relative.get(c["name"]),
            ]
            for c in d["coefficients"]
        ]
        rows += [
            [
                _("%(name)s (not entered)") % {"name": name(e["name"])},
                None,
                None,
                None,
                e["p"],
                None,
                None,
                shares.get(e["name"]),
                relative.get(e["name"]),
            ]
            for e in d["excluded"]
        ]
        out["drivers"] = (
            _("Drivers of %(target)s: stepwise regression (entry p < %(enter)s, removal p > "
              "%(remove)s) and LMG shares of R²")
            % {"target": name(d["target"]), "enter": d["enter"], "remove": d["remove"]},
            [_("Business process"), _("Estimate"), _("Std. error"), "t", "p", "β", "VIF",
             _("LMG share of R²"), _("Relative importance")],
            rows,
        )  # fmt: skip
    ipa = r.get("ipa")
    if ipa:
        quadrant = _quadrant_labels()
        out["ipa"] = (
            _("Importance and performance"),
            [_("Business process"), _("Importance (LMG)"), _("Performance (0–100)"),
             _("Quadrant")],
            [[name(e["name"]), e["importance"], e["performance"], quadrant[e["quadrant"]]]
             for e in ipa["elements"]],
        )  # fmt: skip
        out["short_boards"] = (
            _("Short boards and their items"),
            [_("Short board"), _("Importance (LMG)"), _("Performance (0–100)"), _("Item"),
             _("Item score")],
            [[name(b["element"]), b["importance"], b["performance"], name(i["item"]), i["score"]]
             for b in ipa["short_boards"] for i in b["items"]],
        )  # fmt: skip
    fuzzy = r.get("fuzzy")
    if fuzzy:
        grades = _grade_labels()
        out["fuzzy"] = (
            _("Fuzzy comprehensive evaluation (weighted average operator M(·,+))"),
            [_("Level"), _("Element"), _("Weight")]
            + [f"{grades.get(g['name'], g['name'])} ({g['value']:g})" for g in fuzzy["grades"]]
            + [_("Score"), _("Grade")],
            [[n["depth"], "　" * n["depth"] + name(n["name"]), n["weight"]] + n["membership"]
             + [n["score"], grades.get(n["grade"], n["grade"])] for n in fuzzy["nodes"]],
        )  # fmt: skip
    sq = r.get("servqual")
    if sq:
        out["servqual"] = (
            _("SERVQUAL gaps (perception − expectation)"),
            [_("Dimension"), _("Expectation"), _("Perception"), _("Gap"), _("Respondents")],
            [[name(x["name"]), x["expectation"], x["perception"], x["gap"], x["n"]]
             for x in sq["dimensions"]]
            + [[_("overall (unweighted)"), None, None, sq["gap"], None]],
        )  # fmt: skip
    return out


def _path_diagram(run, label: dict[str, str]) -> dict:
    """Nodes placed in layers (exogenous constructs left) and edges with coefficients."""
    r = run.results
    names = [c["name"] for c in r["pls"]["constructs"]]
    incoming: dict[str, list[str]] = {n: [] for n in names}
    for p in r["pls"]["paths"]:
        incoming[p["to"]].append(p["from"])
    depth: dict[str, int] = {}

    def layer(n: str) -> int:
        if n not in depth:
            depth[n] = 1 + max((layer(m) for m in incoming[n]), default=-1)
        return depth[n]

    columns: dict[int, list[str]] = {}
    for n in names:
        columns.setdefault(layer(n), []).append(n)
    r2 = {c["name"]: c["r2"] for c in r["pls"]["constructs"]}
    nodes = []
    for x, members in columns.items():
        for y, n in enumerate(members):
            offset = (y - (len(members) - 1) / 2) * 140
            suffix = f"\nR² {r2[n]:.2f}" if r2[n] else ""
            nodes.append({"name": n, "label": label.get(n, n) + suffix, "x": x * 260,
                          "y": offset})  # fmt: skip
    edges = [{"source": p["from"], "target": p["to"], "value": round(p["estimate"], 3),
              "significant": p["p"] < 0.05} for p in r["pls"]["paths"]]  # fmt: skip
    return {"nodes": nodes, "edges": edges}


def _ipa_chart(run, label: dict[str, str]) -> dict | None:
    ipa = run.results.get("ipa")
    if not ipa:
        return None
    return {
        "cuts": ipa["cuts"],
        "points": [{"name": label.get(e["name"], e["name"]), "value": [e["importance"],
                    e["performance"]], "short": e["quadrant"] == "short_board"}
                   for e in ipa["elements"]],
        "axis": {"x": _("Importance (LMG share of R², relative)"),
                 "y": _("Performance (0–100)")},
    }  # fmt: skip


def view_context(run) -> dict:
    label = labels_for(run)
    boards = run.results.get("ipa", {}) or {}
    return {
        "tables": tables(run, label),
        "short_boards": [
            {
                "name": label.get(b["element"], b["element"]),
                "performance": b["performance"],
                "items": [label.get(i["item"], i["item"]) for i in b["items"]],
            }
            for b in boards.get("short_boards", [])
        ],  # fmt: skip
        "charts": {"path": _path_diagram(run, label), "ipa": _ipa_chart(run, label)},
        "fit": run.results["pls"]["fit"],
        "results": run.results,
    }


def _filename(run, ext: str) -> str:
    return f"survey-{run.questionnaire.code}-{run.pk}.{ext}"


# Sheet names in the reader's language (a sheet name holds at most 31 characters).
SHEET_NAMES = {
    "index": pgettext_lazy("survey sheet", "satisfaction index"),
    "gaps": pgettext_lazy("survey sheet", "competitor gaps"),
    "paths": pgettext_lazy("survey sheet", "path coefficients"),
    "constructs": pgettext_lazy("survey sheet", "constructs"),
    "outer": pgettext_lazy("survey sheet", "measurement model"),
    "drivers": pgettext_lazy("survey sheet", "drivers"),
    "ipa": pgettext_lazy("survey sheet", "importance and performance"),
    "short_boards": pgettext_lazy("survey sheet", "short boards"),
    "fuzzy": pgettext_lazy("survey sheet", "fuzzy evaluation"),
    "servqual": pgettext_lazy("survey sheet", "SERVQUAL gaps"),
}


def workbook(run) -> bytes:
    """The tables, one sheet each, through the shared export writer: labels come from
    imported questionnaires and survey data, so they are written as text, never formulas.
    Sheet names, titles and headers are in the active language (the requesting user's)."""
    writer = XlsxWriter()
    for key, (title, header, rows) in tables(run).items():
        sheet = writer.add_sheet(SHEET_NAMES.get(key, key), freeze="A3")
        sheet.append([title], bold=True)
        sheet.append(header, bold=True)
        for row in rows:
            sheet.append([round(v, 6) if isinstance(v, float) else v for v in row])
    return writer.to_bytes()


def xlsx_response(run, user) -> HttpResponse:
    content = workbook(run)
    audit.record(AuditAction.EXPORT, user=user, target=f"survey-run:{run.pk}",
                 details={"format": "xlsx"})  # fmt: skip
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename(run, "xlsx")}"'
    return response


def pdf_bytes(run) -> bytes:
    """The results printed by headless Chromium from the same tables and charts."""
    from sqm.core.pdf import html_to_pdf, static_path

    html = render_to_string("surveys/run_print.html", {
        "run": run, **view_context(run), "echarts": static_path("vendor/echarts/echarts.min.js"),
        "surveys_js": static_path("sqm/surveys.js"),
    })  # fmt: skip
    return html_to_pdf(html)


def pdf_response(run, user) -> HttpResponse:
    content = pdf_bytes(run)
    audit.record(AuditAction.EXPORT, user=user, target=f"survey-run:{run.pk}",
                 details={"format": "pdf"})  # fmt: skip
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(run, "pdf")}"'
    return response
