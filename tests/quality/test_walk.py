"""What a quality manager reads on the report's short boards and the dashboard's heat map,
in Chinese: a missed figure in hours says "小时" (the list names no unit column), and
a heat-map cell of a share tells the numerator and denominator, the counts its drill-down
lists."""

from __future__ import annotations

import pytest
from django.utils import translation

from sqm.quality import report
from sqm.quality.facts import Month
from sqm.quality.report_exports import presentation
from tests.quality.report_helpers import make_run

pytestmark = pytest.mark.django_db

HOURS = "BB-COMPLAINT-HOURS-P95"  # hours, lower is better, target 96


def test_a_missed_indicator_in_hours_shows_its_hours_on_the_reports_short_boards():
    make_run("2026-09", {(HOURS, ""): 90.0, (HOURS, "南京"): 90.0})
    make_run("2026-10", {(HOURS, ""): 128.7, (HOURS, "南京"): 150.0})
    figures = report.build(Month.parse("2026-10"))
    with translation.override("zh-hans"):
        shown = presentation(figures)
    missed = {row["code"]: row for row in shown["missed"]}
    assert missed[HOURS]["value"] == "128.7 小时"
    assert missed[HOURS]["target"] == "96.0 小时"
    worse = [row for row in shown["deteriorations"] if row["code"] == HOURS]
    assert worse and worse[0]["value"].endswith(" 小时") and worse[0]["change"].endswith(" 小时")


def test_a_heat_map_cell_of_a_share_names_the_records_the_drill_down_lists(quality_manager):
    from sqm.quality import dashboard
    from sqm.quality.models import Indicator, KpiValue

    run = make_run("2026-10", {("BB-ACTIVATION-TIMELY", "南京"): 7 / 9, (HOURS, "南京"): 40.0})
    KpiValue.objects.filter(run=run).update(numerator=7, denominator=9)
    indicators = Indicator.objects.filter(code__in=["BB-ACTIVATION-TIMELY", HOURS])
    heat = dashboard.heat_map(quality_manager, run, indicators)
    rows = {row.indicator.code: row for row in heat.rows}
    nanjing = [c.name for c in heat.cities].index("南京")
    share = rows["BB-ACTIVATION-TIMELY"].cells[nanjing]
    assert (share.text, share.status, share.fraction) == ("77.8%", "missed", "7 / 9")
    assert rows[HOURS].cells[nanjing].fraction == ""  # a sum of hours means nothing alone


def test_on_the_reports_page_only_the_reports_entry_of_the_top_bar_is_current(quality_manager):
    from django.test import Client

    client = Client()
    client.force_login(quality_manager)
    response = client.get("/quality/reports/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    current = [href for href, _label, active in response.context["nav"] if active]
    assert current == ["/quality/reports/"]
    response = client.get("/quality/runs/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert [href for href, _label, active in response.context["nav"] if active] == ["/quality/"]


def test_the_report_page_offers_an_issue_only_for_a_finished_month(quality_manager):
    from django.test import Client

    from sqm.quality import services

    current, finished = services.month_choices(3)[0], services.month_choices(3)[2]
    for month in (current, finished):
        make_run(month, {(HOURS, ""): 40.0})
    client = Client()
    client.force_login(quality_manager)
    page = client.get(f"/quality/reports/{finished}/").content.decode()
    assert 'id="create-report"' in page
    # The current month (linked from the dashboard) and a future one: no button the list
    # would refuse with a 400.
    for month in (current, "2031-01"):
        page = client.get(f"/quality/reports/{month}/").content.decode()
        assert 'action="/quality/reports/"' not in page


def test_the_drill_down_prints_every_fraction_with_two_decimals():
    from sqm.quality import drilldown

    class Found:  # only the columns matter here
        columns = ["repair_id", "hours"]

    found = Found()
    assert drilldown.row_cells(found, {"repair_id": "R1", "hours": 0.0}, {}) == ["R1", "0.00"]
    assert drilldown.row_cells(found, {"repair_id": "R2", "hours": 21.806}, {}) == ["R2", "21.81"]


def test_the_workbooks_overview_gives_the_runs_time_to_the_minute():
    import io

    import openpyxl

    from sqm.quality.report_exports import workbook

    make_run("2026-10", {(HOURS, ""): 40.0})
    figures = report.build(Month.parse("2026-10"))
    with translation.override("zh-hans"):
        data = workbook(figures)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    computed = [row[1] for row in sheet.iter_rows(values_only=True) if row[0] == "计算时间"]
    assert computed == [figures["run"]["created"][:16].replace("T", " ")]


def test_a_month_never_computed_offers_to_compute_it_and_draws_no_empty_trend(quality_manager):
    from django.test import Client

    client = Client()
    client.force_login(quality_manager)
    page = client.get("/quality/?month=2025-06", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="no-run"' in page and 'id="trend-empty"' in page
    assert 'id="trend-chart"' not in page
    with translation.override("zh-hans"):  # not "again": nothing was computed
        button = translation.gettext("Compute %(month)s") % {"month": "2025-06"}
        again = translation.gettext("Compute %(month)s again") % {"month": "2025-06"}
    assert f">{button}</button>" in page and again not in page


def test_a_computed_month_draws_its_trend(quality_manager):
    from django.test import Client

    make_run("2026-10", {("BB-REPAIR-TIMELY", "南京"): 0.9})
    client = Client()
    client.force_login(quality_manager)
    page = client.get("/quality/?month=2026-10&indicator=BB-REPAIR-TIMELY").content.decode()
    assert 'id="trend-chart"' in page and 'id="trend-empty"' not in page


def test_a_city_user_is_not_told_nothing_got_worse_when_only_other_cities_are_listed(
    quality_manager,
):
    from django.test import Client

    repair = "BB-REPAIR-TIMELY"
    make_run("2026-09", {(repair, ""): 1.0, (repair, "南京"): 1.0, (repair, "苏州"): 1.0})
    make_run("2026-10", {(repair, ""): 1.0, (repair, "南京"): 1.0, (repair, "苏州"): 0.5})
    client = Client()
    client.force_login(quality_manager)  # of 南京: 苏州's deterioration is not shown
    page = client.get("/quality/reports/2026-10/").content.decode()
    assert 'id="no-deteriorations-of-mine"' in page
    assert 'id="deteriorations"' not in page
