"""The seven quality fact importers: what a valid file stores, re-imports, formats, and the
bad rows each kind refuses as `file:line: column: reason` with nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from sqm.cli import main as sqm_main
from sqm.core.importing import run_import
from sqm.core.models import AuditEntry
from sqm.quality.models import (
    Activation,
    Circuit,
    CircuitOutage,
    OperationsMonth,
    Repair,
    SpeedTest,
    Transfer,
)
from tests.quality.import_files import GOOD, KINDS, header, references, write_csv, write_xlsx

SH = ZoneInfo("Asia/Shanghai")
MODELS = {
    "repairs": Repair,
    "activations": Activation,
    "transfers": Transfer,
    "speed_tests": SpeedTest,
    "operations": OperationsMonth,
    "circuits": Circuit,
    "circuit_outages": CircuitOutage,
}
# What the circuit_outages references made before the file: they are not the file's rows.
PRESENT = {"circuits": 2}


def shanghai(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def rows(kind: str) -> list[dict[str, str]]:
    return [dict(row) for row in GOOD[kind]]


def imported(kind: str) -> int:
    return MODELS[kind].objects.count() - PRESENT.get(kind, 0)


@pytest.fixture
def refs(db):
    references()


# --- valid files -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_valid_file_of_each_kind_imports_every_row_and_is_audited(refs, tmp_path, kind):
    path = write_csv(tmp_path / f"{kind}.csv", kind, rows(kind))
    result = run_import(kind, path)
    assert result.ok, result.error_lines()
    assert (result.rows, result.created, result.updated) == (2, 2, 0)
    assert imported(kind) == 2
    entry = AuditEntry.objects.latest("id")
    assert entry.target == f"import:{kind}" and entry.details["created"] == 2


def test_a_repair_stores_every_column_and_takes_the_customers_city_and_district(refs, tmp_path):
    run_import("repairs", write_csv(tmp_path / "r.csv", "repairs", rows("repairs")))
    first = Repair.objects.get(repair_id="R-001")
    assert first.account.account_id == "A-NJ-1"
    assert (first.city.code, first.district) == ("NJ", "玄武区")
    # Naive times are Asia/Shanghai wall-clock times.
    assert first.reported_at == shanghai(2026, 10, 3, 8)
    assert first.restored_at == shanghai(2026, 10, 4, 9, 30)
    assert (first.appointment_from, first.appointment_to, first.arrived_at) == (
        shanghai(2026, 10, 3, 14),
        shanghai(2026, 10, 3, 16),
        shanghai(2026, 10, 3, 15, 10),
    )
    assert (first.area, first.cause, first.network_fault, first.visit_rating) == (
        "urban",
        "光猫故障",
        True,
        5,
    )
    second = Repair.objects.get(repair_id="R-002")
    assert (second.city.code, second.district) == ("SZ", "姑苏区")
    assert second.reported_at == dt.datetime(2026, 10, 5, 10, tzinfo=dt.UTC)  # offset kept
    assert second.restored_at is None and second.arrived_at is None
    assert (second.area, second.network_fault, second.visit_rating) == ("rural", False, None)


def test_an_activation_stores_its_times_and_the_customers_city(refs, tmp_path):
    run_import("activations", write_csv(tmp_path / "a.csv", "activations", rows("activations")))
    done = Activation.objects.get(order_id="K-001")
    assert (done.city.code, done.district, done.visit_rating) == ("NJ", "玄武区", 4)
    assert done.committed_at == shanghai(2026, 10, 3, 18)
    assert done.activated_at == shanghai(2026, 10, 2, 17)
    pending = Activation.objects.get(order_id="K-002")
    assert pending.city.code == "SZ" and pending.activated_at is None
    assert pending.ordered_at == shanghai(2026, 10, 1, 9)


def test_a_transfer_takes_its_own_city_by_name_or_code(refs, tmp_path):
    run_import("transfers", write_csv(tmp_path / "t.csv", "transfers", rows("transfers")))
    connected = Transfer.objects.get(transfer_id="T-001")
    assert (connected.city.code, connected.skill) == ("NJ", "宽带专席")
    assert connected.connected_at - connected.requested_at == dt.timedelta(seconds=25)
    never = Transfer.objects.get(transfer_id="T-002")
    assert never.city.code == "SZ" and never.connected_at is None


def test_a_speed_test_at_the_user_end_names_its_account_and_one_at_the_exit_none(refs, tmp_path):
    run_import("speed_tests", write_csv(tmp_path / "s.csv", "speed_tests", rows("speed_tests")))
    user = SpeedTest.objects.get(test_id="S-001")
    assert (user.level, user.city.code, user.account.account_id) == ("user", "NJ", "A-NJ-1")
    assert (user.down_mbps, user.up_mbps, user.subscribed_mbps) == (480.5, 48.0, 500.0)
    assert user.measured_at == shanghai(2026, 10, 2, 20)
    exit_ = SpeedTest.objects.get(test_id="S-002")
    assert (exit_.level, exit_.account, exit_.subscribed_mbps) == ("exit", None, None)


def test_operations_figures_are_stored_per_month_city_and_product(refs, tmp_path):
    run_import("operations", write_csv(tmp_path / "o.csv", "operations", rows("operations")))
    nanjing = OperationsMonth.objects.get(city__code="NJ")
    assert nanjing.month == dt.date(2026, 10, 1) and nanjing.product == "broadband"
    assert nanjing.revenue_yuan == Decimal("12345678.90")
    assert (nanjing.billed_accounts, nanjing.ports_built, nanjing.ports_in_use) == (
        250000,
        400000,
        300000,
    )


def test_a_circuit_names_its_customer_and_keeps_its_contract(refs, tmp_path):
    run_import("circuits", write_csv(tmp_path / "c.csv", "circuits", rows("circuits")))
    line = Circuit.objects.get(circuit_id="DL-001")
    assert (line.customer.customer_id, line.city.code, line.product) == (
        "G-NJ-1",
        "NJ",
        "dedicated_internet",
    )
    assert line.contract_availability == Decimal("99.95") and line.contract_repair_hours == 4
    assert line.opened_at == shanghai(2025, 3, 1)
    assert Circuit.objects.get(circuit_id="DL-002").city.code == "SZ"


def test_a_circuit_outage_takes_the_circuits_city(refs, tmp_path):
    path = write_csv(tmp_path / "co.csv", "circuit_outages", rows("circuit_outages"))
    run_import("circuit_outages", path)
    cut = CircuitOutage.objects.get(outage_id="O-001")
    assert (cut.circuit.circuit_id, cut.city.code, cut.network_fault) == ("DL-NJ", "NJ", True)
    assert cut.restored_at - cut.started_at == dt.timedelta(hours=2, minutes=30)
    open_ = CircuitOutage.objects.get(outage_id="O-002")
    assert open_.city.code == "SZ" and open_.restored_at is None and not open_.network_fault


# A corrected file changes one column of the first row: (column, new cell, stored field,
# stored value).
CORRECTIONS = {
    "repairs": ("restored_at", "2026-10-03 20:00", "restored_at", shanghai(2026, 10, 3, 20)),
    "activations": ("activated_at", "", "activated_at", None),
    "transfers": ("skill", "政企专席", "skill", "政企专席"),
    "speed_tests": ("down_mbps", "120", "down_mbps", 120.0),
    "operations": ("ports_in_use", "310000", "ports_in_use", 310000),
    "circuits": ("contract_repair_hours", "8", "contract_repair_hours", 8.0),
    "circuit_outages": ("cause", "设备掉电", "cause", "设备掉电"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_importing_a_corrected_file_again_updates_the_rows_it_names(refs, tmp_path, kind):
    run_import(kind, write_csv(tmp_path / "first.csv", kind, rows(kind)))
    first = MODELS[kind].objects.order_by("pk").last()
    column, cell, field, stored = CORRECTIONS[kind]
    corrected = rows(kind)
    corrected[0][column] = cell
    result = run_import(kind, write_csv(tmp_path / "again.csv", kind, corrected))
    assert result.ok and (result.created, result.updated) == (0, 2)
    assert imported(kind) == 2
    changed = MODELS[kind].objects.order_by("pk")[PRESENT.get(kind, 0)]
    assert getattr(changed, field) == stored
    assert MODELS[kind].objects.order_by("pk").last().pk == first.pk  # no new row


@pytest.mark.parametrize("kind", KINDS)
def test_extra_columns_anywhere_in_the_header_are_ignored(refs, tmp_path, kind):
    columns = ["来源系统", *header(kind), "remark"]
    extra = [{**row, "来源系统": "综调", "remark": "x,y"} for row in rows(kind)]
    result = run_import(kind, write_csv(tmp_path / "x.csv", kind, extra, columns=columns))
    assert result.ok and result.created == 2


@pytest.mark.parametrize("kind", KINDS)
def test_a_gbk_file_imports_when_declared(refs, tmp_path, kind):
    path = write_csv(tmp_path / "gbk.csv", kind, rows(kind), encoding="gbk")
    result = run_import(kind, path, encoding="gbk")
    assert result.ok and result.created == 2, result.error_lines()


def test_a_gbk_file_not_declared_is_refused_saying_how(refs, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", "repairs", rows("repairs"), encoding="gbk")
    result = run_import("repairs", path, display_name="gbk.csv")
    assert not result.ok and "gbk" in result.error_lines()[0].lower()
    assert Repair.objects.count() == 0


@pytest.mark.parametrize("kind", KINDS)
def test_an_xlsx_file_of_text_cells_imports(refs, tmp_path, kind):
    cells = [[row[c] for c in header(kind)] for row in rows(kind)]
    result = run_import(kind, write_xlsx(tmp_path / f"{kind}.xlsx", kind, cells))
    assert result.ok and result.created == 2, result.error_lines()


def test_xlsx_date_and_number_cells_are_read_as_their_text_would_be(refs, tmp_path):
    """Excel keeps times as date cells (no zone: Shanghai) and figures as numbers; a month
    typed as 2026-10 becomes the date cell 2026-10-01."""
    repair = [
        "R-X1", "A-NJ-1", dt.datetime(2026, 10, 3, 8), dt.datetime(2026, 10, 3, 20), "urban",
        "光猫故障", 1, None, None, None, 4,
    ]  # fmt: skip
    operations = [dt.datetime(2026, 10, 1), "南京", "broadband", 1234.5, 100, 200, 150]
    assert run_import("repairs", write_xlsx(tmp_path / "r.xlsx", "repairs", [repair])).ok
    stored = Repair.objects.get()
    assert stored.reported_at == shanghai(2026, 10, 3, 8) and stored.visit_rating == 4
    assert stored.network_fault is True
    result = run_import("operations", write_xlsx(tmp_path / "o.xlsx", "operations", [operations]))
    assert result.ok, result.error_lines()
    month = OperationsMonth.objects.get()
    assert month.month == dt.date(2026, 10, 1) and month.revenue_yuan == Decimal("1234.50")


def test_json_lines_with_the_same_keys_import_too(refs, tmp_path):
    import json

    path = tmp_path / "transfers.jsonl"
    lines = [{**row, "connected_at": row["connected_at"] or None} for row in rows("transfers")]
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines))
    result = run_import("transfers", path)
    assert result.ok and result.created == 2
    assert Transfer.objects.get(transfer_id="T-002").connected_at is None


@pytest.mark.parametrize("kind", KINDS)
def test_a_dry_run_counts_what_it_would_do_and_writes_nothing(refs, tmp_path, kind):
    audited = AuditEntry.objects.count()
    result = run_import(kind, write_csv(tmp_path / "d.csv", kind, rows(kind)), dry_run=True)
    assert result.ok and result.dry_run and result.created == 2
    assert imported(kind) == 0 and AuditEntry.objects.count() == audited


def test_a_dry_run_of_a_corrected_file_counts_updates(refs, tmp_path):
    run_import("repairs", write_csv(tmp_path / "r.csv", "repairs", rows("repairs")))
    more = [*rows("repairs"), {**GOOD["repairs"][1], "repair_id": "R-003"}]
    result = run_import("repairs", write_csv(tmp_path / "r2.csv", "repairs", more), dry_run=True)
    assert (result.created, result.updated) == (1, 2) and Repair.objects.count() == 2


# --- bad rows ----------------------------------------------------------------------------

# (kind, cells changed in a copy of the first good row, the error's column and reason)
BAD = [
    ("repairs", {"account_id": "A-NONE"}, "account_id", "unknown account_id 'A-NONE'"),
    ("repairs", {"reported_at": "03/10/2026 08:00"}, "reported_at",
     "'03/10/2026 08:00' is not an ISO 8601 time (2026-11-22T08:00:00+08:00)"),
    ("repairs", {"reported_at": ""}, "reported_at", "a value is required"),
    ("repairs", {"restored_at": "2026-10-03 07:59"}, "restored_at",
     "is before reported_at of the same row"),
    ("repairs", {"appointment_to": ""}, "appointment_to",
     "give both ends of the appointment window or neither"),
    ("repairs", {"appointment_from": ""}, "appointment_from",
     "give both ends of the appointment window or neither"),
    ("repairs", {"appointment_to": "2026-10-03 13:00"}, "appointment_to",
     "is before appointment_from of the same row"),
    ("repairs", {"visit_rating": "6"}, "visit_rating", "6 is outside 1–5"),
    ("repairs", {"visit_rating": "good"}, "visit_rating", "'good' is not a whole number"),
    ("repairs", {"area": "town"}, "area", "'town' is not one of urban, rural"),
    ("repairs", {"network_fault": "yes"}, "network_fault", "'yes' is not 0 or 1"),
    ("repairs", {"cause": "故" * 65}, "cause", "longer than 64 characters"),
    ("activations", {"account_id": "A-NONE"}, "account_id", "unknown account_id 'A-NONE'"),
    ("activations", {"committed_at": "2026-09-30 09:00"}, "committed_at",
     "is before ordered_at of the same row"),
    ("activations", {"activated_at": "2026-10-01 08:00"}, "activated_at",
     "is before ordered_at of the same row"),
    ("activations", {"committed_at": ""}, "committed_at", "a value is required"),
    ("activations", {"appointment_from": ""}, "appointment_from",
     "give both ends of the appointment window or neither"),
    ("activations", {"visit_rating": "0"}, "visit_rating", "0 is outside 1–5"),
    ("transfers", {"city": "北京"}, "city", "unknown city '北京'"),
    ("transfers", {"connected_at": "2026-10-02 09:59:59"}, "connected_at",
     "is before requested_at of the same row"),
    ("transfers", {"requested_at": "2026-10-02 25:00"}, "requested_at",
     "'2026-10-02 25:00' is not an ISO 8601 time (2026-11-22T08:00:00+08:00)"),
    ("speed_tests", {"account_id": ""}, "account_id", "a value is required"),
    ("speed_tests", {"subscribed_mbps": ""}, "subscribed_mbps", "a value is required"),
    ("speed_tests", {"account_id": "A-NONE"}, "account_id", "unknown account_id 'A-NONE'"),
    ("speed_tests", {"level": "province"}, "level", "'province' is not one of user, city, exit"),
    ("speed_tests", {"city": ""}, "city", "unknown city ''"),
    ("speed_tests", {"down_mbps": "fast"}, "down_mbps", "'fast' is not a number"),
    ("speed_tests", {"down_mbps": "nan"}, "down_mbps", "'nan' is not a number"),
    ("speed_tests", {"up_mbps": "-1"}, "up_mbps", "-1 is outside 0–1000000"),
    ("operations", {"month": "2026/10"}, "month", "'2026/10' is not a month (YYYY-MM)"),
    ("operations", {"month": "2026-1"}, "month", "'2026-1' is not a month (YYYY-MM)"),
    ("operations", {"month": "2026-13"}, "month", "'2026-13' is not a month (YYYY-MM)"),
    ("operations", {"city": "Nanjing"}, "city", "unknown city 'Nanjing'"),
    ("operations", {"product": "fiber"}, "product",
     "'fiber' is not one of broadband, mobile, dedicated_voice, dedicated_data, "
     "dedicated_internet, iptv"),
    ("operations", {"ports_in_use": "400001"}, "ports_in_use", "is more than ports_built"),
    ("operations", {"revenue_yuan": "1.234"}, "revenue_yuan", "1.234 has more than 2 decimals"),
    ("operations", {"revenue_yuan": "-5"}, "revenue_yuan", "-5 is outside 0–10000000000000"),
    ("operations", {"billed_accounts": "2.5"}, "billed_accounts",
     "'2.5' is not a whole number"),
    ("circuits", {"customer_id": "G-NONE"}, "customer_id", "unknown customer_id 'G-NONE'"),
    ("circuits", {"city": "上海"}, "city", "unknown city '上海'"),
    ("circuits", {"contract_availability": "101"}, "contract_availability",
     "101 is outside 0–100"),
    ("circuits", {"contract_availability": "99.99999"}, "contract_availability",
     "99.99999 has more than 4 decimals"),
    ("circuits", {"product": "broadband"}, "product",
     "'broadband' is not one of dedicated_voice, dedicated_data, dedicated_internet"),
    ("circuits", {"contract_repair_hours": "0"}, "contract_repair_hours",
     "0 is outside 0.01–10000"),
    ("circuits", {"opened_at": ""}, "opened_at", "a value is required"),
    ("circuit_outages", {"circuit_id": "DL-NONE"}, "circuit_id",
     "unknown circuit_id 'DL-NONE'"),
    ("circuit_outages", {"restored_at": "2026-10-06 00:59"}, "restored_at",
     "is before started_at of the same row"),
    ("circuit_outages", {"network_fault": "2"}, "network_fault", "'2' is not 0 or 1"),
    ("circuit_outages", {"cause": "光缆\x00中断"}, "cause", "holds a control character"),
    ("transfers", {"skill": "宽带\x1b专席"}, "skill", "holds a control character"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "cells", "column", "reason"), BAD)
def test_a_bad_last_row_is_named_and_nothing_of_the_file_is_written(
    refs, tmp_path, kind, cells, column, reason
):
    """The good rows come first: the import still writes none of them."""
    bad = {**GOOD[kind][0], **cells}
    if kind != "operations":  # its key is month, city and product, not an ID column
        bad[header(kind)[0]] += "-BAD"
    else:
        bad["product"] = cells.get("product", "mobile")
    result = run_import(
        kind, write_csv(tmp_path / "bad.csv", kind, [*rows(kind), bad]), display_name="bad.csv"
    )
    assert result.error_lines() == [f"bad.csv:4: {column}: {reason}"]
    assert imported(kind) == 0
    assert not AuditEntry.objects.filter(target=f"import:{kind}").exists()


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "operations"])
def test_an_id_twice_in_one_file_is_refused_naming_the_first_line(refs, tmp_path, kind):
    key = header(kind)[0]
    twice = [*rows(kind), {**GOOD[kind][1]}]
    result = run_import(kind, write_csv(tmp_path / "d.csv", kind, twice), display_name="d.csv")
    value = GOOD[kind][1][key]
    assert result.error_lines() == [f"d.csv:4: {key}: {value} appears again (first on line 3)"]
    assert imported(kind) == 0


def test_a_month_city_and_product_twice_in_one_file_is_refused(refs, tmp_path):
    twice = [*rows("operations"), {**GOOD["operations"][0], "city": "NJ"}]
    result = run_import("operations", write_csv(tmp_path / "o.csv", "operations", twice))
    assert [(e.line, e.column) for e in result.errors] == [(4, "month")]
    assert "first on line 2" in result.errors[0].reason
    assert OperationsMonth.objects.count() == 0


@pytest.mark.parametrize("kind", KINDS)
def test_a_missing_required_column_is_named_on_line_1(refs, tmp_path, kind):
    columns = header(kind)[1:]
    result = run_import(
        kind, write_csv(tmp_path / "m.csv", kind, rows(kind), columns=columns), display_name="m.csv"
    )
    assert result.error_lines() == [
        f"m.csv:1: {header(kind)[0]}: required column is missing from the header row"
    ]


def test_every_bad_row_is_reported_not_only_the_first(refs, tmp_path):
    bad = rows("repairs")
    bad[0]["area"] = "town"
    bad[1]["account_id"] = "A-NONE"
    result = run_import("repairs", write_csv(tmp_path / "r.csv", "repairs", bad))
    assert [(e.line, e.column) for e in result.errors] == [(2, "area"), (3, "account_id")]


def test_a_refused_correction_leaves_the_stored_rows_as_they_were(refs, tmp_path):
    run_import("repairs", write_csv(tmp_path / "r.csv", "repairs", rows("repairs")))
    corrected = rows("repairs")
    corrected[0]["cause"] = "改过的原因"
    corrected[1]["visit_rating"] = "6"
    result = run_import("repairs", write_csv(tmp_path / "r2.csv", "repairs", corrected))
    assert not result.ok
    assert Repair.objects.get(repair_id="R-001").cause == "光猫故障"


# --- the command -------------------------------------------------------------------------


def sqm(*args: str) -> int:
    """Run the console script in this process; its exit status. (A command closes the
    database connections when it ends, which would end the test's transaction on
    PostgreSQL: kept open here.)"""
    from unittest import mock

    try:
        with mock.patch("django.core.management.base.connections.close_all"):
            sqm_main(["sqm", *args])
    except SystemExit as exc:
        return exc.code
    return 0


def test_sqm_import_repairs_exits_0_and_says_what_it_did(refs, tmp_path, capsys):
    path = write_csv(tmp_path / "repairs.csv", "repairs", rows("repairs"))
    assert sqm("import", "repairs", str(path)) == 0
    assert f"{path}: 2 rows, created 2, updated 0" in capsys.readouterr().out
    assert Repair.objects.count() == 2


def test_sqm_import_repairs_exits_1_printing_each_bad_row(refs, tmp_path, capsys):
    bad = rows("repairs")
    bad[0]["visit_rating"] = "6"
    bad[1]["restored_at"] = "2026-10-05 17:00"  # before 10:00 UTC = 18:00 Shanghai
    path = write_csv(tmp_path / "repairs.csv", "repairs", bad)
    assert sqm("import", "repairs", str(path)) == 1
    err = capsys.readouterr().err.splitlines()
    assert f"{path}:2: visit_rating: 6 is outside 1–5" in err
    assert f"{path}:3: restored_at: is before reported_at of the same row" in err
    assert any("2 bad row(s) in 2; nothing was imported" in line for line in err)
    assert Repair.objects.count() == 0


def test_sqm_import_repairs_dry_run_exits_0_and_changes_nothing(refs, tmp_path, capsys):
    path = write_csv(tmp_path / "repairs.csv", "repairs", rows("repairs"))
    assert sqm("import", "repairs", str(path), "--dry-run") == 0
    assert "would create 2" in capsys.readouterr().out
    assert Repair.objects.count() == 0


# --- the documentation ---------------------------------------------------------------------


def test_the_examples_of_docs_formats_import_as_they_stand(db, tmp_path):
    """Each kind's example CSV in docs/formats.md ("Quality facts") imports cleanly, in the
    documented order, against the accounts and customer the examples name."""
    import re
    from pathlib import Path

    from tests.factories import AccountFactory, CustomerFactory

    text = (Path(__file__).parents[2] / "docs" / "formats.md").read_text(encoding="utf-8")
    section = text.split("## Quality facts", 1)[1].split("\n## ", 1)[0]
    examples = dict(re.findall(r"### (\w+)\n.*?```csv\n(.*?)```", section, flags=re.S))
    assert sorted(examples) == sorted(KINDS)
    for number in (1, 2):
        AccountFactory(account_id=f"A00000000{number}")
    CustomerFactory(customer_id="G000000001", customer_type="group")
    for kind in KINDS:
        path = tmp_path / f"{kind}.csv"
        path.write_text(examples[kind], encoding="utf-8")
        result = run_import(kind, path)
        assert result.ok and result.created == 2, (kind, result.error_lines())
