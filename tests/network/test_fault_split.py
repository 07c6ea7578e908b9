"""A fault event ends when its failed element comes back, even when an alarm under it never
gets its clear (the NMS lost it): that alarm goes on in an event of its own."""

from datetime import datetime

import pytest
from django.utils import translation

from sqm.core.models import ChangeLogEntry
from sqm.network import fault_queries, tasks
from sqm.network.alarms import parse_alarm
from sqm.network.choices import FaultState
from sqm.network.fault_split import split_restored
from sqm.network.ingest import ingest
from sqm.network.models import Alarm, FaultEvent, Outage
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import SHANGHAI
from tests.factories import AccountFactory, OltFactory, onu, port

pytestmark = pytest.mark.django_db


def at(hour, minute=0, second=0, day=22):
    return datetime(2026, 11, day, hour, minute, second, tzinfo=SHANGHAI)


@pytest.fixture
def network():
    olt = OltFactory(olt_id="OLT-S", district="玄武区")
    pon_a, pon_b = port(olt, 0, 1, 0), port(olt, 0, 1, 1)
    AccountFactory(account_id="A-1", onu=onu(pon_a, "ONU-1"))
    AccountFactory(account_id="A-2", onu=onu(pon_a, "ONU-2"))
    AccountFactory(account_id="A-3", onu=onu(pon_b, "ONU-3"))
    AccountFactory(account_id="A-4", onu=onu(pon_b, "ONU-4"))
    return olt


def alarm(alarm_id, event, when, level="onu", port_number=0, onu_id="", severity="major"):
    data = {"alarm_id": alarm_id, "event": event, "olt_id": "OLT-S", "level": level,
            "frame": 0, "slot": 1, "port": port_number, "onu_id": onu_id, "type": "LOS",
            "severity": severity, "occurred_at": when.isoformat()}  # fmt: skip
    if level == "olt":
        data.update(frame=None, slot=None, port=None, type="power-off", severity="critical")
    return data


def feed(*bodies, now):
    alarms = []
    for number, data in enumerate(bodies, start=1):
        parsed, errors = parse_alarm({k: v for k, v in data.items() if v is not None}, number)
        assert not errors, errors
        alarms.append(parsed)
    return ingest(alarms, now=now)


def storm(now):
    """An OLT power failure: the OLT and its four ONUs go down within seconds; the OLT
    comes back at 10:40 and the ONUs re-register, but ONU-3's clear never arrives."""
    feed(
        alarm("O1", "raise", at(10), level="olt"),
        alarm("N1", "raise", at(10, 0, 5), onu_id="ONU-1"),
        alarm("N2", "raise", at(10, 0, 6), onu_id="ONU-2"),
        alarm("N3", "raise", at(10, 0, 7), port_number=1, onu_id="ONU-3"),
        alarm("N4", "raise", at(10, 0, 8), port_number=1, onu_id="ONU-4"),
        now=at(10, 1),
    )
    OutboundMessage.objects.update(state="sent")  # the fault SMS went out
    feed(
        alarm("O1", "clear", at(10, 40), level="olt"),
        alarm("N1", "clear", at(10, 41), onu_id="ONU-1"),
        alarm("N2", "clear", at(10, 41), onu_id="ONU-2"),
        alarm("N4", "clear", at(10, 42), port_number=1, onu_id="ONU-4"),
        now=now,
    )
    return FaultEvent.objects.get(level="olt")


