"""Complaint work orders in the browser: an agent records a contact on the keyboard-first
intake page, second-line support claims and replies to an escalated order, a dissatisfied
callback reopens it for service remediation, and the category suggestions follow the
description.

Selectors use ids, names, classes and data attributes rather than visible words, because the
words change with the language.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from sqm.complaints import textmining
from sqm.complaints.choices import RecordType, WorkOrderState
from sqm.complaints.models import Category, Department, WorkOrder
from sqm.complaints.workorders import do_transition, open_work_order
from tests.browser.conftest import login
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

MOBILE = "13812345678"
MASKED_MOBILE = "138****5678"
DESCRIPTION = "家里宽带网速很慢，晚上看视频一直卡，测速只有10M"
SLA_CLASS = re.compile(r"\bsla-(ontime|warning|overdue)\b")
DETAIL_URL = re.compile(r"/complaints/orders/(\d+)/$")


@pytest.fixture
def customer(db):
    return CustomerFactory(name="张三", mobile=MOBILE)


@pytest.fixture
def second_line(db):
    user = UserFactory(username="netsecond", roles=["second_line"], city_codes=["NJ"])
    Department.objects.get(code="NET").members.add(user)
    return user


def category(code: str) -> Category:
    return Category.objects.get(code=code)


def expect_state(page, state: str) -> None:
    expect(page.locator("#state")).to_have_attribute("data-state", state)


def timeline_steps(page) -> list[tuple[str, str]]:
    """(action, username) of each timeline entry, oldest first."""
    entries = page.locator("#timeline > li")
    return [
        (entry.get_attribute("data-action"), entry.get_attribute("data-user"))
        for entry in entries.all()
    ]


def find_customer(page) -> None:
    page.goto("/complaints/intake/")
    lookup = page.locator("#lookup")
    lookup.fill(MOBILE)
    lookup.press("Enter")
    found = page.locator("#customer-box #customer-found")
    expect(found).to_contain_text(MASKED_MOBILE)
    expect(page.locator("body")).not_to_contain_text(MOBILE)
    # Enter searched; it did not submit the intake form.
    assert page.url.endswith("/complaints/intake/")


def enter_facts(page, *, accepted: bool) -> None:
    page.locator("#facts select[name=topic]").select_option("other")
    page.locator("#facts input[name=dissatisfied]").check()
    page.locator("#facts input[name=demands][value=restore]").check()
    if accepted:
        page.locator("#facts input[name=accepted]").check()


def describe_and_record(page, code: str) -> int:
    page.locator("#id_description").fill(DESCRIPTION)
    page.locator("#id_category").select_option(str(category(code).pk))
    page.locator("#id_description").press("Control+Enter")
    page.wait_for_url(DETAIL_URL)
    return int(DETAIL_URL.search(page.url).group(1))


def test_an_agent_records_a_complaint_that_becomes_a_work_order(page, live_server, agent, customer):
    login(page, live_server, agent)
    find_customer(page)

    enter_facts(page, accepted=False)
    expect(page.locator("#triage-result")).to_have_class(
        re.compile(r"\btriage-complaint_work_order\b")
    )

    pk = describe_and_record(page, "NQ.BB.01")

    order = WorkOrder.objects.get(pk=pk)
    assert order.customer == customer
    assert order.record_type == RecordType.COMPLAINT_WORK_ORDER
    assert order.description == DESCRIPTION
    expect_state(page, WorkOrderState.NEW)
    expect(page.locator("#timeline > li.event-open")).to_have_count(1)
    assert timeline_steps(page) == [("open", agent.username)]
    expect(page.locator("body")).not_to_contain_text(MOBILE)

    page.goto("/complaints/queue/")
    row = page.locator(f"#queue tr[data-number='{order.number}']")
    expect(row).to_have_count(1)
    expect(row).to_have_class(SLA_CLASS)


def test_an_accepted_answer_is_recorded_as_a_closed_direct_answer_complaint(
    page, live_server, agent, customer
):
    login(page, live_server, agent)
    find_customer(page)

    enter_facts(page, accepted=True)
    expect(page.locator("#triage-result")).to_have_class(
        re.compile(r"\btriage-direct_answer_complaint\b")
    )

    pk = describe_and_record(page, "NQ.BB.01")

    order = WorkOrder.objects.get(pk=pk)
    assert order.record_type == RecordType.DIRECT_ANSWER_COMPLAINT
    expect_state(page, WorkOrderState.CLOSED)
    assert timeline_steps(page) == [("open", agent.username), ("close", agent.username)]
    expect(page.locator("#action-form")).to_have_count(0)

    page.goto("/complaints/queue/")
    expect(page.locator("#queue")).to_have_count(1)
    expect(page.locator(f"#queue tr[data-number='{order.number}']")).to_have_count(0)


def test_second_line_escalation_and_reply(new_page, live_server, agent, second_line, customer):
    order = open_work_order(
        agent,
        customer=customer,
        category=category("NQ.BB.01"),
        channel="hotline",
        description=DESCRIPTION,
    )
    net = Department.objects.get(code="NET")

    page = new_page()
    login(page, live_server, agent)
    page.goto(f"/complaints/orders/{order.pk}/")
    expect_state(page, WorkOrderState.NEW)
    page.locator("#do-accept").click()
    expect_state(page, WorkOrderState.IN_PROGRESS)

    page.locator("#action-form textarea[name=note]").fill("光猫正常，需网络部核查端口")
    page.locator("#action-form select[name=department]").select_option(str(net.pk))
    page.locator("#do-escalate").click()
    expect_state(page, WorkOrderState.ESCALATED)
    # Escalated: the front line has nothing left to do on it.
    expect(page.locator("#do-escalate")).to_have_count(0)

    support = new_page()
    login(support, live_server, second_line)
    support.goto("/complaints/queue/")
    row = support.locator(f"#queue tr[data-number='{order.number}']")
    expect(row).to_have_count(1)
    row.locator(f"a[href$='/complaints/orders/{order.pk}/']").click()
    support.wait_for_url(f"**/complaints/orders/{order.pk}/")

    support.locator("#do-claim").click()
    expect(support.locator("#assignee")).to_have_text(second_line.username)
    expect(support.locator("#do-claim")).to_have_count(0)
    reply = "端口光衰过大，已更换分光器，测速恢复到500M"
    # The reply to the customer has its own form, apart from the internal note.
    support.locator("#reply-card #reply-text").fill(reply)
    support.locator("#reply-card #do-reply").click()

    expect_state(support, WorkOrderState.REPLIED)
    expect(support.locator("#reply")).to_have_text(reply)
    assert timeline_steps(support) == [
        ("open", agent.username),
        ("accept", agent.username),
        ("escalate", agent.username),
        ("claim", second_line.username),
        ("reply", second_line.username),
    ]
    escalation = support.locator("#timeline > li[data-action=escalate]")
    expect(escalation).to_contain_text(net.name)
    expect(escalation.locator(".note")).to_have_text("光猫正常，需网络部核查端口")
    expect(support.locator("#timeline > li[data-action=reply] .note")).to_have_text(reply)

    order.refresh_from_db()
    assert order.state == WorkOrderState.REPLIED
    assert order.assignee == second_line
    assert order.department == net


def test_a_dissatisfied_callback_reopens_the_work_order(page, live_server, agent, customer):
    order = open_work_order(
        agent,
        customer=customer,
        category=category("NQ.BB.01"),
        channel="hotline",
        description=DESCRIPTION,
    )
    order = do_transition(agent, order, "accept")
    order = do_transition(agent, order, "reply", "已远程重启光猫，网速恢复")
    order = do_transition(agent, order, "start_callback")
    version = order.version

    login(page, live_server, agent)
    page.goto(f"/complaints/orders/{order.pk}/")
    expect_state(page, WorkOrderState.AWAITING_CALLBACK)
    form = page.locator("#callback-form")

    # Dissatisfied but nobody named to follow up: refused, nothing changes.
    form.locator("input[name=outcome][value=dissatisfied]").check()
    form.locator("textarea[name=note]").fill("客户称晚上仍然很慢")
    form.locator("#record-callback").click()
    with translation.override("zh-hans"):
        needs_owner = gettext("Name who follows up the service remediation.")
    expect(form.locator(".errorlist")).to_have_text(needs_owner)
    expect_state(page, WorkOrderState.AWAITING_CALLBACK)
    expect(page.locator("#remediation")).to_have_count(0)
    order.refresh_from_db()
    assert order.state == WorkOrderState.AWAITING_CALLBACK
    assert order.version == version
    assert not order.remediation

    # The form kept what was entered; name the owner and record it again.
    expect(form.locator("input[name=outcome][value=dissatisfied]")).to_be_checked()
    form.locator("select[name=remediation_owner]").select_option(str(agent.pk))
    form.locator("#record-callback").click()

    expect_state(page, WorkOrderState.REOPENED)
    expect(page.locator("#remediation")).to_be_visible()
    expect(page.locator("#callback-form")).to_have_count(0)
    assert timeline_steps(page)[-1] == ("reopen", agent.username)
    order.refresh_from_db()
    assert order.state == WorkOrderState.REOPENED
    assert order.remediation and order.remediation_owner == agent


# Three categories with words of their own, so a small classifier tells them apart.
TRAINING_TEXTS = {
    "NQ.BB.01": [
        "家里宽带网速很慢，晚上看视频一直卡",
        "宽带测速只有几兆，远低于办理的带宽",
        "光纤宽带下载速度慢，网页打开要很久",
        "千兆宽带实际网速不到一百兆",
        "宽带晚上高峰期网速特别慢，打游戏延迟高",
    ],
    "WS.HA.01": [
        "营业厅工作人员态度恶劣，不耐烦",
        "营业员对客户爱答不理，服务态度差",
        "营业厅柜台人员说话很冲，态度不好",
        "去营业厅办业务，店员态度冷漠",
        "营业厅服务人员不理睬客户，态度差",
    ],
    "BL.DS.02": [
        "话费账单多扣了钱，扣费不明",
        "手机被莫名扣费，要求说明扣费原因",
        "本月话费扣费异常，多扣了二十元",
        "账单里有不认识的扣费项目",
        "每月都被额外扣费，要求退还话费",
    ],
}


@pytest.fixture
def trained_classifier(db, settings, tmp_path, agent):
    settings.SQM_HOME = tmp_path
    customers = [CustomerFactory() for _ in range(5)]
    n = 0
    for code, texts in TRAINING_TEXTS.items():
        filed = category(code)
        for round_ in range(10):
            for text in texts:
                n += 1
                # A direct-answer complaint is written closed, as the training set wants.
                open_work_order(
                    agent,
                    customer=customers[n % len(customers)],
                    category=filed,
                    channel="hotline",
                    description=f"{text}（第{round_}次反映）",
                    record_type=RecordType.DIRECT_ANSWER_COMPLAINT,
                )
    report = textmining.train(path=textmining.model_path())
    assert report.n_categories == len(TRAINING_TEXTS)
    return textmining.model_path()


def test_category_suggestions_follow_the_description(
    page, live_server, agent, customer, trained_classifier
):
    assert trained_classifier.exists()
    login(page, live_server, agent)
    find_customer(page)

    suggestions = page.locator("#suggest-box #suggestions .suggestion")
    expect(suggestions).to_have_count(0)
    page.locator("#id_description").fill("最近宽带网速太慢了，看视频老是卡")
    expect(suggestions.first).to_be_visible()
    broadband = str(category("NQ.BB.01").pk)
    expect(suggestions.first).to_have_attribute("data-category", broadband)

    page.locator("#id_description").press("Alt+1")
    expect(page.locator("#id_category")).to_have_value(broadband)
    expect(page.locator("#id_category")).to_have_class(re.compile(r"\bpicked\b"))

    # A different text brings different suggestions.
    page.locator("#id_description").fill("营业厅的工作人员服务态度太差了")
    expect(suggestions.first).to_have_attribute("data-category", str(category("WS.HA.01").pk))
