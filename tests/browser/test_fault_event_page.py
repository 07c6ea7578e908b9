"""A live fault event's page in the browser, in Chinese (issue 12, the NOC walk-through):
the batch cause (批量原因) and the batch complaints the complaint side links to the event, a
timeline that starts with the fault, the alarm type named once.

Selectors use ids and data attributes; the words checked are the Chinese ones a team lead
reads.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sqm.complaints.records import create_cause, link_cause
from sqm.network.alarms import parse_alarm
from sqm.network.ingest import ingest
from sqm.network.models import FaultEvent
from tests.browser.conftest import login
from tests.complaints.helpers import record
from tests.factories import AccountFactory, OltFactory, UserFactory, onu, port

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def lead(db):
    return UserFactory(username="lead-fault", roles=["team_lead"], city_codes=["NJ"])


@pytest.fixture
def fault(db, lead) -> FaultEvent:
    """An OLT powered off 47 minutes ago with four accounts behind it; three of its customers
    called and their complaints are linked to the batch cause the lead recorded."""
    olt = OltFactory(olt_id="OLT-NJ-0002", name="南京江宁区-工农南路-OLT01", district="江宁区")
    pon = port(olt, 0, 1, 0)
    accounts = [AccountFactory(account_id=f"J-{n}", onu=onu(pon, f"ONU-J{n}")) for n in range(4)]
    started = timezone.now() - timedelta(minutes=47)
    body = {"alarm_id": "DEMO-OLT-NJ-0002", "event": "raise", "olt_id": olt.olt_id,
            "level": "olt", "type": "power-off", "severity": "critical",
            "occurred_at": started.isoformat()}  # fmt: skip
    alarm, errors = parse_alarm(body, 1)
    assert not errors
    ingest([alarm], now=started)
    fault = FaultEvent.objects.get()
    cause = create_cause(
        lead,
        kind="network_fault",
        title=f"南京江宁区设备断电（故障事件{fault.pk}）",
        city=fault.city,
        started_at=fault.started_at,
        reference=f"fault-event:{fault.pk}",
    )
    link_cause(lead, [record(lead, customer=a.customer) for a in accounts[:3]], cause)
    return fault


def test_a_team_lead_reads_the_events_batch_cause_and_complaints(page, live_server, lead, fault):
    login(page, live_server, lead)
    page.goto(f"{live_server.url}/network/faults/{fault.pk}/")

    panel = page.locator("#batch-complaints")
    expect(panel.locator("h2")).to_have_text("批量原因")
    cause = panel.locator("#batch-causes a")
    expect(cause).to_have_text(f"南京江宁区设备断电（故障事件{fault.pk}）")
    rows = panel.locator("#linked-orders tbody tr[data-number]")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("新建")
    expect(panel.locator("#linked-orders thead")).to_contain_text("工单号")

    # The alarm type once, with its severity; the timeline starts with the fault.
    expect(page.locator("#fault-type")).to_have_text("设备断电 · 紧急")
    timeline = page.locator("#timeline li")
    expect(timeline.first).to_have_attribute("data-kind", "started")
    expect(timeline.first).to_contain_text("故障开始")

    # The cause's own page lists the same orders.
    cause.click()
    page.wait_for_url("**/complaints/causes/*/")
    expect(page.locator("h1")).to_contain_text("南京江宁区设备断电")
    expect(page.locator("#orders tbody tr[data-number]")).to_have_count(3)
