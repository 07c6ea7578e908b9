"""Counts of work-order work for the home page: a person's queue, a department's pool, the
team's day, and the 30-day trend.

Each count starts from `WorkOrder.objects.restrict(user)` (the user's cities, as the lists)
and is one aggregate over indexed columns (state with city, assignee or department; the
deadlines; `created` and `closed_at`, indexes workorder_created and workorder_closed_at); the
trend is one grouped query per series, whatever the number of days. Where a count stands
for a list, it is computed with that list's own query
(`queries.narrow` over `queries.queue_orders`, `pool_orders` or every visible order) so the
number and the list it links to cannot disagree; SLA states are `sla`'s one definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Count, DateField, F, Func, Q, QuerySet, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from sqm.complaints import queries, sla
from sqm.complaints.choices import CallbackOutcome, RecordType
from sqm.complaints.choices import WorkOrderState as S
from sqm.complaints.models import WorkOrder
from sqm.core.home import day_start

TREND_DAYS = 30
SATISFIED = (CallbackOutcome.SATISFIED, CallbackOutcome.BASICALLY_SATISFIED)
JUDGED = (*SATISFIED, CallbackOutcome.DISSATISFIED)  # unreachable customers gave no verdict


def callback_verdicts() -> dict:
    """Aggregates of the callback verdicts given on closed work orders: `judged` (the last
    callback's, when it got one), `satisfied`, and `reopened`, the earlier callback of an
    order that a dissatisfied customer reopened (`remediation`). An order's outcome holds
    only its last callback: after remediation that is nearly always a satisfied one, so
    counting the last outcome alone showed 100 % satisfaction day after day while every
    dissatisfied verdict had been overwritten. Add `reopened` to `judged` (satisfaction)."""
    return {
        "judged": Count("pk", filter=Q(callback_outcome__in=JUDGED)),
        "satisfied": Count("pk", filter=Q(callback_outcome__in=SATISFIED)),
        "reopened": Count("pk", filter=Q(remediation=True)),
    }


def _start(day: date) -> datetime:
    return day_start(day)


def listed(user, orders: QuerySet, now: datetime, **filters) -> int:
    """How many of ORDERS the list with FILTERS shows (the lists' own `queries.narrow`, so
    SLA states read as `sla` defines them: a suspended order is never overdue)."""
    found = queries.narrow(user, orders, queries.Filters(**filters), now, channel="orders")
    return found.order_by().count()


# --- one person, one department ------------------------------------------------------------


def contacts_today(user, now: datetime) -> int:
    """Contacts USER recorded today, of every record type (每诉必录: each one is recorded)."""
    start = _start(timezone.localdate(now))
    return WorkOrder.objects.restrict(user).filter(created_by=user, created__gte=start).count()


@dataclass
class Counts:
    total: int
    overdue: int
    warning: int


def _counts(user, orders: QuerySet, now: datetime, **filters) -> Counts:
    return Counts(
        total=listed(user, orders, now, **filters),
        overdue=listed(user, orders, now, sla="overdue", **filters),
        warning=listed(user, orders, now, sla="warning", **filters),
    )


def queue_counts(user, now: datetime) -> Counts:
    """USER's queue (我的待办, queries.queue_orders): all, overdue, near the deadline."""
    return _counts(user, queries.queue_orders(user), now)


def pool_counts(user, now: datetime) -> Counts | None:
    """The unclaimed open work orders of USER's departments (the pool they take from), or
    None when USER belongs to no department."""
    if not user.departments.exists():
        return None
    return _counts(user, queries.pool_orders(user), now, unclaimed=True)


# --- the team ------------------------------------------------------------------------------


@dataclass
class TeamDay:
    open: int
    overdue: int
    warning: int
    closed_today: int
    closed_in_time: int

    @property
    def in_time_percent(self) -> int | None:
        if not self.closed_today:
            return None
        return round(self.closed_in_time * 100 / self.closed_today)


def team_day(user, now: datetime) -> TeamDay:
    """The open work orders of USER's cities by SLA (the list's own counts), and today's
    closures with how many met their deadline."""
    start = _start(timezone.localdate(now))

    visible = WorkOrder.objects.restrict(user)
    closed = (
        WorkOrder.objects.restrict(user)
        .filter(record_type=RecordType.COMPLAINT_WORK_ORDER, closed_at__gte=start)
        .aggregate(n=Count("pk"), in_time=Count("pk", filter=Q(untimely=False)))
    )
    return TeamDay(
        open=listed(user, visible, now, open_only=True),
        overdue=listed(user, visible, now, sla="overdue"),
        warning=listed(user, visible, now, sla="warning"),
        closed_today=closed["n"],
        closed_in_time=closed["in_time"],
    )


def workload(user, now: datetime, limit: int = 12) -> list[dict]:
    """Open work orders per assignee in USER's cities, the busiest first: `username`,
    `name`, `open`, `overdue`."""
    orders = WorkOrder.objects.restrict(user).filter(
        state__in=queries.OPEN_STATES, assignee__isnull=False
    )
    rows = (
        orders.order_by()
        .values("assignee__username", "assignee__first_name", "assignee__last_name")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=sla.overdue_q(now)))
        .order_by("-open", "assignee__username")[:limit]
    )
    return [
        {
            "username": r["assignee__username"],
            "name": f"{r['assignee__last_name']}{r['assignee__first_name']}"
            or r["assignee__username"],
            "open": r["open"],
            "overdue": r["overdue"],
        }
        for r in rows
    ]


