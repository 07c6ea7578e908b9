"""The quality pages: the dashboard's heat map from the newest full run, the run page with
its differences, indicator pages with their targets, and the drill-down from a figure to
the records behind it, city-scoped (a Nanjing manager never drills into Suzhou)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from sqm.core.models import ChangeLogEntry
from sqm.quality import dashboard, services
from sqm.quality.choices import RunStatus
from sqm.quality.facts import Month
from sqm.quality.models import Indicator, IndicatorTarget, KpiRun
from tests.factories import UserFactory
from tests.quality.facts_helpers import account, complaint, repair

pytestmark = pytest.mark.django_db
OCTOBER = Month.parse("2026-10")
LATE_REPAIR = "R-LATE"


def october_repairs():
    """Nanjing: three broadband repairs restored in October, one after 50 hours (urban limit
    48 h); Suzhou: one repair in time."""
    nj = account("NJ")
    repair(nj, "2026-10-02 08:00", "2026-10-02 20:00")
    repair(nj, "2026-10-05 08:00", "2026-10-06 08:00")
    repair(nj, "2026-10-10 08:00", "2026-10-12 10:00", repair_id=LATE_REPAIR)
    sz = account("SZ", district="姑苏区")
    repair(sz, "2026-10-03 08:00", "2026-10-03 12:00", repair_id="R-SZ")
    return nj


@pytest.fixture
def computed(db):
    october_repairs()
    return services.compute_now(OCTOBER)


@pytest.fixture
def province_manager(db):
    return UserFactory(username="province-quality", roles=["quality_manager"], all_cities=True)


def client_for(user) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(user)
    return client


def test_the_dashboard_colours_nanjing_repair_timeliness_missed_and_links_its_records(
    computed, province_manager
):
    response = client_for(province_manager).get(
        reverse("quality:dashboard"), {"month": "2026-10", "product": "broadband"}
    )
    assert response.status_code == 200
    heat = response.context["heat"]
    assert heat.run == computed
    row = next(r for r in heat.rows if r.indicator.code == "BB-REPAIR-TIMELY")
    cells = {city.code: cell for city, cell in zip(heat.cities, row.cells, strict=True)}
    assert cells["NJ"].status == "missed"
    assert cells["NJ"].text == "66.7%"
    assert cells["SZ"].status == "met" and cells["SZ"].text == "100.0%"
    assert cells["NJ"].link == "/quality/drill/BB-REPAIR-TIMELY/?month=2026-10&city=NJ"
    assert row.province.text == "75.0%"
    html = response.content.decode()
    assert 'class="num cell status-missed"' in html
    assert {r.indicator.product for r in heat.rows} == {"broadband"}


def test_the_dashboard_filters_by_phase_and_ignores_filters_it_cannot_read(
    computed, province_manager
):
    client = client_for(province_manager)
    after = client.get(reverse("quality:dashboard"), {"month": "2026-10", "phase": "after"})
    assert {r.indicator.phase for r in after.context["heat"].rows} == {"after"}
    odd = client.get(reverse("quality:dashboard"), {"month": "2026-13", "phase": "x" * 500})
    assert odd.status_code == 200
    assert odd.context["filters"].month == dashboard.last_complete_month()
    assert odd.context["filters"].phase == ""


def test_a_month_without_a_run_says_so_and_offers_managers_to_compute_it(quality_manager):
    response = client_for(quality_manager).get(reverse("quality:dashboard"), {"month": "2026-03"})
    assert response.context["run"] is None
    html = response.content.decode()
    assert 'id="no-run"' in html and 'id="compute-form"' in html


def test_a_nanjing_manager_sees_nanjing_and_the_province_without_its_records(
    computed, quality_manager
):
    response = client_for(quality_manager).get(reverse("quality:dashboard"), {"month": "2026-10"})
    heat = response.context["heat"]
    assert [c.code for c in heat.cities] == ["NJ"]
    row = next(r for r in heat.rows if r.indicator.code == "BB-REPAIR-TIMELY")
    assert row.province.text == "75.0%" and row.province.link == ""  # Suzhou's records in it
    assert row.cells[0].link.endswith("city=NJ")


def test_the_default_month_is_the_last_complete_one():
    import datetime as dt

    assert dashboard.last_complete_month(dt.date(2026, 1, 15)).label == "2025-12"
    assert dashboard.last_complete_month(dt.date(2026, 11, 1)).label == "2026-10"


def test_values_are_shown_in_their_units():
    assert dashboard.format_value(0.95234, "ratio") == "95.2%"
    assert dashboard.format_value(12.345, "per_10k") == "12.35/10k"
    assert dashboard.format_value(36.52, "hours") == "36.5 h"
    assert dashboard.format_value(245.0, "mbps") == "245.0 Mbit/s"
    assert dashboard.format_value(45.2, "yuan") == "45.20 yuan"
    assert dashboard.format_value(12.0, "count") == "12"
    assert dashboard.format_value(None, "ratio") == "—"
    with translation.override("zh-hans"):  # the mark in the reader's language
        hours = translation.pgettext("unit after a figure", "h")
        assert dashboard.format_value(36.52, "hours") == f"36.5 {hours}"


# --- drill-down ---------------------------------------------------------------------------


def test_the_drill_down_lists_exactly_the_repair_that_missed_its_limit(computed, quality_manager):
    client = client_for(quality_manager)
    client.cookies["django_language"] = "en"
    response = client.get(
        reverse("quality:drill", args=["BB-REPAIR-TIMELY"]), {"month": "2026-10", "city": "NJ"}
    )
    assert response.status_code == 200
    drill = response.context["drill"]
    assert [row["ref"] for row in drill.rows] == [LATE_REPAIR]
    assert drill.description == (
        "broadband repairs restored in 2026-10 that missed the 48/72 h limit · city 南京"
    )
    html = response.content.decode()
    assert LATE_REPAIR in html
    # Times in Asia/Shanghai, as reported.
    assert "2026-10-10 08:00" in html and "2026-10-12 10:00" in html


def test_a_complaint_figure_drills_down_to_its_work_orders(quality_manager):
    acct = account("NJ")
    order = complaint(acct, "2026-10-02 10:00")
    complaint(acct, "2026-11-02 10:00")  # November
    response = client_for(quality_manager).get(
        reverse("quality:drill", args=["BB-COMPLAINTS-PER-10K"]),
        {"month": "2026-10", "city": "NJ"},
    )
    assert [row["ref"] for row in response.context["drill"].rows] == [order.number]
    link = reverse("complaints:order", args=[order.pk])
    assert f'<a href="{link}">{order.number}</a>' in response.content.decode()


def test_a_nanjing_manager_cannot_drill_into_suzhou_or_the_province(computed, quality_manager):
    client = client_for(quality_manager)
    url = reverse("quality:drill", args=["BB-REPAIR-TIMELY"])
    assert client.get(url, {"month": "2026-10", "city": "SZ"}).status_code == 404
    assert client.get(url, {"month": "2026-10"}).status_code == 404
    assert client.get(url, {"month": "2026-10", "city": "苏州"}).status_code == 404


def test_users_without_the_indicators_get_403_and_strangers_log_in(computed, agent):
    url = reverse("quality:drill", args=["BB-REPAIR-TIMELY"]) + "?month=2026-10&city=NJ"
    assert client_for(agent).get(url).status_code == 403
    assert client_for(agent).get(reverse("quality:dashboard")).status_code == 403
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


@pytest.mark.parametrize(
    "query",
    [
        {"month": "2026-13", "city": "NJ"},
        {"month": "x" * 10_000, "city": "NJ"},
        {"month": "2026-10", "city": "NJ", "district": "x" * 10_000},
        {"month": "0001-01", "city": "NJ"},
    ],
)
def test_hostile_drill_down_parameters_are_a_bad_request(computed, province_manager, query):
    response = client_for(province_manager).get(
        reverse("quality:drill", args=["BB-REPAIR-TIMELY"]), query
    )
    assert response.status_code == 400


def test_an_unknown_indicator_or_city_is_not_found(province_manager):
    client = client_for(province_manager)
    assert client.get(reverse("quality:drill", args=["NOPE"])).status_code == 404
    assert client.get(reverse("quality:indicator", args=["NOPE"])).status_code == 404
    url = reverse("quality:drill", args=["BB-REPAIR-TIMELY"])
    assert client.get(url, {"month": "2026-10", "city": "ATLANTIS"}).status_code == 404


def test_a_filter_the_indicator_does_not_allow_is_ignored(computed, province_manager):
    # BB-INSTALLED-RATE breaks down by city only: a district is not a cut of it.
    response = client_for(province_manager).get(
        reverse("quality:drill", args=["BB-INSTALLED-RATE"]),
        {"month": "2026-10", "district": "玄武区"},
    )
    assert response.status_code == 200
    assert response.context["drill"].filters == {}


# --- runs ---------------------------------------------------------------------------------


def test_the_compute_button_queues_a_run_the_worker_computes(
    quality_manager, django_capture_on_commit_callbacks
):
    october_repairs()
    client = client_for(quality_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("quality:runs"), {"month": "2026-10", "engine": "duckdb"})
    run = KpiRun.objects.get()
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.created_by == quality_manager
    page = client.get(run.get_absolute_url())
    assert 'id="first-run"' in page.content.decode()
    assert page.context["heat"].rows


def test_a_run_in_progress_shows_its_progress_and_is_polled(quality_manager):
    run = services.queue_run(OCTOBER)
    client = client_for(quality_manager)
    page = client.get(run.get_absolute_url())
    html = page.content.decode()
    assert 'id="run-status"' in html and 'hx-trigger="every 1s"' in html
    fragment = client.get(run.get_absolute_url(), HTTP_HX_REQUEST="true")
    assert fragment.templates[0].name == "quality/_run_status.html"
    KpiRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE)
    done = client.get(run.get_absolute_url(), HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"


def test_a_second_run_shows_what_changed_since_the_first_in_the_reader_cities(
    computed, province_manager, quality_manager
):
    repair(account("NJ"), "2026-10-20 08:00", "2026-10-25 08:00")  # late, in Nanjing
    repair(account("SZ"), "2026-10-20 08:00", "2026-10-25 08:00")  # late, in Suzhou
    second = services.compute_now(OCTOBER)

    def changed(user) -> dict:
        response = client_for(user).get(second.get_absolute_url())
        assert response.context["previous"] == computed
        return {
            (d["indicator"], d["key"]): (d["before_text"], d["after_text"])
            for d in response.context["differences"]
        }

    everything = changed(province_manager)
    assert everything[("BB-REPAIR-TIMELY", "南京")] == ("66.7%", "50.0%")
    assert everything[("BB-REPAIR-TIMELY", "苏州")] == ("100.0%", "50.0%")
    assert everything[("BB-REPAIR-TIMELY", "")] == ("75.0%", "50.0%")
    nanjing = changed(quality_manager)
    assert ("BB-REPAIR-TIMELY", "南京") in nanjing and ("BB-REPAIR-TIMELY", "") in nanjing
    assert not [key for key in nanjing if key[1] == "苏州"]


def test_a_viewer_may_not_queue_a_run(computed):
    lead = UserFactory(username="lead", roles=["team_lead"], city_codes=["NJ"])
    client = client_for(lead)
    assert client.get(reverse("quality:runs")).status_code == 200
    assert client.post(reverse("quality:runs"), {"month": "2026-10"}).status_code == 403
    assert KpiRun.objects.count() == 1


def test_the_runs_list_lists_the_runs(computed, quality_manager):
    response = client_for(quality_manager).get(reverse("quality:runs"), {"page": "x"})
    assert list(response.context["page"]) == [computed]


# --- indicators ---------------------------------------------------------------------------


def test_the_indicator_page_shows_the_definition_in_the_reader_language(quality_manager):
    client = client_for(quality_manager)
    url = reverse("quality:indicator", args=["BB-REPAIR-TIMELY"])
    indicator = Indicator.objects.get(code="BB-REPAIR-TIMELY")
    zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert indicator.definition_zh in zh and "障碍修复及时率" in zh
    client.cookies["django_language"] = "en"
    en = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert indicator.definition_en in en


def test_the_indicator_list_filters_by_product(quality_manager):
    response = client_for(quality_manager).get(
        reverse("quality:indicators"), {"product": "dedicated"}
    )
    products = {i.product for i in response.context["indicators"]}
    assert products == {"dedicated"}


def test_a_manager_sets_a_city_target_as_a_percentage_and_it_is_change_logged(
    quality_manager,
):
    url = reverse("quality:indicator", args=["BB-REPAIR-TIMELY"])
    nj = quality_manager.cities.get()
    response = client_for(quality_manager).post(
        url, {"year": "2026", "city": str(nj.pk), "target": "97", "warning": "93"}
    )
    assert response.status_code == 302
    target = IndicatorTarget.objects.get()
    assert (target.year, target.city, target.target, target.warning) == (2026, nj, 0.97, 0.93)
    entry = ChangeLogEntry.objects.filter(
        content_type__model="indicatortarget", object_id=str(target.pk)
    ).get()
    assert entry.user == quality_manager and entry.after["target"] == 0.97


def test_a_nanjing_manager_cannot_set_the_province_target_or_suzhou(quality_manager):
    from sqm.core.models import City

    url = reverse("quality:indicator", args=["BB-REPAIR-TIMELY"])
    client = client_for(quality_manager)
    sz = City.objects.get(code="SZ")
    for city in ("", str(sz.pk)):
        response = client.post(url, {"year": "2026", "city": city, "target": "97"})
        assert response.status_code == 200 and response.context["form"].errors
    assert not IndicatorTarget.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"year": "2026", "target": "nan"},
        {"year": "2026", "target": "1e400"},
        {"year": "99999999999999999999", "target": "95"},
        {"year": "2026", "target": "90", "warning": "95"},  # a warning better than the target
    ],
)
def test_a_target_that_is_not_one_is_refused(province_manager, body):
    url = reverse("quality:indicator", args=["BB-REPAIR-TIMELY"])
    response = client_for(province_manager).post(url, body)
    assert response.status_code == 200 and response.context["form"].errors
    assert not IndicatorTarget.objects.exists()


def test_a_viewer_cannot_set_targets(db):
    lead = UserFactory(username="lead", roles=["team_lead"], city_codes=["NJ"])
    url = reverse("quality:indicator", args=["BB-REPAIR-TIMELY"])
    assert client_for(lead).post(url, {"year": "2026", "target": "95"}).status_code == 403


def test_the_indicator_page_shows_twelve_months_per_city(computed, province_manager):
    url = reverse("quality:indicator", args=["BB-REPAIR-TIMELY"])
    response = client_for(province_manager).get(url, {"month": "2026-10"})
    table = response.context["table"]
    assert [m.label for m in table["months"]][-1] == "2026-10" and len(table["months"]) == 12
    rows = {str(label): cells for label, cells in table["rows"]}
    assert rows["南京"][-1].text == "66.7%" and rows["南京"][0].text == "—"
    trend = response.context["trend"]
    nanjing = next(s for s in trend["series"] if s["city"] == "NJ")
    assert nanjing["values"][-1] == pytest.approx(66.6667, abs=1e-3)


def test_the_nav_leads_quality_people_to_the_dashboard(quality_manager, agent):
    home = client_for(quality_manager).get("/").content.decode()
    assert f'href="{reverse("quality:dashboard")}"' in home
    assert (
        f'href="{reverse("quality:dashboard")}"' not in client_for(agent).get("/").content.decode()
    )


# --- the home tile ------------------------------------------------------------------------


def test_the_home_tile_shows_last_month_short_boards_with_links(computed, province_manager):
    import datetime as dt

    from django.template.loader import render_to_string

    from sqm.quality import panels

    now = dt.datetime(2026, 11, 5, 9, 0, tzinfo=dt.UTC)
    context = panels.short_boards(province_manager, now)
    assert context["month"] == "2026-10"
    missed = {m["code"]: m for m in context["missed"]}
    assert missed["BB-REPAIR-TIMELY"]["value"] == "75.0%"
    assert missed["BB-REPAIR-TIMELY"]["link"] == (
        "/quality/?month=2026-10&indicator=BB-REPAIR-TIMELY"
    )
    nanjing = next(c for c in context["cities"] if c["name"] == "南京")
    assert nanjing["missed"] >= 1
    links = [i["link"] for i in nanjing["indicators"]]
    assert "/quality/drill/BB-REPAIR-TIMELY/?month=2026-10&city=NJ" in links
    html = render_to_string("quality/panels/short_boards.html", {**context, "panel_key": "x"})
    assert 'href="/quality/drill/BB-REPAIR-TIMELY/?month=2026-10&amp;city=NJ"' in html


def test_the_home_tile_says_when_last_month_has_no_run(quality_manager):
    import datetime as dt

    from sqm.quality import panels

    context = panels.short_boards(quality_manager, dt.datetime(2026, 11, 5, tzinfo=dt.UTC))
    assert context["missing"] is True


def test_the_home_tile_is_for_people_who_read_the_indicators(agent):
    import datetime as dt

    from sqm.quality import panels

    assert panels.short_boards(agent, dt.datetime(2026, 11, 5, tzinfo=dt.UTC)) is None


def test_the_quality_manager_home_page_shows_the_tile(quality_manager):
    html = client_for(quality_manager).get("/").content.decode()
    assert 'data-panel="short_boards"' in html


def test_while_a_run_of_the_month_computes_the_dashboard_links_it_instead_of_the_button(
    computed, quality_manager
):
    queued = services.queue_run(OCTOBER)
    response = client_for(quality_manager).get(reverse("quality:dashboard"), {"month": "2026-10"})
    html = response.content.decode()
    assert response.context["pending"] == queued
    assert 'id="pending-run"' in html and queued.get_absolute_url() in html
    assert 'id="compute-form"' not in html
    assert response.context["run"] == computed  # the done run's figures stay
