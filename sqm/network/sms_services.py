"""The NOC's SMS view (docs/faults.md, "The NOC's SMS view"): the fault SMS of the events a
user may see, why each one still waits, and the two things the NOC may do about them —
resend failed ones, cancel an event's scheduled batch. Pages and API call these functions.

Why a message waits is decided in one place, `waiting_reason`, from the message, the rules
(hold-down, sending window) and the outbox worker's heartbeat (notify.WorkerHeartbeat):

- hold-down: the outage began less than the hold-down ago (alarms that clear at once send
  nothing);
- window: the message's time falls outside the sending window (08:00–22:00), so it goes at
  the next opening;
- sender: the SMSC refused it (or the connection failed) and it waits for its next try, or
  the sender's last pass failed;
- worker: it is due, but no worker has run a pass for SQM_SMS_WORKER_SILENT_SECONDS;
- receipt: sent, and the delivery receipt of every part has not come yet; once it is later
  than SQM_SMS_RECEIPT_OVERDUE_SECONDS, `receipt_overdue` (the SMSC or the handset is late);
- due / planned / in flight / stuck otherwise.

State changes are guarded (`UPDATE … WHERE state = <old>`: a message the worker took in the
meantime is left alone) and change-logged per message with who, when, before and after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from sqm.core import changelog, context
from sqm.core.inputs import parse_day, parse_id
from sqm.core.masking import mask_mobile
from sqm.network.models import FaultEvent
from sqm.notify.choices import MessageKind, MessageState
from sqm.notify.models import OutboundMessage, WorkerHeartbeat
from sqm.notify.outbox import DELIVERED_MARK
from sqm.notify.rules import SHANGHAI, Rules, current_rules

CHANGE_PERMISSION = "notify.change_outboundmessage"
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


# --- the pipeline and why a message waits ------------------------------------------------


@dataclass(frozen=True)
class Pipeline:
    """What decides whether due messages move, read once per page: rules and heartbeat."""

    now: datetime
    rules: Rules
    heartbeat: WorkerHeartbeat | None  # the freshest of any sender
    silent_after: timedelta
    stale_after: timedelta
    receipt_overdue_after: timedelta = timedelta(minutes=30)

    @classmethod
    def read(cls, now: datetime | None = None) -> Pipeline:
        return cls(
            now=now or timezone.now(),
            rules=current_rules(),
            heartbeat=WorkerHeartbeat.objects.order_by("-seen_at").first(),
            silent_after=timedelta(seconds=settings.SQM_SMS_WORKER_SILENT_SECONDS),
            stale_after=timedelta(seconds=settings.SQM_SMS_STALE_SECONDS),
            receipt_overdue_after=timedelta(seconds=settings.SQM_SMS_RECEIPT_OVERDUE_SECONDS),
        )

    @property
    def hold_down_minutes(self) -> int:
        return int(self.rules.hold_down.total_seconds() // 60)

    @property
    def worker_running(self) -> bool:
        beat = self.heartbeat
        return beat is not None and beat.seen_at >= self.now - self.silent_after

    @property
    def sender_failing(self) -> bool:
        """The sender's last failure is recent and nothing went out since."""
        beat = self.heartbeat
        if beat is None or beat.last_error_at is None:
            return False
        if beat.last_ok_at is not None and beat.last_ok_at >= beat.last_error_at:
            return False
        return beat.last_error_at >= self.now - self.silent_after


@dataclass(frozen=True)
class WaitingReason:
    code: str  # hold_down, window, sender, worker, due, planned, in_flight, stuck, receipt…
    text: str
    until: datetime | None = None  # when the reason ends, when known


