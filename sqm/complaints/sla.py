"""SLA clocks of work orders: which policy applies, and the deadlines it gives.

Deadlines are computed when the state changes and stored (indexed) on the work order:
opening sets the response and resolution deadlines and the warning point; suspension stops
the clock and resuming moves the deadlines on by the time spent suspended; replying sets the
callback deadline; closing records whether the order was closed in time. See docs/sla.md.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Case, IntegerField, Q, Value, When

from sqm.complaints.choices import WorkOrderState as S
from sqm.complaints.models import Category, SlaPolicy, WorkOrder
from sqm.core.calendar import get_calendar

# --- where an order stands against its clock (one definition for every count and list) --
#
# The resolution clock runs while the order is being handled; once replied, the callback
# clock runs. A suspended order's clock is paused (resuming moves its deadlines on by the
# time spent suspended), so a suspended order is never overdue nor near its deadline, even
# when its stored `resolve_due` has passed: it is "paused". Closed orders are "done".
# `status` (one order in Python) and the Q objects below (SQL) say the same; the overview,
# the lists' `?sla=` filter, the API and the home panels all use them (docs/sla.md).

RUNNING_STATES = (S.NEW, S.IN_PROGRESS, S.ESCALATED, S.REOPENED)
CALLBACK_STATES = (S.REPLIED, S.AWAITING_CALLBACK)
# A callback turns amber this long before it is due (the resolution clock has warn_at).
CALLBACK_WARNING = timedelta(hours=4)
STATUSES = ("overdue", "warning", "ontime", "paused", "done")


def overdue_q(now: datetime) -> Q:
    """Orders past the deadline of the clock that runs in their state."""
    return Q(state__in=RUNNING_STATES, resolve_due__lt=now) | Q(
        state__in=CALLBACK_STATES, callback_due__lt=now
    )


def warning_q(now: datetime) -> Q:
    """Orders past their warning point (or within CALLBACK_WARNING of a callback deadline)
    and not yet overdue."""
    return Q(state__in=RUNNING_STATES, warn_at__lte=now, resolve_due__gte=now) | Q(
        state__in=CALLBACK_STATES,
        callback_due__gte=now,
        callback_due__lt=now + CALLBACK_WARNING,
    )


def ontime_q(now: datetime) -> Q:
    """Orders with a running clock that is neither overdue nor near its deadline."""
    resolving = Q(state__in=RUNNING_STATES, resolve_due__gte=now) & (
        Q(warn_at__isnull=True) | Q(warn_at__gt=now)
    )
    calling = Q(state__in=CALLBACK_STATES, callback_due__gte=now + CALLBACK_WARNING)
    return resolving | calling


def status_q(status: str, now: datetime) -> Q:
    """The filter of one of STATUSES (what `status` returns for each matching order)."""
    if status == "overdue":
        return overdue_q(now)
    if status == "warning":
        return warning_q(now)
    if status == "ontime":
        return ontime_q(now)
    if status == "paused":
        return Q(state=S.SUSPENDED)
    if status == "done":
        return Q(state=S.CLOSED)
    raise ValueError(status)


def status_rank(now: datetime) -> Case:
    """An SQL expression ordering orders by urgency: overdue, near deadline, on time,
    paused, without a clock, done (for sorting a list by its SLA column)."""
    return Case(
        When(overdue_q(now), then=Value(0)),
        When(warning_q(now), then=Value(1)),
        When(ontime_q(now), then=Value(2)),
        When(state=S.SUSPENDED, then=Value(3)),
        When(state=S.CLOSED, then=Value(5)),
        default=Value(4),
        output_field=IntegerField(),
    )


def status(order: WorkOrder, now: datetime) -> str:
    """One of STATUSES for ORDER, or '' when no clock runs (no policy matched)."""
    if order.state == S.CLOSED:
        return "done"
    if order.state == S.SUSPENDED:
        return "paused"
    if order.state in CALLBACK_STATES:
        due = order.callback_due
        if due is None:
            return ""
        if due < now:
            return "overdue"
        return "warning" if due < now + CALLBACK_WARNING else "ontime"
    if order.resolve_due is None:
        return ""
    if order.resolve_due < now:
        return "overdue"
    if order.warn_at is not None and order.warn_at <= now:
        return "warning"
    return "ontime"


def missed_deadline(order: WorkOrder, now: datetime) -> bool:
    """Whether ORDER has missed its resolution deadline: a fact of its history (asked a
    reason for the breach), not where its clock stands now (`status`).

    Closed: the verdict recorded at closing. Replied: the reply came after the deadline.
    Suspended: the deadline had passed before the order was suspended (its clock is paused,
    so a stored deadline that passed later is no breach; `status` says "paused").
    Being handled: the deadline has passed, which is `status` "overdue"."""
    if order.state == S.CLOSED:
        return bool(order.untimely)
    if order.resolve_due is None:
        return False
    if order.state == S.SUSPENDED:
        return order.suspended_at is not None and order.suspended_at > order.resolve_due
    if order.state in CALLBACK_STATES:
        return order.replied_at is not None and order.replied_at > order.resolve_due
    return order.resolve_due < now


# Policies and the category tree change rarely but are read on every intake: keep them per
# process for a short while (a policy edit reaches every worker within POLICY_CACHE_SECONDS;
# in the editing process at once, through the signal below).
POLICY_CACHE_SECONDS = 30.0
_cache: dict = {}


def forget_policies(**kwargs) -> None:
    _cache.clear()


def _policies() -> tuple[list[SlaPolicy], dict[int, int | None]]:
    now = time.monotonic()
    if _cache.get("until", 0.0) < now:
        _cache["policies"] = list(SlaPolicy.objects.filter(active=True).select_related("category"))
        _cache["parents"] = dict(Category.objects.values_list("pk", "parent_id"))
        _cache["until"] = now + POLICY_CACHE_SECONDS
    return _cache["policies"], _cache["parents"]


def category_parents() -> dict[int, int | None]:
    """Category id → parent id, from the same short-lived cache as the policies."""
    return _policies()[1]


def _ancestors(category_id: int, parents: dict[int, int | None]) -> list[int]:
    ids, node = [], category_id
    while node is not None:
        ids.append(node)
        node = parents.get(node)
    return ids


def _specificity(policy: SlaPolicy) -> tuple:
    # Upgraded complaints first (they get the highest-priority SLA), then the deepest
    # category, then a tier; among equals the strictest resolution limit.
    depth = policy.category.level if policy.category_id else 0
    return (
        policy.upgraded is not None,
        depth,
        bool(policy.tier),
        -policy.resolution_hours,
    )


def policy_for(order: WorkOrder) -> SlaPolicy | None:
    """The most specific active policy matching ORDER's category, customer tier, upgrade."""
    policies, parents = _policies()
    if order.category_id not in parents:  # a category newer than the cache
        forget_policies()
        policies, parents = _policies()
    ancestors = _ancestors(order.category_id, parents)
    candidates = [
        p
        for p in policies
        if (p.category_id is None or p.category_id in ancestors)
        and (not p.tier or p.tier == order.customer.tier)
        and (p.upgraded is None or p.upgraded == order.upgraded)
    ]
    return max(candidates, key=_specificity, default=None)


