"""The monthly service-quality report: its figures from a small hand-built set of runs, its
numbering, publishing (frozen, audited, a later run shown as differences), its pages and
exports against hostile input, permissions and city scoping, and `sqm report monthly`.

The runs are written directly (no engine): month M = 2026-10, with M-1, eight earlier months
of history for the control limits and M-12. Two indicators carry the story:
BB-REPAIR-TIMELY (higher is better; target 0.95, warning 0.92) and BB-COMPLAINTS-PER-10K
(lower is better; target 15, warning 20).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from sqm.core.models import AuditEntry, ChangeLogEntry, City
from sqm.quality import report, report_services
from sqm.quality.facts import Month
from sqm.quality.models import Indicator, KpiRun, MonthlyReport
from tests.factories import UserFactory
from tests.quality.report_helpers import (
    COMPLAINTS,
    NJ_HISTORY,
    REPAIR,
    build_runs,
    make_run,
)

pytestmark = pytest.mark.django_db

M = Month.parse("2026-10")


@pytest.fixture
def runs():
    return build_runs()


def city_rows(figures, code):
    return [(r["city"], r["rank"], r["value"]) for r in figures["rankings"][code] if r["value"]]


# --- figures -------------------------------------------------------------------------------


def test_cities_rank_best_first_by_each_indicators_better_direction_sharing_equal_ranks(runs):
    figures = report.build(M)
    assert city_rows(figures, REPAIR) == [
        ("南京", 1, 0.97), ("无锡", 2, 0.93), ("常州", 2, 0.93), ("苏州", 4, 0.90)
    ]  # fmt: skip
    assert city_rows(figures, COMPLAINTS) == [("南京", 1, 10), ("无锡", 2, 16), ("苏州", 3, 25)]
    # Cities without a value come last, unranked: every city is in the table.
    last = figures["rankings"][REPAIR][-1]
    assert last["value"] is None and last["rank"] is None
    assert len(figures["rankings"][REPAIR]) == City.objects.count()


def test_month_over_month_and_year_over_year_changes_come_from_the_runs_of_m_1_and_m_12(runs):
    figures = report.build(M)
    rows = {r["city"]: r for r in figures["rankings"][REPAIR]}
    assert rows["南京"]["mom"] == pytest.approx(0.02)
    assert rows["南京"]["yoy"] == pytest.approx(0.07)
    assert rows["苏州"]["mom"] == pytest.approx(-0.04)
    assert rows["苏州"]["yoy"] is None  # no value in 2025-10
    assert rows["无锡"]["mom"] is None  # no value in 2026-09
    assert figures["previous"]["run"] == runs["previous"].pk
    assert figures["year_ago"]["run"] == runs["year_ago"].pk
    assert report.change_display(rows["南京"]["mom"], "ratio") == "+2.00 pp"
    assert report.change_display(rows["苏州"]["yoy"], "ratio") == "—"
    assert report.change_display(-6, "per_10k") == "−6.00"
    # A change too small to print has no sign and is neither better nor worse.
    assert report.change_display(0.00001, "ratio") == "0.00 pp"
    assert report.change_is_better(0.00001, "higher", "ratio") is None
    assert report.change_is_better(-0.001, "lower", "ratio") is True


def test_a_city_value_outside_mean_plus_minus_three_sigma_of_its_own_history_is_flagged(runs):
    figures = report.build(M)
    control = figures["control"]
    flags = {(f["indicator"], f["city"]): f for f in control["flags"]}
    # 无锡's 16 complaints per 10k: its eight months average 10.625 with σ 0.744.
    flag = flags.pop((COMPLAINTS, "无锡"))
    assert flag["direction"] == "high" and flag["history"] == 8
    assert flag["mean"] == pytest.approx(10.625)
    assert flag["high"] == pytest.approx(10.625 + 3 * 0.7440238)
    # 南京's 0.97 lies inside 0.95 ± 0.0227; 苏州's 0.90 has only five earlier values.
    assert flags == {}
    assert control["min_history"] == 6 and control["too_short"] >= 1
    ranked = {r["city"]: r["control"] for r in figures["rankings"][COMPLAINTS]}
    assert ranked["无锡"] == "high" and ranked["南京"] is None


def test_control_limits_need_six_earlier_values():
    assert report.control_limits([1.0, 2.0, None, 3.0, 4.0, 5.0]) is None
    mean, sigma, n = report.control_limits([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert (mean, n) == (3.5, 6) and sigma == pytest.approx(1.8708287)


def test_short_boards_name_missed_indicators_worst_cities_and_largest_deteriorations(runs):
    boards = report.build(M)["short_boards"]
    # The province's 21 complaints per 10k miss (warning at 20); its 0.93 repair is a warning.
    assert [r["indicator"] for r in boards["missed"]] == [COMPLAINTS]
    worst = [(t["city"], len(t["missed"]), len(t["warning"])) for t in boards["worst_cities"]]
    assert worst == [("苏州", 2, 0), ("无锡", 0, 2), ("常州", 0, 1)]
    worse = [(r["indicator"], r["city"]) for r in boards["deteriorations"]]
    # Relative to target: 苏州 +10/15, 无锡 +6/15, 苏州 −0.04/0.95, the province −0.01/0.95.
    assert worse == [(COMPLAINTS, "苏州"), (COMPLAINTS, "无锡"), (REPAIR, "苏州"), (REPAIR, "")]
    assert boards["deteriorations"][0]["relative"] == pytest.approx(10 / 15)


def test_trends_hold_twelve_months_ending_with_the_report_month(runs):
    trends = report.build(M)["trends"]
    assert trends["months"][0] == "2025-11" and trends["months"][-1] == "2026-10"
    nanjing = trends["series"][REPAIR]["cities"]["南京"]
    assert nanjing == [None, None, None, *NJ_HISTORY, 0.97]
    assert trends["series"][REPAIR]["province"][-2:] == [0.94, 0.93]


def test_a_newer_run_by_city_alone_does_not_hide_the_province_figures_of_a_full_run(runs):
    city_only = make_run("2026-10", {(REPAIR, "南京"): 0.99})
    KpiRun.objects.filter(pk=city_only.pk).update(breakdowns=["city"])
    figures = report.build(M)
    assert figures["run"]["run"] == runs["current"].pk
    headline = {r["indicator"]: r for r in figures["headline"]}
    assert headline[REPAIR]["value"] == pytest.approx(0.93)


def test_the_figures_are_plain_json():
    import json

    make_run("2026-10", {(REPAIR, "南京"): 0.97})
    figures = report.build(M)
    assert json.loads(json.dumps(figures)) == figures


def test_a_month_without_a_run_has_no_figures_unless_computed():
    with pytest.raises(report.NoRun):
        report.build(M)


# --- numbering and publishing --------------------------------------------------------------


def test_issues_are_numbered_from_the_first_number_setting_on(runs, settings, quality_manager):
    settings.SQM_REPORT_FIRST_NUMBER = 18
    october = report_services.create_report(M, quality_manager)
    september = report_services.create_report(M.previous, quality_manager)
    assert (october.number, september.number) == (18, 19)
    assert report_services.create_report(M, quality_manager).pk == october.pk  # one per month
    assert october.run_id == runs["current"].pk and october.state == "draft"


def test_a_report_of_a_month_without_a_run_computes_one(quality_manager):
    created = report_services.create_report(Month.parse("2026-08"), quality_manager)
    assert created.run is not None and created.run.status == "done"
    assert created.run.month == dt.date(2026, 8, 1)


def test_the_issue_of_a_month_without_a_run_is_created_at_once_and_its_run_queued(
    quality_manager, django_capture_on_commit_callbacks
):
    from sqm.quality.models import KpiRun
    from sqm.quality.report_views import _months

    client = client_for(quality_manager)
    label = _months()[0]  # the last finished month
    with django_capture_on_commit_callbacks(execute=True):  # the worker: inline in tests
        response = client.post("/quality/reports/", {"month": label})
    assert response.status_code == 302 and response["Location"] == f"/quality/reports/{label}/"
    created = MonthlyReport.objects.get()
    assert created.state == "draft" and created.run is None
    run = KpiRun.objects.get(month=Month.parse(label).first)
    assert run.status == "done" and "city" in run.breakdowns
    assert client.get(response["Location"]).status_code == 200


def test_the_page_of_a_month_whose_run_is_still_queued_links_to_its_progress(quality_manager):
    from sqm.quality import services

    queued = services.queue_run(M, breakdowns=["province", "city"])
    page = client_for(quality_manager).get("/quality/reports/2026-10/").content.decode()
    assert 'id="no-run"' in page and f'href="/quality/runs/{queued.pk}/"' in page


@pytest.fixture
def province_manager(db):
    """Publishing is for a quality manager of the whole province (the report holds every
    city); the module's `quality_manager` is bound to 南京."""
    return UserFactory(username="province-quality", roles=["quality_manager"], all_cities=True)


