"""A fault SMS that was sent but whose delivery receipt has not come yet still waits, and the
NOC's SMS view says so: waiting for the receipt since it was sent, then receipt overdue (the
demo walk-through found 14 sent messages with an empty waiting-reason column)."""

from __future__ import annotations

from datetime import datetime

import pytest

from sqm.network.alarms import parse_alarm
from sqm.network.ingest import ingest
from sqm.network.models import FaultEvent
from sqm.network.sms_services import Pipeline, waiting_reason
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import SHANGHAI
from tests.factories import AccountFactory, OltFactory, UserFactory, onu, port

pytestmark = pytest.mark.django_db


def at(hour, minute=0):
    return datetime(2026, 12, 2, hour, minute, tzinfo=SHANGHAI)


def sent_message(sent: datetime, smsc_ids: str = "0001,0002") -> OutboundMessage:
    """The fault SMS of a one-account PON fault, sent at SENT in two parts."""
    olt = OltFactory(olt_id="OLT-R", name="南京玄武OLT07", district="玄武区")
    AccountFactory(account_id="R-1", onu=onu(port(olt, 0, 1, 0), "ONU-R1"))
    body = {"alarm_id": "R1", "event": "raise", "olt_id": "OLT-R", "level": "pon", "frame": 0,
            "slot": 1, "port": 0, "type": "LOS", "severity": "critical",
            "occurred_at": at(10).isoformat()}  # fmt: skip
    alarm, errors = parse_alarm(body, 1)
    assert not errors
    ingest([alarm], now=at(10))
    fault = FaultEvent.objects.get(alarms__alarm_id="R1")
    message = OutboundMessage.objects.get(fault_event=fault)
    OutboundMessage.objects.filter(pk=message.pk).update(
        state="sent", sent_at=sent, attempts=1, parts=2, smsc_ids=smsc_ids
    )
    return OutboundMessage.objects.get(pk=message.pk)


def test_a_sent_sms_waits_for_its_delivery_receipt_since_it_was_sent(settings):
    settings.SQM_SMS_RECEIPT_OVERDUE_SECONDS = 1800
    message = sent_message(at(10, 5), smsc_ids="0001+,0002")  # one part confirmed
    reason = waiting_reason(message, Pipeline.read(at(10, 20)))
    assert reason is not None and reason.code == "receipt"
    assert "10:05" in reason.text and "1 of 2" in reason.text
    assert reason.until == at(10, 35)


def test_a_receipt_later_than_the_overdue_time_is_called_overdue(settings):
    settings.SQM_SMS_RECEIPT_OVERDUE_SECONDS = 1800
    message = sent_message(at(10, 5))
    reason = waiting_reason(message, Pipeline.read(at(10, 35)))
    assert reason.code == "receipt_overdue"
    assert "10:05" in reason.text and "0 of 2" in reason.text


def test_a_delivered_sms_waits_for_nothing():
    message = sent_message(at(10, 5))
    OutboundMessage.objects.filter(pk=message.pk).update(state="delivered", done_at=at(10, 6))
    assert waiting_reason(OutboundMessage.objects.get(pk=message.pk), Pipeline.read(at(11))) is None


def test_the_sms_view_fills_the_waiting_reason_of_a_sent_sms(client, settings):
    settings.SQM_SMS_RECEIPT_OVERDUE_SECONDS = 10 * 365 * 86400  # never overdue in this test
    message = sent_message(at(10, 5))
    noc = UserFactory(username="noc", roles=["network_ops"], city_codes=["NJ"])
    client.force_login(noc)
    html = client.get("/network/sms/?state=sent", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = html.split(f'<tr data-message="{message.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-reason="receipt"' in row
    assert "Waiting for the delivery receipt since 2026-12-02 10:05" in row
