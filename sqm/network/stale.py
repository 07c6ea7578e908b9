"""Stale fault events: active, but with no alarm activity for a long time (docs/faults.md,
"Lost clears: stale events").

Management systems lose clears (the generator models 0.3 % of ONU alarms never cleared:
docs/generator.md). An OLT, board or port event is ended when its element comes back
(`network.fault_split`), but an event whose own alarm lost its clear, a single ONU's most
often, would stay active for ever: counted on the home panels and keeping its customers'
outages open. Nothing in the alarm feed can end it, so it is flagged for the NOC instead.

The rule, defined here once and used by every list, count and action: an active event is
stale when none of its alarms was raised, cleared or re-sent by the NMS (`Alarm.refreshed_at`,
an alarm resynchronisation) for `SQM_FAULT_STALE_HOURS`; exactly that long counts as stale.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from sqm.network.choices import FaultState
from sqm.network.models import Alarm, FaultEvent


def stale_hours() -> int:
    return settings.SQM_FAULT_STALE_HOURS


def stale_after() -> timedelta:
    """How long an active event may go without alarm activity before it is stale."""
    return timedelta(hours=stale_hours())


def stale_since(now: datetime, older_than: timedelta | None = None) -> datetime:
    """The latest last activity of an event stale at NOW (with OLDER_THAN, when longer than
    the rule, the events quiet for at least that long)."""
    quiet = stale_after() if older_than is None else max(older_than, stale_after())
    return now - quiet


def _activity():
    """One alarm's last sign of life: its clear, else its latest re-sent raise, else its raise
    (an alarm is re-sent only while active, so a clear is always the latest)."""
    return Coalesce("cleared_at", "refreshed_at", "raised_at")


def last_activity(path: str = ""):
    """Expression: an event's last alarm activity (its start when it has no alarm). One
    aggregate over the event's alarms, found by their fault_event index. PATH leads from
    the rows annotated to their event (e.g. "fault_event__" on outages)."""
    latest = (
        Alarm.objects.filter(fault_event=OuterRef(f"{path}pk"))
        .order_by()
        .values("fault_event")
        .annotate(latest=Max(_activity()))
        .values("latest")
    )
    return Coalesce(Subquery(latest), F(f"{path}started_at"))


def with_activity(faults: QuerySet[FaultEvent]) -> QuerySet[FaultEvent]:
    """FAULTS annotated with `last_activity`."""
    return faults.annotate(last_activity=last_activity())


def stale_q(now: datetime, older_than: timedelta | None = None) -> Q:
    """Filter for annotated events (`with_activity`) that are stale at NOW."""
    return Q(state=FaultState.ACTIVE, last_activity__lte=stale_since(now, older_than))


def current_q(now: datetime) -> Q:
    """Filter for annotated active events that are not stale at NOW."""
    return Q(state=FaultState.ACTIVE, last_activity__gt=stale_since(now))


def stale_faults(
    faults: QuerySet[FaultEvent], now: datetime, older_than: timedelta | None = None
) -> QuerySet[FaultEvent]:
    """The events of FAULTS stale at NOW (quiet for OLDER_THAN at least, when given)."""
    return with_activity(faults).filter(stale_q(now, older_than))


def is_stale(fault: FaultEvent, now: datetime) -> bool:
    """Whether FAULT is stale at NOW (its `last_activity` annotation, or one query)."""
    if fault.state != FaultState.ACTIVE:
        return False
    return activity_of(fault) <= stale_since(now)


def activity_of(fault: FaultEvent) -> datetime:
    """FAULT's last alarm activity: the annotation when present, else one query."""
    found = getattr(fault, "last_activity", None)
    if found is None:
        found = with_activity(FaultEvent.objects.filter(pk=fault.pk)).values_list(
            "last_activity", flat=True
        )[0]
        fault.last_activity = found
    return found


def activities(fault_ids) -> dict[int, datetime]:
    """The last alarm activity of each of FAULT_IDS, in one query."""
    ids = list(fault_ids)
    if not ids:
        return {}
    rows = with_activity(FaultEvent.objects.filter(pk__in=ids).order_by())
    return dict(rows.values_list("pk", "last_activity"))
