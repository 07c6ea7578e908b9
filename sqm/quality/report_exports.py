"""What the report page and its exports show, from one structure (report.py's figures):
`presentation` (labels and formatted values for the page, the HTML and the PDF) and
`workbook` (the same tables in XLSX, raw numbers with number formats, the trends as native
Excel line charts). Exports are audited like every other export."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy
from openpyxl.chart import LineChart, Reference

from sqm.core import audit
from sqm.core.exporting import XLSX_TYPE, XlsxWriter, xlsx_cell
from sqm.core.models import AuditAction
from sqm.quality.choices import Better, ReportState, Status, Unit
from sqm.quality.report import change_display, change_is_better, display, indicator_name

FORMATS = ("html", "xlsx", "pdf")
PDF_TYPE = "application/pdf"


# Column titles of the report's tables (context "report column": a target is 目标 here).
COL = {
    "Change": pgettext_lazy("report column", "Change"),
    "Change relative to target": pgettext_lazy("report column", "Change relative to target"),
    "City": pgettext_lazy("report column", "City"),
    "Control limits": pgettext_lazy("report column", "Control limits"),
    "Indicator": pgettext_lazy("report column", "Indicator"),
    "Indicators missed": pgettext_lazy("report column", "Indicators missed"),
    "Last month": pgettext_lazy("report column", "Last month"),
    "Lower limit": pgettext_lazy("report column", "Lower limit"),
    "Mean": pgettext_lazy("report column", "Mean"),
    "Missed": pgettext_lazy("report column", "Missed"),
    "Month over month": pgettext_lazy("report column", "Month over month"),
    "Months of history": pgettext_lazy("report column", "Months of history"),
    "Rank": pgettext_lazy("report column", "Rank"),
    "Status": pgettext_lazy("report column", "Status"),
    "Target": pgettext_lazy("report column", "Target"),
    "Upper limit": pgettext_lazy("report column", "Upper limit"),
    "Value": pgettext_lazy("report column", "Value"),
    "Warning": pgettext_lazy("report column", "Warning"),
    "Year over year": pgettext_lazy("report column", "Year over year"),
}


def _status_label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else "—"


def _unit_label(unit: str) -> str:
    return str(Unit(unit).label) if unit in Unit.values else unit


def _control_label(direction: str | None) -> str:
    if direction == "high":
        return pgettext("control limit", "above the control limit")
    if direction == "low":
        return pgettext("control limit", "below the control limit")
    return ""


def _cells(info: dict, row: dict) -> dict:
    unit, better = info["unit"], info["better"]
    return {
        "value": display(row.get("value"), unit),
        "target": display(row.get("target"), unit),
        "status": row.get("status") or "",
        "status_label": _status_label(row.get("status") or ""),
        "mom": change_display(row.get("mom"), unit),
        "mom_better": change_is_better(row.get("mom"), better, unit),
        "yoy": change_display(row.get("yoy"), unit),
        "yoy_better": change_is_better(row.get("yoy"), better, unit),
    }


# Units whose figures mean nothing without their mark where no column names the unit (the
# short boards mix hours, Mbit/s and yuan with shares; a share carries its own %).
_MARKED_UNITS = {Unit.HOURS, Unit.MINUTES, Unit.SECONDS, Unit.MBPS, Unit.YUAN}


def _with_mark(text: str, unit: str) -> str:
    from sqm.quality.dashboard import unit_mark

    return f"{text} {unit_mark(unit)}" if unit in _MARKED_UNITS and text != "—" else text


def _info(figures: dict, code: str) -> dict:
    return figures["indicators"].get(code) or {"unit": "", "better": Better.HIGHER}


def _city(name: str) -> str:
    return name or pgettext("report", "whole province")


def presentation(figures: dict) -> dict:
    """The figures with labels and formatted values, in the active language."""
    name = lambda code: indicator_name(figures, code)  # noqa: E731
    headline = []
    for row in figures["headline"]:
        info = _info(figures, row["indicator"])
        headline.append({"code": row["indicator"], "name": name(row["indicator"]),
                         "unit": _unit_label(info["unit"]), **_cells(info, row)})  # fmt: skip
    rankings = []
    for code, rows in figures["rankings"].items():
        info = _info(figures, code)
        rankings.append({
            "code": code, "name": name(code), "unit": _unit_label(info["unit"]),
            "better": str(Better(info["better"]).label) if info["better"] in Better.values else "",
            "rows": [{"rank": r["rank"], "city": r["city"], **_cells(info, r),
                      "control": r.get("control"),
                      "control_label": _control_label(r.get("control"))} for r in rows],
        })  # fmt: skip
    boards = figures["short_boards"]
    missed = []
    for r in boards["missed"]:
        info = _info(figures, r["indicator"])
        cells = _cells(info, r)
        for key in ("value", "target"):
            cells[key] = _with_mark(cells[key], info["unit"])
        missed.append({"code": r["indicator"], "name": name(r["indicator"]), **cells})
    worst = [{"city": t["city"], "missed": len(t["missed"]), "warning": len(t["warning"]),
              "missed_names": [name(c) for c in t["missed"]]}
             for t in boards["worst_cities"]]  # fmt: skip
    worse = []
    for r in boards["deteriorations"]:
        info = _info(figures, r["indicator"])
        worse.append({
            "code": r["indicator"], "name": name(r["indicator"]), "city": _city(r["city"]),
            "value": _with_mark(display(r["value"], info["unit"]), info["unit"]),
            "previous": _with_mark(display(r["previous"], info["unit"]), info["unit"]),
            "change": _with_mark(change_display(r["change"], info["unit"]), info["unit"]),
            "target": display(r["target"], info["unit"]),
            "relative": f"{r['relative'] * 100:.1f}%",
        })  # fmt: skip
    control = figures["control"]
    flags = []
    for f in control["flags"]:
        unit = _info(figures, f["indicator"])["unit"]
        flags.append({
            "code": f["indicator"], "name": name(f["indicator"]), "city": f["city"],
            "value": display(f["value"], unit), "mean": display(f["mean"], unit),
            "low": display(f["low"], unit), "high": display(f["high"], unit),
            "history": f["history"], "label": _control_label(f["direction"]),
        })  # fmt: skip
    return {
        "headline": headline,
        "rankings": rankings,
        "missed": missed,
        "worst": worst,
        "deteriorations": worse,
        "control": {**control, "flags": flags},
        "charts": charts(figures),
        "text": figures.get("text") or {},
        "number": figures.get("number"),
        "scoped": figures.get("scoped"),
        "run_created": _when(figures["run"]["created"]),
        "published_at": _when(figures.get("published_at")),
    }


def _when(iso: str | None) -> str:
    """An ISO time as the report prints it (local, to the minute)."""
    return (iso or "")[:16].replace("T", " ") or "—"


def charts(figures: dict) -> dict:
    """The 12-month trend of each headline indicator: the province and every city (shares
    in per cent, as the tables show them)."""
    months = figures["trends"]["months"]
    out = []
    for code, series in figures["trends"]["series"].items():
        info = _info(figures, code)
        scale = 100 if info["unit"] == Unit.RATIO else 1

        def points(values, scale=scale):
            return [None if v is None else round(v * scale, 4) for v in values]

        lines = [{"name": pgettext("report", "whole province"), "data": points(series["province"]),
                  "province": True}]  # fmt: skip
        lines += [
            {"name": city, "data": points(values)} for city, values in series["cities"].items()
        ]
        unit = "%" if info["unit"] == Unit.RATIO else _unit_label(info["unit"])
        target = next((r["target"] for r in figures["headline"] if r["indicator"] == code), None)
        out.append({"code": code, "name": indicator_name(figures, code), "unit": unit,
                    "lines": lines, "target": points([target])[0],
                    "target_label": pgettext("indicator", "target")})  # fmt: skip
    return {"months": months, "charts": out}


def difference_rows(figures: dict, differences: list[dict]) -> list[dict]:
    """A later run's changed values (services.differences) beside the published ones."""
    out = []
    for row in differences:
        unit = _info(figures, row["indicator"])["unit"]
        out.append({
            "code": row["indicator"], "name": indicator_name(figures, row["indicator"]),
            "city": _city(row["key"] if row["breakdown"] == "city" else ""),
            "before_text": display(row["before"], unit), "after_text": display(row["after"], unit),
        })  # fmt: skip
    return out


