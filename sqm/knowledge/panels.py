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


def _suggested(user, order) -> dict | None:
    """The articles that fit an open order, with their scripts for the reply."""
    from sqm.complaints.choices import WorkOrderState
    from sqm.knowledge import articles

    if not user.has_perm("knowledge.view_article") or order.state == WorkOrderState.CLOSED:
        return None
    suggested = articles.suggest(user, order.description, order.category)
    return {"suggested": suggested, "reply_target": "reply-text"} if suggested else None


def _attachment_texts(user, order) -> dict | None:
    """How the text of each attachment was read: waiting, read, or why not."""
    if not user.has_perm("complaints.view_workorderattachment"):
        return None
    from sqm.knowledge.models import AttachmentText

    rows = AttachmentText.objects.filter(attachment__work_order=order).select_related("attachment")
    rows = rows.order_by("attachment__uploaded_at", "pk")
    return {"texts": rows} if rows.exists() else None


def _intake_hint(request, text: str, category) -> str:
    from django.template.loader import render_to_string

    from sqm.knowledge import articles

    if not request.user.has_perm("knowledge.view_article"):
        return ""
    suggested = articles.suggest(request.user, text, category)
    if not suggested:
        return ""
    # At intake the agent reads the script to the caller: no reply field to put it in.
    return render_to_string("knowledge/_suggested_articles.html", {"suggested": suggested}, request)


def register() -> None:
    from sqm.complaints.hints import register_intake_hint

    register_intake_hint("articles", _intake_hint)
    register_order_panel(OrderPanel("problems", "knowledge/_order_problems.html", _problems, 50))
    register_order_panel(
        OrderPanel("articles", "knowledge/_suggested_articles.html", _suggested, 40)
    )
    register_order_panel(
        OrderPanel("attachment_texts", "knowledge/_attachment_texts.html", _attachment_texts, 90)
    )
