"""Read side of fault events for the NOC pages and the API (docs/faults.md, NOC pages).

Every list starts from `FaultEvent.objects.restrict(user)`, so the city scope is part of the
SQL. Counts that belong to many events at once (SMS by state, opted-out customers) are one
grouped query over the page's events, never a query per row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from sqm.core.inputs import parse_day
from sqm.core.models import ChangeLogEntry, City
from sqm.network import fault_split, stale
from sqm.network.choices import AlarmLevel, AlarmOutcome, FaultState, alarm_type_label
from sqm.network.models import Alarm, AlarmEvent, FaultEvent, FaultType, Outage
from sqm.notify.choices import MessageKind, MessageState
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import SHANGHAI

SMS_STATES = tuple(MessageState.values)  # scheduled, sending, sent, delivered, failed, cancelled
FINISHED = (MessageState.SENT, MessageState.DELIVERED, MessageState.FAILED)
ALARMS_SHOWN = 200  # alarms listed on the detail page; the rest are counted


# --- SMS counts ------------------------------------------------------------------------------


@dataclass
class SmsCounts:
    """How many SMS of one event are in each outbox state, and how far the sending got."""

    states: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SMS_STATES, 0))

    @property
    def total(self) -> int:
        """Everything that was or still is to be sent (cancelled ones are not)."""
        return sum(self.states.values()) - self.states[MessageState.CANCELLED]

    @property
    def done(self) -> int:
        """Sent, delivered or failed: the sender is through with them."""
        return sum(self.states[s] for s in FINISHED)

    @property
    def waiting(self) -> int:
        return self.states[MessageState.SCHEDULED] + self.states[MessageState.SENDING]

    @property
    def percent(self) -> int:
        return self.done * 100 // self.total if self.total else 0

    def __getitem__(self, state: str) -> int:  # {{ counts.sent }} in templates
        return self.states[state]

    def as_dict(self) -> dict:
        return {
            **self.states,
            "total": self.total,
            "done": self.done,
            "waiting": self.waiting,
            "percent": self.percent,
        }


def sms_counts(fault_ids, kind: str | None = None) -> dict[int, SmsCounts]:
    """SmsCounts of each of FAULT_IDS (every one present), in one grouped query."""
    ids = list(fault_ids)
    found = {pk: SmsCounts() for pk in ids}
    if not ids:
        return found
    messages = OutboundMessage.objects.filter(fault_event_id__in=ids)
    if kind:
        messages = messages.filter(kind=kind)
    rows = messages.order_by().values_list("fault_event_id", "state").annotate(n=Count("id"))
    for fault_id, state, n in rows:
        found[fault_id].states[state] = n
    return found


def sms_counts_by_kind(fault: FaultEvent) -> dict[str, SmsCounts]:
    """FAULT's SMS counts split into fault and recovery notices (one grouped query)."""
    found = {kind: SmsCounts() for kind in MessageKind.values}
    rows = (
        OutboundMessage.objects.filter(fault_event=fault)
        .order_by()
        .values_list("kind", "state")
        .annotate(n=Count("id"))
    )
    for kind, state, n in rows:
        found[kind].states[state] = n
    return found


def combined(by_kind: dict[str, SmsCounts]) -> SmsCounts:
    """The counts of every kind together."""
    overall = SmsCounts()
    for counts in by_kind.values():
        for state, n in counts.states.items():
            overall.states[state] += n
    return overall


def progress(fault: FaultEvent, by_kind: dict[str, SmsCounts] | None = None) -> dict:
    """What the detail page polls: SMS counts by state, overall and per kind."""
    by_kind = sms_counts_by_kind(fault) if by_kind is None else by_kind
    return {
        "fault": fault.pk,
        "state": fault.state,
        **combined(by_kind).as_dict(),
        "kinds": {kind: counts.as_dict() for kind, counts in by_kind.items()},
    }


