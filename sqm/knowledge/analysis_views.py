"""The complaint analysis page: hot topics, rising topics, clusters to open problems from."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import render
from django.utils import timezone

from sqm.core.decorators import permission_required
from sqm.core.inputs import parse_day
from sqm.knowledge import analysis

LONGEST = 92  # days: a quarter at most, so a page stays quick


@permission_required("knowledge.add_problem")  # second line, team leads, quality: it is costly
def analysis_page(request):
    from sqm.core.models import City

    today = timezone.localdate()
    end = parse_day(request.GET.get("to")) or today
    start = parse_day(request.GET.get("from")) or end - dt.timedelta(days=6)
    if start > end or (end - start).days >= LONGEST:
        start = end - dt.timedelta(days=6)
    city = None
    code = request.GET.get("city", "")
    cities = City.objects.order_by("code")
    user = request.user
    if not (user.is_superuser or getattr(user, "all_cities", False)):
        cities = cities.filter(pk__in=user.city_ids())
    if code:
        city = cities.filter(code=code).first()
    result = analysis.analyse(user, start, end, city)
    return render(
        request,
        "knowledge/analysis.html",
        {"result": result, "cities": cities, "start": start, "end": end, "city": city,
         "can_open": user.has_perm("knowledge.add_problem")},
    )  # fmt: skip


def _month(text: str | None) -> dt.date:
    today = timezone.localdate()
    try:
        month = dt.datetime.strptime(text or "", "%Y-%m").date()
    except ValueError:
        return today.replace(day=1)
    return month if dt.date(2000, 1, 1) <= month <= today else today.replace(day=1)


@permission_required("complaints.oversee_workorders")
def handler_page(request):
    """Each handler's four measures of a month, on the page or as a workbook."""
    from django.utils.translation import gettext as _

    from sqm.core.exporting import xlsx_response
    from sqm.knowledge import reports

    month = _month(request.GET.get("month"))
    rows = reports.handler_measures(request.user, month)
    if request.GET.get("format") == "xlsx":
        columns = [
            (_("Handler"), lambda r: r.handler),
            (_("Work orders closed"), lambda r: r.closed),
            (_("Handling timeliness"), lambda r: r.timeliness),
            (_("Satisfaction"), lambda r: r.satisfaction),
            (_("First-time resolution"), lambda r: r.first_time_resolution),
            (_("Accuracy"), lambda r: r.accuracy),
        ]
        return xlsx_response(
            rows, columns, filename=f"handlers-{month:%Y-%m}", sheet_title=str(_("Handlers")),
            user=request.user, target="report:handlers", with_personal_data=False,
            filters={"month": f"{month:%Y-%m}"},
        )  # fmt: skip
    return render(request, "knowledge/handlers.html", {"rows": rows, "month": month})
