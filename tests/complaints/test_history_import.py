"""Complaint history import (`sqm import complaints FILE`): JSON Lines, CSV or XLSX, every row
validated, all or nothing, written in bulk with the record's own times."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import Workbook

import sqm.complaints.importers  # noqa: F401 - registers the importer
import sqm.customers.importers  # noqa: F401
import sqm.network.importers  # noqa: F401
from sqm.complaints.models import WorkOrder, WorkOrderEvent
from sqm.core.generator import generate_province
from sqm.core.importing import run_import
from sqm.core.importing.reader import INVALID, open_table
from sqm.core.models import ChangeLogEntry, ImportJob
from tests.factories import AccountFactory, CustomerFactory, UserFactory

UPGRADED = {"regulator", "consumer_association", "media"}


@pytest.fixture(scope="module")
def province(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("history-province")
    generate_province(out, customers=400, seed=11, months=6)
    return out


def load_reference_data(out: Path) -> None:
    for kind in ("topology", "customers", "accounts"):
        result = run_import(kind, out / f"{kind}.csv", log_changes=False)
        assert result.ok, result.error_lines()[:5]


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def write_jsonl(path: Path, records: list) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def record(number: str, customer_id: str, **changes) -> dict:
    """A closed direct-answer complaint; CHANGES override any key."""
    base = {
        "number": number,
        "customer_id": customer_id,
        "account_id": None,
        "channel": "hotline",
        "topic": "other",
        "demands": ["ask_reason"],
        "record_type": "direct_answer_complaint",
        "order_kind": None,
        "category": "BL.DS.01",
        "description": "上个月话费突然多了50元，要求解释原因。",
        "state": "closed",
        "created_at": "2026-05-10T10:00:00+08:00",
        "department": None,
        "first_responsible": None,
        "replied_at": "2026-05-10T10:00:00+08:00",
        "reply": "已向客户解释，客户接受。",
        "closed_at": "2026-05-10T10:00:00+08:00",
        "callback_outcome": None,
        "callback_attempts": 0,
        "untimely": None,
        "breach_reason": None,
        "repeat_of": None,
        "remediation": False,
    }
    return {**base, **changes}


def open_order(number: str, customer_id: str, **changes) -> dict:
    """An escalated work order still being handled."""
    defaults = {
        "record_type": "complaint_work_order",
        "category": "NQ.BB.01",
        "description": "宽带网速慢，要求尽快修复。",
        "demands": ["restore"],
        "state": "escalated",
        "department": "NET-2L",
        "replied_at": None,
        "reply": None,
        "closed_at": None,
    }
    return record(number, customer_id, **{**defaults, **changes})


# --- the generated province, end to end --------------------------------------------------------


@pytest.mark.django_db
def test_it_imports_what_generate_writes_after_the_reference_data(province, capsys):
    for kind in ("topology", "customers", "accounts"):
        call_command("import", kind, str(province / f"{kind}.csv"), "--no-change-log")
    call_command("import", "complaints", str(province / "complaints.jsonl"))
    records = read_jsonl(province / "complaints.jsonl")
    assert f"created {len(records)}" in capsys.readouterr().out
    assert WorkOrder.objects.count() == len(records)
    closed = sum(r["state"] == "closed" for r in records)
    assert WorkOrderEvent.objects.filter(action="open").count() == len(records)
    assert WorkOrderEvent.objects.filter(action="close").count() == closed
    orders = {o.number: o for o in WorkOrder.objects.select_related("customer", "category")}
    for r in records:
        order = orders[r["number"]]
        assert order.customer.customer_id == r["customer_id"]
        assert order.city_id == order.customer.city_id
        assert order.category.code == r["category"]
        assert order.upgraded == (r["channel"] in UPGRADED)
        assert order.demands == r["demands"] and order.state == r["state"]
        assert order.created == datetime.fromisoformat(r["created_at"])
        repeat = order.repeat_of.number if order.repeat_of_id else None
        assert repeat == r["repeat_of"]
    assert any(r["repeat_of"] for r in records)


@pytest.mark.django_db
def test_it_keeps_when_each_record_was_made_and_closed_not_when_it_was_loaded(province):
    load_reference_data(province)
    assert run_import("complaints", province / "complaints.jsonl").ok
    for r in read_jsonl(province / "complaints.jsonl")[:40]:
        order = WorkOrder.objects.get(number=r["number"])
        events = {e.action: e.time for e in order.events.all()}
        assert events["open"] == order.created == datetime.fromisoformat(r["created_at"])
        if r["closed_at"]:
            assert events["close"] == order.closed_at == datetime.fromisoformat(r["closed_at"])


@pytest.mark.django_db
def test_work_orders_get_the_deadlines_of_their_sla_policy(province):
    load_reference_data(province)
    assert run_import("complaints", province / "complaints.jsonl").ok
    orders = WorkOrder.objects.select_related("customer")
    for order in orders.filter(record_type="complaint_work_order"):
        limit = 24 if order.upgraded or order.customer.tier in ("gold", "diamond") else 48
        assert order.policy_id is not None
        assert order.resolve_due == order.created + timedelta(hours=limit)
        if order.replied_at:
            assert order.callback_due == order.replied_at + timedelta(hours=24)
        if order.state == "suspended":
            assert order.suspended_at == order.created and order.state_before_suspension
    assert not orders.exclude(record_type="complaint_work_order").exclude(policy=None).exists()


@pytest.mark.django_db
def test_the_change_log_records_each_order_unless_told_not_to(province):
    load_reference_data(province)
    result = run_import("complaints", province / "complaints.jsonl")
    logged = ChangeLogEntry.objects.filter(
        action="create", content_type=ContentType.objects.get_for_model(WorkOrder)
    )
    assert logged.count() == result.created
    entry = logged.first()
    assert entry.after["number"] and "created" not in entry.after


@pytest.mark.django_db
def test_the_same_history_cannot_be_imported_twice(province):
    load_reference_data(province)
    first = run_import("complaints", province / "complaints.jsonl", log_changes=False)
    again = run_import("complaints", province / "complaints.jsonl", log_changes=False)
    assert first.ok and not again.ok
    assert again.error_count == first.created
    assert "is already in the database" in again.errors[0].reason
    assert WorkOrder.objects.count() == first.created


@pytest.mark.django_db
def test_a_dry_run_checks_everything_and_changes_nothing(province, capsys):
    load_reference_data(province)
    call_command("import", "complaints", str(province / "complaints.jsonl"), "--dry-run")
    assert "nothing was changed (dry run)" in capsys.readouterr().out
    assert not WorkOrder.objects.exists() and not WorkOrderEvent.objects.exists()


# --- bad rows -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_file_with_bad_rows_imports_nothing_and_names_each_bad_line_and_field(tmp_path, capsys):
    mine, theirs = CustomerFactory(customer_id="C1"), CustomerFactory(customer_id="C2")
    AccountFactory(account_id="A2", customer=theirs)
    AccountFactory(account_id="A1", customer=mine)
    lines = [
        record("H01", "C1", account_id="A1"),  # 1: good
        record("H02", "C404"),  # 2
        record("H03", "C1", category="XX.01"),  # 3
        record("H04", "C1", category="NQ.BB"),  # 4
        record("H05", "C1", channel="pigeon"),  # 5
        record("H06", "C1", state="lost"),  # 6
        record("H07", "C1", record_type="gossip"),  # 7
        record("H08", "C1", created_at="yesterday"),  # 8
        record("H09", "C1", closed_at="2026-05-09T10:00:00+08:00"),  # 9
        record("H10", "C1", repeat_of="H99"),  # 10
        record("H01", "C1"),  # 11
        "[1, 2]",  # 12
        '{"number": "H13", ',  # 13
        {k: v for k, v in record("H14", "C1").items() if k != "channel"},  # 14
        record("H15", "C1", account_id="A2"),  # 15
        record("H16", "C1", demands=["restore", "world_peace"]),  # 16
        record("H17", "C1", state="in_progress", closed_at=None),  # 17
        open_order("H18", "C1", department="HOTLINE"),  # 18
        record("H19", "C1", untimely="maybe"),  # 19
        record("H20", "C2", repeat_of="H01"),  # 20
        "",  # 21: blank, skipped
        open_order("H22", "C1", state="replied"),  # 22
    ]
    path = write_jsonl(tmp_path / "history.jsonl", lines)
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", "complaints", str(path))
    err = capsys.readouterr().err
    expected = [
        (2, "customer_id", "no customer C404"),
        (3, "category", "no category XX.01"),
        (4, "category", "not a third-level category"),
        (5, "channel", "'pigeon' is not one of"),
        (6, "state", "'lost' is not one of"),
        (7, "record_type", "'gossip' is not one of"),
        (8, "created_at", "not an ISO 8601 time"),
        (9, "closed_at", "earlier than created_at"),
        (10, "repeat_of", "no record H99 earlier in the file or in the database"),
        (11, "number", "H01 appears again (first on line 1)"),
        (12, "-", "a line must be a JSON object, not an array"),
        (13, "-", "not valid JSON"),
        (14, "channel", "required key is missing"),
        (15, "account_id", "A2 belongs to another customer"),
        (16, "demands", "'world_peace' is not one of"),
        (17, "state", "recorded closed"),
        (18, "department", "cannot hold this role"),
        (19, "untimely", "'maybe' is not 0 or 1"),
        (20, "repeat_of", "H01 is another customer's record"),
        (22, "replied_at", "needs its reply time"),
    ]
    for line, column, reason in expected:
        assert f"{path}:{line}: {column}: " in err, (line, err)
        message = next(m for m in err.splitlines() if m.startswith(f"{path}:{line}: {column}: "))
        assert reason in message, message
    assert f"{path}:1:" not in err and f"{path}:21:" not in err
    assert not WorkOrder.objects.exists() and not WorkOrderEvent.objects.exists()


@pytest.mark.django_db
def test_a_number_already_imported_or_a_later_line_is_no_repeat_target(tmp_path):
    CustomerFactory(customer_id="C1")
    first = write_jsonl(tmp_path / "a.jsonl", [record("H1", "C1")])
    assert run_import("complaints", first).ok
    later = write_jsonl(
        tmp_path / "b.jsonl",
        [
            open_order("H2", "C1", repeat_of="H3"),  # H3 only comes later
            open_order("H3", "C1", created_at="2026-05-01T09:00:00+08:00", repeat_of="H1"),
        ],
    )
    result = run_import("complaints", later)
    assert [e.format("b") for e in result.errors] == [
        "b:1: repeat_of: no record H3 earlier in the file or in the database",
        "b:2: repeat_of: H1 was made after this record",
    ]
    assert WorkOrder.objects.count() == 1


# --- repeats ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_repeat_of_resolves_to_earlier_lines_and_to_the_database(tmp_path):
    CustomerFactory(customer_id="C1")
    assert run_import("complaints", write_jsonl(tmp_path / "a.jsonl", [record("H1", "C1")])).ok
    later = [
        open_order("H2", "C1", created_at="2026-05-12T09:00:00+08:00", repeat_of="H1"),
        open_order("H3", "C1", created_at="2026-05-13T09:00:00+08:00", repeat_of="H2"),
    ]
    result = run_import("complaints", write_jsonl(tmp_path / "b.jsonl", later))
    assert result.ok and result.created == 2
    h2, h3 = WorkOrder.objects.get(number="H2"), WorkOrder.objects.get(number="H3")
    assert h2.repeat_of.number == "H1" and h3.repeat_of_id == h2.pk


@pytest.mark.django_db
def test_repeat_of_resolves_across_batches(tmp_path, monkeypatch):
    monkeypatch.setattr("sqm.core.importing.base.BATCH_SIZE", 2)
    CustomerFactory(customer_id="C1")
    records = [record(f"H{i}", "C1", created_at=f"2026-05-{10 + i}T09:00:00+08:00",
                      replied_at=f"2026-05-{10 + i}T09:00:00+08:00",
                      closed_at=f"2026-05-{10 + i}T09:00:00+08:00") for i in range(5)]  # fmt: skip
    for i in range(1, 5):
        records[i] = open_order(
            f"H{i}", "C1", created_at=f"2026-05-{10 + i}T09:00:00+08:00", repeat_of=f"H{i - 1}"
        )
    assert run_import("complaints", write_jsonl(tmp_path / "h.jsonl", records)).ok
    for i in range(1, 5):
        assert WorkOrder.objects.get(number=f"H{i}").repeat_of.number == f"H{i - 1}"


# --- CSV and XLSX -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_csv_and_xlsx_hold_the_same_columns_with_demands_separated_by_semicolons(tmp_path):
    CustomerFactory(customer_id="C1")
    rows = [
        record("H1", "C1", demands="ask_reason;compensation", untimely="", remediation="0"),
        open_order("H2", "C1", demands="restore", created_at="2026-05-11 09:00"),
    ]
    header = list(rows[0])
    path = tmp_path / "history.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([["" if r[k] is None else r[k] for k in header] for r in rows])
    result = run_import("complaints", path)
    assert result.ok, result.error_lines()
    assert WorkOrder.objects.get(number="H1").demands == ["ask_reason", "compensation"]
    naive = WorkOrder.objects.get(number="H2").created  # naive times are Asia/Shanghai
    assert naive == datetime.fromisoformat("2026-05-11T09:00:00+08:00")

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    sheet.append(["" if v is None else v for v in record("H3", "C1", demands="other").values()])
    book.save(tmp_path / "history.xlsx")
    assert run_import("complaints", tmp_path / "history.xlsx").ok
    assert WorkOrder.objects.get(number="H3").demands == ["other"]


# --- the JSON Lines reader ------------------------------------------------------------------------


def rows_of(tmp_path: Path, content: bytes) -> list[tuple[int, dict]]:
    path = tmp_path / "x.jsonl"
    path.write_bytes(content)
    table = open_table(path)
    assert table.header is None
    return list(table.rows)


def test_the_reader_turns_json_values_into_cell_text(tmp_path):
    line = '{"a": null, "b": true, "c": false, "d": 7, "e": 2.5, "f": ["x", "y"], "g": " s "}'
    assert rows_of(tmp_path, line.encode()) == [
        (1, {"a": "", "b": "1", "c": "0", "d": "7", "e": "2.5", "f": "x;y", "g": "s"})
    ]


def test_the_reader_keeps_physical_line_numbers_and_skips_blank_lines(tmp_path):
    content = b'\xef\xbb\xbf{"n": 1}\n\n   \r\n{"n": 2}\r\n'
    assert rows_of(tmp_path, content) == [(1, {"n": "1"}), (4, {"n": "2"})]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"[1]", "a line must be a JSON object, not an array"),
        (b'"text"', "a line must be a JSON object, not a string"),
        (b"42", "a line must be a JSON object, not a number"),
        (b"null", "a line must be a JSON object, not null"),
        (b'{"a": 1,}', "not valid JSON: Expecting property name enclosed in double quotes at"),
        (b'{"a": 1, "a": 2}', "key a appears more than once"),
        (b'{"a": "\xff"}', "not valid UTF-8"),
    ],
)
def test_the_reader_reports_a_line_that_is_not_an_object(tmp_path, line, reason):
    rows = rows_of(tmp_path, b'{"ok": 1}\n' + line + b'\n{"ok": 2}\n')
    assert [n for n, _row in rows] == [1, 2, 3]
    assert rows[1][1][INVALID].startswith(reason)


@pytest.mark.django_db
def test_an_invalid_line_in_the_middle_is_reported_at_its_line(tmp_path):
    CustomerFactory(customer_id="C1")
    path = write_jsonl(tmp_path / "h.jsonl", [record("H1", "C1"), "{oops", record("H3", "C1")])
    result = run_import("complaints", path)
    assert [(e.line, e.column) for e in result.errors] == [(2, "-")]
    assert "at column 2" in result.errors[0].reason
    assert not WorkOrder.objects.exists()


# --- the upload page ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_upload_page_imports_history_for_those_allowed_to(client, tmp_path):
    CustomerFactory(customer_id="C1")
    quality = UserFactory(username="q", roles=["quality_manager"], all_cities=True)
    noc = UserFactory(username="n", roles=["network_ops"], all_cities=True)
    client.force_login(noc)
    assert 'value="complaints"' not in client.get(reverse("core:imports")).content.decode()
    client.force_login(quality)
    assert 'value="complaints"' in client.get(reverse("core:imports")).content.decode()
    body = (json.dumps(record("H1", "C1"), ensure_ascii=False) + "\n").encode()
    upload = SimpleUploadedFile("history.jsonl", body, "application/x-ndjson")
    client.post(reverse("core:imports"), {"kind": "complaints", "file": upload})
    job = ImportJob.objects.get()
    assert job.status == "done" and job.created_count == 1, job.errors
    assert WorkOrder.objects.get().number == "H1"


def test_the_importer_reads_exactly_the_keys_the_generator_writes():
    from sqm.complaints.importers import OPTIONAL, REQUIRED
    from sqm.complaints.province.history import COMPLAINT_KEYS

    assert set(REQUIRED) | set(OPTIONAL) == set(COMPLAINT_KEYS)
    assert not set(REQUIRED) & set(OPTIONAL)