def opted_out_counts(fault_ids) -> dict[int, int]:
    """Per event: accounts cut off whose customer opted out of service SMS (one query)."""
    ids = list(fault_ids)
    found = dict.fromkeys(ids, 0)
    if not ids:
        return found
    rows = (
        Outage.objects.filter(fault_event_id__in=ids, account__customer__service_sms_opt_out=True)
        .order_by()
        .values_list("fault_event_id")
        .annotate(n=Count("account_id", distinct=True))
    )
    found.update(rows)
    return found


# --- lists -----------------------------------------------------------------------------------


def user_cities(user) -> QuerySet[City]:
    if user.is_superuser or getattr(user, "all_cities", False):
        return City.objects.all()
    return user.cities.all()


def visible_faults(user) -> QuerySet[FaultEvent]:
    """Fault events USER may see, with their element, a readable type name and their last
    alarm activity (`last_activity`, network.stale)."""
    type_name = FaultType.objects.filter(code=OuterRef("type")).values("name")[:1]
    return stale.with_activity(
        FaultEvent.objects.restrict(user)
        .select_related("olt", "board", "pon_port", "onu", "city")
        .annotate(type_name=Subquery(type_name))
    )


# The fault list's `stale` filter: stale events only, or the others (docs/faults.md).
STALE_ONLY, CURRENT_ONLY = "1", "0"


def active_faults(
    user, city: str = "", stale_filter: str = "", now: datetime | None = None
) -> QuerySet[FaultEvent]:
    """USER's active fault events (optionally of one city code; with STALE_FILTER, only the
    stale ones or only the others at NOW), by city, widest first."""
    faults = visible_faults(user).filter(state=FaultState.ACTIVE)
    if city:
        faults = faults.filter(city__code=city)
    now = now or timezone.now()
    if stale_filter == STALE_ONLY:
        faults = faults.filter(stale.stale_q(now))
    elif stale_filter == CURRENT_ONLY:
        faults = faults.filter(stale.current_q(now))
    return faults.order_by("city__ordering", "city__code", "-affected_accounts", "-started_at")


def decorate(faults, now: datetime | None = None) -> list[FaultEvent]:
    """Attach `sms` (SmsCounts), `opted_out`, `element` (its label) and `stale` (at NOW) to
    each of FAULTS: two queries in all."""
    faults = list(faults)
    ids = [f.pk for f in faults]
    counts, opted = sms_counts(ids), opted_out_counts(ids)
    stale_since = stale.stale_since(now or timezone.now())
    for fault in faults:
        fault.sms = counts[fault.pk]
        fault.opted_out = opted[fault.pk]
        fault.element = element_label(fault)
        fault.stale = fault.state == FaultState.ACTIVE and fault.last_activity <= stale_since
    return faults


def city_summary(user, now: datetime | None = None) -> list[dict]:
    """Per city of USER's with active events: `code`, `name`, `events` and `accounts` of its
    current events (not stale at NOW) and `stale`, how many stale ones it has apart: the same
    split as the home panels, so each number equals the list it links to (`?stale=0|1`)."""
    now = now or timezone.now()
    faults = stale.with_activity(FaultEvent.objects.restrict(user).filter(state=FaultState.ACTIVE))
    current = stale.current_q(now)
    rows = (
        faults.order_by()
        .values("city__code", "city__name", "city__ordering")
        .annotate(
            events=Count("id", filter=current),
            accounts=Sum("affected_accounts", filter=current),
            stale=Count("id", filter=stale.stale_q(now)),
        )
        .order_by("city__ordering", "city__code")
    )
    return [
        {
            "code": r["city__code"],
            "name": r["city__name"],
            "events": r["events"],
            "accounts": r["accounts"] or 0,
            "stale": r["stale"],
        }
        for r in rows
    ]


