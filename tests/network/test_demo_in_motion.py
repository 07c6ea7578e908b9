"""`sqm demo` shows a province in motion: past outages with their SMS sent and delivered at
their own times (as `sqm faults replay` computes them), and one live OLT fault covering
hundreds of accounts with its SMS going out, its batch cause and batch complaints."""

from datetime import datetime, timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from sqm.complaints.models import ComplaintCause, WorkOrder
from sqm.core import demo
from sqm.network import fault_split
from sqm.network.alarms import read_alarm_lines
from sqm.network.faults import replay
from sqm.network.models import FaultEvent, Outage
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import current_rules

pytestmark = pytest.mark.django_db

PARTS = {"topology", "customers", "alarms", "complaints"}


def counts() -> dict[str, int]:
    return {
        "faults": FaultEvent.objects.count(),
        "outages": Outage.objects.count(),
        "messages": OutboundMessage.objects.count(),
        "orders": WorkOrder.objects.count(),
        "causes": ComplaintCause.objects.count(),
    }


def test_a_demo_province_has_a_live_fault_in_motion_and_a_history_as_replayed(settings, tmp_path):
    settings.SQM_HOME = tmp_path
    demo.ensure_users()
    said: list[str] = []
    loaded = demo.load_province(10_000, 2026, said.append, months=1, only=PARTS)
    assert loaded == ["topology", "customers", "alarms", "complaints"]
    now = timezone.now()

    # One live OLT-level fault covering at least a hundred accounts.
    cause = ComplaintCause.objects.get()
    live = FaultEvent.objects.get(pk=cause.reference.removeprefix("fault-event:"))
    assert live.state == "active" and live.level == "olt"
    down = Outage.objects.filter(fault_event=live, ended_at__isnull=True).count()
    assert live.affected_accounts >= 100 and down >= 100
    assert now - timedelta(hours=12) < live.started_at < now
    # No event of the history outlives its failed element: an ONU whose clear the NMS lost
    # (docs/generator.md) goes on in an event of its own.
    assert not fault_split.restored_events(now).exists()

    # Its SMS are going out: some delivered (in the past, after they were due), the rest
    # still scheduled.
    wave = OutboundMessage.objects.filter(fault_event=live, kind="fault")
    states = set(wave.values_list("state", flat=True))
    assert {"delivered", "scheduled"} <= states
    for send_at, sent_at, done_at in wave.filter(state="delivered").values_list(
        "send_at", "sent_at", "done_at"
    ):
        assert send_at <= sent_at < done_at <= now

    # The history's SMS: exactly those the replay of the same alarms sends by now, each
    # delivered at the time the replay gives it.
    with (tmp_path / "demo" / "alarms.jsonl").open("rb") as handle:
        alarms, errors = read_alarm_lines(handle)
    assert not errors
    replayed = {
        (m["account_id"], m["kind"], datetime.fromisoformat(m["send_at"]))
        for m in replay([a for a in alarms if a.occurred_at <= now], current_rules()).messages
    }
    history = OutboundMessage.objects.filter(
        state="delivered", outage__started_at__lt=live.started_at
    ).values_list("account__account_id", "kind", "sent_at", "done_at")
    delivered = set()
    for account_id, kind, sent_at, done_at in history:
        assert sent_at < done_at <= now
        delivered.add((account_id, kind, sent_at))
    assert len(delivered) > 100 and {kind for _a, kind, _t in delivered} == {"fault", "recovery"}
    assert delivered == {m for m in replayed if m[2] <= now}
    # One fault SMS and one recovery SMS per mobile number per fault event, in the history
    # and in the live wave, though some customers have several accounts cut off by one.
    shared = (
        Outage.objects.values("fault_event", "account__customer__mobile_hash")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert shared.filter(fault_event=live).exists()
    told = (
        OutboundMessage.objects.exclude(state__in=["cancelled", "failed"])
        .values("fault_event", "kind", "account__customer__mobile_hash")
        .annotate(n=Count("pk"))
    )
    assert not told.filter(n__gt=1).exists()

    # The live fault's batch cause and its batch complaints.
    assert cause.kind == "network_fault" and cause.ended_at is None
    linked = WorkOrder.objects.filter(cause=cause)
    assert linked.count() >= 3
    assert set(linked.values_list("fault_event", "record_type")) == {
        (live.pk, "complaint_work_order")
    }

    # A second run changes nothing: each part left its marker.
    before = counts()
    assert demo.load_province(10_000, 2026, said.append, months=1, only=PARTS) == []
    assert counts() == before
