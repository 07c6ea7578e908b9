"""The administrator reads a year of the business calendar and makes a working day a day off
through the page's htmx controls; the auditor may not open the calendar."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.utils import translation
from playwright.sync_api import expect

from sqm.core.models import CalendarDay
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

NATIONAL_DAY = "2026-10-01"
ADJUSTED_SATURDAY = "2026-10-10"  # 调休: the Saturday after the National Day holidays
MONDAY = "2026-11-23"


def day(page, when: str):
    return page.locator(f'#year-grid td.day[data-date="{when}"]')


def test_it_shows_a_year_of_month_grids_with_holidays_and_adjusted_working_days(
    page, live_server, admin
):
    login(page, live_server, admin)

    page.goto("/core/calendar/?year=2026")

    expect(page.locator("#year-grid table.month")).to_have_count(12)
    # Every month shows each of its days once: 365 days in 2026.
    expect(page.locator("#year-grid td.day")).to_have_count(365)
    expect(day(page, NATIONAL_DAY)).to_have_attribute("data-kind", "holiday")
    expect(day(page, NATIONAL_DAY)).to_have_class(re.compile(r"\bholiday\b"))
    expect(day(page, NATIONAL_DAY).locator(".badge")).to_have_count(1)
    expect(day(page, ADJUSTED_SATURDAY)).to_have_attribute("data-kind", "adjusted")
    expect(day(page, ADJUSTED_SATURDAY)).to_have_class(re.compile(r"\badjusted\b"))
    expect(day(page, "2026-10-17")).to_have_attribute("data-kind", "weekend")
    expect(day(page, MONDAY)).to_have_attribute("data-kind", "workday")


def test_it_lets_the_administrator_make_a_working_day_a_day_off_without_reloading_the_page(
    page, live_server, admin
):
    login(page, live_server, admin)
    page.goto("/core/calendar/?year=2026")
    # A full page load would lose this; htmx swaps only #calendar-main.
    page.evaluate("window.notReloaded = true")
    requests = []
    page.on("request", lambda request: requests.append(request))

    day(page, MONDAY).locator("a").click()
    page.wait_for_url(f"**/core/calendar/?year=2026&day={MONDAY}")
    editor = page.locator("#day-editor")
    expect(editor.locator("h2")).to_contain_text(MONDAY)
    expect(editor.locator('input[name=is_working][value="1"]')).to_be_checked()
    expect(day(page, MONDAY)).to_have_class(re.compile(r"\bselected\b"))

    editor.locator('input[name=is_working][value="0"]').check()
    editor.locator("input[name=name]").fill("网络割接")
    editor.locator('button[name=action][value="save"]').click()

    expect(day(page, MONDAY)).to_have_attribute("data-kind", "holiday")
    expect(day(page, MONDAY)).to_have_class(re.compile(r"\boverride\b"))
    expect(day(page, MONDAY).locator(".name")).to_have_text("网络割接")
    expect(page.locator("#overrides tbody tr", has_text=MONDAY)).to_contain_text("网络割接")
    # The editor now offers to go back to the built-in calendar.
    expect(editor.locator('button[name=action][value="clear"]')).to_have_count(1)
    assert page.evaluate("window.notReloaded") is True
    assert not [r.url for r in requests if r.is_navigation_request()]
    [post] = [r for r in requests if r.method == "POST"]
    assert post.url.endswith(f"/core/calendar/day/{MONDAY}/")
    assert post.headers.get("hx-request") == "true"
    saved = CalendarDay.objects.get()
    assert (saved.date, saved.is_working, saved.name) == (date(2026, 11, 23), False, "网络割接")


def test_it_shows_the_auditor_the_forbidden_page_instead_of_the_calendar(
    page, live_server, auditor
):
    login(page, live_server, auditor)
    expect(page.locator('header nav a[href="/core/calendar/"]')).to_have_count(0)

    response = page.goto("/core/calendar/?year=2026")

    assert response is not None and response.status == 403
    with translation.override("zh-hans"):
        expect(page.locator("main h1")).to_have_text(translation.gettext("Not allowed"))
    expect(page.locator("#year-grid")).to_have_count(0)
