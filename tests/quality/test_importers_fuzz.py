"""Properties of the seven quality fact importers under hostile files: random cells and random
bytes never crash an import, and an import is all or nothing (as tests/core/
test_imports_property.py holds for customers)."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqm.core.importing import run_import
from sqm.core.models import AuditEntry
from tests.quality.import_files import GOOD, KINDS, header, references
from tests.quality.test_importers import BAD, MODELS, PRESENT

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Cells that have tripped parsers elsewhere: special floats, far dates, other digits, NUL.
NASTY = st.sampled_from(
    [
        "", " ", "nan", "inf", "-inf", "1e309", "-0", "1_000", "０", "٣", "0x10", "1e-400",
        "2026-02-30", "2026-10-03T08:00:00+24:00", "0001-01-01", "9999-12-31T23:59:59-23:59",
        "10000-01-01", "2026-10", "2026-10-01T00:00:00", "NULL", "None", "\x00", "a\x00b",
        "=cmd|' /C calc'!A0", "南京", "苏州市", "user", "urban", "1", "0", "6", "101",
        "99.99999", "1" * 400, "R-001", "A-NJ-1", "DL-NJ", "G-NJ-1",
    ]
)  # fmt: skip
CELL = st.one_of(NASTY, st.text(st.characters(exclude_categories=("Cs",)), max_size=24))


@pytest.fixture
def refs(db):
    references()


def counts() -> dict[str, int]:
    return {kind: model.objects.count() for kind, model in MODELS.items()}


def write(path, kind, rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header(kind), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.django_db
@FUZZ
@given(kind=st.sampled_from(KINDS), data=st.data())
def test_random_cells_never_crash_an_import_and_never_half_write_it(refs, tmp_path, kind, data):
    columns = header(kind)
    rows = []
    for index in range(data.draw(st.integers(1, 6))):
        row = dict(GOOD[kind][index % 2])
        if kind != "operations":
            row[columns[0]] = f"F-{index}"
        else:
            row["product"] = ["broadband", "mobile", "iptv", "dedicated_data"][index % 4]
            row["city"] = ["南京", "苏州"][index // 4 % 2]
        for column in data.draw(st.lists(st.sampled_from(columns), max_size=3, unique=True)):
            row[column] = data.draw(CELL)
        rows.append(row)
    write(tmp_path / "f.csv", kind, rows)
    with transaction.atomic():
        before, audited = counts(), AuditEntry.objects.count()
        result = run_import(kind, tmp_path / "f.csv", display_name="f.csv")
        after = counts()
        if result.ok:
            assert after[kind] - before[kind] == result.created
            assert result.created + result.updated == len(rows)
        else:
            assert after == before and AuditEntry.objects.count() == audited
            # Lines are the file's: a cell holding a line break moves the rows after it.
            text = (tmp_path / "f.csv").read_text(encoding="utf-8")
            last = len(io.StringIO(text, newline="").readlines())  # as the reader counts
            assert result.errors and all(2 <= e.line <= last for e in result.errors)
        transaction.set_rollback(True)


# Each case of the bad-row table as a strategy: the row it spoils, and its column.
SPOILERS = {kind: [(cells, column) for k, cells, column, _r in BAD if k == kind] for kind in KINDS}


@pytest.mark.django_db
@FUZZ
@given(kind=st.sampled_from(KINDS), data=st.data())
def test_any_mix_of_good_and_bad_rows_names_each_bad_row_and_writes_nothing(
    refs, tmp_path, kind, data
):
    columns = header(kind)
    plan = data.draw(
        st.lists(st.one_of(st.none(), st.sampled_from(SPOILERS[kind])), min_size=1, max_size=8)
    )
    rows, bad_lines = [], set()
    for index, spoil in enumerate(plan):
        row = dict(GOOD[kind][0])
        if kind == "operations":  # one row per month: the key is month, city and product
            row["month"] = f"{2020 + index // 12}-{index % 12 + 1:02d}"
        else:
            row[columns[0]] = f"M-{index}"
        if spoil is not None:
            cells, column = spoil
            row.update(cells)
            bad_lines.add(index + 2)
        rows.append(row)
    write(tmp_path / "m.csv", kind, rows)
    with transaction.atomic():
        result = run_import(kind, tmp_path / "m.csv")
        if bad_lines:
            assert {e.line for e in result.errors} == bad_lines
            assert MODELS[kind].objects.count() == PRESENT.get(kind, 0)
        else:
            assert result.ok and result.created == len(rows)
        transaction.set_rollback(True)


@pytest.mark.django_db
@FUZZ
@given(
    kind=st.sampled_from(KINDS),
    suffix=st.sampled_from([".csv", ".xlsx", ".jsonl"]),
    with_header=st.booleans(),
    body=st.binary(max_size=600),
    encoding=st.sampled_from([None, "gbk"]),
)
def test_random_bytes_are_refused_with_reasons_never_a_crash(
    refs, tmp_path, kind, suffix, with_header, body, encoding
):
    path = tmp_path / f"b{suffix}"
    head = (",".join(header(kind)) + "\n").encode() if with_header else b""
    path.write_bytes(head + body)
    with transaction.atomic():
        before = counts()
        result = run_import(kind, path, encoding=encoding)
        if not result.ok:
            assert counts() == before
            assert all(line.count(":") >= 3 for line in result.error_lines())
        transaction.set_rollback(True)
