"""A quality manager opens October's service-quality report (in Chinese), reads its rankings
and trend charts, writes the text, publishes it and downloads the PDF, which is a PDF whose
fonts carry the Chinese they print.

What the test looks for in the page is the zh-hans translation of the message or label the
page uses, so it does not depend on the wording of either language.
"""

from __future__ import annotations

import re
import unicodedata
import zlib

import pytest
from django.utils import translation
from playwright.sync_api import expect

from sqm.quality import report_services
from sqm.quality.facts import Month
from sqm.quality.models import MonthlyReport
from tests.browser.conftest import login
from tests.factories import UserFactory
from tests.quality.report_helpers import build_runs

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SLOW_MS = 90_000  # Chromium prints the PDF in a process of its own


def zh(message: str, context: str | None = None, **values) -> str:
    """MESSAGE as the Chinese page shows it."""
    with translation.override("zh-hans"):
        text = translation.pgettext(context, message) if context else translation.gettext(message)
    return text % values if values else text


def pdf_characters(data: bytes) -> set[str]:
    """The characters a PDF's fonts say they print (their ToUnicode maps): Chromium embeds
    a subset of each font with exactly the glyphs the document uses. NFKC: Noto CJK shares
    one glyph between an ideograph and its Kangxi radical (无 and ⽆), and the map may name
    the radical."""
    chars: set[str] = set()
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            text = zlib.decompress(raw).decode("latin-1")
        except zlib.error:
            continue
        for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
            for _code, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                chars.update(bytes.fromhex(target).decode("utf-16-be", "replace"))
        for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
            for low, high, start in re.findall(
                r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
            ):
                first = int(start, 16)
                for n in range(int(high, 16) - int(low, 16) + 1):
                    chars.add(chr(first + n))
    return {unicodedata.normalize("NFKC", char) for char in chars}


@pytest.fixture
def quality(db):
    return UserFactory(username="quality", roles=["quality_manager"], all_cities=True)


def test_a_quality_manager_writes_publishes_and_downloads_the_monthly_report_as_pdf(
    page, live_server, quality, tmp_path
):
    runs = build_runs()
    report_services.create_report(Month.parse("2026-10"), quality)
    complaints = []  # the Content-Security-Policy refuses inline code without the nonce
    page.on("pageerror", lambda error: complaints.append(str(error)))
    page.on("console", lambda m: complaints.append(m.text) if m.type == "error" else None)
    login(page, live_server, quality)
    page.goto(f"{live_server.url}/quality/reports/")
    page.get_by_role("link", name="2026-10").click()
    expect(page.locator("#report-title")).to_contain_text(
        zh("Service-quality report No. %(number)s (%(month)s)", number=1, month="2026-10")
    )
    # The rankings: 南京 first for repair timeliness, 苏州 last of the cities with a value.
    ranking = page.locator("#ranking-BB-REPAIR-TIMELY tbody tr")
    expect(ranking.first).to_contain_text("南京")
    expect(ranking.nth(3)).to_contain_text("苏州")
    # 无锡's complaints lie above its own control limits.
    flag = page.locator("#ranking-BB-COMPLAINTS-PER-10K tr[data-city='无锡'] .control-flag")
    expect(flag).to_have_attribute("title", zh("above the control limit", "control limit"))
    # Every trend chart is drawn (ECharts in the page, no CDN).
    expect(page.locator(".report-chart[data-drawn='true']").first).to_be_visible()
    assert page.locator(".report-chart svg").count() == page.locator(".report-chart").count()

    assert complaints == []
    page.locator("#edit-text").click()
    page.locator("#id_summary").fill("十月全省宽带服务总体平稳。")
    page.locator("#id_analysis").fill("苏州万客户投诉占比超标，无锡环比恶化。")
    page.locator("#id_measures").fill("苏州开展投诉专项整治。")
    page.locator("#save-text").click()
    expect(page.locator(".messages")).to_contain_text(zh("The text is saved."))
    expect(page.locator("#text-analysis")).to_contain_text("苏州万客户投诉占比超标")

    page.locator("#publish").click()
    expect(page.locator(".messages")).to_contain_text(zh("The report is published."))
    expect(page.locator("#report-state")).to_contain_text(zh("published", "report state"))
    expect(page.locator("#edit-text")).to_have_count(0)
    expect(page.locator("#publish")).to_have_count(0)
    published = MonthlyReport.objects.get()
    assert published.state == "published" and published.run_id == runs["current"].pk
    assert published.frozen["text"]["measures"] == "苏州开展投诉专项整治。"

    with page.expect_download(timeout=SLOW_MS) as started:
        page.locator("#export-pdf").click()
    download = started.value
    assert download.suggested_filename == "quality-report-2026-10-no1.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF-")
    printed = pdf_characters(data)
    assert set("南京苏州无锡") <= printed  # the cities of the rankings
    assert set("全省宽带服务总体平稳专项整治") <= printed  # the text the manager wrote
