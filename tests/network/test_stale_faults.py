"""Lost clears: an active fault event with no alarm activity for SQM_FAULT_STALE_HOURS is
stale, and network operations close it as stale with a reason (docs/faults.md, "Lost
clears: stale events")."""

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import translation

from sqm.core.models import ChangeLogEntry
from sqm.network import fault_queries, stale
from sqm.network.alarms import parse_alarm
from sqm.network.choices import FaultState
from sqm.network.fault_services import close_as_stale, close_stale_events
from sqm.network.ingest import ingest
from sqm.network.models import Alarm, AlarmEvent, FaultEvent, Outage
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import SHANGHAI
from tests.factories import AccountFactory, CustomerFactory, OltFactory, UserFactory, city, onu
from tests.factories import port as make_port

pytestmark = pytest.mark.django_db

RAISED = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)
STALE_AT = RAISED + timedelta(hours=72)  # the default SQM_FAULT_STALE_HOURS


def alarm(alarm_id, event, when, *, olt="OLT-Q", level="pon", port=0, onu_id=""):
    return {"alarm_id": alarm_id, "event": event, "olt_id": olt, "level": level, "frame": 0,
            "slot": 1, "port": port, "onu_id": onu_id, "type": "LOS", "severity": "major",
            "occurred_at": when.isoformat()}  # fmt: skip


def feed(*bodies, now):
    alarms = []
    for number, body in enumerate(bodies, start=1):
        parsed, errors = parse_alarm(body, number)
        assert not errors, errors
        alarms.append(parsed)
    return ingest(alarms, now=now)


@pytest.fixture
def lost():
    """A Nanjing PON port went down at RAISED with two accounts under it and its clear was
    never received: A-1's fault SMS went out, A-2's is still waiting."""
    olt = OltFactory(olt_id="OLT-Q", name="南京鼓楼OLT07", district="鼓楼区")
    pon = make_port(olt, 0, 1, 0)
    AccountFactory(account_id="Q-1", onu=onu(pon, "ONU-Q1"))
    AccountFactory(account_id="Q-2", onu=onu(pon, "ONU-Q2"))
    feed(alarm("P1", "raise", RAISED), now=RAISED)
    fault = FaultEvent.objects.get()
    notices = OutboundMessage.objects.filter(fault_event=fault).order_by("account__account_id")
    assert notices.count() == 2
    OutboundMessage.objects.filter(pk=notices[0].pk).update(state="sent", sent_at=RAISED)
    return fault


@pytest.fixture
def noc():
    return UserFactory(username="q-noc", roles=["network_ops"], city_codes=["NJ"])


def test_an_event_is_stale_exactly_when_it_had_no_alarm_activity_for_the_setting(lost):
    just_before = STALE_AT - timedelta(seconds=1)
    assert not stale.is_stale(FaultEvent.objects.get(), just_before)
    assert stale.is_stale(FaultEvent.objects.get(), STALE_AT)
    everything = FaultEvent.objects.all()
    assert not stale.stale_faults(everything, just_before).exists()
    assert list(stale.stale_faults(everything, STALE_AT)) == [lost]
    assert stale.activities([lost.pk]) == {lost.pk: RAISED}


def test_the_setting_moves_the_boundary(lost, settings):
    settings.SQM_FAULT_STALE_HOURS = 24
    assert stale.is_stale(FaultEvent.objects.get(), RAISED + timedelta(hours=24))
    assert not stale.is_stale(FaultEvent.objects.get(), RAISED + timedelta(hours=23))