def title(figures: dict) -> str:
    number = figures.get("number")
    if number is None:
        return _("Service-quality report %(month)s (preview)") % {"month": figures["month"]}
    return _("Service-quality report No. %(number)s (%(month)s)") % {
        "number": number,
        "month": figures["month"],
    }


# --- HTML and PDF --------------------------------------------------------------------------


def _static_text(name: str) -> str:
    found = finders.find(name)
    with open(found, encoding="utf-8") as handle:
        return handle.read()


def html_document(figures: dict, *, state: str = "", for_pdf: bool = False) -> str:
    """The report as one self-contained HTML document (scripts inlined: it opens offline,
    attached to a mail or filed, and prints the same in Chromium)."""
    return render_to_string("quality/report_print.html", {
        "figures": figures, "shown": presentation(figures), "title": title(figures),
        "control_note": control_note(figures["control"]),
        "state": state, "published": state == ReportState.PUBLISHED, "for_pdf": for_pdf,
        "echarts_js": _static_text("vendor/echarts/echarts.min.js"),
        "report_js": _static_text("quality/report.js"),
    })  # fmt: skip


def pdf_bytes(figures: dict, *, state: str = "") -> bytes:
    from sqm.core.pdf import html_to_pdf

    return html_to_pdf(html_document(figures, state=state, for_pdf=True))


