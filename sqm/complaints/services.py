"""Complaint domain services: plain functions that the intake page, the API and the CLI share.

Triage (the entry rules and its decision table) lives in `sqm.complaints.triage`; it is
exposed here so callers depend on the services module only.
"""

from dataclasses import replace

from sqm.complaints.choices import RecordType
from sqm.complaints.triage import (
    Decision,
    Intake,
    IntakeBatch,
    IntakeInvalid,
    LineError,
    loads_intake,
    parse_intake,
    read_intakes,
    triage,
)

__all__ = [
    "Decision",
    "Intake",
    "IntakeBatch",
    "IntakeInvalid",
    "LineError",
    "loads_intake",
    "parse_intake",
    "read_intakes",
    "triage",
    "filing_categories",
    "routing_of",
]


def filing_categories():
    """The active third-level categories a work order is filed under, with their parents."""
    from sqm.complaints.models import Category

    return (
        Category.objects.filter(level=3, active=True, parent__active=True)
        .select_related("parent__parent", "parent__department")
        .order_by("code")
    )


def routing_of(category) -> tuple[str, object]:
    """(need area, responsible department) of a category: set on its second-level ancestor."""
    node = category
    while node is not None and node.level > 2:
        node = node.parent
    if node is None or node.level != 2:
        raise ValueError(f"{category} is above the second level: it has no routing")
    return node.need_area, node.department


def record_contact(
    user,
    *,
    customer,
    category,
    channel: str,
    description: str,
    intake: Intake,
    account=None,
    fault_event=None,
    reason: str | None = None,
):
    """Record one customer contact (每诉必录): triage it by the entry rules, then write it.

    A complaint work order enters the lifecycle with its SLA clock; a service request or a
    direct-answer complaint is written closed. Returns (record, decision).

    A complaint work order opened while an open outage covers the customer's account (the
    chosen one; any of theirs when none is chosen) is linked to that fault event as a batch
    complaint. FAULT_EVENT links the record to that fault instead, and REASON replaces the
    triage reason: a batch answer (`preprocessing.do_batch_answer`).
    """
    from sqm.complaints import preprocessing  # it records through this module
    from sqm.complaints.workorders import open_work_order

    decision = triage(intake)
    if reason:
        decision = replace(decision, reason=reason)
    fault_id = getattr(fault_event, "pk", None)
    if fault_id is None and decision.record_type == RecordType.COMPLAINT_WORK_ORDER:
        fault_id = preprocessing.covering_fault(customer, account)  # read before writing
    order = open_work_order(
        user,
        customer=customer,
        account=account,
        category=category,
        channel=channel,
        description=description,
        decision=decision,
        intake=intake,
        fault_event_id=fault_id,
    )
    return order, decision


__all__ += ["record_contact"]
