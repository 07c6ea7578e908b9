"""Domain services of the quality app: KPI runs (queued, computed, stored) and targets.

Views, the API, the CLI and the worker all call these. A run is computed once and never
changed afterwards; computing a month again makes a new run (`differences` compares two).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sqm.core import context
from sqm.quality import engine as kpi_engine
from sqm.quality.choices import Breakdown, Engine, RunStatus
from sqm.quality.facts import Month
from sqm.quality.models import Indicator, IndicatorTarget, KpiRun, KpiValue
from sqm.quality.registry import definitions_by_code

DEFAULT_BREAKDOWNS = (Breakdown.PROVINCE, Breakdown.CITY)


class InputError(ValueError):
    """A request the engine cannot run (unknown indicator, month, engine or breakdown)."""


def parse_month(text: str) -> Month:
    try:
        month = Month.parse(text)
    except (TypeError, ValueError):
        raise InputError(_("%(value)r is not a month (YYYY-MM)") % {"value": text}) from None
    if not 2000 <= month.first.year <= 2100:
        raise InputError(_("%(value)r is not a month (YYYY-MM)") % {"value": text})
    return month


def check_request(
    codes: Iterable[str] | None, breakdowns: Iterable[str], engine: str
) -> tuple[list[str], list[str]]:
    codes = list(dict.fromkeys(codes or []))  # a code asked twice is computed once
    known = definitions_by_code()
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise InputError(_("unknown indicator: %(codes)s") % {"codes": ", ".join(unknown)})
    breakdowns = list(dict.fromkeys(breakdowns))
    bad = [b for b in breakdowns if b not in Breakdown.values]
    if bad or not breakdowns:
        raise InputError(
            _("unknown breakdown %(value)s: use %(allowed)s")
            % {"value": ", ".join(bad) or "—", "allowed": ", ".join(Breakdown.values)}
        )
    if engine not in Engine.values:
        raise InputError(
            _("unknown engine %(value)r: use %(allowed)s")
            % {"value": engine, "allowed": ", ".join(Engine.values)}
        )
    return codes, breakdowns


def queue_run(
    month: Month,
    *,
    engine: str = Engine.DUCKDB,
    codes: Iterable[str] | None = None,
    breakdowns: Iterable[str] = DEFAULT_BREAKDOWNS,
    user=None,
) -> KpiRun:
    codes, breakdowns = check_request(codes, breakdowns, engine)
    return KpiRun.objects.create(
        month=month.first,
        engine=engine,
        indicators=codes,
        breakdowns=breakdowns,
        created_by=user if user is not None else context.current().user,
    )


def do_compute_run(
    run_id: int,
    progress: Callable[[str, float], None] | None = None,
    tables: dict | None = None,
) -> KpiRun | None:
    """Compute a queued run (the worker's side, or the CLI's): claimed with a guarded update,
    progress written to the row for the page to poll, values stored in one transaction."""
    claimed = KpiRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, stage=_("reading the facts")
    )
    if not claimed:
        return None  # another worker has it, or it already ran
    run = KpiRun.objects.get(pk=run_id)
    month = Month(run.month)
    last = [0.0]

    def report(stage: str, share: float) -> None:
        if progress is not None:
            progress(stage, share)
        now = time.monotonic()
        if now - last[0] > 0.5 or share >= 1:
            last[0] = now
            KpiRun.objects.filter(pk=run_id).update(progress=share, stage=stage[:100])

    started = time.perf_counter()
    try:
        result = kpi_engine.compute(
            month,
            engine=run.engine,
            codes=run.indicators or None,
            breakdowns=run.breakdowns,
            progress=report,
            tables=tables,
        )
        # Storing can fail too (a code missing from the Indicator table, the database):
        # inside the try, so the run is never left 'running' for ever.
        with transaction.atomic():
            store_values(run, result.values)
            KpiRun.objects.filter(pk=run_id).update(
                status=RunStatus.DONE,
                progress=1.0,
                stage=_("done"),
                seconds=time.perf_counter() - started,
                finished=timezone.now(),
            )
    except Exception as exc:  # the run shows why; the worker's log has the trace
        KpiRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED, error=str(exc)[:2000], finished=timezone.now()
        )
        raise
    run.refresh_from_db()
    return run


def store_values(run: KpiRun, values: list[kpi_engine.Value]) -> None:
    from sqm.core.models import City

    cities = dict(City.objects.values_list("name", "pk"))
    indicators = dict(Indicator.objects.values_list("code", "pk"))
    rows = []
    for value in values:
        city_name = value.key.get("city")
        rows.append(
            KpiValue(
                run=run,
                indicator_id=indicators[value.indicator],
                breakdown=value.breakdown,
                key=value.key_text[:64],
                city_id=cities.get(city_name) if city_name else None,
                value=value.value,
                numerator=value.numerator,
                denominator=value.denominator,
                target=value.target,
                warning=value.warning,
                status=value.status,
            )
        )
    KpiValue.objects.bulk_create(rows, batch_size=1000)


def compute_now(
    month: Month,
    *,
    engine: str = Engine.DUCKDB,
    codes: Iterable[str] | None = None,
    breakdowns: Iterable[str] = DEFAULT_BREAKDOWNS,
    user=None,
    progress: Callable[[str, float], None] | None = None,
    tables: dict | None = None,
) -> KpiRun:
    """Queue a run and compute it in this process (the CLI), from the database's facts or
    from TABLES (a snapshot)."""
    run = queue_run(month, engine=engine, codes=codes, breakdowns=breakdowns, user=user)
    return do_compute_run(run.pk, progress=progress, tables=tables)


def abandoned_before():
    """Runs queued or running since before this moment are taken as abandoned (a worker that
    died mid-way): they no longer stand in the way of a new run. SQM_KPI_RUN_TIMEOUT_MINUTES,
    default 60 (a month's run takes seconds to minutes)."""
    from django.conf import settings

    minutes = getattr(settings, "SQM_KPI_RUN_TIMEOUT_MINUTES", 60)
    return timezone.now() - dt.timedelta(minutes=minutes)


def unfinished_runs(month: Month):
    """MONTH's runs still queued or running (not abandoned), newest first."""
    return KpiRun.objects.filter(
        month=month.first,
        status__in=[RunStatus.QUEUED, RunStatus.RUNNING],
        created__gte=abandoned_before(),
    ).order_by("-created", "-pk")


def is_abandoned(run: KpiRun) -> bool:
    unfinished = run.status in (RunStatus.QUEUED, RunStatus.RUNNING)
    return unfinished and run.created < abandoned_before()


def latest_run(month: Month) -> KpiRun | None:
    """The newest finished run of MONTH with every indicator by province and city; else the
    newest by city alone (a run computed by city only has no province figures, so it does
    not hide an older run that has them). The dashboard, the API and the report read it."""
    runs = KpiRun.objects.filter(month=month.first, status=RunStatus.DONE, indicators=[])
    city_only = None
    for run in runs.order_by("-created", "-pk")[:20]:
        if Breakdown.CITY in run.breakdowns:
            if Breakdown.PROVINCE in run.breakdowns:
                return run
            city_only = city_only or run
    return city_only


def differences(old: KpiRun, new: KpiRun, *, tolerance: float = 1e-9) -> list[dict]:
    """Values that differ between two runs of a month (by indicator, breakdown and key)."""

    def table(run):
        return {
            (v.indicator_id, v.breakdown, v.key): v
            for v in KpiValue.objects.filter(run=run).select_related("indicator")
        }

    def covers(run: KpiRun, code: str, breakdown: str) -> bool:
        return (not run.indicators or code in run.indicators) and breakdown in run.breakdowns

    before, after = table(old), table(new)
    out = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        code = (a or b).indicator.code
        if not (covers(old, code, key[1]) and covers(new, code, key[1])):
            continue  # computed by one run only: not a change (a narrower run is no news)
        va = None if a is None else a.value
        vb = None if b is None else b.value
        same = (va is None and vb is None) or (
            va is not None and vb is not None and abs(va - vb) <= tolerance * max(1, abs(va))
        )
        if not same:
            indicator = (a or b).indicator
            out.append(
                {
                    "indicator": indicator.code,
                    "breakdown": key[1],
                    "key": key[2],
                    "before": va,
                    "after": vb,
                }
            )
    return out


def set_target(
    indicator: Indicator, year: int, target: float, warning: float | None, city=None
) -> IndicatorTarget:
    """Set an indicator's target for a year (and city): change-logged as every edit is."""
    row = IndicatorTarget.objects.filter(indicator=indicator, year=year, city=city).first()
    if row is None:
        row = IndicatorTarget(indicator=indicator, year=year, city=city)
    row.target, row.warning = target, warning
    row.save()
    return row


def month_choices(count: int = 24) -> list[str]:
    today = timezone.localdate()
    first = dt.date(today.year, today.month, 1)
    month = Month(first)
    return [month.shifted(-i).label for i in range(count)]