@dataclass
class HistoryFilters:
    """The history search's filters (all optional); `from_query` reads a GET."""

    city: str = ""
    state: str = ""
    level: str = ""
    type: str = ""
    olt: str = ""  # part of the OLT ID or name
    started_from: date | None = None
    started_to: date | None = None
    errors: dict = field(default_factory=dict)

    KEYS = ("city", "state", "level", "type", "olt")

    @classmethod
    def from_query(cls, query) -> HistoryFilters:
        found = cls(**{key: (query.get(key) or "").strip() for key in cls.KEYS})
        if found.state not in ("", *FaultState.values):
            found.errors["state"] = found.state
            found.state = ""
        if found.level not in ("", *AlarmLevel.values):
            found.errors["level"] = found.level
            found.level = ""
        for key in ("started_from", "started_to"):
            value = (query.get(key) or "").strip()
            if not value:
                continue
            day = parse_day(value)  # bounded: far-off dates overflow the day arithmetic
            if day is None:
                found.errors[key] = value
                continue
            setattr(found, key, day)
        return found

    def as_query(self) -> dict[str, str]:
        """The filters as GET parameters (for the pager's links)."""
        out = {key: getattr(self, key) for key in self.KEYS if getattr(self, key)}
        for key in ("started_from", "started_to"):
            value = getattr(self, key)
            if value:
                out[key] = value.isoformat()
        return out


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), SHANGHAI)


def history(user, filters: HistoryFilters) -> QuerySet[FaultEvent]:
    """Fault events of every state USER may see that match FILTERS, newest first."""
    faults = visible_faults(user)
    f = filters
    simple = {"city__code": f.city, "state": f.state, "level": f.level, "type": f.type}
    faults = faults.filter(**{key: value for key, value in simple.items() if value})
    if f.olt:
        faults = faults.filter(Q(olt__olt_id__icontains=f.olt) | Q(olt__name__icontains=f.olt))
    if f.started_from:
        faults = faults.filter(started_at__gte=_day_start(f.started_from))
    if f.started_to:
        faults = faults.filter(started_at__lt=_day_start(f.started_to + timedelta(days=1)))
    return faults.order_by("-started_at", "-id")


def unmatched_alarms() -> QuerySet[AlarmEvent]:
    """Alarm events on elements the topology does not know, newest first.

    They name no known element, so they have no city: whoever may read alarm events sees
    all of them."""
    return AlarmEvent.objects.filter(outcome=AlarmOutcome.UNMATCHED).order_by("-received_at", "-id")


def fault_types() -> QuerySet[FaultType]:
    return FaultType.objects.order_by("code")


# --- one event -------------------------------------------------------------------------------


def element_label(row) -> str:
    """The failed element of a fault event or an alarm, e.g. `OLT-1 0/1/0` or the ONU ID."""
    if row.onu_id:
        return f"{row.olt.olt_id} {row.onu.frame}/{row.onu.slot}/{row.onu.port} {row.onu.onu_id}"
    if row.pon_port_id:
        return f"{row.olt.olt_id} {row.pon_port.frame}/{row.pon_port.slot}/{row.pon_port.port}"
    if row.board_id:
        return f"{row.olt.olt_id} {row.board.frame}/{row.board.slot}"
    return row.olt.olt_id


def alarms_of(fault: FaultEvent) -> tuple[list[Alarm], int]:
    """The first ALARMS_SHOWN alarms of FAULT (absorbed events' included) and how many
    there are in all."""
    alarms = fault.alarms.select_related("olt", "board", "pon_port", "onu").order_by(
        "raised_at", "id"
    )
    shown = list(alarms[:ALARMS_SHOWN])
    total = len(shown) if len(shown) < ALARMS_SHOWN else alarms.count()
    for alarm in shown:
        alarm.element = element_label(alarm)
    return shown, total


def absorbed_of(fault: FaultEvent) -> list[FaultEvent]:
    """The narrower events FAULT absorbed (merged into it), oldest first."""
    return list(
        fault.absorbed.select_related("olt", "board", "pon_port", "onu").order_by(
            "started_at", "id"
        )
    )


