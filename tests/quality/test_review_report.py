"""Hostile review of the monthly report's scoping: a Nanjing manager's exports (XLSX, HTML)
of a published issue and of a draft hold no Suzhou row, and the values a later run changed
show only Nanjing's and the province's."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import Client

from sqm.quality import report_services
from sqm.quality.facts import Month
from tests.factories import UserFactory
from tests.quality.report_helpers import REPAIR, build_runs, make_run

pytestmark = pytest.mark.django_db
M = Month.parse("2026-10")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def xlsx_text(content: bytes) -> str:
    # Parsed, not searched as bytes: with lxml installed openpyxl may write characters as
    # references (&#21335;).
    from xml.etree import ElementTree

    with zipfile.ZipFile(io.BytesIO(content)) as book:
        return "".join(
            "".join(ElementTree.fromstring(book.read(name)).itertext())
            for name in book.namelist()
            if name.endswith(".xml") and ("sheet" in name or "sharedStrings" in name)
        )


@pytest.mark.parametrize("published", [False, True])
def test_a_nanjing_managers_exports_hold_no_suzhou_row(quality_manager, published):
    build_runs()
    province = UserFactory(username="pq", roles=["quality_manager"], all_cities=True)
    issue = report_services.create_report(M, province, compute=False)
    if published:
        report_services.publish(issue, province)
    nanjing = client_for(quality_manager)
    for fmt in ("xlsx", "html"):
        response = nanjing.get(f"/quality/reports/2026-10/export.{fmt}")
        assert response.status_code == 200
        text = xlsx_text(response.content) if fmt == "xlsx" else response.content.decode()
        assert "南京" in text and "苏州" not in text, fmt
    everyone = client_for(province).get("/quality/reports/2026-10/export.html")
    assert "苏州" in everyone.content.decode()


def test_a_later_run_shows_a_nanjing_manager_no_suzhou_difference(quality_manager):
    build_runs()
    province = UserFactory(username="pq", roles=["quality_manager"], all_cities=True)
    issue = report_services.publish(
        report_services.create_report(M, province, compute=False), province
    )
    make_run("2026-10", {(REPAIR, "南京"): 0.5, (REPAIR, "苏州"): 0.5, (REPAIR, ""): 0.5})
    shown = report_services.shown(M, quality_manager, reported=issue)
    assert shown.differences and {d["key"] for d in shown.differences} <= {"南京", ""}


def test_a_nanjing_managers_home_tile_names_no_suzhou_short_board(quality_manager):
    import datetime as dt

    from sqm.quality import panels

    build_runs()
    now = dt.datetime(2026, 11, 15, 9, tzinfo=dt.UTC)
    tile = panels.short_boards(quality_manager, now)
    assert tile is not None and not tile.get("missing")
    assert {row["name"] for row in tile["cities"]} <= {"南京"}
    assert all("city=SZ" not in i["link"] for row in tile["cities"] for i in row["indicators"])
    province = UserFactory(username="pq", roles=["quality_manager"], all_cities=True)
    assert "苏州" in {row["name"] for row in panels.short_boards(province, now)["cities"]}


def test_creating_writing_and_publishing_an_issue_are_each_recorded(quality_manager):
    from sqm.core.models import AuditEntry, ChangeLogEntry

    build_runs()
    province = UserFactory(username="pq", roles=["quality_manager"], all_cities=True)
    issue = report_services.create_report(M, province, compute=False)
    report_services.save_text(issue, quality_manager, summary="南京维修超时")
    report_services.publish(issue, province)
    entries = ChangeLogEntry.objects.filter(object_id=str(issue.pk))
    assert entries.count() >= 3
    assert {e.user for e in entries} >= {province, quality_manager}
    assert AuditEntry.objects.filter(target="quality-report:2026-10", actor=province).exists()
