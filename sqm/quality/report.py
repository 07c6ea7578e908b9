"""The figures of the monthly service-quality report (服务质量报告), as one plain structure.

`build(month)` reads the newest full run of the month (`latest_full_run`) and the runs of the
months before it, and returns a JSON-serialisable dict: the headline indicators at province
level against target, a ranking of the cities per headline indicator with month-over-month
and year-over-year changes, the short boards (短板), 12-month trends and the control-limit
flags. Publishing freezes exactly this dict (plus the text) into `MonthlyReport.frozen`, so
a published report is shown from what was frozen, never recomputed.

Values are stored raw (a ratio as 0.953, not 95.3 %); `display` and `change_display` format
them by the indicator's unit for the page and the exports.
"""

from __future__ import annotations

import copy
import math
import statistics
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from sqm.quality import services
from sqm.quality.choices import Better, Breakdown, Status, Unit
from sqm.quality.facts import Month
from sqm.quality.models import Indicator, KpiRun, KpiValue

FORMAT_VERSION = 1
TREND_MONTHS = 12  # the trends show M-11 … M
CONTROL_MONTHS = 12  # a city's control limits come from M-12 … M-1
CONTROL_MIN_HISTORY = 6  # fewer earlier values than this: no limits
CONTROL_SIGMAS = 3
TOP_DETERIORATIONS = 10
REPORT_BREAKDOWNS = (Breakdown.PROVINCE, Breakdown.CITY)

Key = tuple[str, str, str]  # (indicator code, breakdown, key: "" or the city's name)


class NoRun(LookupError):
    """No finished run covers the month by city (and none was to be computed)."""


def latest_full_run(month: Month) -> KpiRun | None:
    """The newest full run of MONTH (services.latest_run)."""
    return services.latest_run(month)


def run_for(month: Month, *, compute: bool = False, user=None) -> KpiRun | None:
    """The newest full run of MONTH (`latest_full_run`); with COMPUTE, a new one when there
    is none."""
    run = latest_full_run(month)
    if run is None and compute:
        run = services.compute_now(month, breakdowns=REPORT_BREAKDOWNS, user=user)
    return run


def _rows(run: KpiRun | None) -> dict[Key, dict]:
    if run is None:
        return {}
    rows = KpiValue.objects.filter(run=run, breakdown__in=REPORT_BREAKDOWNS).values_list(
        "indicator__code", "breakdown", "key", "value", "target", "warning", "status",
        "numerator", "denominator",
    )  # fmt: skip
    return {
        (code, breakdown, key): {
            "value": value,
            "target": target,
            "warning": warning,
            "status": status or "",
            "numerator": numerator,
            "denominator": denominator,
        }  # fmt: skip
        for code, breakdown, key, value, target, warning, status, numerator, denominator in rows
    }


def _value_of(rows: dict[Key, dict], key: Key) -> float | None:
    row = rows.get(key)
    return None if row is None else row["value"]


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or before is None:
        return None
    return now - before


def _sign(better: str) -> int:
    """+1 when higher is better: sign × value grows as the value improves."""
    return 1 if better == Better.HIGHER else -1


def _indicator_info(indicator: Indicator) -> dict:
    return {
        "code": indicator.code,
        "name_zh": indicator.name_zh,
        "name_en": indicator.name_en,
        "unit": indicator.unit,
        "better": indicator.better,
        "phase": indicator.phase,
        "product": indicator.product,
    }


def _run_info(run: KpiRun | None, month: Month) -> dict:
    return {
        "month": month.label,
        "run": None if run is None else run.pk,
        "created": None if run is None else timezone.localtime(run.created).isoformat(),
        "engine": None if run is None else run.engine,
    }