def test_an_olt_event_whose_onu_lost_its_clear_ends_when_the_olt_came_back(network):
    olt_event = storm(now=at(10, 45))
    # Within the grace (30 minutes) the ONUs may still be re-registering: nothing changes.
    assert olt_event.state == FaultState.ACTIVE

    counts = feed(alarm("X1", "raise", at(11, 15), port_number=1, onu_id="ONU-4"), now=at(11, 15))
    assert counts["faults_split"] == 1
    olt_event.refresh_from_db()
    assert (olt_event.state, olt_event.ended_at) == (FaultState.CLEARED, at(10, 40))
    # ONU-3 is still down, in an event of its own that began with its alarm.
    onu_event = Alarm.objects.get(alarm_id="N3").fault_event
    assert (onu_event.state, onu_event.level, onu_event.onu.onu_id) == ("active", "onu", "ONU-3")
    assert onu_event.started_at == at(10, 0, 7) and onu_event.city_id == olt_event.city_id
    outage = Outage.objects.get(account__account_id="A-3")
    assert outage.ended_at is None and outage.started_at == at(10)  # it goes on, unbroken
    assert outage.fault_event == onu_event
    assert set(
        OutboundMessage.objects.filter(outage=outage).values_list("fault_event", flat=True)
    ) == {onu_event.pk}
    assert (olt_event.affected_accounts, onu_event.affected_accounts) == (3, 1)
    assert not FaultEvent.objects.filter(state="active", level="olt").exists()

    # ONU-3's own clear, if it ever comes, ends its event and its outage.
    counts = feed(alarm("N3", "clear", at(12), port_number=1, onu_id="ONU-3"), now=at(12))
    onu_event.refresh_from_db()
    assert (onu_event.state, onu_event.ended_at) == (FaultState.CLEARED, at(12))
    assert Outage.objects.get(pk=outage.pk).ended_at == at(12)
    recovery = OutboundMessage.objects.get(outage=outage, kind="recovery")
    assert recovery.fault_event == onu_event


def test_an_event_is_left_alone_while_its_own_element_is_down(network):
    feed(
        alarm("O1", "raise", at(10), level="olt"),
        alarm("N3", "raise", at(10, 0, 7), port_number=1, onu_id="ONU-3"),
        now=at(10, 1),
    )
    feed(alarm("N3", "clear", at(10, 5), port_number=1, onu_id="ONU-3"), now=at(10, 5))
    assert split_restored(at(23)) == 0
    assert FaultEvent.objects.get().state == FaultState.ACTIVE


def test_a_port_still_down_under_a_restored_olt_keeps_its_onus_in_one_port_event(network):
    feed(
        alarm("O1", "raise", at(10), level="olt"),
        alarm("P1", "raise", at(10, 0, 3), level="pon", port_number=1, severity="critical"),
        alarm("N3", "raise", at(10, 0, 7), port_number=1, onu_id="ONU-3"),
        alarm("N1", "raise", at(10, 0, 8), onu_id="ONU-1"),
        now=at(10, 1),
    )
    feed(alarm("O1", "clear", at(10, 40), level="olt"), now=at(10, 41))
    assert split_restored(at(11, 10)) == 1
    port_event = Alarm.objects.get(alarm_id="P1").fault_event
    assert port_event.level == "pon" and port_event.state == FaultState.ACTIVE
    assert Alarm.objects.get(alarm_id="N3").fault_event == port_event
    onu_event = Alarm.objects.get(alarm_id="N1").fault_event
    assert onu_event.level == "onu" and onu_event != port_event
    down = dict(
        Outage.objects.filter(ended_at__isnull=True).values_list(
            "account__account_id", "fault_event"
        )
    )
    assert down == {"A-1": onu_event.pk, "A-3": port_event.pk, "A-4": port_event.pk}
    # A new alarm under the port still joins the port's event.
    feed(alarm("N4", "raise", at(11, 20), port_number=1, onu_id="ONU-4"), now=at(11, 20))
    assert Alarm.objects.get(alarm_id="N4").fault_event == port_event


def test_the_periodic_job_splits_without_new_alarms_and_the_change_log_says_so(network):
    olt_event = storm(now=at(10, 45))
    assert tasks.split_restored_faults.call_local() == 1
    onu_event = Alarm.objects.get(alarm_id="N3").fault_event
    entries = ChangeLogEntry.objects.filter(content_type__model="faultevent")
    closed = entries.filter(object_id=str(olt_event.pk)).latest("pk")
    assert (closed.action, closed.after["state"], closed.actor) == (
        "update",
        "cleared",
        "fault-split",
    )
    opened = entries.get(object_id=str(onu_event.pk))
    assert (opened.action, opened.actor) == ("create", "fault-split")
    assert tasks.split_restored_faults.call_local() == 0  # done once
    # The event's timeline says in words that the change was automatic.
    alarms, total = fault_queries.alarms_of(olt_event)
    with translation.override("en"):
        entries = fault_queries.timeline(olt_event, alarms, total, [])
    state = [e for e in entries if e.kind == "state"][-1]
    assert state.user == "automatic: the failed element came back"