# --- XLSX ----------------------------------------------------------------------------------

SHEET_NAMES = {
    "overview": pgettext_lazy("report sheet", "overview"),
    "headline": pgettext_lazy("report sheet", "headline indicators"),
    "rankings": pgettext_lazy("report sheet", "city rankings"),
    "boards": pgettext_lazy("report sheet", "short boards"),
    "control": pgettext_lazy("report sheet", "control limits"),
    "trends": pgettext_lazy("report sheet", "12-month trends"),
}
_FORMATS = {Unit.RATIO: "0.00%", Unit.COUNT: "#,##0", Unit.SCORE: "0.00",
            Unit.PER_10K: "0.00", Unit.PER_100: "0.00"}  # fmt: skip


def _number_format(unit: str) -> str:
    return _FORMATS.get(unit, "0.0")


class _Sheet:
    """A write-only sheet whose cells go through the shared `xlsx_cell` (strings are never
    formulas) and may carry a number format."""

    def __init__(
        self, writer: XlsxWriter, title: str, freeze: str | None = None, widths=()
    ) -> None:
        writer.add_sheet(title, freeze=freeze)
        self.sheet = writer.book.worksheets[-1]
        self.rows = 0
        for n, width in enumerate(widths, start=1):  # before the first row: the sheet streams
            self.sheet.column_dimensions[_column(n)].width = width

    def append(self, values, *, bold: bool = False, formats: dict[int, str] | None = None):
        cells = []
        for n, value in enumerate(values):
            cell = xlsx_cell(self.sheet, value, bold=bold)
            if formats and n in formats and isinstance(value, int | float):
                cell.number_format = formats[n]
            cells.append(cell)
        self.sheet.append(cells)
        self.rows += 1


