"""What the quality pages and the KPI API show: values scoped to the user's cities, the
city × indicator heat map of a run, 12-month trends, and the records behind one figure.

Plain functions over the models and the engine (views and the API stay thin and ask the
same questions here). Scoping: a value belongs to its city (`KpiValue.city`); users bound
to cities see their cities' values and the values of no city (the province's, as the monthly
report shows them to every reader), and drill into the records of their own cities only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from sqm.core.models import City
from sqm.quality import engine as kpi_engine
from sqm.quality import measures, services
from sqm.quality.choices import Breakdown, RunStatus, Status, Unit
from sqm.quality.facts import Month
from sqm.quality.models import Indicator, KpiRun, KpiValue
from sqm.quality.registry import definitions_by_code

DRILL_LIMIT = 500
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
    )


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


# --- drill-down ---------------------------------------------------------------------------

# Nouns of the facts, for the sentence that says what a drill-down lists.
FACT_NOUNS = {
    "complaints": pgettext_lazy("drill-down records", "complaints"),
    "repairs": pgettext_lazy("drill-down records", "repairs"),
    "activations": pgettext_lazy("drill-down records", "activations"),
    "visits": pgettext_lazy("drill-down records", "technician visits"),
    "transfers": pgettext_lazy("drill-down records", "specialist transfers"),
    "speed_tests": pgettext_lazy("drill-down records", "speed tests"),
    "operations": pgettext_lazy("drill-down records", "monthly operations figures"),
    "circuit_outages": pgettext_lazy("drill-down records", "circuit outages"),
    "circuit_months": pgettext_lazy("drill-down records", "dedicated circuits in service"),
    "fault_events": pgettext_lazy("drill-down records", "fault events"),
    "survey_scores": pgettext_lazy("drill-down records", "survey respondents"),
    "accounts": pgettext_lazy("drill-down records", "accounts"),
}
# The time column that puts a record in the month, as a past participle.
WHEN_WORDS = {
    "created": pgettext_lazy("records … in a month", "created"),
    "closed": pgettext_lazy("records … in a month", "closed"),
    "reported": pgettext_lazy("records … in a month", "reported"),
    "restored": pgettext_lazy("records … in a month", "restored"),
    "activated": pgettext_lazy("records … in a month", "activated"),
    "arrived": pgettext_lazy("records … in a month", "visited"),
    "requested": pgettext_lazy("records … in a month", "requested"),
    "measured": pgettext_lazy("records … in a month", "measured"),
    "started": pgettext_lazy("records … in a month", "started"),
}
# The records a share's drill-down lists: (those without the flag, those with it).
FLAG_WORDS = {
    "in_time": (gettext_lazy("that missed the time limit"), gettext_lazy("in time")),
    "on_time": (
        gettext_lazy("completed after the promised time"),
        gettext_lazy("completed by the promised time"),
    ),
    "punctual": (gettext_lazy("outside the appointment"), gettext_lazy("within the appointment")),
    "timely": (
        gettext_lazy("not connected within the limit"),
        gettext_lazy("connected within the limit"),
    ),
    "first_fix": (gettext_lazy("not fixed the first time"), gettext_lazy("fixed the first time")),
    "attained": (
        gettext_lazy("below the attained speed"),
        gettext_lazy("at the attained speed"),
    ),
    "callback_satisfied": (
        gettext_lazy("not satisfied at the callback"),
        gettext_lazy("satisfied at the callback"),
    ),
    "in_contract": (
        gettext_lazy("over the contracted repair time"),
        gettext_lazy("within the contracted repair time"),
    ),
    "meets_contract": (
        gettext_lazy("below the contracted availability"),
        gettext_lazy("meeting the contracted availability"),
    ),
    "sms_first": (
        gettext_lazy("with no fault SMS before the first complaint"),
        gettext_lazy("with a fault SMS before the first complaint"),
    ),
    "repeat": (gettext_lazy("that are not repeats"), gettext_lazy("that are repeats")),
    "network_fault": (
        gettext_lazy("not caused by our network"),
        gettext_lazy("caused by our network"),
    ),
    "lost": (gettext_lazy("that were connected"), gettext_lazy("that were never connected")),
    "direct_answer": (
        gettext_lazy("recorded as work orders"),
        gettext_lazy("answered directly"),
    ),
}
# Flags of `where` that say which records count, as adjectives.
WHERE_WORDS = {
    "broadband": pgettext_lazy("kind of records", "broadband"),
    "dedicated": pgettext_lazy("kind of records", "dedicated-line"),
    "work_order": pgettext_lazy("kind of records", "work-order"),
    "upgraded": pgettext_lazy("kind of records", "upgraded"),
    "batch": pgettext_lazy("kind of records", "batch"),
    "ordinary": pgettext_lazy("kind of records", "ordinary"),
    "overdue_at_end": pgettext_lazy("kind of records", "overdue at the month's end"),
    "user": pgettext_lazy("kind of records", "user-end"),
    "city_level": pgettext_lazy("kind of records", "city-network"),
    "exit_level": pgettext_lazy("kind of records", "provincial-exit"),
}


def describe(code: str, month: Month, filters: dict[str, str]) -> str:
    """What a drill-down lists, in words: "broadband repairs restored in 2026-10 that missed
    the 48/72 h limit · city 南京"."""
    definition = definitions_by_code()[code]
    m = definition.measure
    noun = str(FACT_NOUNS.get(m.fact, m.fact))
    things = noun
    for flag in reversed(m.where):  # "broadband upgraded complaints"
        if flag in WHERE_WORDS:
            things = _("%(kind)s %(things)s") % {"kind": WHERE_WORDS[flag], "things": things}
    if m.when in WHEN_WORDS:
        text = _("%(things)s %(when)s in %(month)s") % {
            "things": things,
            "when": WHEN_WORDS[m.when],
            "month": month.label,
        }
    else:
        text = _("%(things)s of %(month)s") % {"things": things, "month": month.label}
    if m.kind == "ratio" and m.flag:
        missed, kept = FLAG_WORDS.get(m.flag, (m.flag, m.flag))
        which = missed if definition.better == "higher" else kept
        if m.fact == "repairs" and m.flag == "in_time":
            limits = measures.Limits.from_settings()
            which = _("that missed the %(urban)g/%(rural)g h limit") % {
                "urban": limits.repair_urban_hours,
                "rural": limits.repair_rural_hours,
            }
        text = _("%(records)s %(which)s") % {"records": text, "which": which}
    elif m.kind in {"mean", "quantile"} and m.column:
        order = _("longest first") if definition.better == "lower" else _("lowest first")
        text = _("%(records)s, %(order)s") % {"records": text, "order": order}
    if filters:
        shown = ", ".join(f"{FILTER_LABELS.get(k, k)} {v}" for k, v in filters.items())
        text = f"{text} · {shown}"
    return text