def outage_counts(fault: FaultEvent) -> dict[str, int]:
    """FAULT's outages in all and still open, and the distinct accounts (one query)."""
    return Outage.objects.filter(fault_event=fault).aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(ended_at__isnull=True)),
        accounts=Count("account_id", distinct=True),
    )


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # started, raised, cleared, merged, notices, planned, state, estimate, closed
    text: str
    user: str = ""

    @property
    def planned(self) -> bool:
        """Still to come (SMS whose hour has not begun): a plan, not something that happened."""
        return self.kind == "planned"


def timeline(
    fault: FaultEvent,
    alarms: list[Alarm],
    alarm_total: int,
    absorbed: list[FaultEvent],
    now: datetime | None = None,
) -> list[TimelineEntry]:
    """What happened to FAULT, oldest first: its ALARMS raised and cleared (those shown of
    ALARM_TOTAL), the narrower events it ABSORBED, its SMS per hour (planned, sent,
    cancelled), and state and estimate changes from the change log. SMS planned after NOW
    come last, as `planned` entries: a live event's next hour has not happened yet."""
    entries = [TimelineEntry(fault.started_at, "started", _("Fault began"))]

    def closed_with(alarm: Alarm) -> bool:
        # Marked cleared when the NOC closed the event (stale): the NMS never cleared it.
        return fault.state == FaultState.CLOSED and alarm.cleared_at == fault.ended_at

    for alarm in alarms:
        element = element_label(alarm)
        entries.append(
            TimelineEntry(
                alarm.raised_at,
                "raised",
                _("Alarm %(alarm)s raised on %(element)s (%(type)s)")
                % {
                    "alarm": alarm.alarm_id,
                    "element": element,
                    "type": alarm_type_label(alarm.type),
                },
            )
        )
        if alarm.cleared_at and not closed_with(alarm):
            entries.append(
                TimelineEntry(
                    alarm.cleared_at,
                    "cleared",
                    _("Alarm %(alarm)s cleared") % {"alarm": alarm.alarm_id},
                )
            )
    if alarm_total > len(alarms):
        entries.append(
            TimelineEntry(
                alarms[-1].raised_at,
                "raised",
                _("… and %(n)d later alarms (not shown)") % {"n": alarm_total - len(alarms)},
            )
        )
    if absorbed:
        # The wider alarm absorbed them when it was raised: the first alarm on the event's
        # own level.
        own = [a for a in alarms if a.level == fault.level]
        merged_at = own[0].raised_at if own else fault.started_at
        for child in absorbed:
            entries.append(
                TimelineEntry(
                    merged_at,
                    "merged",
                    _("Absorbed the narrower fault event #%(id)s on %(element)s")
                    % {"id": child.pk, "element": element_label(child)},
                )
            )
    entries += _notice_entries(fault, now or timezone.now())
    entries += _change_entries(fault)
    order = {"started": 0, "raised": 1, "merged": 2, "state": 3, "estimate": 4, "notices": 5,
             "cleared": 6, "closed": 7}  # fmt: skip
    entries.sort(key=lambda e: (e.planned, e.at, order.get(e.kind, 9)))
    return entries


