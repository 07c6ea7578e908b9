"""Hand-built KPI runs for the monthly-report tests: finished full runs written directly
(no engine), values with the shipped targets and the status the engine would give."""

from __future__ import annotations

import datetime as dt

from sqm.core.models import City
from sqm.quality.facts import Month
from sqm.quality.models import Indicator, KpiRun, KpiValue
from sqm.quality.registry import status

REPAIR = "BB-REPAIR-TIMELY"
COMPLAINTS = "BB-COMPLAINTS-PER-10K"
_clock = [dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)]


def make_run(month: str, values: dict[tuple[str, str], float | None]) -> KpiRun:
    """A finished full run of MONTH with VALUES {(indicator, city or "" for the province):
    value}; targets and status from the shipped defaults, as the engine sets them."""
    run = KpiRun.objects.create(
        month=Month.parse(month).first, engine="duckdb", breakdowns=["province", "city"],
        indicators=[], status="done", progress=1.0,
    )  # fmt: skip
    _clock[0] += dt.timedelta(minutes=1)  # runs made later are newer
    KpiRun.objects.filter(pk=run.pk).update(created=_clock[0], finished=_clock[0])
    indicators = {i.code: i for i in Indicator.objects.all()}
    cities = dict(City.objects.values_list("name", "pk"))
    for (code, city), value in values.items():
        i = indicators[code]
        KpiValue.objects.create(
            run=run, indicator=i, breakdown="city" if city else "province", key=city,
            city_id=cities.get(city), value=value, target=i.default_target,
            warning=i.default_warning,
            status=status(value, i.default_target, i.default_warning, i.better),
        )  # fmt: skip
    run.refresh_from_db()
    return run


NJ_HISTORY = [0.95, 0.96, 0.94, 0.95, 0.96, 0.94, 0.95, 0.95]  # mean 0.95, σ 0.00756
WX_HISTORY = [10, 11, 10, 12, 11, 10, 11, 10]  # mean 10.625, σ 0.744: 16 is far above
SZ_HISTORY = [0.94, 0.95, 0.94, 0.95, 0.94]  # five values: too few for limits


def build_runs() -> dict[str, KpiRun]:
    """M-12 (2025-10), eight months of history (2026-02 … 2026-09 = M-1) and M (2026-10)."""
    year_ago = make_run("2025-10", {(REPAIR, "南京"): 0.90})
    for n, month in enumerate(Month.parse("2026-02").shifted(i) for i in range(8)):
        values = {(REPAIR, "南京"): NJ_HISTORY[n], (COMPLAINTS, "无锡"): WX_HISTORY[n]}
        if n >= 3:
            values[(REPAIR, "苏州")] = SZ_HISTORY[n - 3]
        if month.label == "2026-09":
            values[(COMPLAINTS, "苏州")] = 15
            values[(REPAIR, "")] = 0.94
        previous = make_run(month.label, values)
    current = make_run("2026-10", {
        (REPAIR, ""): 0.93, (REPAIR, "南京"): 0.97, (REPAIR, "苏州"): 0.90,
        (REPAIR, "无锡"): 0.93, (REPAIR, "常州"): 0.93,
        (COMPLAINTS, ""): 21, (COMPLAINTS, "南京"): 10, (COMPLAINTS, "苏州"): 25,
        (COMPLAINTS, "无锡"): 16,
    })  # fmt: skip
    return {"year_ago": year_ago, "previous": previous, "current": current}