def _hours(value: Decimal) -> timedelta:
    return timedelta(hours=float(value))


def add(policy: SlaPolicy, start: datetime, hours: Decimal) -> datetime:
    """START plus HOURS in the policy's kind of time."""
    if policy.working_time:
        return get_calendar().add_working_time(start, _hours(hours))
    return start + _hours(hours)


def elapsed(policy: SlaPolicy, start: datetime, end: datetime) -> timedelta:
    """The time between START and END that the policy's clock counts."""
    if policy.working_time:
        return get_calendar().working_time_between(start, end)
    return end - start


def shift(policy: SlaPolicy, moment: datetime | None, by: timedelta) -> datetime | None:
    if moment is None:
        return None
    if policy.working_time:
        return get_calendar().add_working_time(moment, by)
    return moment + by


def opening_deadlines(order: WorkOrder, start: datetime, policy: SlaPolicy | None = None) -> dict:
    """Fields to set on a new work order: policy, response and resolution deadlines, warning.

    POLICY: the policy already chosen (`policy_for`), to keep the choice out of a transaction.
    """
    policy = policy or policy_for(order)
    if policy is None:
        return {}
    return {
        "policy": policy,
        "response_due": add(policy, start, policy.response_hours),
        "resolve_due": add(policy, start, policy.resolution_hours),
        "warn_at": add(policy, start, policy.resolution_hours * policy.warning_ratio),
    }


