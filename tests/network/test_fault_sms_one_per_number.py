"""One fault SMS and one recovery SMS per mobile number per fault event, whatever the number
of the customer's accounts it cuts off (docs/faults.md, "One SMS per number")."""

from datetime import datetime

import pytest

from sqm.network.alarms import parse_alarm
from sqm.network.fault_split import split_restored
from sqm.network.faults import replay
from sqm.network.ingest import ingest
from sqm.network.models import FaultEvent
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import SHANGHAI, Rules
from tests.factories import AccountFactory, CustomerFactory, OltFactory, onu, port

pytestmark = pytest.mark.django_db


@pytest.fixture
def network():
    """Port 0: 王 (two accounts), 李 (one). Port 1: 王's third account, 赵 (one), and 钱, a
    customer record of its own with 王's mobile number."""
    olt = OltFactory(olt_id="OLT-D", district="玄武区")
    p0, p1 = port(olt, 0, 1, 0), port(olt, 0, 1, 1)
    wang = CustomerFactory(mobile="15800007866")
    AccountFactory(account_id="W-1", customer=wang, onu=onu(p0, "ONU-W1"))
    AccountFactory(account_id="W-2", customer=wang, onu=onu(p0, "ONU-W2"))
    AccountFactory(account_id="L-1", onu=onu(p0, "ONU-L1"))
    AccountFactory(account_id="W-3", customer=wang, onu=onu(p1, "ONU-W3"))
    AccountFactory(account_id="Z-1", onu=onu(p1, "ONU-Z1"))
    qian = CustomerFactory(mobile="15800007866")
    AccountFactory(account_id="Q-1", customer=qian, onu=onu(p1, "ONU-Q1"))
    return olt


def alarm(alarm_id, event, when, level="olt", **place):
    data = {"alarm_id": alarm_id, "event": event, "olt_id": "OLT-D", "level": level,
            "type": "power-off", "severity": "critical", "occurred_at": when, **place}  # fmt: skip
    parsed, errors = parse_alarm(data, 1)
    assert not errors, errors
    return parsed


def at(hour, minute=0):
    return datetime(2026, 11, 22, hour, minute, tzinfo=SHANGHAI)


def sent(kind, state=None):
    rows = OutboundMessage.objects.filter(kind=kind)
    if state:
        rows = rows.filter(state=state)
    return sorted(rows.values_list("account__account_id", flat=True))


def test_a_customer_with_two_accounts_on_one_olt_gets_one_fault_and_one_recovery_sms(network):
    counts = ingest([alarm("O1", "raise", "2026-11-22T10:00:00+08:00")], now=at(10))
    # 王's three accounts and 钱 (the same number) get one notice; 李 and 赵 one each.
    assert sent("fault") == ["L-1", "W-1", "Z-1"]
    assert counts["notices_scheduled"] == 3 and counts["outages_started"] == 6
    assert FaultEvent.objects.get().affected_accounts == 6
    OutboundMessage.objects.update(state="delivered")
    counts = ingest([alarm("O1", "clear", "2026-11-22T11:00:00+08:00")], now=at(11))
    assert sent("recovery") == ["L-1", "W-1", "Z-1"]
    assert counts["recoveries_scheduled"] == 3


def test_a_second_account_joining_a_running_event_brings_no_second_notice(network):
    ingest([alarm("P0", "raise", "2026-11-22T10:00:00+08:00", "pon", frame=0, slot=1, port=0)],
           now=at(10))  # fmt: skip
    assert sent("fault") == ["L-1", "W-1"]
    OutboundMessage.objects.update(state="delivered")
    # The OLT fails too: its event absorbs the port's, W-3 and Q-1 (王's number) join it.
    counts = ingest([alarm("O1", "raise", "2026-11-22T10:20:00+08:00")], now=at(10, 20))
    assert sent("fault") == ["L-1", "W-1", "Z-1"]
    assert counts["notices_scheduled"] == 1
    OutboundMessage.objects.update(state="delivered")
    # The OLT is back: port 1 (W-3, Q-1, Z-1) too, but W-1 and W-2 stay down under the port's
    # alarm. 王 is back only when the last of his accounts is: his recovery waits.
    ingest([alarm("O1", "clear", "2026-11-22T10:30:00+08:00")], now=at(10, 30))
    assert sent("recovery") == ["Z-1"]
    ingest([alarm("P0", "clear", "2026-11-22T11:00:00+08:00", "pon", frame=0, slot=1, port=0)],
           now=at(11))  # fmt: skip
    assert sent("recovery") == ["L-1", "W-1", "Z-1"]
    assert OutboundMessage.objects.get(kind="recovery", account__account_id="W-1").send_at == at(11)


