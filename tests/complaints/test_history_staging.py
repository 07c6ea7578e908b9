"""A complaint-history import holds the write lock only for a few set-based statements
(issue 11 §5): work orders and their timelines are staged outside the transaction; events
find their work order, and repeats their earlier record of the same file, by number in SQL."""

from __future__ import annotations

from datetime import datetime

import pytest

import sqm.complaints.importers
from sqm.complaints.models import WorkOrder, WorkOrderEvent
from sqm.core.importing import run_import
from sqm.core.models import ChangeLogEntry
from tests.complaints.test_history_import import open_order, record, write_jsonl
from tests.core.test_import_staging import import_counting, small_batches  # noqa: F401
from tests.factories import CustomerFactory


def history(prefix: str, count: int, first_repeats: str) -> list[dict]:
    """COUNT records of customer C1, each repeating the one before (the first: FIRST_REPEATS,
    already stored); every other one closed."""
    made = []
    for i in range(count):
        when = f"2026-06-{1 + i // 24:02d}T{i % 24:02d}:00:00+08:00"
        repeats = f"{prefix}{i - 1}" if i else first_repeats
        if i % 2:
            made.append(record(f"{prefix}{i}", "C1", created_at=when, replied_at=when,
                               closed_at=when, repeat_of=repeats))  # fmt: skip
        else:
            made.append(open_order(f"{prefix}{i}", "C1", created_at=when, repeat_of=repeats))
    return made


@pytest.mark.django_db
def test_the_write_transaction_runs_as_many_statements_for_45_records_as_for_5(
    tmp_path,
    small_batches,  # noqa: F811
):
    CustomerFactory(customer_id="C1")
    first = record("H0", "C1", created_at="2026-05-01T09:00:00+08:00")
    assert run_import("complaints", write_jsonl(tmp_path / "h.jsonl", [first])).ok
    _r, small = import_counting(
        "complaints", write_jsonl(tmp_path / "a.jsonl", history("A", 5, "H0"))
    )
    result, large = import_counting(
        "complaints", write_jsonl(tmp_path / "b.jsonl", history("B", 45, "H0"))
    )
    assert result.created == 45 and WorkOrder.objects.count() == 51
    assert large.statements == small.statements  # O(1), not one INSERT per batch or row
    assert large.rows == small.rows
    stored = WorkOrder.objects.get(number="H0")
    b0, b1, b30 = (WorkOrder.objects.get(number=n) for n in ("B0", "B1", "B30"))
    assert b0.repeat_of_id == stored.pk and b1.repeat_of_id == b0.pk  # stored; same file
    assert b30.repeat_of.number == "B29"  # an earlier batch of the same file
    assert b30.created == datetime.fromisoformat("2026-06-02T06:00:00+08:00")  # not the load's
    assert list(b1.events.values_list("action", flat=True).order_by("time", "id")) == [
        "open",
        "close",
    ]
    # Opened (45), closed (22) and, for the 23 escalated ones, imported in that state.
    assert list(b0.events.values_list("action", flat=True).order_by("time", "id")) == [
        "open",
        "import",
    ]
    assert WorkOrderEvent.objects.filter(work_order__number__startswith="B").count() == 45 + 22 + 23
    logged = ChangeLogEntry.objects.get(action="create", object_id=str(b30.pk),
                                        content_type__model="workorder")  # fmt: skip
    assert logged.after["repeat_of"] == b30.repeat_of_id and logged.object_repr == "B30"


@pytest.mark.django_db
def test_a_record_taken_between_staging_and_writing_fails_the_whole_import(tmp_path, monkeypatch):
    """The stage drifted (its number is now stored): nothing of it is written, the plain
    write finds the number taken, and the import writes nothing at all."""
    CustomerFactory(customer_id="C1")
    importer = sqm.complaints.importers.ComplaintImporter
    begin = importer.begin

    def begin_after_another_writer(self):
        monkeypatch.setattr(importer, "begin", begin)
        assert run_import("complaints", write_jsonl(tmp_path / "o.jsonl", [record("X2", "C1")])).ok
        begin(self)

    monkeypatch.setattr(importer, "begin", begin_after_another_writer)
    records = [record("X1", "C1"), record("X2", "C1"), record("X3", "C1")]
    result = run_import("complaints", write_jsonl(tmp_path / "x.jsonl", records))
    assert not result.ok and result.created == 0
    assert result.error_lines() == [
        f"{tmp_path / 'x.jsonl'}:2: number: X2 is already in the database (history is only added)"
    ]
    # The other writer's import ran inside this one's transaction here, so it is gone too.
    assert not WorkOrder.objects.exists() and not WorkOrderEvent.objects.exists()
