"""A fault event ends when its failed element comes back (docs/faults.md, "When the failed
element comes back").

An OLT, board or PON port event holds the alarms of the ports and ONUs under it. They
normally clear within minutes of their element (ONUs re-register), but management systems
lose clears (the generator models 0.3 % of ONU alarms: docs/generator.md). Left to the
outage engine, which ends an event with its last alarm, one lost ONU clear would keep an
OLT event "active" for ever, with all its accounts counted as affected.

So once every alarm on an event's own element has cleared and
`SQM_FAULT_CHILD_GRACE_MINUTES` have passed since the last of them, the event is cleared at
that time, and the alarms still active under it are split off into events of their own,
correlated as the engine does (the widest first; an alarm under another joins its event).
They take the open outages of their accounts, and those outages' SMS, with them. Nothing
starts or ends for a customer: the outages go on until their own alarms clear.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Subquery

from sqm.core import context
from sqm.network.choices import FaultState
from sqm.network.models import Alarm, FaultEvent, Outage
from sqm.network.outages import DEPTHS
from sqm.notify.models import OutboundMessage

# The change log names this as the actor of the splits (no user makes them).
ACTOR = "fault-split"


def grace() -> timedelta:
    """How long an event's narrower alarms may still clear after its element came back."""
    return timedelta(minutes=settings.SQM_FAULT_CHILD_GRACE_MINUTES)


def restored_events(now: datetime):
    """Active events above the ONUs whose own element's alarms have all cleared at least
    the grace before NOW, annotated with `back_at` (the last of those clears).

    An alarm of an event at the event's own level is at the event's element: every alarm of
    an event is at or below it. ONU events are left out: all their alarms are at their
    element, so the engine ends them with their last clear."""
    own = Alarm.objects.filter(fault_event=OuterRef("pk"), level=OuterRef("level"))
    return (
        FaultEvent.objects.filter(state=FaultState.ACTIVE)
        .exclude(level="onu")
        .annotate(
            element_down=Exists(own.filter(cleared_at__isnull=True)),
            back_at=Subquery(own.order_by("-cleared_at").values("cleared_at")[:1]),
        )
        .filter(element_down=False, back_at__lte=now - grace())
        .order_by("started_at", "pk")
    )


def split_restored(now: datetime) -> int:
    """Clear the events whose element came back at least the grace before NOW and split
    off the alarms still active under them; returns how many events were cleared.

    Runs inside the caller's transaction, serialised with ingestion (network.ingest)."""
    restored = list(restored_events(now).select_related("olt", "city"))
    with context.acting_as(label=context.current().label or ACTOR):
        for fault in restored:
            _split(fault)
    return len(restored)


def _covers(top: Alarm, alarm: Alarm) -> bool:
    """Whether TOP's element is ALARM's or above it (both on the same OLT)."""
    if top.level == "olt":
        return True
    if top.level == "board":
        return alarm.board_id == top.board_id
    if top.level == "pon":
        return alarm.pon_port_id == top.pon_port_id
    return alarm.level == "onu" and alarm.onu_id == top.onu_id


def _split(fault: FaultEvent) -> None:
    rest = list(Alarm.objects.filter(fault_event=fault, cleared_at__isnull=True))
    rest.sort(key=lambda a: (DEPTHS[a.level], a.raised_at, a.pk))  # widest first
    tops: list[tuple[Alarm, FaultEvent]] = []
    for alarm in rest:
        event = next((e for top, e in tops if _covers(top, alarm)), None)
        if event is None:
            event = FaultEvent.objects.create(
                level=alarm.level,
                olt=fault.olt,
                board_id=alarm.board_id,
                pon_port_id=alarm.pon_port_id,
                onu_id=alarm.onu_id,
                city=fault.city,
                type=alarm.type,
                severity=alarm.severity,
                started_at=alarm.raised_at,
            )
            tops.append((alarm, event))
        alarm.fault_event = event
    Alarm.objects.bulk_update(rest, ["fault_event"])
    # The open outages go with the widest split-off alarm over their account.
    moves: dict[int, list[int]] = {}
    rows = Outage.objects.filter(fault_event=fault, ended_at__isnull=True).values_list(
        "pk", "account__onu_id", "account__onu__pon_port_id", "account__onu__pon_port__board_id"
    )
    for pk, onu, port, board in rows:
        place = Alarm(level="onu", onu_id=onu, pon_port_id=port, board_id=board)
        event = next((e for top, e in tops if _covers(top, place)), None)
        if event is not None:
            moves.setdefault(event.pk, []).append(pk)
    for event_pk, outages in moves.items():
        Outage.objects.filter(pk__in=outages).update(fault_event_id=event_pk)
        OutboundMessage.objects.filter(outage_id__in=outages).update(fault_event_id=event_pk)
        # One SMS per number per event (docs/faults.md): the SMS of a number still down may
        # stand on another account's outage that ended; it goes with the number, so that
        # the number's recovery SMS comes when the split-off alarm clears.
        numbers = Outage.objects.filter(pk__in=outages).values("account__customer__mobile_hash")
        OutboundMessage.objects.filter(
            fault_event=fault, account__customer__mobile_hash__in=numbers
        ).exclude(account__customer__mobile_hash="").update(fault_event_id=event_pk)
    fault.state, fault.ended_at = FaultState.CLEARED, fault.back_at
    fault.save(update_fields=["state", "ended_at", "last_updated"])
    _count_affected([fault, *(event for _top, event in tops)])


def _count_affected(faults: list[FaultEvent]) -> None:
    """Each event's affected accounts: the distinct accounts of its outages."""
    counts = dict(
        Outage.objects.filter(fault_event__in=faults)
        .values("fault_event_id")
        .annotate(n=Count("account_id", distinct=True))
        .values_list("fault_event_id", "n")
    )
    for fault in faults:
        n = counts.get(fault.pk, 0)
        if n != fault.affected_accounts:
            FaultEvent.objects.filter(pk=fault.pk).update(affected_accounts=n)
            fault.affected_accounts = n
