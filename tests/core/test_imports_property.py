"""Property: whatever mix of good and malformed rows a file holds, an import is all or nothing."""

from __future__ import annotations

import csv

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sqm.customers.importers  # noqa: F401
from sqm.core.importing import run_import
from sqm.core.models import ChangeLogEntry
from sqm.customers.models import Customer
from tests.core.test_imports import CUSTOMER_HEADER

GOOD = {
    "name": "王小明",
    "mobile": "13812345678",
    "id_number": "320102198001011238",
    "customer_type": "public",
    "tier": "gold",
    "city": "南京",
    "district": "玄武区",
    "marketing_consent": "1",
    "service_sms_opt_out": "0",
    "address": "南京市玄武区中山路1号",
}
# Values that must be refused in each column.
BAD = {
    "mobile": st.sampled_from(
        [
            "",
            "1381234567",
            "23812345678",
            "138123456789",
            "１３８１２３４５６７８",
            "138-1234-5678",
            "1381234567８",
        ]
    ),
    "id_number": st.sampled_from(["", "320102198001011237", "32010219800101123", "abc"]),
    "customer_type": st.sampled_from(["", "vip", "Public", "集团"]),
    "tier": st.sampled_from(["", "platinum", "GOLD"]),
    "city": st.sampled_from(["", "北京", "Nanjing"]),
    "marketing_consent": st.sampled_from(["2", "yes", "-1"]),
    "name": st.just(""),
}


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(st.one_of(st.none(), st.sampled_from(sorted(BAD))), min_size=1, max_size=12),
    data=st.data(),
)
def test_an_import_with_any_bad_row_changes_nothing(tmp_path, kinds, data):
    rows, bad_lines = [], set()
    for index, column in enumerate(kinds):
        row = {"customer_id": f"P{index:04d}", **GOOD}
        if column is not None:
            row[column] = data.draw(BAD[column])
            bad_lines.add(index + 2)
        rows.append(row)
    path = tmp_path / "customers.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CUSTOMER_HEADER)
        writer.writeheader()
        writer.writerows(rows)

    with transaction.atomic():
        logged_before = ChangeLogEntry.objects.count()
        result = run_import("customers", path, display_name="customers.csv")
        if bad_lines:
            assert not result.ok
            assert {e.line for e in result.errors} == bad_lines  # each bad row named, no other
            assert Customer.objects.count() == 0
            assert ChangeLogEntry.objects.count() == logged_before
        else:
            assert result.ok and Customer.objects.count() == len(rows)
        transaction.set_rollback(True)
