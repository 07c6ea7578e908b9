"""List tables fit the page (issue 12): at 1280 px the fault list, the fault history, the
change log, the work-order list and the NOC's SMS view never make the page scroll sideways,
and no cell is cut off at the right: long cells wrap, and a table that still cannot fit
scrolls inside its own box.

The data is made wide on purpose: long element names and alarm types, ended faults (the
history's extra column), long change sentences, long SMS texts.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from sqm.complaints.models import Category
from sqm.complaints.workorders import open_work_order
from sqm.core.models import ChangeLogEntry
from sqm.network.alarms import parse_alarm
from sqm.network.ingest import ingest
from sqm.network.models import FaultEvent
from tests.browser.conftest import login
from tests.factories import AccountFactory, CustomerFactory, OltFactory, UserFactory, onu, port

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# Every cell's right edge against the visible box of its nearest ancestor that clips or
# scrolls (or the viewport): a cell past that edge is cut off unless the box scrolls.
CUT_OFF_CELLS = """() => {
  const cut = [];
  for (const cell of document.querySelectorAll("table.list td, table.list th")) {
    let box = cell.parentElement;
    while (box && box !== document.body) {
      const overflow = getComputedStyle(box).overflowX;
      if (overflow !== "visible") break;
      box = box.parentElement;
    }
    const right = cell.getBoundingClientRect().right;
    if (box && box !== document.body) {
      const scrolls = ["auto", "scroll"].includes(getComputedStyle(box).overflowX);
      const edge = box.getBoundingClientRect().right;
      if (!scrolls && right > edge + 1) cut.push(cell.textContent.trim());
    } else if (right > window.innerWidth + 1) {
      cut.push(cell.textContent.trim());
    }
  }
  return cut;
}"""


def raise_alarm(olt, n: int, started, cleared=None) -> None:
    pon = port(olt, 0, 1, n)
    AccountFactory(account_id=f"WIDE-{olt.pk}-{n}", onu=onu(pon, f"ONU-{olt.olt_id}-{n}"))
    events = [("raise", started)] + ([("clear", cleared)] if cleared else [])
    for event, at in events:
        body = {"alarm_id": f"{olt.olt_id}-{n}", "event": event, "olt_id": olt.olt_id,
                "level": "pon", "frame": 0, "slot": 1, "port": n,
                "type": "LOS-LONG-VENDOR-ALARM-TYPE-NAME", "severity": "critical",
                "occurred_at": at.isoformat()}  # fmt: skip
        alarm, errors = parse_alarm(body, 1)
        assert not errors
        ingest([alarm], now=at)


@pytest.fixture
def wide_province(db, settings, agent):
    """Nanjing with faults on OLTs whose names are long, two of them ended, SMS waiting on
    the hold-down, work orders with long categories, and a change with a long sentence."""
    settings.SQM_SMS_HOLD_DOWN_MINUTES = 600
    now = timezone.now().replace(microsecond=0)
    for k in range(3):
        olt = OltFactory(
            olt_id=f"OLT-NJ-XUANWU-LONG-IDENTIFIER-{k:04d}",
            name=f"南京玄武区长江路与中山路交叉口综合接入机房第{k}号光线路终端",
            district="玄武区",
        )
        for n in range(2):
            cleared = now - timedelta(minutes=5) if k == 0 else None
            raise_alarm(olt, n, now - timedelta(hours=2 + n), cleared)
    assert FaultEvent.objects.filter(ended_at__isnull=False).exists()
    category = Category.objects.get(code="NQ.BB.01")
    for _ in range(3):
        open_work_order(
            agent,
            customer=CustomerFactory(),
            category=category,
            channel="hotline",
            description="宽带频繁掉线，晚上八点到十一点之间几乎无法使用，重启光猫仍未解决" * 2,
        )
    ChangeLogEntry.objects.create(
        actor="noc",
        request_id="9f0c1d2e3b4a59687766554433221100",
        content_type=ContentType.objects.get_for_model(FaultEvent),
        object_id=str(FaultEvent.objects.first().pk),
        object_repr="OLT-NJ-XUANWU-LONG-IDENTIFIER-0000 南京玄武区长江路综合接入机房 power-off",
        action="update",
        before={"state": "active", "ended_at": None, "close_reason": ""},
        after={
            "state": "closed",
            "ended_at": now.isoformat(),
            "close_reason": "现场核实光缆已于凌晨修复，告警系统未上报恢复消息，人工关闭" * 3,
        },
    )


@pytest.fixture
def noc(db):
    return UserFactory(username="noc-wide", roles=["network_ops"], city_codes=["NJ"])


PAGES = {
    "noc": ["/network/faults/", "/network/faults/history/", "/network/sms/"],
    "auditor": ["/core/changelog/"],
    "admin": ["/complaints/orders/"],
}


@pytest.mark.parametrize("who", sorted(PAGES))
def test_a_list_page_never_scrolls_sideways_and_cuts_no_cell_off_at_1280_px(
    who, new_page, live_server, wide_province, noc, auditor, admin
):
    user = {"noc": noc, "auditor": auditor, "admin": admin}[who]
    page = new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server, user)
    for path in PAGES[who]:
        page.goto(path)
        assert page.locator("table.list tbody tr").count() > 1, path
        page_width, window_width = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert page_width <= window_width, f"{path} is {page_width} px wide at {window_width}"
        assert page.evaluate(CUT_OFF_CELLS) == [], f"{path} cuts cells off"
