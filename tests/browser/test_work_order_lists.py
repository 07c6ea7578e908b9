"""Work-order lists and the order page in the browser, in Chinese: a team lead sorts and
filters the order list and assigns two selected orders to a colleague at once; an agent
writes an internal note and then replies to the customer, two separate steps; a suspended
and a closed order read 已挂起 and 已关闭, never an account's 停机 or 拆机.

Selectors use ids, names, classes and data attributes rather than visible words (the words
checked are the Chinese state labels, which are the point of that test)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sqm.complaints.choices import WorkOrderState
from sqm.complaints.models import Category, WorkOrder
from sqm.complaints.workorders import do_transition, open_work_order, record_callback
from tests.browser.conftest import login
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def new_order(user, description: str, code: str = "NQ.BB.01") -> WorkOrder:
    return open_work_order(
        user,
        customer=CustomerFactory(),
        category=Category.objects.get(code=code),
        channel="hotline",
        description=description,
    )


def table_numbers(page, table: str = "#orders") -> list[str]:
    return [row.get_attribute("data-number") for row in page.locator(f"{table} tbody tr").all()]


@pytest.fixture
def lead(db):
    return UserFactory(username="lead", roles=["team_lead"], city_codes=["NJ"])


def test_a_team_lead_sorts_filters_and_assigns_two_orders_at_once(
    page, live_server, agent, first_line, lead
):
    now = timezone.now()
    orders = [new_order(agent, f"宽带第{n}次掉线") for n in range(3)]
    # The oldest has the soonest deadline: newest first and soonest deadline first differ.
    for age, order in zip((3, 2, 1), orders, strict=True):
        WorkOrder.objects.filter(pk=order.pk).update(
            created=now - timedelta(hours=age), resolve_due=now + timedelta(hours=age)
        )
    do_transition(agent, orders[0], "accept")
    numbers = [o.number for o in orders]

    login(page, live_server, lead)
    page.goto("/complaints/orders/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#total")).to_have_attribute("data-count", "3")
    expect(page.locator("#total")).to_contain_text("共 3 条")
    assert table_numbers(page) == list(reversed(numbers))  # newest first

    # Sort by the deadline, ascending, from its header.
    page.locator("#orders th[data-sort=due] a.asc").click()
    page.wait_for_url(re.compile(r"[?&]sort=due\b"))
    expect(page.locator("#orders th[data-sort=due]")).to_have_attribute("aria-sort", "ascending")
    assert table_numbers(page) == [numbers[2], numbers[1], numbers[0]]

    # Filter on the state: the address carries the filter and the sort (bookmarkable).
    page.locator("#filters select[name=state]").select_option(WorkOrderState.NEW)
    page.locator("#apply-filters").click()
    page.wait_for_url(re.compile(r"state=new"))
    assert "sort=due" in page.url
    expect(page.locator("#orders tbody tr")).to_have_count(2)
    assert table_numbers(page) == [numbers[2], numbers[1]]
    shared = page.url

    # Select both rows and give them to the first-line colleague.
    page.locator("#select-all").check()
    expect(page.locator("input[name=ids]:checked")).to_have_count(2)
    page.locator("#bulk select[name=bulk-assignee]").select_option(str(first_line.pk))
    page.locator("#bulk-assign").click()
    page.wait_for_url(shared)
    expect(page.locator(".messages li.success")).to_contain_text("firstline")
    for number in numbers[1:]:
        expect(page.locator(f"#orders tr[data-number='{number}'] td.assignee")).to_have_text(
            first_line.username
        )
    for order in orders[1:]:
        order.refresh_from_db()
        assert order.assignee == first_line
        assert order.events.filter(action="assign", user=lead, assignee=first_line).exists()
    orders[0].refresh_from_db()
    assert orders[0].assignee == agent  # not selected: filtered out


def test_an_internal_note_and_a_reply_are_two_steps_and_only_the_reply_is_the_customers(
    page, live_server, agent
):
    order = do_transition(agent, new_order(agent, "宽带无法上网"), "accept")
    note = "内部：客户情绪激动，已请二线关注"
    reply = "您好，已为您重启光猫，网络已恢复"

    login(page, live_server, agent)
    page.goto(f"/complaints/orders/{order.pk}/")
    page.locator("#note-card textarea").fill(note)
    page.locator("#add-note").click()
    expect(page.locator(".messages li.success")).to_be_visible()
    internal = page.locator("#timeline > li[data-action=note]")
    expect(internal).to_have_count(1)
    expect(internal.locator(".note")).to_have_text(note)
    expect(internal.locator(".tag.internal")).to_be_visible()
    expect(page.locator("#state")).to_have_attribute("data-state", WorkOrderState.IN_PROGRESS)

    page.locator("#reply-card #reply-text").fill(reply)
    page.locator("#reply-card #do-reply").click()
    expect(page.locator("#state")).to_have_attribute("data-state", WorkOrderState.REPLIED)
    expect(page.locator(".messages li.success")).to_be_visible()
    answered = page.locator("#timeline > li[data-action=reply]")
    expect(answered.locator(".note")).to_have_text(reply)
    expect(answered.locator(".tag.to-customer")).to_be_visible()
    expect(page.locator("#reply")).to_have_text(reply)  # the order's reply: not the note
    order.refresh_from_db()
    assert order.reply == reply and note not in order.reply


def test_a_suspended_and_a_closed_order_read_as_work_order_states(page, live_server, agent):
    suspended = do_transition(agent, new_order(agent, "等客户在家"), "accept")
    suspended = do_transition(agent, suspended, "suspend", "客户出差，下周上门")
    closed = new_order(agent, "已解决")
    for action, note in (("accept", ""), ("reply", "已处理"), ("start_callback", "")):
        closed = do_transition(agent, closed, action, note)
    record_callback(agent, closed, "satisfied", "满意")

    login(page, live_server, agent)
    for order, label in ((suspended, "已挂起"), (closed, "已关闭")):
        page.goto(f"/complaints/orders/{order.pk}/")
        expect(page.locator("#state")).to_have_text(label)
        body = page.locator("main")
        expect(body).not_to_contain_text("拆机")
        expect(body).not_to_contain_text("停机")
    page.goto("/complaints/orders/?record_type=&sort=state")
    for order in (suspended, closed):
        row = page.locator(f"#orders tr[data-number='{order.number}']")
        expect(row).to_have_count(1)
    expect(page.locator("#orders")).not_to_contain_text("拆机")
    expect(page.locator("#orders")).not_to_contain_text("停机")