FILTER_LABELS = {
    "city": pgettext_lazy("breakdown", "city"),
    "district": pgettext_lazy("breakdown", "district"),
    "product": pgettext_lazy("breakdown", "product"),
    "channel": pgettext_lazy("breakdown", "channel"),
    "cause": pgettext_lazy("breakdown", "cause"),
}
FILTER_KEYS = tuple(FILTER_LABELS)
MAX_FILTER_LENGTH = 100

# Columns holding epoch seconds (facts.py): shown as Asia/Shanghai times.
TIME_COLUMNS = {
    "created", "closed", "replied", "reported", "restored", "appointment_from",
    "appointment_to", "arrived", "ordered", "committed", "activated", "requested",
    "connected", "measured", "opened", "started", "previous_reported", "next_reported",
    "previous_started", "first_sms", "first_contact", "from_",
}  # fmt: skip
# Columns a person reads, per fact, in order (others are internal: ids, windows).
DRILL_COLUMNS = {
    "complaints": ["ref", "record_type", "city", "district", "channel", "cause", "created",
                   "replied", "closed", "handling_hours", "in_time", "repeat", "upgraded",
                   "callback_outcome"],
    "repairs": ["ref", "city", "district", "area", "reported", "restored", "hours", "in_time",
                "cause", "network_fault", "repeat", "first_fix"],
    "activations": ["ref", "city", "district", "ordered", "committed", "activated",
                    "activation_hours", "on_time", "arrived"],
    "visits": ["ref", "source", "city", "district", "appointment_from", "appointment_to",
               "arrived", "punctual", "rating"],
    "transfers": ["ref", "city", "cause", "requested", "connected", "wait_seconds", "timely"],
    "speed_tests": ["ref", "city", "level", "measured", "down", "up", "subscribed", "attained"],
    "operations": ["city", "product", "revenue", "billed", "ports_built", "ports_in_use"],
    "circuit_outages": ["ref", "city", "product", "started", "restored", "hours",
                        "contract_repair_hours", "in_contract", "cause", "network_fault",
                        "repeat"],
    "circuit_months": ["ref", "city", "product", "contract_availability", "down_minutes",
                       "meets_contract"],
    "fault_events": ["id", "city", "started", "accounts", "first_sms", "first_contact",
                     "sms_first"],
    "survey_scores": ["id", "city", "score"],
}  # fmt: skip
COLUMN_LABELS = {
    "ref": pgettext_lazy("drill-down column", "reference"),
    "id": pgettext_lazy("drill-down column", "ID"),
    "record_type": pgettext_lazy("drill-down column", "record type"),
    "city": pgettext_lazy("breakdown", "city"),
    "district": pgettext_lazy("breakdown", "district"),
    "channel": pgettext_lazy("breakdown", "channel"),
    "cause": pgettext_lazy("breakdown", "cause"),
    "product": pgettext_lazy("breakdown", "product"),
    "created": pgettext_lazy("drill-down column", "created"),
    "replied": pgettext_lazy("drill-down column", "replied"),
    "closed": pgettext_lazy("time of", "closed"),
    "handling_hours": pgettext_lazy("drill-down column", "handling (h)"),
    "in_time": pgettext_lazy("drill-down column", "in time"),
    "repeat": pgettext_lazy("drill-down column", "repeat"),
    "upgraded": pgettext_lazy("drill-down column", "upgraded"),
    "callback_outcome": pgettext_lazy("drill-down column", "callback"),
    "area": pgettext_lazy("drill-down column", "area"),
    "reported": pgettext_lazy("drill-down column", "reported"),
    "restored": pgettext_lazy("drill-down column", "restored"),
    "hours": pgettext_lazy("drill-down column", "duration (h)"),
    "network_fault": pgettext_lazy("drill-down column", "our network"),
    "first_fix": pgettext_lazy("drill-down column", "fixed first time"),
    "ordered": pgettext_lazy("drill-down column", "ordered"),
    "committed": pgettext_lazy("drill-down column", "promised"),
    "activated": pgettext_lazy("drill-down column", "activated"),
    "activation_hours": pgettext_lazy("drill-down column", "activation (h)"),
    "on_time": pgettext_lazy("drill-down column", "on time"),
    "arrived": pgettext_lazy("drill-down column", "arrived"),
    "source": pgettext_lazy("drill-down column", "order kind"),
    "appointment_from": pgettext_lazy("drill-down column", "appointment from"),
    "appointment_to": pgettext_lazy("drill-down column", "appointment to"),
    "punctual": pgettext_lazy("drill-down column", "punctual"),
    "rating": pgettext_lazy("drill-down column", "rating"),
    "requested": pgettext_lazy("drill-down column", "requested"),
    "connected": pgettext_lazy("drill-down column", "connected"),
    "wait_seconds": pgettext_lazy("drill-down column", "wait (s)"),
    "timely": pgettext_lazy("drill-down column", "in time"),
    "level": pgettext_lazy("drill-down column", "level"),
    "measured": pgettext_lazy("drill-down column", "measured"),
    "down": pgettext_lazy("drill-down column", "download (Mbit/s)"),
    "up": pgettext_lazy("drill-down column", "upload (Mbit/s)"),
    "subscribed": pgettext_lazy("drill-down column", "subscribed (Mbit/s)"),
    "attained": pgettext_lazy("drill-down column", "attained"),
    "revenue": pgettext_lazy("drill-down column", "revenue (yuan)"),
    "billed": pgettext_lazy("drill-down column", "billed accounts"),
    "ports_built": pgettext_lazy("drill-down column", "ports built"),
    "ports_in_use": pgettext_lazy("drill-down column", "ports in use"),
    "started": pgettext_lazy("drill-down column", "started"),
    "contract_repair_hours": pgettext_lazy("drill-down column", "contracted repair (h)"),
    "in_contract": pgettext_lazy("drill-down column", "within contract"),
    "contract_availability": pgettext_lazy("drill-down column", "contracted availability (%)"),
    "down_minutes": pgettext_lazy("drill-down column", "down (min)"),
    "meets_contract": pgettext_lazy("drill-down column", "meets contract"),
    "accounts": pgettext_lazy("drill-down column", "accounts cut off"),
    "first_sms": pgettext_lazy("drill-down column", "first fault SMS"),
    "first_contact": pgettext_lazy("drill-down column", "first complaint"),
    "sms_first": pgettext_lazy("drill-down column", "SMS first"),
    "score": pgettext_lazy("drill-down column", "score"),
}


