"""SLA clocks of work orders: which policy applies, and the deadlines it gives.

Deadlines are computed when the state changes and stored (indexed) on the work order:
opening sets the response and resolution deadlines and the warning point; suspension stops
the clock and resuming moves the deadlines on by the time spent suspended; replying sets the
callback deadline; closing records whether the order was closed in time. See docs/sla.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqm.complaints.models import Category, SlaPolicy, WorkOrder
from sqm.core.calendar import get_calendar


def _ancestors(category: Category) -> list[int]:
    ids, node = [], category
    while node is not None:
        ids.append(node.pk)
        node = node.parent
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
    candidates = [
        p
        for p in SlaPolicy.objects.filter(active=True).select_related("category")
        if (p.category_id is None or p.category_id in _ancestors(order.category))
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


def opening_deadlines(order: WorkOrder, start: datetime) -> dict:
    """Fields to set on a new work order: policy, response and resolution deadlines, warning."""
    policy = policy_for(order)
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