def test_any_alarm_of_the_event_raised_cleared_or_resent_counts_as_activity(lost):
    onu_alarm = alarm("N1", "raise", RAISED + timedelta(hours=30), level="onu", onu_id="ONU-Q1")
    feed(onu_alarm, now=RAISED + timedelta(hours=30))
    assert Alarm.objects.get(alarm_id="N1").fault_event == lost  # under the port: joins it
    assert not stale.is_stale(FaultEvent.objects.get(), STALE_AT)
    cleared = RAISED + timedelta(hours=50)
    feed(alarm("N1", "clear", cleared, level="onu", onu_id="ONU-Q1"), now=cleared)
    assert stale.activities([lost.pk]) == {lost.pk: cleared}
    # The NMS re-sends the port's raise (a resynchronisation): the port is still down.
    resent = RAISED + timedelta(hours=100)
    counts = feed(alarm("P1", "raise", RAISED), now=resent)
    assert counts["duplicates"] == 1 and counts["refreshed"] == 1
    assert Alarm.objects.get(alarm_id="P1").refreshed_at == resent
    assert not stale.is_stale(FaultEvent.objects.get(), resent + timedelta(hours=71))
    assert stale.is_stale(FaultEvent.objects.get(), resent + timedelta(hours=72))


def test_closing_as_stale_ends_the_outages_cancels_waiting_sms_and_sends_no_recovery(lost, noc):
    closed_at = STALE_AT + timedelta(days=3)
    result = close_as_stale(noc, lost, "  已现场核实恢复 ", now=closed_at)
    lost.refresh_from_db()
    assert (lost.state, lost.ended_at, lost.close_reason) == ("closed", closed_at, "已现场核实恢复")
    assert (result.outages_ended, result.notices_cancelled, result.recoveries_scheduled) == (
        2,
        1,
        0,
    )
    assert set(Outage.objects.values_list("ended_at", flat=True)) == {closed_at}
    states = dict(OutboundMessage.objects.values_list("account__account_id", "state"))
    assert states == {"Q-1": "sent", "Q-2": "cancelled"}
    assert not OutboundMessage.objects.filter(kind="recovery").exists()
    # Its alarm counts as cleared then: a new alarm on the port opens a new event, and the
    # clear the NMS sends late is kept as a clear of a cleared alarm.
    assert Alarm.objects.get(alarm_id="P1").cleared_at == closed_at
    later = closed_at + timedelta(hours=1)
    feed(alarm("P1", "clear", later), alarm("P2", "raise", later), now=later)
    assert AlarmEvent.objects.get(alarm_id="P1", event="clear").outcome == "ignored_clear"
    fresh = Alarm.objects.get(alarm_id="P2").fault_event
    assert fresh != lost and fresh.state == FaultState.ACTIVE
    lost.refresh_from_db()
    assert lost.state == "closed"


def test_the_recovery_notice_goes_only_when_asked_and_only_to_those_told_of_the_fault(lost, noc):
    closed_at = STALE_AT + timedelta(hours=1)
    result = close_as_stale(noc, lost, "已现场核实恢复", notify=True, now=closed_at)
    assert result.recoveries_scheduled == 1
    recovery = OutboundMessage.objects.get(kind="recovery")
    assert recovery.account.account_id == "Q-1" and recovery.fault_event_id == lost.pk


def test_the_change_log_and_the_timeline_say_who_closed_it_and_why(lost, noc):
    close_as_stale(noc, lost, "已现场核实恢复", now=STALE_AT)
    entry = ChangeLogEntry.objects.filter(
        content_type__model="faultevent", object_id=str(lost.pk), action="update"
    ).get()
    assert entry.user == noc
    assert (entry.before["state"], entry.after["state"]) == ("active", "closed")
    assert entry.after["close_reason"] == "已现场核实恢复"
    fault = fault_queries.visible_faults(noc).get(pk=lost.pk)
    alarms, total = fault_queries.alarms_of(fault)
    with translation.override("en"):
        entries = fault_queries.timeline(fault, alarms, total, [])
    closing = [e for e in entries if e.kind == "closed"]
    assert len(closing) == 1 and "已现场核实恢复" in closing[0].text and closing[0].user == "q-noc"
    assert not [e for e in entries if e.kind == "cleared"]  # the alarm was not cleared by the NMS