def test_an_account_cut_off_in_another_event_is_told_about_that_event(network):
    ingest([alarm("P0", "raise", "2026-11-22T10:00:00+08:00", "pon", frame=0, slot=1, port=0),
            alarm("U3", "raise", "2026-11-22T10:01:00+08:00", "onu", onu_id="ONU-W3")],
           now=at(10, 1))  # fmt: skip
    assert sent("fault") == ["L-1", "W-1", "W-3"]  # W-3's ONU event is another outage
    ingest([alarm("P0", "clear", "2026-11-22T10:02:00+08:00", "pon", frame=0, slot=1, port=0)],
           now=at(10, 2))  # fmt: skip
    assert sent("fault", "cancelled") == ["L-1", "W-1"]
    assert sent("fault", "scheduled") == ["W-3"]


def test_a_notice_waiting_for_one_account_moves_to_another_still_down(network):
    ingest([alarm("O1", "raise", "2026-11-22T10:00:00+08:00"),
            alarm("U2", "raise", "2026-11-22T10:00:00+08:00", "onu", onu_id="ONU-W2")],
           now=at(10))  # fmt: skip
    assert sent("fault") == ["L-1", "W-1", "Z-1"]
    # The OLT comes back at 10:02 but W-2's ONU is still down: 王 is still cut off, and his
    # notice now stands for W-2.
    counts = ingest([alarm("O1", "clear", "2026-11-22T10:02:00+08:00")], now=at(10, 2))
    assert sent("fault", "cancelled") == ["L-1", "Z-1"]
    assert sent("fault", "scheduled") == ["W-2"]
    assert counts["notices_cancelled"] == 2


def test_the_replay_sends_one_fault_and_one_recovery_sms_per_number(network):
    alarms = [alarm("P0", "raise", "2026-11-22T10:00:00+08:00", "pon", frame=0, slot=1, port=0),
              alarm("O1", "raise", "2026-11-22T10:20:00+08:00"),
              alarm("P0", "clear", "2026-11-22T10:30:00+08:00", "pon", frame=0, slot=1, port=0),
              alarm("O1", "clear", "2026-11-22T11:00:00+08:00")]  # fmt: skip
    result = replay(alarms, Rules())
    assert [(m["account_id"], m["kind"], m["send_at"][11:16]) for m in result.messages] == [
        ("L-1", "fault", "10:05"),
        ("W-1", "fault", "10:05"),
        ("Z-1", "fault", "10:25"),
        ("L-1", "recovery", "11:00"),
        ("W-1", "recovery", "11:00"),
        ("Z-1", "recovery", "11:00"),
    ]
    assert result.counts["same_number"] == 3  # W-2, W-3 and Q-1


def test_a_number_still_down_after_a_split_gets_its_recovery_when_its_last_alarm_clears(network):
    ingest([alarm("O1", "raise", "2026-11-22T10:00:00+08:00"),
            alarm("U2", "raise", "2026-11-22T10:00:05+08:00", "onu", onu_id="ONU-W2")],
           now=at(10, 1))  # fmt: skip
    OutboundMessage.objects.update(state="delivered")
    # The OLT comes back; W-2's ONU clear is lost. 王's SMS stood on W-1, which is back.
    ingest([alarm("O1", "clear", "2026-11-22T10:40:00+08:00")], now=at(10, 40))
    assert sent("recovery") == ["L-1", "Z-1"]
    split_restored(at(11, 30))
    onu_event = FaultEvent.objects.get(level="onu")
    assert sent("fault") == ["L-1", "W-1", "Z-1"]
    assert OutboundMessage.objects.get(kind="fault", account__account_id="W-1").fault_event == (
        onu_event
    )
    ingest([alarm("U2", "clear", "2026-11-22T12:00:00+08:00", "onu", onu_id="ONU-W2")],
           now=at(12))  # fmt: skip
    assert sent("recovery") == ["L-1", "W-1", "Z-1"]
