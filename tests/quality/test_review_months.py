"""Month boundaries in Asia/Shanghai (run on SQLite and, with SQM_DATABASE_URL, on
PostgreSQL): a repair restored at 00:00 on the 1st belongs to that month, one restored a
second before to the month before; empty months, closed accounts, a month with facts but no
accounts, and a repair whose account moved city."""

from __future__ import annotations

import math

import pytest

from sqm.quality import services
from sqm.quality.facts import Month
from sqm.quality.models import KpiValue
from tests.quality.facts_helpers import account, city, repair

pytestmark = pytest.mark.django_db
OCTOBER = Month.parse("2026-10")


def values(run, code: str) -> dict[str, KpiValue]:
    rows = KpiValue.objects.filter(run=run, indicator__code=code).select_related("city")
    return {row.key: row for row in rows}


def test_a_month_runs_from_midnight_on_the_first_in_shanghai_to_midnight_on_the_next_first():
    nj = account("NJ")
    repair(nj, "2026-09-29 00:00", "2026-09-30 23:59:59")  # September
    repair(nj, "2026-09-30 12:00", "2026-10-01 00:00")  # October, first second
    repair(nj, "2026-10-30 12:00", "2026-10-31 23:59:59")  # October, last second
    repair(nj, "2026-10-31 12:00", "2026-11-01 00:00")  # November
    run = services.compute_now(OCTOBER)
    timely = values(run, "BB-REPAIR-TIMELY")
    assert timely[""].denominator == 2 and timely["南京"].denominator == 2
    reported = values(run, "BB-FAULTS-PER-10K")
    assert reported["南京"].numerator == 2  # reported 2026-10-30 and 2026-10-31


def test_an_empty_month_has_no_values_and_no_division_by_zero():
    run = services.compute_now(OCTOBER)
    assert run.status == "done"
    rows = list(KpiValue.objects.filter(run=run))
    assert all(row.value is None or math.isfinite(row.value) for row in rows)
    assert not [row for row in rows if row.value is not None and row.denominator == 0]


def test_a_month_with_repairs_but_no_open_broadband_account_has_no_rate_per_10k():
    closed = account("NJ", status="closed")
    repair(closed, "2026-10-02 08:00", "2026-10-02 20:00")
    run = services.compute_now(OCTOBER)
    assert run.status == "done"
    per_10k = values(run, "BB-FAULTS-PER-10K")
    assert all(row.value is None for row in per_10k.values())
    assert values(run, "BB-REPAIR-TIMELY")["南京"].value == 1.0


def test_a_repair_counts_in_its_own_city_after_the_account_moved():
    moved = account("NJ")
    repair(moved, "2026-10-02 08:00", "2026-10-02 20:00")
    customer = moved.customer
    customer.city = city("SZ")
    customer.save()
    run = services.compute_now(OCTOBER)
    timely = values(run, "BB-REPAIR-TIMELY")
    assert set(timely) == {"", "南京"}


def test_a_reimport_that_moves_a_repair_to_another_account_moves_its_city(tmp_path):
    from sqm.core.importing import run_import
    from sqm.quality.models import Repair
    from tests.quality.import_files import GOOD, references, write_csv

    references()
    row = dict(GOOD["repairs"][0])
    assert run_import("repairs", write_csv(tmp_path / "a.csv", "repairs", [row])).ok
    assert Repair.objects.get(repair_id=row["repair_id"]).city.code == "NJ"
    moved = {**row, "account_id": "A-SZ-1"}
    result = run_import("repairs", write_csv(tmp_path / "b.csv", "repairs", [moved]))
    assert result.ok and (result.created, result.updated) == (0, 1)
    again = Repair.objects.get(repair_id=row["repair_id"])
    assert (again.account.account_id, again.city.code, again.district) == (
        "A-SZ-1",
        "SZ",
        "姑苏区",
    )


def test_a_reimport_rewrites_only_the_rows_that_changed_and_dates_every_row(
    tmp_path, django_assert_max_num_queries
):
    import datetime as dt

    from sqm.core.importing import run_import
    from sqm.quality.models import Repair
    from tests.quality.import_files import GOOD, references, write_csv

    references()
    rows = [dict(row) for row in GOOD["repairs"]]
    assert run_import("repairs", write_csv(tmp_path / "a.csv", "repairs", rows)).ok
    old = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    Repair.objects.update(imported=old)
    corrected = [{**rows[0], "cause": "断纤"}, rows[1]]
    result = run_import("repairs", write_csv(tmp_path / "b.csv", "repairs", corrected))
    assert result.ok and (result.created, result.updated) == (0, 2)
    first, second = Repair.objects.order_by("repair_id")
    assert (first.cause, second.cause) == ("断纤", rows[1]["cause"])
    assert first.imported > old and second.imported > old