def test_a_quality_manager_bound_to_cities_may_not_publish_the_provinces_report(
    runs, quality_manager
):
    draft = report_services.create_report(M, quality_manager)
    with pytest.raises(report_services.ReportError, match="whole province"):
        report_services.publish(draft, quality_manager)
    draft.refresh_from_db()
    assert draft.state == "draft" and not AuditEntry.objects.filter(action="publish").exists()


def test_publishing_keeps_the_frozen_figures_out_of_the_change_log(runs, province_manager):
    draft = report_services.create_report(M, province_manager)
    report_services.publish(draft, province_manager)
    entry = ChangeLogEntry.objects.filter(object_id=str(draft.pk), action="update").first()
    assert entry.after["state"] == "published"
    assert "frozen" not in entry.after and "frozen" not in entry.before


def test_publishing_freezes_figures_and_text_and_is_audited_once(runs, province_manager):
    draft = report_services.create_report(M, province_manager)
    texts = {"summary": "十月总体平稳", "analysis": "苏州投诉偏高", "measures": "苏州专项整治"}
    report_services.save_text(draft, province_manager, **texts)
    assert ChangeLogEntry.objects.filter(object_id=str(draft.pk), action="update").exists()
    published = report_services.publish(draft, province_manager, seen_run=runs["current"].pk)
    assert published.state == "published" and published.published_by == province_manager
    frozen = published.frozen
    assert frozen["text"]["summary"] == "十月总体平稳"
    assert frozen["run"]["run"] == runs["current"].pk
    assert city_rows(frozen, COMPLAINTS)[0] == ("南京", 1, 10)
    entry = AuditEntry.objects.get(action="publish")
    assert entry.target == "quality-report:2026-10" and entry.details["number"] == 1
    with pytest.raises(report_services.ReportError):
        report_services.save_text(published, province_manager, summary="改过")
    with pytest.raises(report_services.ReportError):
        report_services.publish(published, province_manager)
    published.refresh_from_db()
    assert published.summary == "十月总体平稳"
    assert AuditEntry.objects.filter(action="publish").count() == 1


