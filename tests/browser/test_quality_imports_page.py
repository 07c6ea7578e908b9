"""A quality manager uploads a repairs file on the import page: it is offered among the
kinds, imported by the worker with the progress box, and a file with a bad last row is
refused with that row listed and nothing imported. A first-line agent never gets the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sqm.core.models import ImportStatus
from sqm.quality.models import Repair
from tests.browser.conftest import login
from tests.browser.test_imports_page import JOB_URL, error_rows, expect_finished
from tests.quality.import_files import GOOD, csv_bytes, references

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def upload_repairs(page, rows) -> int:
    page.goto("/core/imports/")
    page.locator("#id_kind").select_option("repairs")
    page.locator("#id_file").set_input_files(
        {"name": "repairs.csv", "mimeType": "text/csv", "buffer": csv_bytes("repairs", rows)}
    )
    page.locator("#import-form button[type=submit]").click()
    page.wait_for_url(JOB_URL)
    return int(JOB_URL.search(page.url).group(1))


def test_a_quality_manager_uploads_repairs_and_a_file_with_a_bad_last_row_is_refused(
    page, live_server, quality_manager
):
    references()
    login(page, live_server, quality_manager)
    page.goto("/core/imports/")
    offered = page.locator("#id_kind option").evaluate_all("os => os.map(o => o.value)")
    assert {"repairs", "activations", "circuit_outages", "operations"} <= set(offered)

    upload_repairs(page, GOOD["repairs"])
    expect_finished(page, ImportStatus.DONE)
    assert sorted(Repair.objects.values_list("repair_id", flat=True)) == ["R-001", "R-002"]

    rows = [dict(GOOD["repairs"][0], cause="改过的原因"), dict(GOOD["repairs"][1])]
    rows.append({**GOOD["repairs"][1], "repair_id": "R-003", "visit_rating": "6"})
    upload_repairs(page, rows)
    expect_finished(page, ImportStatus.FAILED)
    assert [row[:2] for row in error_rows(page)] == [["4", "visit_rating"]]
    assert Repair.objects.count() == 2
    assert Repair.objects.get(repair_id="R-001").cause == "光猫故障"  # the correction waits


def test_a_first_line_agent_gets_no_import_page(page, live_server, first_line):
    login(page, live_server, first_line)
    response = page.goto("/core/imports/")
    assert response.status == 403
    expect(page.locator("#id_kind")).to_have_count(0)
