"""A quality manager opens the quality dashboard (in Chinese), finds Nanjing's repair
timeliness missed on the heat map, and clicks through to the one repair that missed its
limit. What the test looks for in the text is the zh-hans translation of the words the
page uses (or the indicator's Chinese name), so it does not depend on either wording."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext, pgettext
from playwright.sync_api import expect

from sqm.quality import services
from sqm.quality.facts import Month
from tests.browser.conftest import login
from tests.factories import UserFactory
from tests.quality.facts_helpers import account, repair

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def zh(message: str, context: str | None = None) -> str:
    with translation.override("zh-hans"):
        return pgettext(context, message) if context else gettext(message)


@pytest.fixture
def october(db):
    """Nanjing: three repairs restored in October 2026, R-LATE after 50 hours (limit 48);
    Suzhou: one in time. Computed as the month's run."""
    nj = account("NJ")
    repair(nj, "2026-10-02 08:00", "2026-10-02 20:00")
    repair(nj, "2026-10-05 08:00", "2026-10-06 08:00")
    repair(nj, "2026-10-10 08:00", "2026-10-12 10:00", repair_id="R-LATE")
    repair(account("SZ", district="姑苏区"), "2026-10-03 08:00", "2026-10-03 12:00")
    return services.compute_now(Month.parse("2026-10"))


def test_a_manager_drills_from_a_missed_cell_to_the_late_repair(page, live_server, october):
    manager = UserFactory(username="quality", roles=["quality_manager"], all_cities=True)
    problems = []  # script errors and refusals of the Content-Security-Policy
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda m: (
            m.type == "error" and "Content Security Policy" in m.text and problems.append(m.text)
        ),
    )
    login(page, live_server, manager)

    link = page.locator('header nav a[href="/quality/"]')
    expect(link).to_have_text(zh("Quality dashboard"))
    page.goto(f"{live_server.url}/quality/?month=2026-10&product=broadband")
    expect(page.locator("main h1")).to_have_text(zh("Quality dashboard"))

    row = page.locator('#heat-map tr[data-indicator="BB-REPAIR-TIMELY"]')
    expect(row.locator("th")).to_contain_text("障碍修复及时率")
    cities = [c.strip() for c in page.locator("#heat-map thead th").all_inner_texts()]
    nanjing = row.locator("td").nth(cities.index("南京") - 1)
    expect(nanjing).to_have_attribute("data-status", "missed")
    expect(nanjing).to_have_text("66.7%")
    # The tooltip: the status, the target and the records behind the share (2 of 3 in time).
    expect(nanjing).to_have_attribute(
        "title",
        zh("missed", "indicator status")
        + " · "
        + zh("target", "indicator")
        + " 95.0% · "
        + zh("numerator / denominator")
        + " 2 / 3",
    )
    suzhou = row.locator("td").nth(cities.index("苏州") - 1)
    expect(suzhou).to_have_attribute("data-status", "met")

    # The trend of the chosen indicator is drawn (ECharts' SVG renderer).
    expect(page.locator("#trend-chart svg")).to_have_count(1)

    page.screenshot(path="/tmp/quality-dashboard.png", full_page=True)
    nanjing.locator("a").click()
    page.wait_for_url("**/quality/drill/BB-REPAIR-TIMELY/?month=2026-10&city=NJ")
    expect(page.locator("main h1")).to_contain_text("障碍修复及时率")
    expect(page.locator("#drill-what")).to_contain_text("南京")
    rows = page.locator("#drill-rows tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("R-LATE")
    expect(rows.first).to_contain_text("2026-10-10 08:00")
    expect(rows.first).to_contain_text("2026-10-12 10:00")
    page.screenshot(path="/tmp/quality-drill.png", full_page=True)

    # The indicator's page: its definition and the 12-month table and chart.
    page.locator("main p a").first.click()
    page.wait_for_url("**/quality/indicators/BB-REPAIR-TIMELY/")
    expect(page.locator("#definition")).to_contain_text("restored_at")
    expect(page.locator("#trend-chart svg")).to_have_count(1)
    # The run page shows the month's figures once the run is done.
    page.goto(f"{live_server.url}{october.get_absolute_url()}")
    expect(page.locator("#first-run")).to_be_visible()
    expect(page.locator('#heat-map tr[data-indicator="BB-REPAIR-TIMELY"]')).to_be_visible()
    assert problems == []
