"""A stale fault event in the browser, in zh-hans: the NOC finds it on the fault list by its
badge (疑似告警丢失), reads on its page when its last alarm came, and closes it as stale with
a reason, without a recovery SMS (docs/faults.md, "Lost clears: stale events").

Selectors use ids and data attributes; the words checked are the Chinese ones the NOC reads.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sqm.network.alarms import parse_alarm
from sqm.network.ingest import ingest
from sqm.network.models import FaultEvent, Outage
from sqm.notify.models import OutboundMessage
from tests.browser.conftest import login
from tests.factories import AccountFactory, OltFactory, UserFactory, onu, port

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def lost(db) -> FaultEvent:
    """ONU-ST-1 went down four days ago and its clear never came: one waiting fault SMS."""
    olt = OltFactory(olt_id="OLT-ST-1", name="南京秦淮OLT05", district="秦淮区")
    AccountFactory(account_id="A-ST-1", onu=onu(port(olt, 0, 1, 0), "ONU-ST-1"))
    raised = timezone.now().replace(microsecond=0) - timedelta(days=4)
    body = {"alarm_id": "ST-1", "event": "raise", "olt_id": "OLT-ST-1", "level": "onu",
            "onu_id": "ONU-ST-1", "type": "LOS", "severity": "major",
            "occurred_at": raised.isoformat()}  # fmt: skip
    alarm, errors = parse_alarm(body, 1)
    assert not errors
    ingest([alarm], now=raised)
    return FaultEvent.objects.get()


@pytest.fixture
def noc(db):
    return UserFactory(username="noc-stale", roles=["network_ops"], city_codes=["NJ"])


def test_the_noc_closes_a_stale_event_in_chinese(page, live_server, noc, lost):
    login(page, live_server, noc)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator('[data-figure="stale_faults"] strong')).to_have_text("1")
    page.locator('[data-figure="stale_faults"]').click()
    page.wait_for_url("**/network/faults/?stale=1")
    row = page.locator(f'#faults tr[data-fault="{lost.pk}"]')
    expect(row.locator("[data-stale]")).to_have_text("疑似告警丢失")
    expect(page.locator("#stale-filter")).to_have_value("1")

    row.locator("a").first.click()
    page.wait_for_url(f"**/network/faults/{lost.pk}/")
    expect(page.locator("#stale-badge")).to_have_text("疑似告警丢失")
    expect(page.locator("#state")).to_have_text("故障中")
    expect(page.locator("#last-activity")).to_contain_text("恢复告警疑似丢失")
    box = page.locator("#close-box")
    expect(box.locator("h2")).to_have_text("按疑似告警丢失关闭")
    expect(box.locator("#id_notify")).not_to_be_checked()
    expect(box.locator("#id_reason")).to_have_attribute("placeholder", "如：已现场核实恢复")

    # The reason is required: the browser will not send the form without it.
    box.locator("#close-submit").click()
    expect(page.locator("#state")).to_have_attribute("data-state", "active")

    box.locator("#id_reason").fill("已现场核实恢复")
    box.locator("#close-submit").click()
    expect(page.locator(".messages")).to_contain_text("已按疑似告警丢失关闭")
    expect(page.locator("#state")).to_have_attribute("data-state", "closed")
    expect(page.locator("#state")).to_have_text("已人工关闭")
    expect(page.locator("#stale-badge")).to_have_count(0)
    expect(page.locator("#close-box")).to_have_count(0)
    expect(page.locator("#close-reason")).to_have_text("已现场核实恢复")
    closed = page.locator('#timeline li[data-kind="closed"]')
    expect(closed).to_contain_text("已现场核实恢复")
    expect(closed).to_contain_text("noc-stale")
    assert not Outage.objects.filter(fault_event=lost, ended_at__isnull=True).exists()
    assert list(OutboundMessage.objects.filter(fault_event=lost).values_list("kind", "state")) == [
        ("fault", "cancelled")
    ]