class DrillError(ValueError):
    """A drill-down request that cannot be read (bad month, filter value): a 400."""


@dataclass
class Drill:
    indicator: Indicator
    month: Month
    filters: dict[str, str]
    fact: str
    rows: list[dict]
    more: bool  # more records than shown
    description: str

    @property
    def columns(self) -> list[str]:
        wanted = DRILL_COLUMNS.get(self.fact)
        present = list(self.rows[0]) if self.rows else (wanted or [])
        if wanted is None:
            return present
        return [c for c in wanted if not self.rows or c in self.rows[0]]

    def column_labels(self) -> list[tuple[str, str]]:
        return [(c, str(COLUMN_LABELS.get(c, c))) for c in self.columns]


def local_time(seconds: int | None) -> dt.datetime | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, ZoneInfo(settings.TIME_ZONE))


def allowed_filters(indicator: Indicator) -> set[str]:
    """The breakdown columns the indicator's drill-down may be cut by."""
    keys = set()
    for breakdown in indicator.breakdowns:
        keys.update(measures.BREAKDOWN_COLUMNS.get(breakdown, ()))
    return keys & set(FILTER_KEYS)


def drill(user, code: str, month_text: str | None, query) -> Drill:
    """The records behind the figure of indicator CODE in the month, cut by the breakdown
    keys of QUERY (city by code or name, district, product, channel, cause) the indicator
    allows. Raises NotVisible (no such indicator, or a city not the user's) and DrillError
    (a month or a value it cannot read)."""
    definitions = definitions_by_code()
    indicator = Indicator.objects.filter(code=code).first() if code in definitions else None
    if indicator is None or not user.has_perm(VIEW_PERMISSION):
        raise NotVisible(code)
    try:
        month = services.parse_month(month_text or last_complete_month().label)
    except services.InputError as exc:
        raise DrillError(str(exc)) from None
    filters: dict[str, str] = {}
    for key in FILTER_KEYS:
        value = query.get(key)
        if value is None or value == "" or key not in allowed_filters(indicator):
            continue
        if len(value) > MAX_FILTER_LENGTH or not value.isprintable():
            raise DrillError(_("%(key)s: not a value to filter by") % {"key": key})
        filters[key] = value
    shown = dict(filters)
    if "city" in filters:
        city = find_city(filters["city"])
        if city is None:
            raise NotVisible(filters["city"])
        filters["city"], shown["city"] = city.name, city.name
    else:
        city = None
    if not all_cities(user):
        # Users bound to cities drill into their own cities only (never the province's).
        if city is None or city.pk not in user.city_ids():
            raise NotVisible(filters.get("city", ""))
    fact, rows = kpi_engine.drill_down(month, code, filters, limit=DRILL_LIMIT + 1)
    more = len(rows) > DRILL_LIMIT
    rows = rows[:DRILL_LIMIT]
    return Drill(
        indicator=indicator,
        month=month,
        filters=shown,
        fact=fact,
        rows=rows,
        more=more,
        description=describe(code, month, shown),
    )


