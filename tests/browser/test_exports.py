"""Excel exports from the customer list: a hotline agent downloads masked data, a quality
manager may also download personal data in plain text; every export is audited."""

from __future__ import annotations

import io

import pytest
from django.utils import translation
from openpyxl import load_workbook
from playwright.sync_api import expect

from sqm.core.models import AuditAction, AuditEntry
from tests.browser.conftest import login
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

MOBILE = "13812345678"
# Export buttons post the search form (a number searched for stays out of the URL).
EXPORT_LINK = 'main button[formaction="/customers/export/"]:not([name=pii])'
PII_EXPORT_LINK = 'main button[formaction="/customers/export/"][name=pii]'


@pytest.fixture
def customer(db):
    return CustomerFactory(name="王小明", mobile=MOBILE)


@pytest.fixture
def quality(db):
    return UserFactory(username="quality", roles=["quality_manager"], all_cities=True)


def download_sheet(page, link: str) -> dict[str, list]:
    """Click LINK on the customer list; the downloaded workbook's columns by header."""
    page.goto("/customers/")
    with page.expect_download() as event:
        page.locator(link).click()
    download = event.value
    assert download.failure() is None
    assert download.suggested_filename.startswith("customers-")
    assert download.suggested_filename.endswith(".xlsx")
    # The downloaded file has no suffix, which openpyxl would refuse: hand it the bytes.
    book = load_workbook(io.BytesIO(download.path().read_bytes()), read_only=True)
    header, *rows = book.worksheets[0].iter_rows(values_only=True)
    return {title: [row[n] for row in rows] for n, title in enumerate(header)}


def mobile_header() -> str:
    # The export's headers are in the language of the page that asked for it.
    with translation.override("zh-hans"):
        return str(translation.gettext("mobile number"))


def test_it_gives_a_hotline_agent_a_masked_excel_export_and_audits_it(
    page, live_server, agent, customer
):
    login(page, live_server, agent)

    columns = download_sheet(page, EXPORT_LINK)

    assert columns[mobile_header()] == ["138****5678"]
    assert customer.customer_id in next(iter(columns.values()))
    assert "王小明" not in str(columns)
    entry = AuditEntry.objects.exclude(action=AuditAction.LOGIN).get(actor=agent)
    assert (entry.action, entry.target) == (AuditAction.EXPORT, "list:customers")
    assert entry.details["rows"] == 1 and entry.details["personal_data"] is False


def test_it_does_not_offer_a_hotline_agent_the_export_with_personal_data(
    page, live_server, agent, customer
):
    login(page, live_server, agent)

    page.goto("/customers/")

    expect(page.locator(EXPORT_LINK)).to_have_count(1)
    expect(page.locator(PII_EXPORT_LINK)).to_have_count(0)


def test_it_lets_a_quality_manager_export_personal_data_and_audits_it_as_such(
    page, live_server, quality, customer
):
    login(page, live_server, quality)
    page.goto("/customers/")
    expect(page.locator(PII_EXPORT_LINK)).to_have_count(1, timeout=2_000)

    columns = download_sheet(page, PII_EXPORT_LINK)

    assert columns[mobile_header()] == [MOBILE]
    assert "王小明" in str(columns)
    entry = AuditEntry.objects.exclude(action=AuditAction.LOGIN).get(actor=quality)
    assert (entry.action, entry.target) == (AuditAction.EXPORT_PII, "list:customers")
    assert entry.details["rows"] == 1 and entry.details["personal_data"] is True