# --- trends --------------------------------------------------------------------------------


def local_day(column: str, now: datetime):
    """The local calendar day of COLUMN as a database expression. On SQLite, Django's
    TruncDate calls a Python function per row (~10x slower on a provincial table): SQLite's own
    date() with the zone's offset is used instead — exact for a zone without summer time
    (Asia/Shanghai), and at most an hour off around a change elsewhere."""
    if connection.vendor != "sqlite":
        return TruncDate(column)
    offset = timezone.localtime(now).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return Func(
        F(column), Value(f"{minutes:+d} minutes"), function="date", output_field=DateField()
    )


def _per_day(orders: QuerySet, column: str, start: datetime, now: datetime, **aggregates) -> dict:
    rows = (
        orders.filter(**{f"{column}__gte": start})
        .annotate(day=local_day(column, now))
        .order_by()
        .values("day")
        .annotate(**aggregates)
    )
    return {row["day"]: row for row in rows}


def daily_trend(user, now: datetime, days: int = TREND_DAYS) -> dict:
    """Per local day of the last DAYS (oldest first): complaint work orders opened, closed,
    deadlines missed that day (resolution deadline passed without a reply), and callback
    satisfaction (satisfied or basically satisfied among the callback verdicts of the orders
    closed that day, a dissatisfied one that reopened the order included: `callback_verdicts`;
    in %; None on a day without a verdict). Four grouped queries."""
    first = timezone.localdate(now) - timedelta(days=days - 1)
    start = _start(first)
    orders = WorkOrder.objects.restrict(user).filter(record_type=RecordType.COMPLAINT_WORK_ORDER)
    opened = _per_day(orders, "created", start, now, n=Count("pk"))
    # Only a closed order has closed_at (no transition leaves closed; the importer refuses
    # one on any other state), so no state condition: it would steer the planner to the
    # state index, which holds nearly every order.
    closed = _per_day(
        orders,
        "closed_at",
        start,
        now,
        n=Count("pk"),
        **callback_verdicts(),
    )
    # A suspended order's clock is paused (sla): its stored deadline will move, so it has
    # missed nothing yet.
    missed = _per_day(
        orders.filter(resolve_due__lt=now)
        .exclude(state=S.SUSPENDED)
        .filter(Q(replied_at__isnull=True) | Q(replied_at__gt=F("resolve_due"))),
        "resolve_due",
        start,
        now,
        n=Count("pk"),
    )
    axis = [first + timedelta(days=n) for n in range(days)]

    def n(table: dict, day: date, key: str = "n") -> int:
        return table.get(day, {}).get(key, 0)

    satisfaction = []
    for day in axis:
        judged = n(closed, day, "judged") + n(closed, day, "reopened")
        satisfaction.append(round(n(closed, day, "satisfied") * 100 / judged) if judged else None)
    return {
        "days": [day.isoformat() for day in axis],
        "opened": [n(opened, day) for day in axis],
        "closed": [n(closed, day) for day in axis],
        "overdue": [n(missed, day) for day in axis],
        "satisfaction": satisfaction,
    }


@dataclass
class Volume:
    """Complaint work orders opened in the last DAYS days and the days before them."""

    days: int
    first: date
    last: date
    opened: int
    before: int
    upgraded: int
    repeats: int
    judged: int
    satisfied: int

    @property
    def satisfaction(self) -> int | None:
        return round(self.satisfied * 100 / self.judged) if self.judged else None

    @property
    def change_percent(self) -> int | None:
        if not self.before:
            return None
        return round((self.opened - self.before) * 100 / self.before)


def volume(user, now: datetime, days: int = TREND_DAYS) -> Volume:
    """Complaint volume over the last DAYS days (the list's own counts for the opened,
    upgraded and repeat complaints) against the DAYS before, and callback satisfaction."""
    last = timezone.localdate(now)
    first = last - timedelta(days=days - 1)

    visible = WorkOrder.objects.restrict(user)
    period = {"created_from": first, "created_to": last}
    orders = visible.filter(record_type=RecordType.COMPLAINT_WORK_ORDER)
    before = orders.filter(
        created__gte=_start(first - timedelta(days=days)), created__lt=_start(first)
    ).count()
    verdicts = orders.filter(closed_at__gte=_start(first)).aggregate(  # closed (see above)
        **callback_verdicts()
    )
    callbacks = {
        "judged": verdicts["judged"] + verdicts["reopened"],
        "satisfied": verdicts["satisfied"],
    }
    return Volume(
        days=days,
        first=first,
        last=last,
        opened=listed(user, visible, now, **period),
        before=before,
        upgraded=listed(user, visible, now, upgraded=True, **period),
        repeats=listed(user, visible, now, repeat=True, **period),
        **callbacks,
    )
