"""One live fault event's page (issue 12, the NOC walk-through): its alarm type said once,
a timeline that never puts the SMS before the fault began, and the batch cause and batch
complaints the complaint side contributes as a panel."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from sqm.complaints.models import ComplaintCause, WorkOrder
from sqm.complaints.preprocessing import do_batch_answer
from sqm.complaints.records import create_cause, link_cause
from sqm.network import fault_panels, fault_queries
from sqm.network.alarms import parse_alarm
from sqm.network.ingest import ingest
from sqm.network.models import FaultEvent
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import SHANGHAI
from tests.complaints.helpers import record
from tests.factories import AccountFactory, OltFactory, UserFactory, onu, port

pytestmark = pytest.mark.django_db


def at(hour, minute=0, second=0):
    return datetime(2026, 12, 2, hour, minute, second, tzinfo=SHANGHAI)


@pytest.fixture
def noc(db):
    return UserFactory(username="noc", roles=["network_ops"], city_codes=["NJ"])


def power_off(when: datetime, accounts: int = 3) -> FaultEvent:
    """An OLT powered off at WHEN with ACCOUNTS accounts behind it."""
    olt = OltFactory(olt_id="OLT-NJ-0002", name="南京江宁区-工农南路-OLT01", district="江宁区")
    pon = port(olt, 0, 1, 0)
    for n in range(accounts):
        AccountFactory(account_id=f"J-{n}", onu=onu(pon, f"ONU-J{n}"))
    body = {"alarm_id": "DEMO-OLT-1", "event": "raise", "olt_id": olt.olt_id, "level": "olt",
            "type": "power-off", "severity": "critical",
            "occurred_at": when.isoformat()}  # fmt: skip
    alarm, errors = parse_alarm(body, 1)
    assert not errors
    ingest([alarm], now=when)
    return FaultEvent.objects.get(alarms__alarm_id="DEMO-OLT-1")


def timeline_args(fault: FaultEvent) -> tuple:
    alarms, total = fault_queries.alarms_of(fault)
    return fault, alarms, total, []


def timeline_of(fault: FaultEvent) -> list[fault_queries.TimelineEntry]:
    alarms, total = fault_queries.alarms_of(fault)
    return fault_queries.timeline(fault, alarms, total, [])


# --- the alarm type, once ----------------------------------------------------------------------


def test_the_alarm_type_is_named_once_with_its_severity(client, noc):
    fault = power_off(at(10, 47, 28))
    client.force_login(noc)
    html = client.get(f"/network/faults/{fault.pk}/").content.decode()
    field = html.split('id="fault-type">', 1)[1].split("</dd>", 1)[0]
    assert "设备断电" in field and "紧急" in field
    assert field.count("断电") == 1  # not "设备断电 断电 · 紧急"


def test_the_intake_fault_panel_names_the_fault_type_once(client, agent):
    fault = power_off(timezone.now().replace(microsecond=0) - timedelta(hours=1))
    customer = fault.outages.first().account.customer
    client.force_login(agent)
    response = client.get(reverse("complaints:intake_customer"), {"lookup": customer.customer_id})
    html = response.content.decode()
    field = html.split('class="fault-type">', 1)[1].split("</dd>", 1)[0]
    assert "设备断电" in field
    assert field.count("断电") == 1  # not "设备断电 (断电)"


# --- the timeline ------------------------------------------------------------------------------


def test_the_sms_of_an_hour_never_stand_before_the_fault_began():
    fault = power_off(at(10, 47, 28))
    entries = timeline_of(fault)
    kinds = [e.kind for e in entries]
    assert kinds == ["started", "raised", "notices"]
    notices = entries[-1]
    # Planned after the 5-minute hold-down: at 10:52:28, not at the hour's start, 10:00.
    assert notices.at == at(10, 52, 28)
    assert "10:00–10:59" in notices.text  # the hour it counts is still named


def test_sms_sent_in_a_later_hour_stand_at_the_first_one_sent():
    fault = power_off(at(10, 47, 28))
    OutboundMessage.objects.filter(fault_event=fault).update(state="sent", sent_at=at(11, 3, 10))
    entries = timeline_of(fault)
    notices = [e for e in entries if e.kind == "notices"]
    assert [e.at for e in notices] == [at(10, 52, 28), at(11, 3, 10)]
    assert all(e.at >= fault.started_at for e in notices)


def test_the_page_lists_the_fault_start_before_its_sms(client, noc):
    fault = power_off(at(10, 47, 28))
    client.force_login(noc)
    html = client.get(f"/network/faults/{fault.pk}/").content.decode()
    timeline = html.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
    assert re.findall(r'data-kind="(\w+)"', timeline) == ["started", "raised", "notices"]
    assert "10:52:28" in timeline and "10:00:00" not in timeline


def test_sms_of_an_hour_still_to_come_read_as_a_plan_after_what_happened():
    fault = power_off(at(11, 54, 33))  # SMS planned after the hold-down: 11:59:33 onwards
    OutboundMessage.objects.filter(fault_event=fault).update(send_at=at(12, 0, 33))
    entries = fault_queries.timeline(*timeline_args(fault), now=at(11, 57))
    assert [e.kind for e in entries] == ["started", "raised", "planned"]
    planned = entries[-1]
    assert planned.planned and "3 to be sent from 12:00" in planned.text
    assert "sent," not in planned.text and "12:00–12:59" not in planned.text
    # Once its hour has begun, the same SMS are counted as what happened.
    entries = fault_queries.timeline(*timeline_args(fault), now=at(12, 1))
    assert [e.kind for e in entries] == ["started", "raised", "notices"]


def test_the_page_lists_planned_sms_apart_under_their_own_heading(client, noc):
    now = timezone.now().replace(microsecond=0)
    fault = power_off(now - timedelta(minutes=1))  # its SMS wait out the hold-down
    client.force_login(noc)
    html = client.get(f"/network/faults/{fault.pk}/").content.decode()
    happened = html.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
    assert re.findall(r'data-kind="(\w+)"', happened) == ["started", "raised"]
    planned = html.split('id="timeline-planned"', 1)[1].split("</ol>", 1)[0]
    assert re.findall(r'data-kind="(\w+)"', planned) == ["planned"]
    assert "起发送" in planned  # 故障告知：计划 HH:MM 起发送 N 条 (zh-hans, the default language)


# --- the batch cause and batch complaints (a panel the complaint side contributes) -------------


@pytest.fixture
def lead(db):
    return UserFactory(username="lead", roles=["team_lead"], city_codes=["NJ"])


def batch(fault: FaultEvent, lead, complaints: int = 2) -> ComplaintCause:
    """The cause the complaint side records for FAULT, with COMPLAINTS batch complaints of
    its customers linked to it, and one contact answered from the fault."""
    cause = create_cause(
        lead,
        kind="network_fault",
        title="南京江宁区设备断电（故障事件）",
        city=fault.city,
        started_at=fault.started_at,
        reference=f"fault-event:{fault.pk}",
    )
    accounts = [o.account for o in fault.outages.select_related("account__customer")]
    orders = [record(lead, customer=a.customer) for a in accounts[:complaints]]
    link_cause(lead, orders, cause)
    do_batch_answer(lead, accounts[-1].customer, accounts[-1], fault)
    return cause


def panel_of(html: str) -> str:
    """The batch-complaints panel of an event page (it comes before the alarms table)."""
    return html.split('id="batch-complaints"', 1)[1].split('id="alarms"', 1)[0]


def test_the_complaint_side_registers_its_panel_on_the_fault_page():
    assert "batch_complaints" in [panel.key for panel in fault_panels.fault_panels()]


def test_the_event_page_shows_its_batch_cause_and_the_linked_work_orders(client, lead):
    fault = power_off(at(10, 47, 28))
    cause = batch(fault, lead)
    client.force_login(lead)
    html = client.get(f"/network/faults/{fault.pk}/").content.decode()
    panel = panel_of(html)
    assert "<h2>批量原因</h2>" in panel  # zh-hans by default
    html = client.get(f"/network/faults/{fault.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    panel = panel_of(html)
    assert f'href="/complaints/causes/{cause.pk}/">南京江宁区设备断电（故障事件）</a>' in panel
    # Two batch complaints under the cause and the contact answered from the fault.
    assert "3 work orders linked to this fault event" in panel
    assert "(2 under the batch cause)" in panel
    numbers = re.findall(r'<tr data-number="([^"]+)"', panel)
    expected = WorkOrder.objects.filter(Q(cause=cause) | Q(fault_event=fault)).order_by(
        "-created", "-pk"
    )
    assert numbers == [o.number for o in expected]


def test_the_noc_sees_the_cause_and_how_many_orders_but_not_the_orders(client, lead, noc):
    fault = power_off(at(10, 47, 28))
    cause = batch(fault, lead)
    client.force_login(noc)  # network operations read no work orders nor causes
    html = client.get(f"/network/faults/{fault.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    panel = panel_of(html)
    assert cause.title in panel and "/complaints/causes/" not in panel
    assert "3 work orders linked" in panel and 'id="linked-orders"' not in panel


def test_an_event_without_cause_or_orders_has_no_batch_panel(client, lead):
    fault = power_off(at(10, 47, 28))
    client.force_login(lead)
    html = client.get(f"/network/faults/{fault.pk}/").content.decode()
    assert 'id="batch-complaints"' not in html