def _notice_entries(fault: FaultEvent, now: datetime) -> list[TimelineEntry]:
    """SMS per hour (Asia/Shanghai) and kind: planned for that hour (cancelled ones apart),
    and sent in it.

    Each hour's entry stands at the first real moment in it (the earliest planned or sent
    time), not at the hour's start: a fault that began at 10:47 has its 10:00–10:59 SMS after
    its start, never before it. An hour whose first moment is after NOW is a plan, said as
    one ("63 to be sent from 12:00"), never as counts of what happened."""
    messages = OutboundMessage.objects.filter(fault_event=fault).order_by()
    planned = (
        messages.annotate(hour=TruncHour("send_at", tzinfo=SHANGHAI))
        .values_list("hour", "kind")
        .annotate(
            n=Count("id"),
            cancelled=Count("id", filter=Q(state=MessageState.CANCELLED)),
            first=Min("send_at"),
        )
    )
    sent = (
        messages.filter(sent_at__isnull=False)
        .annotate(hour=TruncHour("sent_at", tzinfo=SHANGHAI))
        .values_list("hour", "kind")
        .annotate(n=Count("id"), first=Min("sent_at"))
    )
    buckets: dict[tuple[datetime, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    firsts: dict[tuple[datetime, str], datetime] = {}
    for hour, kind, n, cancelled, first in planned:
        buckets[hour, kind][0] += n
        buckets[hour, kind][2] += cancelled
        firsts[hour, kind] = min(firsts.get((hour, kind), first), first)
    for hour, kind, n, first in sent:
        buckets[hour, kind][1] += n
        firsts[hour, kind] = min(firsts.get((hour, kind), first), first)
    labels = dict(MessageKind.choices)
    entries = []
    for (hour, kind), (n_planned, n_sent, n_cancelled) in buckets.items():
        local = hour.astimezone(SHANGHAI)
        first = max(hour, firsts[hour, kind])
        if first > now:
            entries.append(_planned_entry(first, labels.get(kind, kind), n_planned, n_cancelled))
            continue
        entries.append(
            TimelineEntry(
                first,
                "notices",
                _(
                    "%(kind)s, %(start)s–%(end)s: %(planned)d planned, %(sent)d sent, "
                    "%(cancelled)d cancelled"
                )
                % {
                    "kind": labels.get(kind, kind),
                    "start": f"{local:%H:%M}",
                    "end": f"{local + timedelta(minutes=59):%H:%M}",
                    "planned": n_planned,
                    "sent": n_sent,
                    "cancelled": n_cancelled,
                },
            )
        )
    return entries


def _planned_entry(first: datetime, kind: str, planned: int, cancelled: int) -> TimelineEntry:
    """SMS of an hour still to come, from FIRST: how many will go, and how many were
    cancelled already."""
    values = {
        "kind": kind,
        "start": f"{first.astimezone(SHANGHAI):%H:%M}",
        "n": planned - cancelled,
        "cancelled": cancelled,
    }
    if cancelled:
        text = _("%(kind)s: %(n)d to be sent from %(start)s (%(cancelled)d cancelled)") % values
    else:
        text = _("%(kind)s: %(n)d to be sent from %(start)s") % values
    return TimelineEntry(first, "planned", text)


def _moment(value) -> str:
    if not value:
        return _("none")
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{timezone.localtime(when):%Y-%m-%d %H:%M}"


def _change_entries(fault: FaultEvent) -> list[TimelineEntry]:
    """State and estimated-recovery changes, from FAULT's change-log rows."""
    rows = ChangeLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(FaultEvent), object_id=str(fault.pk)
    ).select_related("user")
    states = dict(FaultState.choices)
    entries = []
    previous: dict = {}
    for row in rows.order_by("time", "id"):
        after = row.after or {}
        before = row.before if row.before is not None else previous
        who = row.user.username if row.user else row.actor
        if who == fault_split.ACTOR:
            who = pgettext("change-log actor", "automatic: the failed element came back")
        if row.action == "update":
            old, new = before.get("state"), after.get("state")
            if new == FaultState.CLOSED and old != new:
                entries.append(
                    TimelineEntry(
                        row.time,
                        "closed",
                        _(
                            "Closed as stale (no alarm activity, its clear presumed lost); "
                            "reason: %(reason)s"
                        )
                        % {"reason": after.get("close_reason") or "—"},
                        who,
                    )
                )
            elif "state" in after and old != new:
                entries.append(
                    TimelineEntry(
                        row.time,
                        "state",
                        _("State: %(old)s → %(new)s")
                        % {"old": states.get(old, old or "—"), "new": states.get(new, new)},
                        who,
                    )
                )
            old, new = before.get("estimated_recovery"), after.get("estimated_recovery")
            if "estimated_recovery" in after and old != new:
                entries.append(
                    TimelineEntry(
                        row.time,
                        "estimate",
                        _("Estimated recovery: %(old)s → %(new)s")
                        % {"old": _moment(old), "new": _moment(new)},
                        who,
                    )
                )
        previous = after
    return entries