def workbook(figures: dict, *, state: str = "") -> bytes:
    """The report's tables, one sheet each, and its trends as native line charts; sheet
    names, titles and headers in the active language (the requesting user's)."""
    writer = XlsxWriter()
    name = lambda code: indicator_name(figures, code)  # noqa: E731
    unit_of = lambda code: _info(figures, code)["unit"]  # noqa: E731

    sheet = _Sheet(writer, SHEET_NAMES["overview"], widths=(16, 80))
    sheet.append([title(figures)], bold=True)
    sheet.append([_("Month"), figures["month"]])
    sheet.append([_("State"), _state_label(state)])
    sheet.append([_("KPI run"), figures["run"]["run"]])
    sheet.append([_("Computed"), _when(figures["run"]["created"])])  # not the raw ISO time
    for key, label in _text_labels().items():
        sheet.append([label, (figures.get("text") or {}).get(key, "")])

    sheet = _Sheet(writer, SHEET_NAMES["headline"], freeze="A2", widths=(26, 22, 11, 11, 9, 11, 11))
    sheet.append(_value_header(with_city=False), bold=True)
    for r in figures["headline"]:
        fmt = _number_format(unit_of(r["indicator"]))
        sheet.append(
            [r["indicator"], name(r["indicator"]), r["value"], r["target"],
             _status_label(r["status"]), r["mom"], r["yoy"]],
            formats={2: fmt, 3: fmt, 5: fmt, 6: fmt},
        )  # fmt: skip

    sheet = _Sheet(
        writer, SHEET_NAMES["rankings"], freeze="A2", widths=(26, 22, 6, 9, 11, 11, 9, 11, 11, 16)
    )
    sheet.append([*_value_header(with_city=True), COL["Control limits"]], bold=True)
    for code, rows in figures["rankings"].items():
        fmt = _number_format(unit_of(code))
        for r in rows:
            sheet.append(
                [code, name(code), r["rank"], r["city"], r["value"], r["target"],
                 _status_label(r["status"]), r["mom"], r["yoy"], _control_label(r.get("control"))],
                formats={4: fmt, 5: fmt, 7: fmt, 8: fmt},
            )  # fmt: skip

    _boards_sheet(writer, figures, name, unit_of)
    _control_sheet(writer, figures, name, unit_of)
    _trends_sheet(writer, figures, name, unit_of)
    return writer.to_bytes()


def _state_label(state: str) -> str:
    if state in ReportState.values:
        return str(ReportState(state).label)
    return pgettext("report", "preview")


def _text_labels() -> dict[str, str]:
    return {
        "summary": pgettext("report section", "Summary"),
        "analysis": pgettext("report section", "Analysis of the short boards"),
        "measures": pgettext("report section", "Improvement measures"),
    }


def _value_header(*, with_city: bool) -> list[str]:
    head = [_("Code"), COL["Indicator"]]
    if with_city:
        head += [COL["Rank"], COL["City"]]
    return head + [
        COL["Value"],
        COL["Target"],
        COL["Status"],
        COL["Month over month"],
        COL["Year over year"],
    ]


def _boards_sheet(writer, figures, name, unit_of) -> None:
    boards = figures["short_boards"]
    sheet = _Sheet(writer, SHEET_NAMES["boards"], widths=(26, 22, 11, 11, 11, 11, 11, 11))
    sheet.append([_("Indicators missed in the province")], bold=True)
    sheet.append([_("Code"), COL["Indicator"], COL["Value"], COL["Target"]], bold=True)
    for r in boards["missed"]:
        fmt = _number_format(unit_of(r["indicator"]))
        sheet.append([r["indicator"], name(r["indicator"]), r["value"], r["target"]],
                     formats={2: fmt, 3: fmt})  # fmt: skip
    sheet.append([])
    sheet.append([_("Cities with most indicators missed")], bold=True)
    sheet.append([COL["City"], COL["Missed"], COL["Warning"], COL["Indicators missed"]], bold=True)
    for t in boards["worst_cities"]:
        missed = pgettext("list separator", ", ").join(name(c) for c in t["missed"])
        sheet.append([t["city"], len(t["missed"]), len(t["warning"]), missed])
    sheet.append([])
    sheet.append([_("Largest deteriorations since last month")], bold=True)
    sheet.append(
        [
            _("Code"),
            COL["Indicator"],
            COL["City"],
            COL["Value"],
            COL["Last month"],
            COL["Change"],
            COL["Target"],
            COL["Change relative to target"],
        ],
        bold=True,
    )
    for r in boards["deteriorations"]:
        fmt = _number_format(unit_of(r["indicator"]))
        sheet.append(
            [r["indicator"], name(r["indicator"]), _city(r["city"]), r["value"], r["previous"],
             r["change"], r["target"], r["relative"]],
            formats={3: fmt, 4: fmt, 5: fmt, 6: fmt, 7: "0.0%"},
        )  # fmt: skip


