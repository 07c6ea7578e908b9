"""Quality pages: the dashboard (heat map and trends), KPI runs, indicators with their
targets, and the drill-down from a figure to its records. The questions are answered in
sqm/quality/dashboard.py, which the API asks too."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from sqm.core.decorators import permission_required
from sqm.core.views import paginate
from sqm.quality import dashboard, drilldown, services
from sqm.quality.choices import IndicatorProduct, Phase, RunStatus
from sqm.quality.facts import Month
from sqm.quality.kpi_forms import RunForm, TargetForm
from sqm.quality.models import Indicator, IndicatorTarget, KpiRun


@permission_required("quality.view_indicator")
def dashboard_page(request):
    filters = dashboard.Filters.from_query(request.GET)
    indicators = list(filters.indicators())
    run = services.latest_run(filters.month)
    heat = dashboard.heat_map(request.user, run, indicators)
    chosen = _chosen_indicator(request.GET.get("indicator"), indicators, heat)
    trend = dashboard.trend(request.user, chosen, filters.month) if chosen else None
    # An empty chart (no run in the twelve months, or no value) says less than a sentence.
    trend_empty = trend is not None and not any(
        v is not None for series in trend["series"] for v in series["values"]
    )
    form = None
    if request.user.has_perm("quality.compute_kpi"):
        form = RunForm(initial={"month": filters.month.label})
    pending = services.unfinished_runs(filters.month).first()
    return render(request, "quality/dashboard.html", {
        "filters": filters, "heat": heat, "run": run, "trend": trend, "chosen": chosen,
        "trend_empty": trend_empty,
        "indicators": indicators, "form": form, "pending": pending,
        "months": services.month_choices(24), "products": IndicatorProduct.choices,
        "phases": Phase.choices,
    })  # fmt: skip


def _chosen_indicator(code: str | None, indicators: list[Indicator], heat) -> Indicator | None:
    """The indicator of the trend chart: the one asked for, else the one missed in most
    cities (a headline indicator first), else the first headline indicator."""
    by_code = {i.code: i for i in indicators}
    if code in by_code:
        return by_code[code]
    missed = [row for row in heat.rows if row.missed]
    if missed:
        return max(missed, key=lambda row: (row.missed, row.indicator.headline)).indicator
    headline = [i for i in indicators if i.headline]
    return (headline or indicators or [None])[0]


@permission_required("quality.view_kpirun")
def run_list(request):
    form = None
    if request.user.has_perm("quality.compute_kpi"):
        form = RunForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            month = Month.parse(form.cleaned_data["month"])
            run = dashboard.start_run(month, request.user, engine=form.cleaned_data["engine"])
            return redirect("quality:run", pk=run.pk)
    elif request.method == "POST":
        raise PermissionDenied
    runs = KpiRun.objects.select_related("created_by").order_by("-created", "-pk")
    return render(request, "quality/run_list.html", {"page": paginate(request, runs), "form": form})


@permission_required("quality.view_kpirun")
def run_detail(request, pk: int):
    run = get_object_or_404(KpiRun, pk=pk)
    abandoned = services.is_abandoned(run)
    running = run.status in (RunStatus.QUEUED, RunStatus.RUNNING) and not abandoned
    context = {"run": run, "running": running, "abandoned": abandoned,
               "percent": round(run.progress * 100)}  # fmt: skip
    if request.htmx and running:
        return render(request, "quality/_run_status.html", context)
    if request.htmx:  # finished while the page polled: reload it whole
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    if run.status == RunStatus.DONE:
        indicators = Indicator.objects.all()
        if run.indicators:
            indicators = indicators.filter(code__in=run.indicators)
        previous = dashboard.previous_run(run)
        context.update(
            heat=dashboard.heat_map(request.user, run, indicators),
            previous=previous,
            differences=(
                dashboard.visible_differences(request.user, previous, run) if previous else []
            ),
        )
    return render(request, "quality/run_detail.html", context)


@permission_required("quality.view_indicator")
def indicator_list(request):
    filters = dashboard.Filters.from_query(request.GET)
    return render(request, "quality/indicator_list.html", {
        "indicators": filters.indicators(), "filters": filters,
        "products": IndicatorProduct.choices, "phases": Phase.choices,
    })  # fmt: skip


@permission_required("quality.view_indicator")
def indicator_detail(request, code: str):
    indicator = get_object_or_404(Indicator, code=code)
    may_edit = request.user.has_perm("quality.change_indicatortarget")
    form = None
    if may_edit:
        year = dashboard.last_complete_month().first.year
        form = TargetForm(
            request.POST or None, indicator=indicator, user=request.user,
            initial={"year": year},
        )  # fmt: skip
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            services.set_target(
                indicator, data["year"], data["target"], data["warning"], city=data["city"]
            )
            messages.success(request, _("The target is saved."))
            return redirect(indicator.get_absolute_url())
    elif request.method == "POST":
        raise PermissionDenied
    month = dashboard.month_or_default(request.GET.get("month"))
    targets = IndicatorTarget.objects.filter(indicator=indicator).select_related("city")
    if not dashboard.all_cities(request.user):
        mine = Q(city_id__in=sorted(request.user.city_ids())) | Q(city__isnull=True)
        targets = targets.filter(mine)
    return render(request, "quality/indicator_detail.html", {
        "indicator": indicator, "form": form, "month": month,
        "targets": [
            (t, dashboard.format_value(t.target, indicator.unit),
             dashboard.format_value(t.warning, indicator.unit)) for t in targets
        ],
        "default_target": dashboard.format_value(indicator.default_target, indicator.unit),
        "default_warning": dashboard.format_value(indicator.default_warning, indicator.unit),
        "table": dashboard.city_months(request.user, indicator, month),
        "trend": dashboard.trend(request.user, indicator, month),
        "breakdowns": _breakdown_labels(indicator),
    })  # fmt: skip


def _breakdown_labels(indicator: Indicator) -> list[str]:
    from sqm.quality.choices import Breakdown

    labels = dict(Breakdown.choices)
    return [str(labels.get(b, b)) for b in indicator.breakdowns]


@permission_required("quality.view_kpirun")
def drill(request, code: str):
    try:
        found = drilldown.drill(request.user, code, request.GET.get("month"), request.GET)
    except dashboard.NotVisible:
        raise Http404 from None
    except drilldown.DrillError as exc:
        return HttpResponseBadRequest(str(exc))
    labels = drilldown.choice_labels()
    rows = [(row, drilldown.row_cells(found, row, labels)) for row in found.rows]
    return render(request, "quality/drill.html", {
        "drill": found, "rows": rows, "limit": drilldown.DRILL_LIMIT,
        "complaints": found.fact == "complaints",
        "dashboard_query": f"month={found.month.label}",
    })  # fmt: skip
