"""Every page works under the Content-Security-Policy in a real browser: an agent and an
administrator walk the main pages (home with its charts, customers, intake with its htmx
look-up, work orders, faults, survey results with ECharts, calendar, imports, audit, API
docs) and the browser reports no violation, while the charts are still drawn.

A violation is caught twice: Chromium's console line ("Refused to …", "Content Security
Policy") and the page's own securitypolicyviolation events, collected by a script Playwright
injects before any page script runs (injected scripts are not subject to the policy).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sqm.core.models import ImportJob
from sqm.surveys.choices import RunStatus
from sqm.surveys.csi import Options
from sqm.surveys.models import AnalysisRun
from sqm.surveys.province import responses as generated
from sqm.surveys.services import do_run_analysis, import_survey, start_analysis
from tests.browser.conftest import cut_fibre, login

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

MOBILE = "13812340077"
MASKED_MOBILE = "138****0077"
DETAIL_URL = re.compile(r"/complaints/orders/(\d+)/$")
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile}:${e.lineNumber} (${e.sample})`);
});
"""
CSP_WORDS = ("Content Security Policy", "Refused to")


class Watched:
    """A page whose CSP complaints (console and violation events) are kept for a check."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        page.add_init_script(COLLECT_VIOLATIONS)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))

    def _on_console(self, message) -> None:
        if message.location.get("url", "").endswith("/favicon.ico"):
            return  # no favicon is served: the browser's own request, no page's script
        if message.type in ("error", "warning") or any(w in message.text for w in CSP_WORDS):
            self.console.append(f"{message.type}: {message.text}")

    def visit(self, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        self.page.wait_for_load_state("load")

    def assert_clean(self, where: str) -> None:
        violations = self.page.evaluate("window.__cspViolations || []")
        complaints = [line for line in self.console if any(w in line for w in CSP_WORDS)]
        assert not violations and not complaints, f"{where}: {violations} {complaints}"
        # Any other script error on a page is as bad: something stopped working.
        assert not self.console, f"{where}: {self.console}"


@pytest.fixture
def fault(db):
    return cut_fibre(MOBILE)


@pytest.fixture
def survey_run(db, tmp_path, admin) -> AnalysisRun:
    """A finished satisfaction analysis of one generated wave (its page draws two charts)."""
    for pending in generated.write_surveys(tmp_path, 1, 400, date(2026, 6, 30), key="csp"):
        pending.commit()
    questionnaire, result = import_survey(
        tmp_path / "survey.csv", str(tmp_path / "questionnaire.yaml")
    )
    assert questionnaire is not None, result
    model = questionnaire.structural_models.get()
    run = start_analysis(questionnaire, model, "", Options(), admin)
    do_run_analysis(run.pk)  # no-op if the commit hook already ran it inline
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    return run


def record_a_complaint(watched: Watched) -> int:
    """Intake as agents do it: Enter looks the customer up (htmx), the facts are triaged
    (htmx), Ctrl+Enter records; returns the new work order's id."""
    page = watched.page
    watched.visit("/complaints/intake/")
    lookup = page.locator("#lookup")
    lookup.fill(MOBILE)
    lookup.press("Enter")
    expect(page.locator("#customer-box #customer-found")).to_contain_text(MASKED_MOBILE)
    assert page.url.endswith("/complaints/intake/")  # Enter searched, it did not submit
    page.locator("#facts select[name=topic]").select_option("other")
    page.locator("#facts input[name=dissatisfied]").check()
    page.locator("#facts input[name=demands][value=restore]").check()
    expect(page.locator("#triage-result")).to_be_visible()
    page.locator("#id_description").fill("家里宽带上不了网，光猫红灯闪")
    page.locator("#id_category").select_option(index=1)
    page.locator("#id_description").press("Control+Enter")
    page.wait_for_url(DETAIL_URL)
    watched.assert_clean("intake")
    return int(DETAIL_URL.search(page.url).group(1))


