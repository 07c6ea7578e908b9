"""The front line's measures for the problem loop (issue 14 §5, docs/problems.md
"Handler measures"): each handler's four monthly measures from the operator's practice.

A handler is the person who closed the work order. Over the work orders they closed in the
month:
- handling timeliness (处理及时率): closed within the deadline (not flagged untimely);
- satisfaction (满意率): satisfied or basically satisfied, of those whose callback was rated;
- first-time resolution (一次解决率): never escalated to the second line;
- accuracy (准确率): not reopened afterwards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

SATISFIED = ("satisfied", "basically_satisfied")
RATED = (*SATISFIED, "dissatisfied")


@dataclass
class HandlerMeasures:
    handler: str
    closed: int
    timely: int
    rated: int
    satisfied: int
    first_time: int
    accurate: int

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def timeliness(self) -> float | None:
        return self._share(self.timely, self.closed)

    @property
    def satisfaction(self) -> float | None:
        return self._share(self.satisfied, self.rated)

    @property
    def first_time_resolution(self) -> float | None:
        return self._share(self.first_time, self.closed)

    @property
    def accuracy(self) -> float | None:
        return self._share(self.accurate, self.closed)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    first = month.replace(day=1)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    start = timezone.make_aware(dt.datetime.combine(first, dt.time()))
    return start, timezone.make_aware(dt.datetime.combine(after, dt.time()))


def handler_measures(user, month: dt.date, city=None) -> list[HandlerMeasures]:
    """Each handler's four measures over the work orders USER may see that they closed in
    MONTH (in CITY), the most work orders first."""
    from sqm.complaints.models import WorkOrder, WorkOrderEvent

    start, end = month_bounds(month)
    closes = (
        WorkOrderEvent.objects.filter(action="close", time__gte=start, time__lt=end)
        .filter(work_order__in=WorkOrder.objects.restrict(user))
        .exclude(user__isnull=True)
    )
    if city is not None:
        closes = closes.filter(work_order__city=city)
    closed = list(closes.values_list("work_order_id", "user__username", "time"))
    ids = {order_id for order_id, _u, _t in closed}
    escalated = set(
        WorkOrderEvent.objects.filter(work_order_id__in=ids, action="escalate").values_list(
            "work_order_id", flat=True
        )
    )
    reopens = {}
    for order_id, time in WorkOrderEvent.objects.filter(
        work_order_id__in=ids, action="reopen"
    ).values_list("work_order_id", "time"):
        reopens.setdefault(order_id, []).append(time)
    orders = {
        pk: (untimely, outcome)
        for pk, untimely, outcome in WorkOrder.objects.filter(pk__in=ids).values_list(
            "pk", "untimely", "callback_outcome"
        )
    }
    table: dict[str, HandlerMeasures] = {}
    for order_id, handler, time in closed:
        m = table.setdefault(handler, HandlerMeasures(handler, 0, 0, 0, 0, 0, 0))
        untimely, outcome = orders[order_id]
        m.closed += 1
        m.timely += not untimely
        m.rated += outcome in RATED
        m.satisfied += outcome in SATISFIED
        m.first_time += order_id not in escalated
        m.accurate += not any(t > time for t in reopens.get(order_id, ()))
    return sorted(table.values(), key=lambda m: (-m.closed, m.handler))
