"""The complaint side's panel on a fault event's page: the batch cause (批量原因) recorded for
the event and the work orders linked to it — batch complaints under the cause and contacts
answered from the fault (批量答复). Registered in ComplaintsConfig.ready(); the network side
knows no complaints (docs/faults.md, "Panels of other apps")."""

from __future__ import annotations

from django.db.models import Q

from sqm.complaints.models import FAULT_REFERENCE, ComplaintCause, WorkOrder
from sqm.network.fault_panels import FaultPanel, register_fault_panel

LATEST = 10  # orders listed on the fault page; the rest are counted


def fault_reference(fault_id: int) -> str:
    """The external reference a batch cause carries for fault event FAULT_ID."""
    return f"{FAULT_REFERENCE}:{fault_id}"


def batch_complaints(user, fault) -> dict | None:
    """The batch causes of FAULT (and of the narrower events it absorbed) and the work
    orders linked to them or to FAULT; None when there are neither.

    Everyone who sees the fault sees the causes' titles and how many orders they brought
    (no personal data); the causes link to their page for users who may read causes, and
    the latest orders are listed for users who may read work orders, in their cities."""
    ids = [fault.pk, *fault.absorbed.values_list("pk", flat=True)]
    causes = list(
        ComplaintCause.objects.filter(reference__in=[fault_reference(pk) for pk in ids]).order_by(
            "-started_at", "-pk"
        )
    )
    linked = WorkOrder.objects.filter(Q(cause__in=causes) | Q(fault_event_id__in=ids))
    total = linked.count()
    if not causes and not total:
        return None
    can_view_orders = user.has_perm("complaints.view_workorder")
    latest = []
    if can_view_orders:
        visible = WorkOrder.objects.restrict(user).filter(
            Q(cause__in=causes) | Q(fault_event_id__in=ids)
        )
        latest = list(visible.order_by("-created", "-pk")[:LATEST])
    return {
        "causes": causes,
        "can_view_causes": user.has_perm("complaints.view_complaintcause"),
        "total": total,
        "under_cause": linked.filter(cause__in=causes).count() if causes else 0,
        "can_view_orders": can_view_orders,
        "latest": latest,
    }


BATCH_COMPLAINTS = FaultPanel(
    key="batch_complaints",
    template="complaints/_fault_panel.html",
    build=batch_complaints,
    order=10,
)


def register() -> None:
    register_fault_panel(BATCH_COMPLAINTS)