def test_text_saved_while_publishing_refuses_the_publication_instead_of_freezing_old_text(
    runs, province_manager, monkeypatch
):
    from sqm.core import changelog

    draft = report_services.create_report(M, province_manager)
    report_services.save_text(draft, province_manager, summary="原来的")
    original, calls = changelog.snapshot, []

    def snapshot_then_a_colleague_saves(instance, values=None):
        # Between the publication's read of the text and its guarded update.
        if not calls:
            calls.append(1)
            MonthlyReport.objects.filter(pk=draft.pk).update(summary="同事刚改的")
        return original(instance, values)

    monkeypatch.setattr(changelog, "snapshot", snapshot_then_a_colleague_saves)
    with pytest.raises(report_services.ReportError):
        report_services.publish(draft, province_manager)
    draft.refresh_from_db()
    assert draft.state == "draft" and draft.frozen is None
    assert not AuditEntry.objects.filter(action="publish").exists()


def test_a_newer_run_than_the_one_looked_at_stops_publishing(runs, province_manager):
    draft = report_services.create_report(M, province_manager)
    make_run("2026-10", {(REPAIR, "南京"): 0.99})
    with pytest.raises(report_services.ReportError):
        report_services.publish(draft, province_manager, seen_run=runs["current"].pk)
    draft.refresh_from_db()
    assert draft.state == "draft" and draft.frozen is None


def test_a_later_run_of_a_published_month_shows_as_differences_beside_the_frozen_figures(
    runs, province_manager, admin
):
    draft = report_services.create_report(M, province_manager)
    report_services.publish(draft, province_manager)
    later = make_run("2026-10", {
        (REPAIR, ""): 0.93, (REPAIR, "南京"): 0.99, (REPAIR, "苏州"): 0.90,
        (REPAIR, "无锡"): 0.93, (REPAIR, "常州"): 0.93,
        (COMPLAINTS, ""): 21, (COMPLAINTS, "南京"): 10, (COMPLAINTS, "苏州"): 25,
        (COMPLAINTS, "无锡"): 16,
    })  # fmt: skip
    shown = report_services.shown(M, admin)
    assert shown.later_run == later.pk
    assert shown.differences == [
        {"indicator": REPAIR, "breakdown": "city", "key": "南京", "before": 0.97, "after": 0.99}
    ]
    assert city_rows(shown.figures, REPAIR)[0] == ("南京", 1, 0.97)  # as published
    page = client_for(admin).get("/quality/reports/2026-10/").content.decode()
    differences = page[page.index('id="later-differences"') :]
    assert "97.00%" in differences and "99.00%" in differences
    html = client_for(admin).get("/quality/reports/2026-10/export.html").content.decode()
    assert "99.00%" not in html  # the export is the published report, frozen


