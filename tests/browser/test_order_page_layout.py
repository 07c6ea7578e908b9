"""The order page's action buttons in zh-hans: 协办转派 and 挂起 (and any other action shown
together) stand apart, never touching (issue 12 walk-through)."""

from __future__ import annotations

import pytest

from sqm.complaints.models import Category, Department
from sqm.complaints.workorders import do_transition, open_work_order
from tests.browser.conftest import login
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_the_action_buttons_do_not_touch(page, live_server):
    agent = UserFactory(username="layout-agent", roles=["hotline_agent"], city_codes=["NJ"])
    second = UserFactory(username="layout-second", roles=["second_line"], city_codes=["NJ"])
    Department.objects.get(code="NET").members.add(second)
    order = open_work_order(
        agent, customer=CustomerFactory(), channel="hotline",
        category=Category.objects.get(code="NQ.BB.01"), description="网速慢",
    )  # fmt: skip
    order = do_transition(agent, order, "accept")
    order = do_transition(
        agent, order, "escalate", "需网络部处理", department=Department.objects.get(code="NET")
    )
    do_transition(second, order, "claim")
    login(page, live_server, second)
    page.goto(f"{live_server.url}/complaints/orders/{order.pk}/")
    buttons = page.locator("#action-form button[name=do]")
    assert buttons.count() >= 2
    boxes = [buttons.nth(i).bounding_box() for i in range(buttons.count())]
    values = [buttons.nth(i).get_attribute("value") for i in range(buttons.count())]
    assert {"transfer", "suspend"} <= set(values)
    for left, right in zip(boxes, boxes[1:], strict=False):
        if abs(left["y"] - right["y"]) < 1:  # on one line: a gap between them
            assert right["x"] - (left["x"] + left["width"]) >= 4, values
