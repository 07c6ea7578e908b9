"""`sqm kpi compute|list|snapshot`: what operators script against (DESIGN §4)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from sqm.quality.choices import RunStatus
from sqm.quality.models import KpiRun
from tests.quality.facts_helpers import account, repair

pytestmark = pytest.mark.django_db


def run(*args) -> list[dict]:
    out = io.StringIO()
    call_command("kpi", *args, stdout=out, stderr=io.StringIO())
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_compute_prints_one_object_per_indicator_and_city_with_stable_keys():
    nanjing = account("NJ")
    repair(nanjing, "2026-10-01 08:00", "2026-10-01 09:00")
    repair(nanjing, "2026-10-02 08:00", "2026-10-06 09:00")
    rows = run("compute", "--month", "2026-10", "--indicator", "BB-REPAIR-TIMELY", "--json")
    assert rows == [
        {
            "indicator": "BB-REPAIR-TIMELY",
            "month": "2026-10",
            "city": "南京",
            "value": 0.5,
            "numerator": 1,
            "denominator": 2,
            "target": 0.95,
            "status": "missed",
        }
    ]


def test_compute_by_district_names_the_city_and_the_district():
    repair(account("NJ", district="玄武区"), "2026-10-01 08:00", "2026-10-01 09:00")
    rows = run(
        "compute", "--month", "2026-10", "--indicator", "BB-REPAIR-TIMELY", "--by", "district",
        "--json",
    )  # fmt: skip
    assert [(r["city"], r["district"], r["value"]) for r in rows] == [("南京", "玄武区", 1.0)]


def test_each_computation_is_stored_as_a_new_run():
    repair(account(), "2026-10-01 08:00", "2026-10-01 09:00")
    run("compute", "--month", "2026-10", "--indicator", "BB-REPAIR-TIMELY", "--json")
    run("compute", "--month", "2026-10", "--indicator", "BB-REPAIR-TIMELY", "--json")
    runs = KpiRun.objects.filter(month="2026-10-01")
    assert runs.count() == 2
    assert {r.status for r in runs} == {RunStatus.DONE}
    assert all(r.values.count() == 1 for r in runs)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "is not a month"),
        (["--month", "October"], "is not a month"),
        (["--month", "2026-10", "--indicator", "BB-NOPE"], "unknown indicator: BB-NOPE"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message):
        run("compute", *args)
    assert not KpiRun.objects.exists()


def test_list_prints_the_registry():
    rows = run("list", "--json")
    codes = [r["code"] for r in rows]
    assert "BB-REPAIR-TIMELY" in codes and "DL-AVAILABILITY" in codes
    assert {"code", "name_zh", "name_en", "product", "phase", "unit", "target"} <= set(rows[0])


def test_a_snapshot_computes_the_same_figures_as_the_database(tmp_path):
    nanjing = account("NJ")
    repair(nanjing, "2026-10-01 08:00", "2026-10-01 09:00")
    repair(nanjing, "2026-10-02 08:00", "2026-10-06 09:00")
    out = io.StringIO()
    call_command("kpi", "snapshot", "--month", "2026-10", "--out", str(tmp_path), stdout=out)
    assert (tmp_path / "repairs.parquet").exists()
    repair(nanjing, "2026-10-03 08:00", "2026-10-03 09:00")  # after the snapshot
    args = ["compute", "--month", "2026-10", "--indicator", "BB-REPAIR-TIMELY", "--json"]
    from_snapshot = run(*args, "--snapshot", str(tmp_path))
    assert (from_snapshot[0]["numerator"], from_snapshot[0]["denominator"]) == (1, 2)
    assert run(*args)[0]["denominator"] == 3


def test_a_snapshot_with_a_wrong_column_is_refused_naming_file_and_column(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": [1], "ref": ["R1"]}), tmp_path / "repairs.parquet")
    with pytest.raises(CommandError, match=r"repairs.parquet: reported: column missing"):
        run("compute", "--month", "2026-10", "--snapshot", str(tmp_path))