def _choice_labels() -> dict[str, dict[str, str]]:
    """Coded columns and the labels of their codes (in the active language)."""
    from sqm.complaints.choices import CallbackOutcome, Channel, RecordType
    from sqm.customers.choices import Service
    from sqm.quality.choices import Area, SpeedLevel

    sources = {
        "repair": pgettext_lazy("visit source", "repair"),
        "activation": pgettext_lazy("visit source", "activation"),
    }
    coded = {"record_type": RecordType, "channel": Channel, "callback_outcome": CallbackOutcome,
             "area": Area, "level": SpeedLevel, "product": Service}  # fmt: skip
    out = {column: {k: str(v) for k, v in choices.choices} for column, choices in coded.items()}
    out["source"] = {k: str(v) for k, v in sources.items()}
    return out


def row_cells(drill_result: Drill, row: dict) -> list[object]:
    """ROW's values in the drill's columns: times as local datetimes, codes as their
    labels, fractions rounded."""
    labels = _choice_labels()
    out = []
    for column in drill_result.columns:
        value = row.get(column)
        if column in TIME_COLUMNS and isinstance(value, int):
            value = local_time(value)
        elif isinstance(value, float):
            value = round(value, 2)
        elif isinstance(value, str) and column in labels:
            value = labels[column].get(value, value)
        out.append(value)
    return out


def row_json(row: dict) -> dict:
    """ROW for the API: times as ISO 8601 with the Asia/Shanghai offset."""
    out = {}
    for column, value in row.items():
        if column in TIME_COLUMNS and isinstance(value, int):
            value = local_time(value).isoformat()
        out[column] = value
    return out