def build(month: Month, run: KpiRun | None = None, *, compute: bool = False, user=None) -> dict:
    """The report's figures for MONTH from RUN (default: the month's newest full run)."""
    run = run or run_for(month, compute=compute, user=user)
    if run is None:
        raise NoRun(_("No finished KPI run of %(month)s by city.") % {"month": month.label})
    indicators = {i.code: i for i in Indicator.objects.all()}
    headline = [i for i in indicators.values() if i.headline]
    headline.sort(key=lambda i: (i.position, i.code))
    from sqm.core.models import City

    cities = list(City.objects.order_by("ordering", "code").values_list("name", flat=True))

    current = _rows(run)
    earlier_months = [month.shifted(-n) for n in range(1, max(TREND_MONTHS, CONTROL_MONTHS) + 1)]
    earlier_runs = {m.label: latest_full_run(m) for m in earlier_months}
    earlier = {label: _rows(r) for label, r in earlier_runs.items()}
    previous = earlier[month.shifted(-1).label]
    year_ago = earlier[month.shifted(-12).label]

    figures = {
        "version": FORMAT_VERSION,
        "month": month.label,
        "built": timezone.localtime().isoformat(),
        "run": _run_info(run, month),
        "previous": _run_info(earlier_runs[month.shifted(-1).label], month.shifted(-1)),
        "year_ago": _run_info(earlier_runs[month.shifted(-12).label], month.shifted(-12)),
        "cities": cities,
        "indicators": {code: _indicator_info(i) for code, i in indicators.items()},
        "headline_codes": [i.code for i in headline],
    }
    figures["headline"] = [_with_changes(i.code, "", current, previous, year_ago) for i in headline]
    control = _control(month, current, earlier, indicators, cities)
    flagged = {(f["indicator"], f["city"]): f["direction"] for f in control["flags"]}
    figures["rankings"] = {
        i.code: _ranking(i, cities, current, previous, year_ago, flagged) for i in headline
    }
    figures["short_boards"] = _short_boards(indicators, cities, current, previous)
    figures["trends"] = _trends(month, headline, cities, current, earlier)
    figures["control"] = control
    return figures


def _with_changes(code, city, current, previous, year_ago) -> dict:
    breakdown = Breakdown.CITY if city else Breakdown.PROVINCE
    key = (code, breakdown.value, city)
    row = current.get(key) or {
        "value": None, "target": None, "warning": None, "status": "",
        "numerator": None, "denominator": None,
    }  # fmt: skip
    before, last_year = _value_of(previous, key), _value_of(year_ago, key)
    out = {"indicator": code, **row, "previous": before, "year_ago": last_year}
    out["mom"] = _change(row["value"], before)
    out["yoy"] = _change(row["value"], last_year)
    if city:
        out = {"city": city, **out}
    return out


def _ranking(indicator, cities, current, previous, year_ago, flagged) -> list[dict]:
    """The cities best first by the indicator's better direction; cities without a value
    last, unranked. Equal values share a rank (1, 2, 2, 4)."""
    rows = [_with_changes(indicator.code, city, current, previous, year_ago) for city in cities]
    sign = _sign(indicator.better)
    order = {city: n for n, city in enumerate(cities)}
    valued = [r for r in rows if r["value"] is not None]
    valued.sort(key=lambda r: (-sign * r["value"], order[r["city"]]))
    rank, last = 0, None
    for n, row in enumerate(valued, start=1):
        if last is None or not math.isclose(row["value"], last, rel_tol=1e-12, abs_tol=1e-12):
            rank, last = n, row["value"]
        row["rank"] = rank
    empty = [r for r in rows if r["value"] is None]
    for row in empty:
        row["rank"] = None
    for row in valued + empty:
        row["control"] = flagged.get((indicator.code, row["city"]))
    return valued + empty


