"""The NOC's SMS view in the browser, in Chinese (issue 12 §4): from a fault event to its SMS,
each with the reason it waits, then the event's scheduled batch cancelled.

Selectors use ids and data attributes; the words checked are the Chinese ones a NOC operator
reads.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sqm.network.alarms import parse_alarm
from sqm.network.ingest import ingest
from sqm.network.models import FaultEvent
from sqm.notify.models import OutboundMessage
from tests.browser.conftest import login
from tests.factories import AccountFactory, OltFactory, UserFactory, onu, port

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def fault(db, settings) -> FaultEvent:
    """A LOS on a Nanjing PON port with two accounts behind it, raised just now. The
    hold-down is set to ten hours, so whatever the time of day the test runs, the two fault
    SMS wait for the hold-down to end."""
    settings.SQM_SMS_HOLD_DOWN_MINUTES = 600
    olt = OltFactory(olt_id="OLT-SMS-1", name="南京鼓楼OLT03", district="鼓楼区")
    pon = port(olt, 0, 1, 0)
    for n in range(2):
        AccountFactory(account_id=f"A-SMS-{n}", onu=onu(pon, f"ONU-SMS-{n}"))
    now = timezone.now()
    body = {"alarm_id": "SMS-1", "event": "raise", "olt_id": "OLT-SMS-1", "level": "pon",
            "frame": 0, "slot": 1, "port": 0, "type": "LOS", "severity": "critical",
            "occurred_at": now.isoformat()}  # fmt: skip
    alarm, errors = parse_alarm(body, 1)
    assert not errors
    ingest([alarm], now=now)
    return FaultEvent.objects.get()


@pytest.fixture
def noc(db):
    return UserFactory(username="noc-sms", roles=["network_ops"], city_codes=["NJ"])


def test_the_noc_sees_why_each_sms_waits_and_cancels_the_batch(page, live_server, noc, fault):
    login(page, live_server, noc)

    # The SMS view is in the NOC's navigation bar, in Chinese.
    expect(page.locator("nav a[href='/network/sms/']")).to_have_text("故障短信")

    page.goto(f"{live_server.url}/network/faults/{fault.pk}/")
    page.locator("#sms-view-link").click()
    page.wait_for_url(f"**/network/sms/?fault={fault.pk}")

    rows = page.locator("#sms-list tbody tr[data-message]")
    expect(rows).to_have_count(2)
    first = rows.first
    expect(first).to_have_attribute("data-reason", "hold_down")
    expect(first.locator(".reason")).to_contain_text("抑制时长内")
    expect(first.locator(".tag")).to_have_text("待发送")
    expect(first).to_contain_text("A-SMS-")
    expect(first.locator(".sms-text")).to_contain_text("鼓楼区")
    expect(page.locator("#worker-status")).to_contain_text("从未上报")

    # Cancel the batch: the confirmation is required, then all scheduled SMS are cancelled.
    page.locator("#confirm-cancel").check()
    page.locator("#cancel-batch-button").click()
    expect(page.locator(".messages")).to_contain_text("已取消故障事件")
    expect(page.locator('#sms-list tbody tr[data-state="cancelled"]')).to_have_count(2)
    expect(rows.first.locator(".tag")).to_have_text("已取消")
    expect(page.locator("#cancel-batch")).to_have_count(0)
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {"cancelled"}
