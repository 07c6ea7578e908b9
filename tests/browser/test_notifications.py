"""A notification followed from the header to its work order, in Chinese.

First-line support escalates an order to the network department; a second-line member of
that department sees a red badge with the count in the header, opens the notifications page
(a sentence in zh-hans with the order number, unread), follows it to the order page, and
the badge is gone.
"""

from __future__ import annotations

import pytest
from django.utils import translation
from playwright.sync_api import expect

from sqm.complaints import notices
from sqm.complaints.models import Department
from sqm.complaints.workorders import do_transition, open_work_order
from sqm.core.models import Notification
from tests.browser.conftest import login
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_second_line_member_follows_an_escalation_notice_to_the_order(
    page, live_server, first_line
):
    from sqm.complaints.models import Category

    net = Department.objects.get(code="NET")
    member = UserFactory(username="netsecond", roles=["second_line"], city_codes=["NJ"])
    net.members.add(member)
    order = open_work_order(
        first_line,
        customer=CustomerFactory(name="张三", mobile="13812345678"),
        category=Category.objects.get(code="NQ.BB.01"),
        channel="hotline",
        description="宽带网速慢",
    )
    order = do_transition(first_line, order, "accept")
    # The live server's database commits: the notice is written after the commit.
    do_transition(first_line, order, "escalate", "需二线测速排查", net)
    notice = Notification.objects.get(user=member, kind=notices.ESCALATED)
    with translation.override("zh-hans"):
        sentence = notice.message()

    login(page, live_server, member)
    badge = page.locator("header #notifications-link #unread-count")
    expect(badge).to_have_text("1")
    # Clearly visible: white on red, not a light digit on white.
    colours = badge.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"
    )
    assert colours == ["rgb(255, 255, 255)", "rgb(198, 40, 40)"]

    page.locator("header #notifications-link").click()
    page.wait_for_url("**/core/notifications/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    row = page.locator("#notifications tbody tr.unread")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-kind", notices.ESCALATED)
    expect(row.locator("button.link")).to_have_text(sentence)
    expect(row).to_contain_text(order.number)
    expect(row).not_to_contain_text("13812345678")

    row.locator("button.link").click()
    page.wait_for_url(f"**/complaints/orders/{order.pk}/")
    expect(page.locator("#state")).to_have_attribute("data-state", "escalated")
    expect(page.locator("header #unread-count")).to_have_count(0)
    notice.refresh_from_db()
    assert notice.read_at is not None

    page.locator("header #notifications-link").click()
    expect(page.locator("#notifications tbody tr.unread")).to_have_count(0)
    expect(page.locator("#mark-all-read")).to_have_count(0)