def resumed_deadlines(order: WorkOrder, now: datetime) -> dict:
    """Deadlines moved on by the (working) time the order spent suspended."""
    if order.policy is None or order.suspended_at is None:
        return {"suspended_at": None}
    paused = elapsed(order.policy, order.suspended_at, now)
    return {
        "suspended_at": None,
        "response_due": shift(order.policy, order.response_due, paused),
        "resolve_due": shift(order.policy, order.resolve_due, paused),
        "warn_at": shift(order.policy, order.warn_at, paused),
    }


def callback_deadline(order: WorkOrder, replied_at: datetime) -> dict:
    if order.policy is None:
        return {}
    return {"callback_due": add(order.policy, replied_at, order.policy.callback_hours)}


def closing_verdict(order: WorkOrder, closed_at: datetime) -> dict:
    """Whether the order was resolved in time (None when it had no deadline)."""
    if order.resolve_due is None:
        return {"untimely": None}
    done = order.replied_at or closed_at
    return {"untimely": done > order.resolve_due}


# --- the periodic check ------------------------------------------------------------------

CHECKPOINT = "complaints.sla"
FIRST_LOOK_BACK = timedelta(hours=24)


def _recipients(order: WorkOrder, leads_by_city: dict) -> list:
    """Whoever holds the order — its assignee, else the members of the department whose pool
    it waits in, else whoever recorded it — and the team leads of the order's city."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    if order.city_id not in leads_by_city:
        leads_by_city[order.city_id] = list(
            get_user_model()
            .objects.filter(groups__name="team_lead", is_active=True)
            .filter(Q(all_cities=True) | Q(cities=order.city_id))
            .distinct()
        )
    if order.assignee is not None:
        holders = [order.assignee]
    elif order.department_id is not None:
        # Unclaimed in a department's pool: its members answer for it.
        key = ("department", order.department_id)
        if key not in leads_by_city:
            leads_by_city[key] = list(order.department.members.filter(is_active=True))
        holders = leads_by_city[key] or [order.created_by]
    else:
        holders = [order.created_by]
    people = [*holders, *leads_by_city[order.city_id]]
    seen, unique = set(), []
    for person in people:
        if person is not None and person.pk not in seen:
            seen.add(person.pk)
            unique.append(person)
    return unique


def check_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Notify about work orders whose warning point or deadline passed since the last run.

    Two range queries on the indexed `warn_at` and `resolve_due` columns, bounded by the
    previous run's time: the cost follows the orders that just crossed a line, not the
    number of open orders. Suspended, replied and closed orders are left alone.
    """
    from django.db import transaction
    from django.utils import timezone

    from sqm.complaints import notices
    from sqm.complaints.choices import WorkOrderState as S
    from sqm.core import notifications
    from sqm.core.models import JobCheckpoint

    now = now or timezone.now()
    running = (S.NEW, S.IN_PROGRESS, S.ESCALATED, S.REOPENED)
    counts = {"warning": 0, "overdue": 0}
    with transaction.atomic():
        checkpoint, _created = JobCheckpoint.objects.select_for_update().get_or_create(
            name=CHECKPOINT, defaults={"until": now - FIRST_LOOK_BACK}
        )
        since = checkpoint.until
        leads: dict = {}
        notes = []
        for kind, column in (("warning", "warn_at"), ("overdue", "resolve_due")):
            crossed = WorkOrder.objects.filter(
                **{f"{column}__gt": since, f"{column}__lte": now}, state__in=running
            ).select_related("assignee", "created_by", "department")
            for order in crossed:
                counts[kind] += 1
                # Kind and parameters only: the sentence is rendered in the reader's language.
                notes += notices.deadline_notices(order, kind, _recipients(order, leads))
        notifications.write(notes)
        checkpoint.until = now
        checkpoint.save(update_fields=["until"])
    return counts
