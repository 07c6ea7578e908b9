"""The complaint analysis page: hot topics, rising topics, clusters to open problems from."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import render
from django.utils import timezone

from sqm.core.decorators import permission_required
from sqm.core.inputs import parse_day
from sqm.knowledge import analysis

LONGEST = 92  # days: a quarter at most, so a page stays quick


@permission_required("knowledge.view_problem")
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
