"""Fault SMS take their variables from topology and fault-type names: a variable other than
{hotline} holding a link or a phone number refuses the text, and nothing is sent."""

from __future__ import annotations

from datetime import datetime

import pytest

from sqm.network import fault_sms
from sqm.network.alarms import parse_alarm
from sqm.network.ingest import ingest
from sqm.network.models import FaultEvent, FaultType
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import SHANGHAI
from sqm.notify.texts import UnsafeSmsText, check_variables
from tests.factories import AccountFactory, OltFactory, onu, port

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)


def plant(**olt):
    """An OLT written straight to the database (as an old row or a direct write would be,
    past the import and API checks) with one active account."""
    olt = OltFactory(olt_id="OLT-V", **olt)
    AccountFactory(account_id="A-V", onu=onu(port(olt, 0, 1, 0), "ONU-V"))
    return olt


def raise_alarm(alarm_id="V1"):
    alarm, errors = parse_alarm(
        {"alarm_id": alarm_id, "event": "raise", "olt_id": "OLT-V", "level": "olt",
         "type": "LOS", "severity": "critical", "occurred_at": "2026-11-22T10:00:00+08:00"},
        1,
    )  # fmt: skip
    assert not errors
    return ingest([alarm], now=NOW)


def test_a_poisoned_district_refuses_the_fault_sms_and_nothing_is_planned():
    plant(district="http://evil.cn 退订回T")
    counts = raise_alarm()
    assert counts["texts_refused"] == 1 and counts["notices_scheduled"] == 0
    assert not OutboundMessage.objects.exists()
    fault = FaultEvent.objects.get()
    with pytest.raises(UnsafeSmsText, match=r"\{area\}.*contains a link"):
        fault_sms.render("fault", fault)


def test_a_phone_number_in_the_olt_name_refuses_the_text():
    plant(district="", name="玄武OLT 退订请拨13812345678")
    counts = raise_alarm()
    assert counts["texts_refused"] == 1
    assert not OutboundMessage.objects.exists()


def test_a_poisoned_fault_type_name_refuses_the_text():
    FaultType.objects.filter(code="LOS").update(name="光路中断，详见 t.cn/abc")
    plant()
    assert raise_alarm()["texts_refused"] == 1
    with pytest.raises(UnsafeSmsText, match=r"\{type\}"):
        fault_sms.render("fault", FaultEvent.objects.get())


def test_the_hotline_may_be_a_full_phone_number(settings):
    settings.SQM_HOTLINE = "025-84561234"
    plant()
    counts = raise_alarm()
    assert counts["notices_scheduled"] == 1 and not counts["texts_refused"]
    assert "025-84561234" in OutboundMessage.objects.get().text


def test_the_check_leaves_ordinary_variables_alone():
    check_variables(
        {"area": "南京玄武区", "type": "光路中断", "eta": "预计11月22日18:00前恢复",
         "hotline": "10086", "signature": "【中国移动】", "recovered": "11月22日12:30"}
    )  # fmt: skip
    with pytest.raises(UnsafeSmsText, match="phone number"):
        check_variables({"signature": "【客服138 1234 5678】"})


def test_a_refused_text_leaves_the_waiting_sms_unchanged_when_the_estimate_moves():
    olt = plant()
    raise_alarm()
    fault = FaultEvent.objects.get()
    before = OutboundMessage.objects.get().text
    olt.district = "www.evil.cn"
    olt.save()
    fault.refresh_from_db()
    assert fault_sms.refresh_fault_texts(fault) == 0
    assert OutboundMessage.objects.get().text == before