def _short_boards(indicators, cities, current, previous) -> dict:
    """Indicators missed at province level; the cities with most indicators missed (then
    warned); the largest month-over-month changes in the bad direction, relative to target."""
    positions = {code: (i.position, code) for code, i in indicators.items()}
    missed = [
        {"indicator": code, **row}
        for (code, breakdown, _key), row in current.items()
        if breakdown == Breakdown.PROVINCE and row["status"] == Status.MISSED and code in indicators
    ]
    missed.sort(key=lambda r: positions[r["indicator"]])

    tally = {city: {"city": city, "missed": [], "warning": []} for city in cities}
    for (code, breakdown, key), row in current.items():
        if breakdown == Breakdown.CITY and key in tally and code in indicators:
            if row["status"] == Status.MISSED:
                tally[key]["missed"].append(code)
            elif row["status"] == Status.WARNING:
                tally[key]["warning"].append(code)
    order = {city: n for n, city in enumerate(cities)}
    worst = [t for t in tally.values() if t["missed"] or t["warning"]]
    for t in worst:
        t["missed"].sort(key=positions.get)
        t["warning"].sort(key=positions.get)
    worst.sort(key=lambda t: (-len(t["missed"]), -len(t["warning"]), order[t["city"]]))

    worse = []
    for (code, breakdown, key), row in current.items():
        indicator = indicators.get(code)
        before = _value_of(previous, (code, breakdown, key))
        target = row["target"]
        if indicator is None or row["value"] is None or before is None or not target:
            continue
        bad = -_sign(indicator.better) * (row["value"] - before)  # > 0: got worse
        if bad <= 0:
            continue
        worse.append({
            "indicator": code, "city": key, "value": row["value"], "previous": before,
            "change": row["value"] - before, "target": target, "relative": bad / abs(target),
            "status": row["status"],
        })  # fmt: skip
    worse.sort(key=lambda r: (-r["relative"], positions[r["indicator"]], order.get(r["city"], -1)))
    return {"missed": missed, "worst_cities": worst, "deteriorations": worse[:TOP_DETERIORATIONS]}


def short_boards(month: Month, user=None) -> tuple[dict, dict[str, Indicator]]:
    """The short boards of MONTH alone, as the report finds them, for the home tile: from the
    month's run and the one before (not the twelve months the whole report reads), scoped
    to USER's cities; with the indicators by code."""
    from sqm.core.models import City

    run = latest_full_run(month)
    if run is None:
        raise NoRun(_("No finished KPI run of %(month)s by city.") % {"month": month.label})
    indicators = {i.code: i for i in Indicator.objects.all()}
    cities = list(City.objects.order_by("ordering", "code").values_list("name", flat=True))
    previous = _rows(latest_full_run(month.shifted(-1)))
    boards = _short_boards(indicators, cities, _rows(run), previous)
    mine = visible_cities(user) if user is not None else None
    return (boards if mine is None else _boards_for(boards, mine)), indicators


def _boards_for(boards: dict, mine: set[str]) -> dict:
    """BOARDS with the cities outside MINE left out (the province's rows stay)."""
    return {
        **boards,
        "worst_cities": [t for t in boards["worst_cities"] if t["city"] in mine],
        "deteriorations": [
            r for r in boards["deteriorations"] if not r["city"] or r["city"] in mine
        ],
    }


def _trends(month: Month, headline, cities, current, earlier) -> dict:
    months = [month.shifted(-n) for n in range(TREND_MONTHS - 1, -1, -1)]
    tables = [current if m == month else earlier[m.label] for m in months]

    def series(code: str, breakdown: str, key: str) -> list[float | None]:
        return [_value_of(t, (code, breakdown, key)) for t in tables]

    return {
        "months": [m.label for m in months],
        "series": {
            i.code: {
                "province": series(i.code, Breakdown.PROVINCE, ""),
                "cities": {city: series(i.code, Breakdown.CITY, city) for city in cities},
            }
            for i in headline
        },
    }


def control_limits(history: Iterable[float | None]) -> tuple[float, float, int] | None:
    """(mean, σ, count) of the values of HISTORY that exist, or None with fewer than
    CONTROL_MIN_HISTORY of them. σ is the sample standard deviation (n − 1)."""
    values = [v for v in history if v is not None]
    if len(values) < CONTROL_MIN_HISTORY:
        return None
    mean = statistics.fmean(values)
    sigma = statistics.stdev(values)
    return mean, sigma, len(values)


