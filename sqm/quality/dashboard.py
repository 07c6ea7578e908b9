"""What the quality pages and the KPI API show: values scoped to the user's cities, the
city × indicator heat map of a run, 12-month trends, runs and their differences (the records
behind one figure: drilldown.py).

Plain functions over the models (views and the API stay thin and ask the same questions
here). Scoping: a value belongs to its city (`KpiValue.city`); users bound
to cities see their cities' values and the values of no city (the province's, as the monthly
report shows them to every reader), and drill into the records of their own cities only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from sqm.core.models import City
from sqm.quality import services
from sqm.quality.choices import Breakdown, RunStatus, Status, Unit
from sqm.quality.facts import Month
from sqm.quality.models import Indicator, KpiRun, KpiValue
from sqm.quality.registry import definitions_by_code

TREND_MONTHS = 12
VIEW_PERMISSION = "quality.view_kpirun"


class NotVisible(LookupError):
    """An indicator, city or run the user may not see (or that does not exist): a 404."""


# --- scoping ------------------------------------------------------------------------------


def all_cities(user) -> bool:
    return bool(user.is_superuser or getattr(user, "all_cities", False))


def visible_values(user) -> QuerySet[KpiValue]:
    """The values USER may read: none without the permission; for users bound to cities,
    their cities' and those of no city (the province's)."""
    if not (user and user.is_authenticated and user.has_perm(VIEW_PERMISSION)):
        return KpiValue.objects.none()
    values = KpiValue.objects.all()
    if all_cities(user):
        return values
    return values.filter(Q(city_id__in=sorted(user.city_ids())) | Q(city__isnull=True))


def visible_cities(user) -> list[City]:
    cities = City.objects.all()
    if not all_cities(user):
        cities = cities.filter(pk__in=sorted(user.city_ids()))
    return list(cities)


def find_city(text: str) -> City | None:
    """A city by its code (NJ) or its name (南京)."""
    if not text or len(text) > 32:
        return None
    return City.objects.filter(code=text).first() or City.objects.filter(name=text).first()


# --- months, units ------------------------------------------------------------------------


def last_complete_month(today: dt.date | None = None) -> Month:
    today = today or timezone.localdate()
    return Month(today.replace(day=1)).previous


def month_or_default(text: str | None, default: Month | None = None) -> Month:
    """The month TEXT names (YYYY-MM), or DEFAULT (the last complete month) when it names
    none: a filter of a page ignores what it cannot read."""
    if text:
        try:
            return services.parse_month(text)
        except services.InputError:
            pass
    return default or last_complete_month()


# Short unit marks after a figure (the unit's full name is on the indicator page).
UNIT_SUFFIX = {
    Unit.RATIO: "%",
    Unit.PER_10K: pgettext_lazy("unit after a figure", "/10k"),
    Unit.PER_100: pgettext_lazy("unit after a figure", "/100"),
    Unit.COUNT: "",
    Unit.HOURS: pgettext_lazy("unit after a figure", "h"),
    Unit.MINUTES: pgettext_lazy("unit after a figure", "min"),
    Unit.SECONDS: pgettext_lazy("unit after a figure", "s"),
    Unit.MBPS: "Mbit/s",
    Unit.YUAN: pgettext_lazy("unit after a figure", "yuan"),
    Unit.SCORE: "",
}
CLOSE_UNITS = {Unit.RATIO, Unit.PER_10K, Unit.PER_100}  # no space before the mark
DECIMALS = {Unit.RATIO: 1, Unit.COUNT: 0, Unit.PER_10K: 2, Unit.PER_100: 2, Unit.YUAN: 2}


def unit_mark(unit: str) -> str:
    """The mark a heading shows for values of UNIT ("" for shares, counts and scores)."""
    return "" if unit == Unit.RATIO else str(UNIT_SUFFIX.get(unit, ""))


def shown_number(value: float | None, unit: str) -> float | None:
    """VALUE in the unit people read: a share as a percentage, the rest as it is."""
    if value is None:
        return None
    return value * 100 if unit == Unit.RATIO else value


def format_value(value: float | None, unit: str, *, suffix: bool = True) -> str:
    """VALUE as a person reads it: 95.2%, 12.35/10k, 36.5 h, 245.0 Mbit/s, 45.20 yuan."""
    if value is None:
        return "—"
    number = shown_number(value, unit)
    text = f"{number:,.{DECIMALS.get(unit, 1)}f}"
    mark = str(UNIT_SUFFIX.get(unit, "")) if suffix else ""
    if not mark:
        return text
    return f"{text}{mark}" if unit in CLOSE_UNITS else f"{text} {mark}"


# --- filters of the dashboard -------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    month: Month
    product: str = ""  # an IndicatorProduct value, or "" for every product
    phase: str = ""  # a Phase value, or ""

    @classmethod
    def from_query(cls, query) -> Filters:
        from sqm.quality.choices import IndicatorProduct, Phase

        product = query.get("product", "")
        phase = query.get("phase", "")
        return cls(
            month=month_or_default(query.get("month")),
            product=product if product in IndicatorProduct.values else "",
            phase=phase if phase in Phase.values else "",
        )

    def indicators(self) -> QuerySet[Indicator]:
        indicators = Indicator.objects.filter(code__in=list(definitions_by_code()))
        if self.product:
            indicators = indicators.filter(product=self.product)
        if self.phase:
            indicators = indicators.filter(phase=self.phase)
        return indicators


# --- the heat map -------------------------------------------------------------------------


@dataclass
class Cell:
    value: float | None
    text: str
    status: str  # met, warning, missed, or "" (no value or no target)
    link: str = ""
    target: str = ""
    fraction: str = ""  # "7 / 9": the records behind a share or a rate, as the drill-down counts

    @property
    def status_label(self) -> str:
        """The status in words (translated in its own context), or why there is none."""
        if self.value is None:
            return str(pgettext_lazy("indicator status", "no value"))
        if not self.status:
            return str(pgettext_lazy("indicator status", "no target"))
        return str(Status(self.status).label)

    @property
    def css(self) -> str:
        return f"status-{self.status or ('none' if self.value is None else 'untargeted')}"


@dataclass
class HeatRow:
    indicator: Indicator
    province: Cell | None
    cells: list[Cell]

    @property
    def unit_mark(self) -> str:
        return unit_mark(self.indicator.unit)

    @property
    def missed(self) -> int:
        return sum(1 for cell in self.cells if cell.status == "missed")


@dataclass
class HeatMap:
    run: KpiRun | None
    cities: list[City]
    rows: list[HeatRow] = field(default_factory=list)
    show_province: bool = True


def drill_url(code: str, month: Month, city: City | None = None, **keys: str) -> str:
    from urllib.parse import urlencode

    from django.urls import reverse

    query = {"month": month.label}
    if city is not None:
        query["city"] = city.code
    query.update({k: v for k, v in keys.items() if v})
    return f"{reverse('quality:drill', args=[code])}?{urlencode(query)}"


def _cell(
    value: KpiValue | None, indicator: Indicator, month: Month, city=None, link: bool = True
) -> Cell:
    if value is None:
        return Cell(None, "—", "")
    return Cell(
        value=value.value,
        # The unit's mark is in the row's or the table's heading (a share keeps its %).
        text=format_value(value.value, indicator.unit, suffix=indicator.unit == Unit.RATIO),
        status=value.status if value.value is not None else "",
        link=drill_url(indicator.code, month, city) if link else "",
        target=format_value(value.target, indicator.unit) if value.target is not None else "",
        fraction=_fraction(value, indicator.unit),
    )


def _fraction(value: KpiValue, unit: str) -> str:
    """Numerator and denominator of a share or a rate per 10,000 or 100 (whole counts); the
    sums behind a mean or a quantile say nothing to a reader."""
    if unit not in CLOSE_UNITS or value.numerator is None or not value.denominator:
        return ""
    return f"{value.numerator:,.0f} / {value.denominator:,.0f}"


def heat_map(user, run: KpiRun | None, indicators) -> HeatMap:
    """City × indicator of RUN (the rows: INDICATORS), coloured by status, with the province
    (whose records only users of every city drill into)."""
    cities = visible_cities(user)
    every = all_cities(user)
    result = HeatMap(run=run, cities=cities)
    indicators = list(indicators)
    if run is None:
        return result
    month = Month(run.month)
    values = visible_values(user).filter(
        run=run,
        indicator__in=indicators,
        breakdown__in=[Breakdown.PROVINCE, Breakdown.CITY],
    )
    by_key = {(v.indicator_id, v.breakdown, v.city_id): v for v in values}
    for indicator in indicators:
        province_value = by_key.get((indicator.pk, Breakdown.PROVINCE, None))
        row = HeatRow(
            indicator=indicator,
            province=_cell(province_value, indicator, month, link=every),
            cells=[
                _cell(by_key.get((indicator.pk, Breakdown.CITY, c.pk)), indicator, month, c)
                for c in cities
            ],
        )
        result.rows.append(row)
    return result


# --- trends -------------------------------------------------------------------------------


def months_back(month: Month, count: int = TREND_MONTHS) -> list[Month]:
    return [month.shifted(-i) for i in range(count - 1, -1, -1)]


def runs_of_months(months: list[Month]) -> dict[str, KpiRun | None]:
    return {m.label: services.latest_run(m) for m in months}


def trend(user, indicator: Indicator, month: Month, count: int = TREND_MONTHS) -> dict:
    """The indicator's value per city (and the province for users of every city) in each
    of the COUNT months up to MONTH, from each month's newest full run:
    {"months": [...], "series": [{"name", "city", "values": [...]}], "unit", "target"}."""
    months = months_back(month, count)
    runs = runs_of_months(months)
    run_ids = [r.pk for r in runs.values() if r is not None]
    values = visible_values(user).filter(
        run_id__in=run_ids,
        indicator=indicator,
        breakdown__in=[Breakdown.PROVINCE, Breakdown.CITY],
    )
    month_of_run = {r.pk: label for label, r in runs.items() if r is not None}
    found: dict[tuple[int | None, str], float | None] = {}
    for v in values:
        found[(v.city_id, month_of_run[v.run_id])] = v.value
    labels = [m.label for m in months]
    series = [
        {
            "name": str(pgettext_lazy("breakdown", "province")),
            "city": "",
            "values": [_rounded(found.get((None, m)), indicator.unit) for m in labels],
        }
    ]
    for city in visible_cities(user):
        series.append(
            {
                "name": city.name,
                "city": city.code,
                "values": [_rounded(found.get((city.pk, m)), indicator.unit) for m in labels],
            }
        )
    return {
        "months": labels,
        "series": series,
        "unit": str(UNIT_SUFFIX.get(indicator.unit, "")),
        "title": indicator.name,
    }


def _rounded(value: float | None, unit: str) -> float | None:
    number = shown_number(value, unit)
    return None if number is None else round(number, 4)


def city_months(user, indicator: Indicator, month: Month, count: int = TREND_MONTHS) -> dict:
    """The indicator per city over COUNT months as table rows for the indicator page:
    {"months": [Month], "rows": [(label, [Cell])]}."""
    months = months_back(month, count)
    runs = runs_of_months(months)
    run_ids = [r.pk for r in runs.values() if r is not None]
    values = visible_values(user).filter(
        run_id__in=run_ids, indicator=indicator, breakdown__in=["province", "city"]
    )
    month_of_run = {r.pk: label for label, r in runs.items() if r is not None}
    found = {(v.city_id, month_of_run[v.run_id]): v for v in values}
    rows = []
    every = all_cities(user)
    targets: list[tuple[object, City | None]] = [(pgettext_lazy("breakdown", "province"), None)]
    targets += [(city.name, city) for city in visible_cities(user)]
    for label, city in targets:
        key = city.pk if city else None
        cells = [
            _cell(found.get((key, m.label)), indicator, m, city, link=every or city is not None)
            for m in months
        ]
        rows.append((label, cells))
    return {"months": months, "rows": rows, "unit_mark": unit_mark(indicator.unit)}


# --- runs ---------------------------------------------------------------------------------


def start_run(month: Month, user, **options) -> KpiRun:
    """Queue a run and hand it to the worker once the request's transaction commits (as the
    survey analyses are queued); the run page follows its progress."""
    from django.db import transaction
    from django.utils import translation

    from sqm.quality.tasks import compute_run

    codes, breakdowns = services.check_request(
        options.get("codes"),
        options.get("breakdowns", services.DEFAULT_BREAKDOWNS),
        options.get("engine", "duckdb"),
    )
    # Pressing the button again while the same run still waits for the worker queues
    # nothing new (it would compute the same facts); a running one may have read them
    # before an import, so asking again then is a new run.
    waiting = (
        services.unfinished_runs(month)
        .filter(status=RunStatus.QUEUED)
        .filter(engine=options.get("engine", "duckdb"), indicators=codes, breakdowns=breakdowns)
        .first()
    )
    if waiting is not None:
        return waiting
    run = services.queue_run(month, user=user, **options)
    language = translation.get_language()
    transaction.on_commit(lambda: compute_run(run.pk, language))
    return run


def previous_run(run: KpiRun) -> KpiRun | None:
    """The done run of the same month before RUN (what its figures replace)."""
    return (
        KpiRun.objects.filter(month=run.month, status=RunStatus.DONE, created__lt=run.created)
        .exclude(pk=run.pk)
        .order_by("-created", "-pk")
        .first()
    )


def visible_differences(user, old: KpiRun, new: KpiRun) -> list[dict]:
    """services.differences of two runs, only the rows of USER's cities, with the
    indicator's name and the values formatted."""
    indicators = {i.code: i for i in Indicator.objects.all()}
    cities = {c.name: c for c in City.objects.all()}
    province = all_cities(user)
    mine = set(user.city_ids()) if not province else set()
    out = []
    for diff in services.differences(old, new):
        scoped = diff["breakdown"] in (Breakdown.CITY, Breakdown.DISTRICT)
        city_name = diff["key"].split("/")[0] if scoped else ""
        city = cities.get(city_name)
        if not province and city_name and (city is None or city.pk not in mine):
            continue
        indicator = indicators[diff["indicator"]]
        out.append(
            {
                **diff,
                "name": indicator.name,
                "breakdown_label": str(Breakdown(diff["breakdown"]).label),
                "before_text": format_value(diff["before"], indicator.unit),
                "after_text": format_value(diff["after"], indicator.unit),
            }
        )
    return out