def test_the_exports_of_a_published_report_carry_its_frozen_text(runs, province_manager):
    draft = report_services.create_report(M, province_manager)
    report_services.save_text(draft, province_manager, measures="苏州专项整治")
    report_services.publish(draft, province_manager)
    MonthlyReport.objects.filter(pk=draft.pk).update(measures="改过的文字")  # behind its back
    html = client_for(province_manager).get("/quality/reports/2026-10/export.html")
    assert "苏州专项整治" in html.content.decode() and "改过的文字" not in html.content.decode()


# --- pages ---------------------------------------------------------------------------------


def zh(text: str, context: str | None = None) -> str:
    """TEXT as the zh-hans pages say it (the catalogue's translation once merged)."""
    from django.utils import translation

    with translation.override("zh-hans"):
        return translation.pgettext(context, text) if context else translation.gettext(text)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_report_page_shows_the_month_in_chinese_with_its_tables(runs, quality_manager):
    report_services.create_report(M, quality_manager)
    page = client_for(quality_manager).get("/quality/reports/2026-10/")
    assert page.status_code == 200
    text = page.content.decode()
    title = zh("Service-quality report No. %(number)s (%(month)s)")
    assert title % {"number": 1, "month": "2026-10"} in text
    assert "南京" in text and zh("City rankings") in text
    assert 'id="ranking-BB-REPAIR-TIMELY"' in text and 'id="publish"' in text


def test_a_city_user_sees_only_their_cities_rows_in_the_rankings(runs, quality_manager, admin):
    page = client_for(quality_manager).get("/quality/reports/2026-10/").content.decode()
    assert 'data-city="南京"' in page and 'data-city="苏州"' not in page
    page = client_for(admin).get("/quality/reports/2026-10/").content.decode()
    assert 'data-city="南京"' in page and 'data-city="苏州"' in page
    scoped = report.for_user(report.build(M), quality_manager)
    assert {t["city"] for t in scoped["short_boards"]["worst_cities"]} <= {"南京"}
    assert {f["city"] for f in scoped["control"]["flags"]} <= {"南京"}
    assert list(scoped["trends"]["series"][REPAIR]["cities"]) == ["南京"]


@pytest.mark.parametrize(
    "url",
    [
        "/quality/reports/2026-13/",
        "/quality/reports/abc/",
        "/quality/reports/1999-01/",
        "/quality/reports/" + "9" * 300 + "/",
        "/quality/reports/2026-10/export.doc",
        "/quality/reports/2026-1%00/",
        "/quality/reports/2026-10/edit/",  # no report of the month yet
    ],
)
def test_hostile_report_urls_get_a_4xx(runs, quality_manager, url):
    response = client_for(quality_manager).get(url)
    assert 400 <= response.status_code < 500


def test_hostile_posts_get_a_4xx_and_change_nothing(runs, quality_manager):
    client = client_for(quality_manager)
    for month in ["2026-13", "x" * 5000, "", "1999-01", "2026-10\x00"]:
        assert client.post("/quality/reports/", {"month": month}).status_code == 400
    report_services.create_report(M, quality_manager)
    assert client.get("/quality/reports/2026-10/publish/").status_code == 405
    for run in ["", "abc", "-1", "²", "9" * 40]:
        response = client.post("/quality/reports/2026-10/publish/", {"run": run})
        assert response.status_code == 400
    long = client.post("/quality/reports/2026-10/edit/", {"summary": "长" * 20_001})
    assert long.status_code == 400
    assert MonthlyReport.objects.get().state == "draft"
    assert MonthlyReport.objects.get().summary == ""


def test_who_may_see_write_and_publish(runs, quality_manager, agent):
    report_services.create_report(M, quality_manager)
    lead = UserFactory(username="lead", roles=["team_lead"], city_codes=["NJ"])
    assert client_for(agent).get("/quality/reports/2026-10/").status_code == 403
    assert client_for(lead).get("/quality/reports/2026-10/").status_code == 200
    assert client_for(lead).get("/quality/reports/2026-10/edit/").status_code == 403
    response = client_for(lead).post("/quality/reports/2026-10/publish/", {"run": "1"})
    assert response.status_code == 403
    assert client_for(lead).post("/quality/reports/", {"month": "2026-09"}).status_code == 403
    assert Client().get("/quality/reports/").status_code == 302  # to the login page