def _control_sheet(writer, figures, name, unit_of) -> None:
    control = figures["control"]
    sheet = _Sheet(writer, SHEET_NAMES["control"], widths=(26, 22, 9, 11, 11, 11, 11, 9))
    sheet.append([control_note(control)])
    sheet.append(
        [
            _("Code"),
            COL["Indicator"],
            COL["City"],
            COL["Value"],
            COL["Mean"],
            COL["Lower limit"],
            COL["Upper limit"],
            COL["Months of history"],
        ],
        bold=True,
    )
    for f in control["flags"]:
        fmt = _number_format(unit_of(f["indicator"]))
        sheet.append(
            [f["indicator"], name(f["indicator"]), f["city"], f["value"], f["mean"], f["low"],
             f["high"], f["history"]],
            formats={3: fmt, 4: fmt, 5: fmt, 6: fmt},
        )  # fmt: skip


def control_note(control: dict) -> str:
    return _(
        "A city's value is flagged when it lies outside the mean ± %(sigmas)s standard "
        "deviations of its own previous %(months)s months; only with at least %(min)s earlier "
        "values (%(checked)s values checked, %(short)s with too little history)."
    ) % {
        "sigmas": control["sigmas"],
        "months": control["months"],
        "min": control["min_history"],
        "checked": control["checked"],
        "short": control["too_short"],
    }


def _trends_sheet(writer, figures, name, unit_of) -> None:
    """One block per headline indicator (months across, the province and each city down)
    with a native line chart of it beside the block."""
    trends = figures["trends"]
    months = trends["months"]
    sheet = _Sheet(writer, SHEET_NAMES["trends"], widths=(12,))
    for code, series in trends["series"].items():
        fmt = _number_format(unit_of(code))
        formats = {n: fmt for n in range(1, len(months) + 1)}
        sheet.append([f"{code} {name(code)}"], bold=True)
        header_row = sheet.rows + 1
        sheet.append([COL["City"], *months], bold=True)
        sheet.append([pgettext("report", "whole province"), *series["province"]], formats=formats)
        for city, values in series["cities"].items():
            sheet.append([city, *values], formats=formats)
        last_row = sheet.rows
        chart = LineChart()
        chart.title = f"{code} {name(code)}"
        chart.y_axis.number_format = fmt
        chart.height, chart.width = 7.5, 16
        data = Reference(sheet.sheet, min_col=1, max_col=len(months) + 1,
                         min_row=header_row + 1, max_row=last_row)  # fmt: skip
        chart.add_data(data, from_rows=True, titles_from_data=True)
        chart.set_categories(
            Reference(sheet.sheet, min_col=2, max_col=len(months) + 1, min_row=header_row)
        )
        sheet.sheet.add_chart(chart, f"{_column(len(months) + 3)}{header_row - 1}")
        blank = max(0, 16 - (last_row - header_row + 2))  # room for the chart's height
        for _n in range(blank + 1):
            sheet.append([])


def _column(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


# --- responses -----------------------------------------------------------------------------


def filename(figures: dict, fmt: str) -> str:
    number = figures.get("number")
    stem = f"quality-report-{figures['month']}" + (f"-no{number}" if number is not None else "")
    return f"{stem}.{fmt}"


def render(figures: dict, fmt: str, *, state: str = "") -> tuple[bytes, str]:
    """The report in FMT (html, xlsx, pdf) and its content type."""
    if fmt == "xlsx":
        return workbook(figures, state=state), XLSX_TYPE
    if fmt == "pdf":
        return pdf_bytes(figures, state=state), PDF_TYPE
    return html_document(figures, state=state).encode("utf-8"), "text/html; charset=utf-8"


def audit_export(user, figures: dict, fmt: str) -> None:
    audit.record(
        AuditAction.EXPORT,
        user=user,
        target=f"quality-report:{figures['month']}",
        details={"format": fmt},
    )


def response(figures: dict, fmt: str, user, *, state: str = "") -> HttpResponse:
    content, content_type = render(figures, fmt, state=state)
    audit_export(user, figures, fmt)
    out = HttpResponse(content, content_type=content_type)
    out["Content-Disposition"] = f'attachment; filename="{filename(figures, fmt)}"'
    return out