def test_an_agent_works_through_the_pages_without_a_policy_violation(
    page, live_server, agent, fault
):
    watched = Watched(page)
    login(page, live_server, agent)
    watched.assert_clean("login")

    watched.visit("/")
    expect(page.locator("#panel-known_faults")).to_be_visible()  # the agent's home panels
    watched.assert_clean("home")

    watched.visit("/customers/")
    watched.assert_clean("customers")

    number = record_a_complaint(watched)
    watched.visit("/complaints/orders/")
    watched.assert_clean("work orders")
    watched.visit(f"/complaints/orders/{number}/")
    expect(page.locator("#state")).to_be_visible()
    watched.assert_clean("work order")

    # The language menu submits itself (it used an inline onchange handler).
    page.locator("#language-form select[name=language]").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    watched.assert_clean("language switch")


def test_an_administrator_sees_every_page_without_a_policy_violation(
    page, live_server, admin, fault, survey_run
):
    watched = Watched(page)
    login(page, live_server, admin)

    watched.visit("/")
    expect(page.locator("#chart-customers canvas")).to_have_count(1)  # drawn by home.js
    watched.assert_clean("home")

    watched.visit("/customers/")
    page.locator("table.list tbody a").first.click()
    expect(page.locator("#pii")).to_be_visible()
    watched.assert_clean("customer")

    watched.visit("/network/faults/")
    watched.assert_clean("faults")
    watched.visit(f"/network/faults/{fault.pk}/")
    assert_bar_matches_its_value(page.locator("#sms-bar"))
    watched.assert_clean("fault")

    watched.visit(f"/surveys/runs/{survey_run.pk}/")
    expect(page.locator("#chart-path svg")).to_have_count(1)
    expect(page.locator("#chart-ipa svg")).to_have_count(1)
    page.locator("#chart-ipa").hover()  # ECharts' tooltip styles itself through the CSSOM
    watched.assert_clean("survey results")

    pages = (
        *("/core/calendar/", "/core/imports/", "/core/audit/", "/complaints/orders/"),
        *("/admin/", "/admin/complaints/category/", "/admin/complaints/category/add/"),
    )
    for path in pages:
        watched.visit(path)
        watched.assert_clean(path)

    watched.visit("/api/v1/docs/")
    expect(page.locator("#swagger-ui .information-container")).to_be_visible()
    expect(page.locator("#swagger-ui .opblock").first).to_be_visible()
    watched.assert_clean("API docs")


def assert_bar_matches_its_value(bar) -> None:
    """The inner bar's width is aria-valuenow percent of the track (set by script, as a
    style="" attribute would be refused)."""
    expect(bar).to_be_visible()
    measure = (
        "bar => [bar.getBoundingClientRect().width,"
        " bar.firstElementChild.getBoundingClientRect().width,"
        " Number(bar.getAttribute('aria-valuenow'))]"
    )
    # The width eases in (a CSS transition): wait for it to settle.
    bar.page.wait_for_function(
        f"bar => {{ const [t, f, p] = ({measure})(bar); return Math.abs(f - t * p / 100) <= 2; }}",
        arg=bar.element_handle(),
    )
    track, filled, percent = bar.evaluate(measure)
    assert abs(filled - track * percent / 100) <= 2, (track, filled, percent)


def test_a_finished_import_shows_a_full_progress_bar_without_a_style_attribute(
    page, live_server, admin
):
    job = ImportJob.objects.create(
        kind="customers", file="imports/customers.csv", original_name="customers.csv",
        status="done", rows_done=10, rows_total=10, created_count=10, created_by=admin,
        finished=timezone.now(),
    )  # fmt: skip
    watched = Watched(page)
    login(page, live_server, admin)
    watched.visit(f"/core/imports/{job.pk}/")
    bar = page.locator("#import-status .progress")
    expect(bar).to_have_attribute("aria-valuenow", "100")
    assert_bar_matches_its_value(bar)
    watched.assert_clean("import")
