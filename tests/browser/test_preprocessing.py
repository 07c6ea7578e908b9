"""Fault pre-processing in the browser: a hotline agent looks up a customer whose broadband
is down under an active fault, sees the outage and the answer script on the intake page,
and answers from the fault with one click — recorded, linked to the fault event, no work
order opened, and the form cleared for the next call.

Selectors use ids, names, classes and data attributes rather than visible words, because the
words change with the language.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sqm.complaints.choices import RecordType, WorkOrderState
from sqm.complaints.models import WorkOrder
from tests.browser.conftest import cut_fibre, login

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

MOBILE = "13812340000"
MASKED_MOBILE = "138****0000"
DESCRIPTION = "家里宽带从下午开始上不了网，光猫红灯闪"


@pytest.fixture
def fault(db):
    return cut_fibre(MOBILE)


def test_an_agent_answers_a_customer_under_a_known_fault_in_one_click(
    page, live_server, agent, fault
):
    login(page, live_server, agent)
    page.goto("/complaints/intake/")
    lookup = page.locator("#lookup")
    lookup.fill(MOBILE)
    lookup.press("Enter")
    expect(page.locator("#customer-box #customer-found")).to_contain_text(MASKED_MOBILE)

    panel = page.locator("#customer-box #preprocessing")
    outage = panel.locator(f"#fault-{fault.pk}")
    expect(outage.locator(".fault-element")).to_contain_text("南京玄武OLT07 0/2/3")
    expect(outage.locator(".fault-accounts")).to_contain_text("BR-1")
    expect(outage.locator(".fault-script")).to_contain_text("玄武区")
    expect(outage.locator(".fault-script")).not_to_contain_text("{")
    expect(panel.locator("#element-states tr[data-kind=onu]")).to_have_attribute(
        "data-state", "down"
    )
    expect(panel.locator("#element-states tr[data-kind=olt]")).to_have_attribute(
        "data-state", "normal"
    )
    expect(page.locator("body")).not_to_contain_text(MOBILE)

    page.locator("#id_description").fill(DESCRIPTION)
    outage.locator(f"#batch-answer-{fault.pk}").click()

    answered = page.locator("#batch-result #batch-answered")
    expect(answered).to_be_visible()
    number = answered.get_attribute("data-number")
    # The form is cleared for the next call, the look-up field ready.
    expect(page.locator("#customer-box")).to_be_empty()
    expect(page.locator("#id_description")).to_have_value("")
    expect(page.locator("#lookup")).to_be_focused()
    assert page.url.endswith("/complaints/intake/")

    record = WorkOrder.objects.get(number=number)
    assert record.fault_event_id == fault.pk
    assert record.record_type == RecordType.DIRECT_ANSWER_COMPLAINT
    assert record.state == WorkOrderState.CLOSED
    assert record.description == DESCRIPTION
    assert record.account.account_id == "BR-1"
    assert not WorkOrder.objects.filter(record_type=RecordType.COMPLAINT_WORK_ORDER).exists()


def test_alt_b_answers_from_the_first_fault_shown(page, live_server, agent, fault):
    login(page, live_server, agent)
    page.goto("/complaints/intake/")
    page.locator("#lookup").fill(MOBILE)
    page.locator("#lookup").press("Enter")
    expect(page.locator(f"#customer-box #batch-answer-{fault.pk}")).to_be_visible()

    page.locator("#lookup").press("Alt+b")

    answered = page.locator("#batch-result #batch-answered")
    expect(answered).to_be_visible()
    record = WorkOrder.objects.get(number=answered.get_attribute("data-number"))
    assert record.fault_event_id == fault.pk
    assert record.record_type == RecordType.DIRECT_ANSWER_COMPLAINT
    assert record.description  # the standard text: nothing was typed
