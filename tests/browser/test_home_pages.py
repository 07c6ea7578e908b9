"""Each role's home page in the browser, in Chinese: the panels of the role, numbers that
read as numbers, no English on the page, the trend charts drawn, and one number followed to
the list it counts.

Screenshots of every home page land in var/screenshots/home-<role>.png (looked at by eye
when the panels change). Selectors use ids and data attributes, not visible words.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sqm.complaints.models import Department, WorkOrder
from sqm.complaints.workorders import do_transition
from sqm.core import audit
from sqm.core.models import AuditAction
from tests.browser.conftest import SCREENSHOTS, cut_fibre, login
from tests.complaints.helpers import record
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# Latin words on a zh-hans page: an untranslated label (digits, %, dates and – are fine).
ENGLISH = re.compile(r"[A-Za-z]{2,}")


def person(username: str, role: str, name: str, **extra):
    user = UserFactory(username=username, roles=[role], city_codes=["NJ"], **extra)
    user.last_name, user.first_name = name[0], name[1:]
    user.save()
    return user


@pytest.fixture
def staff(db):
    """The people of Nanjing's service-quality day, one per role, and their work: an agent's
    two contacts (one past its deadline, one escalated to second-line support), a known
    fault, a reveal and a look-up today."""
    people = {
        "hotline_agent": person("h-agent", "hotline_agent", "王小明"),
        "first_line": person("h-first", "first_line", "李娜"),
        "second_line": person("h-second", "second_line", "张伟"),
        "team_lead": person("h-lead", "team_lead", "陈静"),
        "network_ops": person("h-noc", "network_ops", "赵强"),
        "quality_manager": person("h-quality", "quality_manager", "刘洋"),
        "auditor": UserFactory(username="h-auditor", roles=["auditor"], all_cities=True),
    }
    Department.objects.get(code="NET-2L").members.add(people["second_line"])
    Department.objects.get(code="HOTLINE").members.add(people["first_line"])
    agent = people["hotline_agent"]
    late = record(agent, description="宽带无法上网")
    escalated = do_transition(agent, record(agent, description="网速慢"), "accept")
    do_transition(
        agent, escalated, "escalate", "需二线处理", department=Department.objects.get(code="NET-2L")
    )
    record(people["first_line"], description="光猫故障")
    past = timezone.now() - timedelta(hours=2)
    WorkOrder.objects.filter(pk=late.pk).update(resolve_due=past, warn_at=past)
    cut_fibre("13812340000")
    audit.record_reveal(agent, CustomerFactory(), "客户来电核实身份", ["mobile"])
    audit.record(AuditAction.LOOKUP, user=agent, target="mobile")
    # A passing check as the nightly job records it (the live server's serialized rollback
    # re-inserts the audit rows migrate wrote, which the chain then rightly rejects).
    audit.record_check(audit.VerifyResult(checked=3))
    return people


def figure(page, key: str):
    return page.locator(f'[data-figure="{key}"] strong')


def look(page, role: str) -> None:
    """The page is in Chinese with readable numbers; keep its picture."""
    main = page.locator("main")
    expect(main.locator(".home-panel").first).to_be_visible()
    text = main.inner_text()
    assert not ENGLISH.findall(text), (role, ENGLISH.findall(text))
    for number in main.locator(".figure strong").all_inner_texts():
        assert re.fullmatch(r"\d+%?|–", number), (role, number)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=Path(SCREENSHOTS) / f"home-{role}.png", full_page=True)


def drawn(page, panel: str) -> None:
    chart = page.locator(f"#chart-{panel}")
    expect(chart).to_have_attribute("data-drawn", "1")
    expect(chart.locator("canvas")).to_have_count(1)
    # Drawn means finished: no entry animation, so nothing shown is a half-grown bar or a
    # line that stops part of the way (issue 12: the satisfaction line seemed to end early).
    animated = chart.evaluate("el => echarts.getInstanceByDom(el).getOption().animation")
    assert animated is False


def test_each_role_sees_its_own_home_page_in_chinese(new_page, live_server, staff):
    expected = {
        "hotline_agent": ["my_day", "known_faults"],
        "first_line": ["my_queue", "pool"],
        "second_line": ["my_queue", "pool"],
        "team_lead": ["team_sla", "workload", "trend"],
        "network_ops": ["noc", "fault_sms"],
        "quality_manager": ["complaint_volume", "analyses", "short_boards"],
        "auditor": ["audit"],
    }
    for role, panels in expected.items():
        page = new_page()
        login(page, live_server, staff[role])
        shown = page.locator("main [data-panel]").evaluate_all(
            "els => els.map(e => e.dataset.panel)"
        )
        assert shown == panels, role
        if role in ("team_lead", "quality_manager"):
            drawn(page, "trend" if role == "team_lead" else "complaint_volume")
        look(page, role)
        page.context.close()

    page = new_page()
    login(page, live_server, staff["hotline_agent"])
    expect(figure(page, "my_open")).to_have_text("1")  # the other one went to second line
    expect(figure(page, "active_faults")).to_have_text("1")


def test_the_team_lead_follows_the_overdue_number_to_the_list_it_counts(page, live_server, staff):
    login(page, live_server, staff["team_lead"])
    overdue = figure(page, "team_overdue")
    expect(overdue).to_have_text("1")
    page.locator('[data-figure="team_overdue"]').click()
    page.wait_for_url(re.compile(r"/complaints/orders/\?.*sla=overdue"))
    rows = page.locator("#orders tbody tr[data-number]")
    expect(rows).to_have_count(1)


def test_second_line_follows_the_pool_to_the_unclaimed_escalated_order(page, live_server, staff):
    login(page, live_server, staff["second_line"])
    expect(figure(page, "pool")).to_have_text("1")
    page.locator('[data-figure="pool"]').click()
    page.wait_for_url(re.compile(r"/complaints/pool/\?.*unclaimed=1"))
    expect(page.locator("main table.orders tbody tr[data-number]")).to_have_count(1)