def waiting_reason(message: OutboundMessage, pipeline: Pipeline) -> WaitingReason | None:
    """Why MESSAGE has not gone out yet — or, once sent, why it is not delivered yet — or
    None when it is no longer waiting (delivered, failed, cancelled)."""
    now, rules = pipeline.now, pipeline.rules
    window = rules.window
    if message.state == MessageState.SENT:
        return _receipt_reason(message, pipeline)
    if message.state == MessageState.SENDING:
        if message.sent_at is None or message.sent_at <= now - pipeline.stale_after:
            return WaitingReason(
                "stuck",
                _(
                    "Its sender stopped while sending it; a worker will put it back and send "
                    "it again."
                ),
            )
        return WaitingReason("in_flight", _("Handed to the SMSC; waiting for its answer."))
    if message.state != MessageState.SCHEDULED:
        return None
    if message.send_at > now:
        if message.attempts and message.last_error:
            return WaitingReason(
                "sender",
                _("Sender failing: attempt %(n)d was refused (%(error)s); next try at %(at)s.")
                % {
                    "n": message.attempts,
                    "error": message.last_error,
                    "at": _local(message.send_at),
                },
                message.send_at,
            )
        started = _started(message)
        if started is not None and started + rules.hold_down > now:
            end = started + rules.hold_down
            return WaitingReason(
                "hold_down",
                _(
                    "Hold-down: the outage began at %(start)s; fault SMS wait %(minutes)d "
                    "minutes in case it clears at once (until %(end)s)."
                )
                % {
                    "start": _local(started),
                    "minutes": int(rules.hold_down.total_seconds() // 60),
                    "end": _local(end),
                },
                end,
            )
        # Planned at a window's opening: its time fell outside the window.
        if not window.allows(message.send_at - timedelta(seconds=1)):
            return _outside_window(window, message.send_at - timedelta(seconds=1))
        # Nothing holds it back: its planned time, shown in its own column, is all it waits
        # for, so the reason does not repeat it.
        return WaitingReason("planned", _("Not its planned time yet."), message.send_at)
    if not window.allows(now):
        return _outside_window(window, now)
    if not pipeline.worker_running:
        beat = pipeline.heartbeat
        if beat is None:
            text = _("Worker not running: no SMS worker has ever reported.")
        else:
            text = _("Worker not running: the SMS worker last ran at %(at)s.") % {
                "at": _local(beat.seen_at)
            }
        return WaitingReason("worker", text)
    if pipeline.sender_failing:
        beat = pipeline.heartbeat
        return WaitingReason(
            "sender",
            _("Sender failing since %(at)s: %(error)s")
            % {
                "at": _local(beat.last_error_at),
                "error": beat.last_error,
            },
        )
    return WaitingReason("due", _("Due: goes out with the worker's next pass."))


def _receipt_reason(message: OutboundMessage, pipeline: Pipeline) -> WaitingReason:
    """A sent message waits for the delivery receipt of each part; past the overdue time
    the SMSC (or the handset, switched off) is late and the NOC should know."""
    sent = message.sent_at or message.send_at
    got = receipts(message)
    values = {"at": _local(sent), "delivered": got.delivered, "parts": got.parts}
    overdue = sent + pipeline.receipt_overdue_after
    if pipeline.now >= overdue:
        return WaitingReason(
            "receipt_overdue",
            _(
                "Receipt overdue: sent at %(at)s, %(delivered)d of %(parts)d parts confirmed "
                "delivered since; the SMSC or the handset is late."
            )
            % values,
        )
    return WaitingReason(
        "receipt",
        _(
            "Waiting for the delivery receipt since %(at)s (%(delivered)d of %(parts)d parts "
            "confirmed)."
        )
        % values,
        overdue,
    )


def _outside_window(window, moment: datetime) -> WaitingReason:
    opening = window.next_allowed(moment)
    return WaitingReason(
        "window",
        _("Outside the sending window %(window)s; the window opens at %(at)s.")
        % {"window": str(window).replace("-", "–"), "at": _local(opening)},
        opening,
    )


def _started(message: OutboundMessage) -> datetime | None:
    """When the outage of a fault SMS began (recovery SMS have no hold-down)."""
    if message.kind != MessageKind.FAULT:
        return None
    if message.outage_id is not None:
        return message.outage.started_at
    return message.fault_event.started_at if message.fault_event_id else None


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


# --- the list ----------------------------------------------------------------------------


@dataclass
class SmsFilters:
    """The SMS view's filters (all optional); `from_query` reads a GET."""

    fault: int | None = None
    state: str = ""
    planned_from: date | None = None
    planned_to: date | None = None
    errors: dict = field(default_factory=dict)

    KEYS = ("fault", "state", "planned_from", "planned_to")  # the GET parameters read

    @classmethod
    def from_query(cls, query) -> SmsFilters:
        found = cls(state=(query.get("state") or "").strip())
        if found.state not in ("", *MessageState.values):
            found.errors["state"], found.state = found.state, ""
        fault = (query.get("fault") or "").strip()
        if fault:
            found.fault = parse_id(fault)
            if found.fault is None:
                found.errors["fault"] = fault
        for key in ("planned_from", "planned_to"):
            value = (query.get(key) or "").strip()
            if not value:
                continue
            day = parse_day(value, EARLIEST, LATEST)
            if day is None:
                found.errors[key] = value
            else:
                setattr(found, key, day)
        return found

    def as_query(self) -> dict[str, str]:
        out = {"state": self.state} if self.state else {}
        if self.fault is not None:
            out["fault"] = str(self.fault)
        for key in ("planned_from", "planned_to"):
            if getattr(self, key):
                out[key] = getattr(self, key).isoformat()
        return out


def visible_messages(user) -> QuerySet[OutboundMessage]:
    """The SMS of the fault events USER may see (none without the view permission)."""
    if not user.has_perm("notify.view_outboundmessage"):
        return OutboundMessage.objects.none()
    faults = FaultEvent.objects.restrict(user).values("pk")
    return OutboundMessage.objects.filter(fault_event__in=faults)


def fault_messages(user, filters: SmsFilters) -> QuerySet[OutboundMessage]:
    """USER's fault SMS matching FILTERS, newest planned time first."""
    messages = visible_messages(user)
    if filters.fault is not None:
        messages = messages.filter(fault_event_id=filters.fault)
    if filters.state:
        messages = messages.filter(state=filters.state)
    if filters.planned_from:
        messages = messages.filter(send_at__gte=_day_start(filters.planned_from))
    if filters.planned_to:
        messages = messages.filter(send_at__lt=_day_start(filters.planned_to + timedelta(1)))
    return messages.select_related("account__customer", "outage", "fault_event").order_by(
        "-send_at", "-id"
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Receipts:
    parts: int
    delivered: int  # parts whose delivery receipt came


def receipts(message: OutboundMessage) -> Receipts:
    """The delivery receipts of MESSAGE's parts so far."""
    ids = [part for part in message.smsc_ids.split(",") if part]
    if message.state == MessageState.DELIVERED:
        # Every part delivered; the part count may be missing, its SMSC ids say it.
        parts = message.parts or len(ids)
        return Receipts(parts, parts)
    return Receipts(message.parts or len(ids), sum(p.endswith(DELIVERED_MARK) for p in ids))


def masked_recipient(message: OutboundMessage) -> str:
    """The number the SMS goes (or went) to, masked: the one it was sent to once filled,
    else the customer's."""
    return mask_mobile(message.mobile or message.account.customer.mobile)


def decorate(messages, pipeline: Pipeline) -> list[OutboundMessage]:
    """Each message with its waiting reason, receipts and masked number, for a page."""
    rows = list(messages)
    for message in rows:
        message.reason = waiting_reason(message, pipeline)
        message.receipts = receipts(message)
        message.masked_mobile = masked_recipient(message)
    return rows


# --- what the NOC may do -----------------------------------------------------------------


def _changeable(user) -> QuerySet[OutboundMessage]:
    if not user.has_perm(CHANGE_PERMISSION):
        raise PermissionDenied(_("You may not resend or cancel SMS."))
    return visible_messages(user)


@dataclass(frozen=True)
class ResendResult:
    resent: int
    skipped_ended: int  # fault SMS of an outage that is over: never sent late


def resend_failed(user, ids: list[int], now: datetime | None = None) -> ResendResult:
    """Put the failed messages IDS (of events USER may see) back in the outbox, due now.

    Attempts start again from 0 and the number is read afresh from the customer when it
    goes. A fault SMS whose outage has ended is not resent: customers are never told about
    an outage that is already over. Only messages still `failed` change."""
    now = now or timezone.now()
    with transaction.atomic(), context.acting_as(user):
        failed = _changeable(user).filter(pk__in=ids, state=MessageState.FAILED)
        ended = failed.filter(kind=MessageKind.FAULT, outage__ended_at__isnull=False)
        skipped = ended.count()
        wanted = list(failed.exclude(pk__in=ended.values("pk")).select_for_update())
        befores = {m.pk: changelog.snapshot(m) for m in wanted}
        note = f"resent by {user.get_username()}"  # stored, like the worker's notes: English
        changed = OutboundMessage.objects.filter(
            pk__in=[m.pk for m in wanted], state=MessageState.FAILED
        ).update(
            state=MessageState.SCHEDULED,
            send_at=now,
            attempts=0,
            sent_at=None,
            done_at=None,
            smsc_ids="",
            parts=0,
            mobile="",
            pii_key_id="",
            last_error=note[:255],
        )
        _log_changes(wanted, befores)
    return ResendResult(changed, skipped)


def cancel_scheduled(user, fault: FaultEvent, now: datetime | None = None) -> int:
    """Cancel every still-scheduled SMS of FAULT; the number cancelled. Messages already
    taken by the worker (sending) or sent are left alone."""
    now = now or timezone.now()
    with transaction.atomic(), context.acting_as(user):
        scheduled = _changeable(user).filter(fault_event=fault, state=MessageState.SCHEDULED)
        if not FaultEvent.objects.restrict(user).filter(pk=fault.pk).exists():
            raise PermissionDenied(_("You may not change this fault event's SMS."))
        wanted = list(scheduled.select_for_update())
        befores = {m.pk: changelog.snapshot(m) for m in wanted}
        note = f"cancelled by {user.get_username()}"
        changed = OutboundMessage.objects.filter(
            pk__in=[m.pk for m in wanted], state=MessageState.SCHEDULED
        ).update(state=MessageState.CANCELLED, done_at=now, last_error=note[:255])
        _log_changes(wanted, befores)
    return changed


def _log_changes(messages: list[OutboundMessage], befores: dict) -> None:
    """Change-log rows (who, when, before, after) for MESSAGES as they are now stored."""
    if not messages:
        return
    fresh = OutboundMessage.objects.filter(pk__in=[m.pk for m in messages])
    changelog.record_bulk(fresh, "update", befores)