def _control(month: Month, current, earlier, indicators, cities) -> dict:
    """Each city's value of each indicator against mean ± 3σ of its own previous months.
    The limits are cut to what a value can be (no indicator is negative, no share above 1);
    that changes no flag, only what the limits print."""
    labels = [month.shifted(-n).label for n in range(1, CONTROL_MONTHS + 1)]
    checked = short = 0
    flags = []
    for (code, breakdown, city), row in current.items():
        if breakdown != Breakdown.CITY or row["value"] is None:
            continue
        limits = control_limits(
            _value_of(earlier[label], (code, breakdown, city)) for label in labels
        )
        if limits is None:
            short += 1
            continue
        checked += 1
        mean, sigma, n = limits
        low, high = mean - CONTROL_SIGMAS * sigma, mean + CONTROL_SIGMAS * sigma
        unit = indicators[code].unit if code in indicators else ""
        tolerance = 1e-9 * max(1.0, abs(mean))
        value = row["value"]
        if value > high + tolerance or value < low - tolerance:
            flags.append({
                "indicator": code, "city": city, "value": value, "mean": mean, "sigma": sigma,
                "low": max(low, 0.0), "high": min(high, 1.0) if unit == Unit.RATIO else high,
                "history": n,
                "direction": "high" if value > high else "low",
            })  # fmt: skip
    positions = {code: (i.position, code) for code, i in indicators.items()}
    order = {city: n for n, city in enumerate(cities)}
    flags.sort(key=lambda f: (positions.get(f["indicator"], (0, "")), order.get(f["city"], -1)))
    return {
        "months": CONTROL_MONTHS, "min_history": CONTROL_MIN_HISTORY, "sigmas": CONTROL_SIGMAS,
        "checked": checked, "too_short": short, "flags": flags,
    }  # fmt: skip


# --- what one user sees --------------------------------------------------------------------


def visible_cities(user) -> set[str] | None:
    """The names of the cities USER sees, or None for every city (provincial staff)."""
    if user is None or user.is_superuser or getattr(user, "all_cities", False):
        return None
    from sqm.core.models import City

    return set(City.objects.filter(pk__in=user.city_ids()).values_list("name", flat=True))


def for_user(figures: dict, user) -> dict:
    """FIGURES with the city rows USER may not see left out (the province's stay)."""
    mine = visible_cities(user)
    if mine is None:
        return figures
    out = copy.deepcopy(figures)
    out["cities"] = [c for c in out["cities"] if c in mine]
    out["rankings"] = {
        code: [r for r in rows if r["city"] in mine] for code, rows in out["rankings"].items()
    }
    out["short_boards"] = _boards_for(out["short_boards"], mine)
    for series in out["trends"]["series"].values():
        series["cities"] = {c: v for c, v in series["cities"].items() if c in mine}
    out["control"]["flags"] = [f for f in out["control"]["flags"] if f["city"] in mine]
    out["scoped"] = sorted(mine)
    return out


# --- formatting ----------------------------------------------------------------------------


def display(value: float | None, unit: str) -> str:
    """A value as the report prints it: shares in per cent, counts whole, others rounded."""
    if value is None:
        return "—"
    if unit == Unit.RATIO:
        return f"{value * 100:.2f}%"
    if unit == Unit.COUNT:
        return f"{value:,.0f}"
    if unit in (Unit.SCORE, Unit.PER_10K, Unit.PER_100):
        return f"{value:,.2f}"
    return f"{value:,.1f}"


def negligible(change: float, unit: str) -> bool:
    """Whether CHANGE prints as zero in UNIT (then it has no sign and no colour)."""
    scale = 100 if unit == Unit.RATIO else 1
    digits = 0 if unit == Unit.COUNT else 2 if unit in _TWO_DIGITS else 1
    return round(abs(change) * scale, digits) == 0


_TWO_DIGITS = {Unit.RATIO, Unit.SCORE, Unit.PER_10K, Unit.PER_100}


def change_display(change: float | None, unit: str) -> str:
    """A change with its sign; a share's change in percentage points (个百分点)."""
    if change is None:
        return "—"
    if negligible(change, unit):
        change = 0.0
    if unit == Unit.RATIO:
        points = change * 100
        return pgettext("percentage points", "%(sign)s%(points).2f pp") % {
            "sign": _sign_of(points),
            "points": abs(points),
        }
    return _sign_of(change) + display(abs(change), unit)


def _sign_of(number: float) -> str:
    return "+" if number > 0 else "−" if number < 0 else ""


def change_is_better(change: float | None, better: str, unit: str = "") -> bool | None:
    """Whether a change is for the better (None: no change, or one too small to print)."""
    if change is None or change == 0 or (unit and negligible(change, unit)):
        return None
    return _sign(better) * change > 0


def indicator_name(figures: dict, code: str) -> str:
    from django.utils.translation import get_language

    info = figures["indicators"].get(code) or {}
    zh = (get_language() or "").startswith("zh")
    return info.get("name_zh" if zh else "name_en") or code
