"""The NOC in the browser: the active fault list → one event → an estimated recovery that
rewrites the waiting SMS → the SMS counts and the progress bar following the sender.

Selectors use ids and data attributes rather than visible words (the page speaks Chinese).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sqm.network.alarms import parse_alarm
from sqm.network.ingest import ingest
from sqm.network.models import FaultEvent
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import SHANGHAI
from tests.browser.conftest import login
from tests.factories import AccountFactory, OltFactory, UserFactory, onu, port

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

RAISED = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def raised_at_a_fixed_moment_is_not_stale(settings):
    # The fault is raised at a fixed past moment (RAISED); against the real clock it would be
    # stale (no alarm activity for SQM_FAULT_STALE_HOURS) and leave the current counts.
    settings.SQM_FAULT_STALE_HOURS = 24 * 3650


@pytest.fixture
def fault(db) -> FaultEvent:
    """A LOS on Nanjing port 0/1/0 with three accounts behind it: three fault SMS waiting."""
    olt = OltFactory(olt_id="OLT-NOC-1", name="南京玄武OLT01", district="玄武区")
    pon = port(olt, 0, 1, 0)
    for n in range(3):
        AccountFactory(account_id=f"A-NOC-{n}", onu=onu(pon, f"ONU-NOC-{n}"))
    body = {"alarm_id": "NOC-1", "event": "raise", "olt_id": "OLT-NOC-1", "level": "pon",
            "frame": 0, "slot": 1, "port": 0, "type": "LOS", "severity": "critical",
            "occurred_at": RAISED.isoformat()}  # fmt: skip
    alarm, errors = parse_alarm(body, 1)
    assert not errors
    ingest([alarm], now=RAISED)
    return FaultEvent.objects.get()


@pytest.fixture
def noc(db):
    return UserFactory(username="noc", roles=["network_ops"], city_codes=["NJ"])


def count(page, state: str, kind: str = "all"):
    return page.locator(f'#sms-counts [data-kind="{kind}"][data-state="{state}"]')


def test_the_noc_sets_an_estimate_and_watches_the_sms_go_out(page, live_server, noc, fault):
    login(page, live_server, noc)

    page.locator("nav a[href='/network/faults/']").click()
    page.wait_for_url("**/network/faults/")
    row = page.locator(f'#faults tr[data-fault="{fault.pk}"]')
    expect(row).to_have_count(1)
    expect(row.locator('[data-state="scheduled"]')).to_have_text("3")
    expect(page.locator('#by-city tr[data-city="NJ"] .accounts')).to_have_text("3")

    row.locator("a").first.click()
    page.wait_for_url(f"**/network/faults/{fault.pk}/")
    expect(page.locator("#alarms tr[data-alarm]")).to_have_count(1)
    expect(count(page, "scheduled")).to_have_text("3")
    expect(page.locator("#sms-bar")).to_have_attribute("aria-valuenow", "0")

    # The estimate: saved, shown, and written into the SMS still waiting.
    page.locator("#id_estimated_recovery").fill("2026-11-22T18:30")
    page.locator("#save-estimate").click()
    expect(page.locator("#estimate")).to_have_text("2026-11-22 18:30")
    expect(page.locator(".messages")).to_contain_text("3")
    expect(page.locator('#timeline li[data-kind="estimate"]')).to_contain_text("noc")
    texts = OutboundMessage.objects.filter(fault_event=fault).values_list("text", flat=True)
    assert all("预计11月22日18:30前恢复" in text for text in texts)

    # The sender takes two of them; the page follows without a reload.
    first, second = OutboundMessage.objects.filter(fault_event=fault).order_by("id")[:2]
    OutboundMessage.objects.filter(pk=first.pk).update(state="sent", sent_at=timezone.now())
    OutboundMessage.objects.filter(pk=second.pk).update(state="sending")
    expect(count(page, "sent")).to_have_text("1")
    expect(count(page, "sending")).to_have_text("1")
    expect(count(page, "scheduled")).to_have_text("1")
    expect(page.locator("#sms-bar")).to_have_attribute("aria-valuenow", "33")

    OutboundMessage.objects.filter(pk=second.pk).update(state="delivered", sent_at=timezone.now())
    expect(count(page, "delivered", "fault")).to_have_text("1")
    expect(page.locator('#sms-progress [data-kind="all"][data-state="done"]')).to_have_text("2")
    expect(page.locator("#sms-bar")).to_have_attribute("aria-valuenow", "66")
    expect(page.locator("#sms-bar > div")).to_have_attribute("style", "width: 66%;")
