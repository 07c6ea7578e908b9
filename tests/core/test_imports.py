"""Imports: every row validated, errors as file:line: column: reason, all or nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

import sqm.customers.importers  # noqa: F401
import sqm.network.importers  # noqa: F401
from sqm.core.formats import ACCOUNT_COLUMNS, CUSTOMER_COLUMNS, TOPOLOGY_COLUMNS
from sqm.core.importing import run_import
from sqm.core.models import ChangeLogEntry
from sqm.customers.models import Account, Customer
from sqm.network.models import Board, Olt, Onu, PonPort

CUSTOMER_HEADER = list(CUSTOMER_COLUMNS)
ACCOUNT_HEADER = list(ACCOUNT_COLUMNS)
TOPOLOGY_HEADER = list(TOPOLOGY_COLUMNS)

GOOD_CUSTOMERS = [
    [
        "C001",
        "王小明",
        "13812345678",
        "320102198001011238",
        "public",
        "gold",
        "南京",
        "玄武区",
        "1",
        "0",
        "南京市玄武区中山路1号",
    ],
    [
        "C002",
        "李华",
        "13912345678",
        "320502199002020028",
        "group",
        "normal",
        "SZ",
        "姑苏区",
        "0",
        "1",
        "",
    ],
]
TOPOLOGY = [
    ["OLT-NJ-1", "玄武OLT01", "10.0.0.1", "华为", "南京", "玄武区", "0", "1", "0", "ONU-1"],
    ["OLT-NJ-1", "玄武OLT01", "10.0.0.1", "华为", "南京", "玄武区", "0", "1", "0", "ONU-2"],
    ["OLT-NJ-1", "玄武OLT01", "10.0.0.1", "华为", "南京", "玄武区", "0", "2", "5", "ONU-3"],
]


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding="utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.mark.django_db
def test_it_imports_customers_and_logs_each_creation(tmp_path):
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, GOOD_CUSTOMERS)
    result = run_import("customers", path)
    assert result.ok and (result.rows, result.created, result.updated) == (2, 2, 0)
    c1 = Customer.objects.get(customer_id="C001")
    assert (c1.name, c1.mobile, c1.tier, c1.city.code) == ("王小明", "13812345678", "gold", "NJ")
    assert c1.marketing_consent and not c1.service_sms_opt_out
    assert Customer.objects.get(customer_id="C002").city.code == "SZ"
    assert ChangeLogEntry.objects.filter(action="create", object_id=str(c1.pk)).exists()


@pytest.mark.django_db
def test_it_updates_existing_customers_on_reimport(tmp_path):
    run_import("customers", write_csv(tmp_path / "a.csv", CUSTOMER_HEADER, GOOD_CUSTOMERS))
    changed = [row[:] for row in GOOD_CUSTOMERS]
    changed[0][5] = "diamond"
    result = run_import("customers", write_csv(tmp_path / "b.csv", CUSTOMER_HEADER, changed))
    assert (result.created, result.updated) == (0, 2)
    assert Customer.objects.get(customer_id="C001").tier == "diamond"
    entry = ChangeLogEntry.objects.filter(action="update").latest("id")
    assert entry.before["tier"] == "gold" and entry.after["tier"] == "diamond"


@pytest.mark.django_db
def test_it_reports_every_bad_row_and_changes_nothing(tmp_path):
    rows = [row[:] for row in GOOD_CUSTOMERS] + [
        [
            "C003",
            "赵六",
            "1381234",
            "320102198001011238",
            "public",
            "normal",
            "南京",
            "",
            "0",
            "0",
            "",
        ],
        [
            "C004",
            "钱七",
            "13812340000",
            "320102198001011237",
            "public",
            "normal",
            "南京",
            "",
            "0",
            "0",
            "",
        ],
        [
            "C005",
            "孙八",
            "13812340001",
            "320102198001011238",
            "vip",
            "normal",
            "北京",
            "",
            "2",
            "0",
            "",
        ],
        [
            "C001",
            "重复",
            "13812340002",
            "320102198001011238",
            "public",
            "normal",
            "南京",
            "",
            "0",
            "0",
            "",
        ],
    ]
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, rows)
    result = run_import("customers", path, display_name="customers.csv")
    assert not result.ok
    assert result.error_lines() == [
        "customers.csv:4: mobile: '1381234' is not an 11-digit mainland mobile number",
        "customers.csv:5: id_number: not an 18-character ID number with a valid check digit",
        "customers.csv:6: customer_type: 'vip' is not one of public, group",
        "customers.csv:7: customer_id: C001 appears again (first on line 2)",
    ]
    assert Customer.objects.count() == 0
    assert not ChangeLogEntry.objects.filter(action="create").exists()


@pytest.mark.django_db
def test_it_names_a_missing_column(tmp_path):
    header = [h for h in CUSTOMER_HEADER if h != "tier"]
    path = write_csv(tmp_path / "c.csv", header, [])
    result = run_import("customers", path, display_name="c.csv")
    assert result.error_lines() == ["c.csv:1: tier: required column is missing from the header row"]


@pytest.mark.django_db
def test_it_reads_gbk_when_declared_and_explains_when_not(tmp_path):
    path = write_csv(tmp_path / "gbk.csv", CUSTOMER_HEADER, GOOD_CUSTOMERS, encoding="gbk")
    undeclared = run_import("customers", path, display_name="gbk.csv")
    assert not undeclared.ok and "--encoding gbk" in undeclared.error_lines()[0]
    assert Customer.objects.count() == 0
    declared = run_import("customers", path, encoding="gbk")
    assert declared.ok and Customer.objects.get(customer_id="C001").name == "王小明"


@pytest.mark.django_db
def test_it_reads_xlsx(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(CUSTOMER_HEADER)
    for row in GOOD_CUSTOMERS:
        sheet.append([int(v) if v in {"0", "1"} else v for v in row])
    path = tmp_path / "customers.xlsx"
    book.save(path)
    result = run_import("customers", path)
    assert result.ok and result.created == 2


@pytest.mark.django_db
def test_a_dry_run_validates_and_counts_but_writes_nothing(tmp_path):
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, GOOD_CUSTOMERS)
    result = run_import("customers", path, dry_run=True)
    assert result.ok and result.created == 2
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_it_builds_olts_boards_ports_and_onus_from_topology_rows(tmp_path):
    result = run_import("topology", write_csv(tmp_path / "t.csv", TOPOLOGY_HEADER, TOPOLOGY))
    assert result.ok
    assert Olt.objects.count() == 1 and Board.objects.count() == 2
    assert PonPort.objects.count() == 2 and Onu.objects.count() == 3
    onu = Onu.objects.get(onu_id="ONU-3")
    assert (onu.frame, onu.slot, onu.port, onu.pon_port.port) == (0, 2, 5, 5)


@pytest.mark.django_db
def test_it_rejects_an_olt_described_two_ways(tmp_path):
    rows = [r[:] for r in TOPOLOGY]
    rows[2][2] = "10.0.0.9"
    result = run_import(
        "topology", write_csv(tmp_path / "t.csv", TOPOLOGY_HEADER, rows), display_name="t.csv"
    )
    assert result.error_lines() == [
        "t.csv:4: olt_ip: differs from line 2 for the same OLT OLT-NJ-1"
    ]
    assert Olt.objects.count() == 0


@pytest.mark.django_db
def test_it_imports_accounts_against_customers_and_onus(tmp_path):
    run_import("customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, GOOD_CUSTOMERS))
    run_import("topology", write_csv(tmp_path / "t.csv", TOPOLOGY_HEADER, TOPOLOGY))
    rows = [
        [
            "A1",
            "C001",
            "broadband",
            "active",
            "南京市玄武区中山路1号",
            "500",
            "2024-05-01T10:00:00+08:00",
            "ONU-1",
        ],
        ["A2", "C001", "mobile", "active", "", "", "2020-01-01 09:00", ""],
    ]
    result = run_import("accounts", write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, rows))
    assert result.ok, result.error_lines()
    a1 = Account.objects.get(account_id="A1")
    assert a1.onu.onu_id == "ONU-1" and a1.customer.customer_id == "C001"
    assert a1.bandwidth_mbps == 500
    a2 = Account.objects.get(account_id="A2")
    assert a2.opened_at.utcoffset() is not None and a2.opened_at.hour in {1, 9}


@pytest.mark.django_db
def test_it_rejects_accounts_with_unknown_references(tmp_path):
    run_import("customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, GOOD_CUSTOMERS))
    rows = [
        ["A1", "C999", "mobile", "active", "", "", "", ""],
        ["A2", "C001", "broadband", "active", "", "100", "", "ONU-404"],
        ["A3", "C001", "broadband", "active", "", "100", "", ""],
        ["A4", "C001", "mobile", "active", "", "", "", "ONU-1"],
        ["A5", "C001", "mobile", "open", "", "", "", ""],
    ]
    result = run_import(
        "accounts", write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, rows), display_name="a.csv"
    )
    assert sorted(result.error_lines()) == [
        "a.csv:2: customer_id: no customer C999 (import customers first)",
        "a.csv:3: onu_id: no ONU ONU-404 (import the topology first)",
        "a.csv:4: onu_id: a broadband account needs the ONU it hangs on",
        "a.csv:5: onu_id: only broadband accounts hang on an ONU",
        "a.csv:6: status: 'open' is not one of active, suspended, closed",
    ]
    assert Account.objects.count() == 0


@pytest.mark.django_db
def test_the_command_exits_1_and_prints_file_line_column_reason(tmp_path, capsys):
    bad = [GOOD_CUSTOMERS[0][:]]
    bad[0][2] = "12345"
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, bad)
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", "customers", str(path))
    assert f"{path}:2: mobile:" in capsys.readouterr().err
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_what_generate_writes_imports_cleanly_with_the_commands(tmp_path, capsys):
    from sqm.core.generator import generate_province

    counts = generate_province(tmp_path, customers=300, seed=1)
    for kind in ("topology", "customers", "accounts"):
        call_command("import", kind, str(tmp_path / f"{kind}.csv"))
    assert Customer.objects.count() == counts["customers"] == 300
    assert Account.objects.count() == counts["accounts"]
    assert Onu.objects.count() == counts["topology"]
    broadband = Account.objects.filter(service="broadband")
    assert broadband.exists() and not broadband.filter(onu__isnull=True).exists()
    assert "created 300" in capsys.readouterr().out
