"""A hotline agent finds a customer by mobile number, sees only masked personal data, reveals
it with a reason, and the auditor sees that reveal in the audit log.

Selectors use ids, names and data attributes rather than visible words, because the words
change with the language.
"""

from __future__ import annotations

import re

import pytest
from django import forms
from django.utils import translation
from playwright.sync_api import expect

from sqm.core.models import AuditAction, AuditEntry
from tests.browser.conftest import login
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

MOBILE = "13812345678"
ID_NUMBER = "320102198001011234"
ADDRESS = "南京市玄武区中山路1号"
MASKED = {
    "name": "张*",
    "mobile": "138****5678",
    "id_number": "3201**********1234",
    "address": "南京市****",
}
PLAIN = {"name": "张三", "mobile": MOBILE, "id_number": ID_NUMBER, "address": ADDRESS}


@pytest.fixture
def customer(db):
    return CustomerFactory(name="张三", mobile=MOBILE, id_number=ID_NUMBER, address=ADDRESS)


def search(page, query: str) -> None:
    page.goto("/customers/")
    box = page.locator("main input[name=q]")
    box.fill(query)
    with page.expect_navigation():
        box.press("Enter")
    # The search is posted: the number never enters the URL, the history or a Referer.
    assert query not in page.url


def expect_pii(page, shown: dict[str, str]) -> None:
    for field, value in shown.items():
        expect(page.locator(f"#pii [data-field={field}]")).to_have_text(value)


def expect_no_plaintext(page) -> None:
    body = page.locator("body")
    for value in PLAIN.values():
        expect(body).not_to_contain_text(value)


def test_it_shows_an_agent_masked_data_reveals_it_for_a_reason_and_logs_it_for_the_auditor(
    new_page, live_server, agent, auditor, customer
):
    page = new_page()
    login(page, live_server, agent)

    search(page, MOBILE)
    rows = page.locator("#customers tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(customer.customer_id)
    expect(rows).to_contain_text(MASKED["mobile"])
    expect(rows).to_contain_text(MASKED["name"])
    expect_no_plaintext(page)

    rows.get_by_role("link", name=customer.customer_id).click()
    page.wait_for_url(f"**{customer.get_absolute_url()}")
    expect_pii(page, MASKED)
    expect_no_plaintext(page)

    reason = "回访工单 WO-2024-001"
    page.locator("#id_reason").fill(reason)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator("#pii button[type=submit]").click()
    # htmx sent it and swapped #pii in place: the page itself was not reloaded.
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(page.locator("#pii")).to_have_class(re.compile(r"\brevealed\b"))
    expect_pii(page, PLAIN)
    expect(page.locator("#id_reason")).to_have_count(0)
    assert page.url.endswith(customer.get_absolute_url())

    audit_page = new_page()
    login(audit_page, live_server, auditor)
    audit_page.goto("/core/audit/")
    entry = audit_page.locator("#audit-log tbody tr", has_text=reason)
    expect(entry).to_have_count(1)
    cells = entry.locator("td")
    expect(cells.nth(1)).to_have_text("agent")
    expect(cells.nth(3)).to_contain_text(customer.customer_id)  # 客户 C…: the target in words
    expect(cells.nth(4)).to_have_text(reason)


def test_it_gives_first_line_support_no_reveal_form(page, live_server, customer):
    first_line = UserFactory(username="firstline", roles=["first_line"], city_codes=["NJ"])
    login(page, live_server, first_line)

    page.goto(customer.get_absolute_url())

    expect_pii(page, MASKED)
    expect(page.locator("#pii form")).to_have_count(0)
    expect(page.locator("#id_reason")).to_have_count(0)
    expect_no_plaintext(page)


def test_it_does_not_let_a_suzhou_agent_find_or_open_a_nanjing_customer(
    page, live_server, outsider, customer
):
    login(page, live_server, outsider)

    search(page, MOBILE)
    expect(page.locator("#customers tbody a")).to_have_count(0)
    expect(page.locator("#customers tbody")).not_to_contain_text(MASKED["mobile"])

    response = page.goto(customer.get_absolute_url())
    assert response is not None and response.status == 404
    expect_no_plaintext(page)


def test_it_refuses_a_reveal_without_a_reason(page, live_server, agent, customer):
    login(page, live_server, agent)
    page.goto(customer.get_absolute_url())
    posts = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    reason = page.locator("#id_reason")
    submit = page.locator("#pii button[type=submit]")

    # Empty: the browser itself refuses to send the form and says why.
    submit.click()
    assert reason.evaluate("el => el.validity.valueMissing") is True
    assert reason.evaluate("el => el.validationMessage") != ""

    # Blanks get past the browser; the server strips them and answers with its message.
    reason.fill("   ")
    submit.click()
    with translation.override("zh-hans"):
        required = str(forms.CharField().error_messages["required"])
    expect(page.locator("#pii .errorlist")).to_contain_text(required)
    expect_pii(page, MASKED)
    expect_no_plaintext(page)
    assert len(posts) == 1  # only the blank reason reached the server
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()


def test_it_speaks_chinese_by_default_and_english_when_chosen(page, live_server, agent):
    login(page, live_server, agent)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    page.locator("header select[name=language]").select_option("en")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/customers/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