def test_writing_and_publishing_through_the_pages(runs, province_manager):
    client = client_for(province_manager)
    report_services.create_report(M, province_manager)
    texts = {"summary": "总体平稳", "analysis": "苏州投诉偏高", "measures": "整治"}
    assert client.post("/quality/reports/2026-10/edit/", texts).status_code == 302
    run = runs["current"].pk
    assert client.post("/quality/reports/2026-10/publish/", {"run": run}).status_code == 302
    published = MonthlyReport.objects.get()
    assert published.state == "published" and published.frozen["text"]["analysis"] == "苏州投诉偏高"
    # The edit page of a published report sends back to the report.
    assert client.post("/quality/reports/2026-10/edit/", {"summary": "x"}).status_code == 302
    published.refresh_from_db()
    assert published.summary == "总体平稳"
    page = client.get("/quality/reports/").content.decode()
    assert zh("No. %(number)s") % {"number": 1} in page
    assert zh("published", "report state") in page


# --- exports -------------------------------------------------------------------------------


def test_the_xlsx_export_has_chinese_sheets_tables_and_native_line_charts(runs, quality_manager):
    response = client_for(quality_manager).get("/quality/reports/2026-10/export.xlsx")
    assert response.status_code == 200
    content = response.content
    book = openpyxl.load_workbook(io.BytesIO(content))
    names = ["overview", "headline indicators", "city rankings", "short boards",
             "control limits", "12-month trends"]  # fmt: skip
    assert book.sheetnames == [zh(name, "report sheet") for name in names]
    ranking = list(book.worksheets[2].iter_rows(values_only=True))
    columns = (zh("Indicator", "report column"), zh("Rank", "report column"))
    assert ranking[0][:4] == (zh("Code"), *columns, zh("City", "report column"))
    assert (REPAIR, 1, "南京", 0.97) in [(r[0], r[2], r[3], r[4]) for r in ranking[1:]]
    assert all(r[3] == "南京" for r in ranking[1:])  # scoped to the user's city
    charts = [n for n in zipfile.ZipFile(io.BytesIO(content)).namelist() if "charts/chart" in n]
    assert len(charts) == Indicator.objects.filter(headline=True).count()
    entry = AuditEntry.objects.get(action="export")
    assert entry.target == "quality-report:2026-10" and entry.details == {"format": "xlsx"}


def test_the_html_export_is_one_self_contained_file(runs, admin):
    response = client_for(admin).get("/quality/reports/2026-10/export.html")
    html = response.content.decode()
    assert response["Content-Disposition"].startswith("attachment;")
    assert "/static/" not in html and "echarts" in html and "drawReportCharts" in html
    assert "苏州" in html and zh("Headline indicators") in html


def test_the_command_writes_the_report_and_refuses_bad_input(runs, tmp_path):
    out = tmp_path / "report.xlsx"
    call_command("report", "monthly", "--month", "2026-10", "--format", "xlsx", "--out", str(out))
    assert openpyxl.load_workbook(out).sheetnames[0]
    html = tmp_path / "report.html"
    call_command("report", "monthly", "--month", "2026-10", "--format", "html", "--out", str(html))
    assert "drawReportCharts" in html.read_text(encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("report", "monthly", "--month", "2026-13", "--format", "html",
                     "--out", str(html))  # fmt: skip
    with pytest.raises(CommandError):
        call_command("report", "monthly", "--month", "2026-10", "--format", "html",
                     "--out", str(tmp_path / "missing" / "r.html"))  # fmt: skip
    assert AuditEntry.objects.filter(action="export", actor_name="cli").count() == 2


def test_the_command_computes_a_month_without_a_run_first(tmp_path):
    out = tmp_path / "august.html"
    call_command("report", "monthly", "--month", "2026-08", "--format", "html", "--out", str(out))
    run = KpiRun.objects.get(month=dt.date(2026, 8, 1))
    assert run.status == "done" and f"#{run.pk}" in out.read_text(encoding="utf-8")


def test_the_command_exits_1_on_bad_input_and_2_on_usage_errors(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "SQM_HOME": str(tmp_path / "home")}  # not the developer's instance
    base = [sys.executable, "manage.py", "report", "monthly"]
    out = str(tmp_path / "r.html")
    bad = subprocess.run([*base, "--month", "2026-13", "--format", "html", "--out", out],
                         capture_output=True, text=True, check=False, env=env)  # fmt: skip
    assert bad.returncode == 1 and "2026-13" in bad.stderr
    usage = subprocess.run([*base, "--month", "2026-10", "--format", "doc", "--out", out],
                           capture_output=True, text=True, check=False, env=env)  # fmt: skip
    assert usage.returncode == 2