def test_closing_is_guarded_it_needs_an_active_stale_event_and_a_reason(lost, noc):
    with pytest.raises(ValidationError):
        close_as_stale(noc, lost, "已现场核实恢复", now=STALE_AT - timedelta(minutes=1))
    with pytest.raises(ValidationError):
        close_as_stale(noc, lost, "   ", now=STALE_AT)
    close_as_stale(noc, lost, "已现场核实恢复", now=STALE_AT)
    with pytest.raises(ValidationError):  # a second close finds it closed
        close_as_stale(noc, lost, "again", now=STALE_AT + timedelta(hours=1))
    assert (
        ChangeLogEntry.objects.filter(
            content_type__model="faultevent", object_id=str(lost.pk), action="update"
        ).count()
        == 1
    )


def test_an_agent_and_a_noc_user_of_another_city_may_not_close_it(lost):
    agent = UserFactory(username="q-agent", roles=["hotline_agent"], city_codes=["NJ"])
    suzhou = UserFactory(username="q-noc-sz", roles=["network_ops"], city_codes=["SZ"])
    for user in (agent, suzhou):
        with pytest.raises(PermissionDenied):
            close_as_stale(user, lost, "已现场核实恢复", now=STALE_AT)
    lost.refresh_from_db()
    assert lost.state == FaultState.ACTIVE
    assert Outage.objects.filter(ended_at__isnull=True).count() == 2


@pytest.fixture
def suzhou_lost():
    olt = OltFactory(olt_id="OLT-QS", name="苏州姑苏OLT07", city=city("SZ"), district="姑苏区")
    pon = make_port(olt, 0, 1, 0)
    AccountFactory(
        account_id="QS-1", customer=CustomerFactory(city=city("SZ")), onu=onu(pon, "ONU-QS1")
    )
    feed(alarm("S1", "raise", RAISED - timedelta(days=5), olt="OLT-QS"), now=RAISED)
    return FaultEvent.objects.get(city__code="SZ")


def test_the_bulk_close_takes_the_users_stale_events_older_than_asked(lost, suzhou_lost, noc):
    now = RAISED + timedelta(days=4)
    # Only events quiet for at least the rule's hours may be closed in bulk.
    with pytest.raises(ValidationError):
        close_stale_events(noc, older_than=timedelta(hours=24), reason="x", now=now)
    found, results = close_stale_events(
        noc, older_than=timedelta(days=3), reason="批量核实恢复", now=now
    )
    assert [f.pk for f in found] == [lost.pk]  # the Suzhou one is not this user's
    assert [r.fault for r in results] == [lost.pk]
    suzhou_lost.refresh_from_db()
    assert suzhou_lost.state == FaultState.ACTIVE
    found, results = close_stale_events(
        noc, older_than=timedelta(days=3), reason="批量核实恢复", now=now
    )
    assert (found, results) == ([], [])


def test_the_command_lists_with_dry_run_and_closes_every_citys_stale_events(lost, suzhou_lost):
    out = StringIO()
    now = RAISED + timedelta(days=4)
    with translation.override("en"):
        call_command("faults", "close-stale", "--older-than-hours", "97", "--reason", "核实",
                     "--dry-run", "--now", now.isoformat(), stdout=out)  # fmt: skip
    assert f"#{suzhou_lost.pk}" in out.getvalue() and f"#{lost.pk}" not in out.getvalue()
    assert FaultEvent.objects.filter(state="active").count() == 2
    out = StringIO()
    call_command("faults", "close-stale", "--older-than-hours", "72", "--reason",
                 "已现场核实恢复", "--now", now.isoformat(), stdout=out)  # fmt: skip
    assert not FaultEvent.objects.filter(state="active").exists()
    entry = ChangeLogEntry.objects.filter(
        content_type__model="faultevent", object_id=str(suzhou_lost.pk), action="update"
    ).get()
    assert entry.actor == "cli" and entry.after["close_reason"] == "已现场核实恢复"
    assert not OutboundMessage.objects.filter(kind="recovery").exists()
