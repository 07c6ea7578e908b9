"""Changes the NOC makes to fault events (pages, API and commands call the same functions):
the estimated recovery, and closing a stale event."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sqm.core import changelog, context
from sqm.network import fault_sms, stale
from sqm.network.choices import FaultState
from sqm.network.models import Alarm, FaultEvent, Outage
from sqm.notify.choices import MessageKind, MessageState
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import current_rules


def set_estimated_recovery(user, fault: FaultEvent, when: datetime | None) -> int:
    """Set (or with None, remove) FAULT's estimated recovery; return how many waiting fault
    SMS were re-rendered with the new estimate.

    The fault is saved through the ORM, so the change log records who changed the estimate.
    Only an active event takes an estimate: a cleared one is over, a merged one's SMS
    belong to the event that absorbed it. The estimate must lie after the fault began.
    """
    if not FaultEvent.objects.restrict(user, "change").filter(pk=fault.pk).exists():
        raise PermissionDenied(_("You may not change this fault event."))
    with transaction.atomic(), context.acting_as(user):
        locked = (
            FaultEvent.objects.select_for_update().select_related("olt", "city").get(pk=fault.pk)
        )
        if locked.state != FaultState.ACTIVE:
            raise ValidationError(
                _("Only an active fault event takes an estimated recovery; this one is %(state)s.")
                % {"state": locked.get_state_display()},
                code="not_active",
            )
        if when is not None and when <= locked.started_at:
            raise ValidationError(
                _("The estimated recovery must be after the fault began."), code="too_early"
            )
        fault.estimated_recovery = when
        if locked.estimated_recovery == when:
            return 0
        locked.estimated_recovery = when
        locked.save(update_fields=["estimated_recovery", "last_updated"])
        return fault_sms.refresh_fault_texts(locked)


# --- closing a stale event (docs/faults.md, "Lost clears: stale events") ---------------------

REASON_MAX = FaultEvent._meta.get_field("close_reason").max_length
# Stored on the cancelled SMS, like the worker's notes: English.
CLOSED_NOTE = "the fault event was closed as stale"


@dataclass(frozen=True)
class CloseResult:
    fault: int
    alarms_closed: int  # its alarms still active, marked cleared at the close time
    outages_ended: int
    notices_cancelled: int
    recoveries_scheduled: int


def clean_reason(reason: str) -> str:
    """The reason for closing, stripped; refused when empty or too long."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Say why the event is closed."), code="no_reason")
    if len(reason) > REASON_MAX:
        raise ValidationError(
            _("The reason may have at most %(n)d characters.") % {"n": REASON_MAX},
            code="reason_too_long",
        )
    return reason


def close_as_stale(
    user, fault: FaultEvent, reason: str, *, notify: bool = False, now: datetime | None = None
) -> CloseResult:
    """Close the stale event FAULT for USER (network operations of its city), saying REASON.

    Its alarms still active are marked cleared and its open outages end at NOW; its fault
    SMS still scheduled are cancelled. No recovery SMS is sent unless NOTIFY: the NOC does
    not know when the service came back. Refused when the event is not stale (any longer).
    """
    if not FaultEvent.objects.restrict(user, "change").filter(pk=fault.pk).exists():
        raise PermissionDenied(_("You may not change this fault event."))
    reason = clean_reason(reason)
    with context.acting_as(user):
        return _close(fault.pk, reason, notify, now or timezone.now())


def close_stale_events(
    user,
    *,
    older_than: timedelta,
    reason: str,
    notify: bool = False,
    now: datetime | None = None,
    dry_run: bool = False,
) -> tuple[list[FaultEvent], list[CloseResult]]:
    """Close every event stale at NOW with no alarm activity for OLDER_THAN (at least the
    stale rule's hours), one by one with `close_as_stale`'s service; (the events found, what
    closing each did). USER None is an operator at the console (`sqm faults close-stale`):
    every city. With DRY_RUN nothing changes."""
    now = now or timezone.now()
    if older_than < stale.stale_after():
        raise ValidationError(
            _("Only events quiet for at least %(hours)d hours are stale.")
            % {"hours": stale.stale_hours()},
            code="too_recent",
        )
    reason = clean_reason(reason)
    faults = FaultEvent.objects.restrict(user, "change") if user is not None else FaultEvent.objects
    found = list(
        stale.stale_faults(
            faults.select_related("olt", "city", "board", "pon_port", "onu"), now, older_than
        ).order_by("last_activity", "pk")
    )
    if dry_run:
        return found, []
    results = []
    with context.acting_as(user, label="" if user is not None else "cli"):
        for fault in found:
            try:
                results.append(_close(fault.pk, reason, notify, now))
            except ValidationError:
                continue  # changed meanwhile (an alarm came, or someone closed it)
    return found, results


def _close(pk: int, reason: str, notify: bool, now: datetime) -> CloseResult:
    from sqm.network.ingest import lock

    with transaction.atomic():
        lock()  # serialised with alarm ingestion: no clear or raise lands half-way
        fault = (
            stale.with_activity(FaultEvent.objects.select_for_update(of=("self",)))
            .select_related("olt", "city")
            .get(pk=pk)
        )
        if fault.state != FaultState.ACTIVE:
            raise ValidationError(
                _("Only an active fault event can be closed; this one is %(state)s.")
                % {"state": fault.get_state_display()},
                code="not_active",
            )
        if not stale.is_stale(fault, now):
            raise ValidationError(
                _(
                    "Fault event #%(id)d had alarm activity in the last %(hours)d hours: "
                    "it is not stale."
                )
                % {"id": fault.pk, "hours": stale.stale_hours()},
                code="not_stale",
            )
        before = changelog.snapshot(fault)
        # Guarded: only an event still active changes (a concurrent close finds it closed).
        changed = FaultEvent.objects.filter(pk=pk, state=FaultState.ACTIVE).update(
            state=FaultState.CLOSED, ended_at=now, close_reason=reason, last_updated=now
        )
        if not changed:
            raise ValidationError(_("The fault event changed meanwhile."), code="changed")
        fault.refresh_from_db(fields=["state", "ended_at", "close_reason", "last_updated"])
        changelog.record_bulk([fault], "update", {fault.pk: before})
        # Its alarms count as cleared now, or correlation would join new alarms to a closed
        # event; a clear the NMS sends later is kept as a clear of a cleared alarm.
        alarms = Alarm.objects.filter(fault_event_id=pk, cleared_at__isnull=True).update(
            cleared_at=now
        )
        open_outages = Outage.objects.filter(fault_event_id=pk, ended_at__isnull=True)
        outage_ids = list(open_outages.values_list("pk", flat=True))
        Outage.objects.filter(pk__in=outage_ids).update(ended_at=now)
        cancelled = OutboundMessage.objects.filter(
            fault_event_id=pk, kind=MessageKind.FAULT, state=MessageState.SCHEDULED
        ).update(state=MessageState.CANCELLED, done_at=now, last_error=CLOSED_NOTE)
        counts: Counter = Counter()
        if notify and outage_ids:
            fault_sms.settle_ended_outages(outage_ids, current_rules(), now, counts)
    return CloseResult(pk, alarms, len(outage_ids), cancelled, counts["recoveries_scheduled"])
