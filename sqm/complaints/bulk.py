"""Acting on a selection of work orders (the lists' row selection, docs/work-orders.md).

Each order goes through the same service function as the single action on its page
(`workorders.do_assign`, `workorders.do_transition`), so the same checks apply — city,
role, state, department — each as its own guarded update with its timeline step and
change-log entry. One refused order does not stop the others; the outcome says which were
done and which were refused and why. Ids of orders outside the user's cities are counted,
never acted on and never named (their numbers are not the user's to see).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet

from sqm.complaints import workorders
from sqm.complaints.choices import WorkOrderAction as A
from sqm.complaints.models import Department, WorkOrder
from sqm.core.inputs import parse_id

# A page shows 50 rows; a selection larger than a few pages is a script, not a person.
MAX_SELECTION = 200


@dataclass
class Outcome:
    done: list[str] = field(default_factory=list)  # numbers of the orders acted on
    refused: list[tuple[str, str]] = field(default_factory=list)  # (number, why)
    hidden: int = 0  # selected ids the user may not see


def parse_ids(values: list[str]) -> list[int]:
    """The distinct valid ids among VALUES, in their order (junk is dropped)."""
    ids: list[int] = []
    for value in values:
        pk = parse_id(value)
        if pk is not None and pk not in ids:
            ids.append(pk)
    return ids


def visible(user, ids: list[int]) -> QuerySet:
    """The selected orders USER may see."""
    return WorkOrder.objects.restrict(user).filter(pk__in=ids)


def _each(user, ids: list[int], act: Callable[[WorkOrder], object]) -> Outcome:
    orders = {
        order.pk: order
        for order in visible(user, ids).select_related("department", "assignee", "city")
    }
    outcome = Outcome(hidden=len([pk for pk in ids if pk not in orders]))
    for pk in ids:
        order = orders.get(pk)
        if order is None:
            continue
        try:
            act(order)
        except (PermissionDenied, ValidationError, workorders.TransitionConflict) as exc:
            reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            outcome.refused.append((order.number, reason))
        else:
            outcome.done.append(order.number)
    return outcome


def assign(user, ids: list[int], assignee, note: str = "") -> Outcome:
    """Give the selected orders to ASSIGNEE (`workorders.do_assign` for each)."""
    return _each(user, ids, lambda order: workorders.do_assign(user, order, assignee, note))


def escalate(user, ids: list[int], department: Department, note: str) -> Outcome:
    """Escalate the selected orders to DEPARTMENT with NOTE as the reason
    (`workorders.do_transition` for each)."""
    return _each(
        user,
        ids,
        lambda order: workorders.do_transition(user, order, A.ESCALATE, note, department),
    )
