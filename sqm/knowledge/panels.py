"""The problems a work order belongs to, on its page (complaints.order_panels)."""

from __future__ import annotations

from sqm.complaints.order_panels import OrderPanel, register_order_panel


def _problems(user, order) -> dict | None:
    if not user.has_perm("knowledge.view_problem"):
        return None
    from sqm.knowledge.models import Problem

    return {
        "problems": Problem.objects.restrict(user).filter(links__order=order),
        "can_open": user.has_perm("knowledge.add_problem"),
    }


def register() -> None:
    register_order_panel(OrderPanel("problems", "knowledge/_order_problems.html", _problems, 50))
