"""Who is told what about a work order: the notifications a person must act on.

The lifecycle functions (workorders, records, sla) call one function here each; this module
decides who is told and writes the notification after the change commits (a rolled-back
change tells nobody). Notifications store the kind and the parameters (the order number, a
department's name, a deadline) and link to the order; the sentence is rendered when read, in
the reader's language (sqm.core.notifications). No personal data goes into them: no names,
no phone numbers. See docs/work-orders.md, "Notifications".

Kinds and who gets them:
- order_escalated: an order escalated or passed to a department — every active member of
  that department who may handle back-office orders in the order's city (not a shared pool
  entry: each of them sees the order in their queue and may take it on). When one takes it
  on, the others' unread notices for it are marked read.
- order_assigned: an order given to me by someone else (taking it myself tells nobody).
- order_customer_info: the customer of my open order contacted us again (a repeat work
  order was opened), or a file was added to my order by someone else.
- order_remediation: a dissatisfied callback reopened an order whose remediation I follow.
- callback_due: a callback (回访) is due within the callback warning time — for whoever
  started the callback, before that for the agent who recorded the order (首问负责), or the
  city's team leads when the recorder may not call back.
- sla_warning / sla_overdue: written by sla.check_deadlines.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sqm.complaints.choices import WorkOrderAction as A
from sqm.complaints.choices import WorkOrderState as S
from sqm.complaints.models import WorkOrder
from sqm.core import notifications
from sqm.core.notifications import Notice

ESCALATED = "order_escalated"
ASSIGNED = "order_assigned"
TAKEN_OVER = "order_taken_over"
CUSTOMER_INFO = "order_customer_info"
REMEDIATION = "order_remediation"
CALLBACK_DUE = "callback_due"
SLA_WARNING = "sla_warning"
SLA_OVERDUE = "sla_overdue"

BACK = ("complaints", "handle_back_office")
CALLBACK = ("complaints", "do_callback")
CALLBACK_CHECKPOINT = "complaints.callbacks"
FIRST_LOOK_BACK = timedelta(hours=24)


def order_link(order: WorkOrder) -> str:
    return reverse("complaints:order", args=[order.pk])


# --- the sentences (rendered in the reader's language) ----------------------------------


def _when(value: str) -> str:
    """A stored ISO time as local "YYYY-MM-DD HH:MM" (Asia/Shanghai)."""
    return timezone.localtime(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")


def _taken_over(p: dict) -> str:
    # Someone who takes the order on themself did not "give it to" anyone.
    if p["by"] == p["to"]:
        return _("Work order %(number)s was taken on by %(by)s; it is no longer yours.") % {
            "number": p["number"],
            "by": p["by"],
        }
    return _("Work order %(number)s is no longer yours: %(by)s gave it to %(to)s.") % {
        "number": p["number"],
        "by": p["by"],
        "to": p["to"],
    }


def _escalated(p: dict) -> str:
    if p.get("transfer"):
        text = _("Work order %(number)s was passed to your department %(department)s; take it on.")
    else:
        text = _(
            "Work order %(number)s was escalated to your department %(department)s; take it on."
        )
    return text % {"number": p["number"], "department": p["department"]}


def _customer_info(p: dict) -> str:
    if p.get("via") == "attachment":
        return _("A file was added to work order %(number)s.") % {"number": p["number"]}
    return _(
        "The customer of work order %(number)s contacted us again (new work order %(new)s)."
    ) % {"number": p["number"], "new": p["new"]}


RENDERERS = {
    ESCALATED: _escalated,
    ASSIGNED: lambda p: _("Work order %(number)s was assigned to you.") % {"number": p["number"]},
    TAKEN_OVER: lambda p: _taken_over(p),
    CUSTOMER_INFO: _customer_info,
    REMEDIATION: lambda p: (
        _(
            "Work order %(number)s was reopened after a dissatisfied callback; "
            "you follow up the service remediation."
        )
        % {"number": p["number"]}
    ),
    CALLBACK_DUE: lambda p: (
        _("Call the customer of work order %(number)s back by %(due)s.")
        % {"number": p["number"], "due": _when(p["due"])}
    ),
    SLA_WARNING: lambda p: (
        _("Work order %(number)s reaches its warning point; resolve by %(due)s.")
        % {"number": p["number"], "due": _when(p["due"])}
    ),
    SLA_OVERDUE: lambda p: (
        _("Work order %(number)s is past its deadline (%(due)s).")
        % {"number": p["number"], "due": _when(p["due"])}
    ),
}


def register() -> None:
    """Give core the sentences of these kinds (AppConfig.ready)."""
    for kind, renderer in RENDERERS.items():
        notifications.register(kind, renderer)


# --- who may act --------------------------------------------------------------------------


def _permitted(users, perm: tuple[str, str], city_id: int):
    """USERS (a queryset) narrowed to active holders of PERM who work in CITY_ID."""
    permission = Permission.objects.filter(content_type__app_label=perm[0], codename=perm[1])
    return (
        users.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=permission)
            | Q(user_permissions__in=permission)
        )
        .filter(Q(all_cities=True) | Q(cities=city_id))
        .distinct()
    )


def department_handlers(order: WorkOrder) -> list:
    """The members of ORDER's department who may take it on in its city."""
    if order.department_id is None:
        return []
    users = get_user_model().objects.filter(departments=order.department_id)
    return list(_permitted(users, BACK, order.city_id))


def holders(order: WorkOrder) -> list:
    """Who has ORDER on their desk: its assignee, else its department's handlers (while it
    waits in their pool), else whoever recorded it."""
    if order.assignee_id is not None:
        return [order.assignee] if order.assignee.is_active else []
    if order.department_id is not None and order.state == S.ESCALATED:
        return department_handlers(order)
    return [order.created_by] if order.created_by and order.created_by.is_active else []


def _tell(people, kind: str, order: WorkOrder, actor=None, **params) -> None:
    """Tell PEOPLE (except the one who acted) about ORDER."""
    others = [p for p in people if p is not None and (actor is None or p.pk != actor.pk)]
    notifications.notify(others, kind, order_link(order), {"number": order.number, **params})


# --- what the lifecycle calls (each writes after its transaction commits) ---------------


def _after_commit(job) -> None:
    # robust: a notice that cannot be written is logged, never turns a committed change
    # into an error page.
    transaction.on_commit(job, robust=True)


def after_transition(actor, order: WorkOrder, action: str, before: dict) -> None:
    """ORDER (as it is now) went through ACTION by ACTOR; BEFORE is its snapshot before."""
    _after_commit(partial(_transition, actor, order.pk, action, before))


def _transition(
    actor, order_pk: int, action: str, before: dict, *, took_over: bool = False
) -> None:
    order = WorkOrder.objects.select_related("assignee", "department").get(pk=order_pk)
    link = order_link(order)
    if action in (A.ESCALATE, A.TRANSFER) and order.department_id is not None:
        _tell(
            department_handlers(order),
            ESCALATED,
            order,
            actor,
            department=order.department.name,
            transfer=action == A.TRANSFER,
        )
    taken = order.assignee_id is not None and order.assignee_id != before.get("assignee")
    if taken and order.assignee_id != actor.pk:
        _tell([order.assignee], ASSIGNED, order, actor)
    previous = get_user_model().objects.filter(pk=before.get("assignee"))
    if taken and took_over:
        # Whoever was handling it learns it left their desk, and by whom (staff user names).
        earlier = previous.filter(is_active=True)
        _tell(earlier, TAKEN_OVER, order, actor, by=actor.username, to=order.assignee.username)
    if taken and before.get("assignee") is not None:
        notifications.mark_read(ASSIGNED, link, previous)
    if taken and before.get("state") == S.ESCALATED:
        # Taken on from the pool: nobody else in the department need act on it any more.
        notifications.mark_read(ESCALATED, link)
    if action == A.REOPEN and order.remediation_owner_id is not None:
        _tell([order.remediation_owner], REMEDIATION, order, actor)
    if action == A.CLOSE:
        notifications.mark_read(CALLBACK_DUE, link)


def after_assignment(
    actor, order: WorkOrder, previous_assignee_id: int | None, *, took_over: bool = False
) -> None:
    """ORDER was given to someone by ACTOR (take, assign, bulk assignment); TOOK_OVER when it
    left a colleague who was handling it, who is then told."""
    before = {"assignee": previous_assignee_id, "state": order.state}
    _after_commit(partial(_transition, actor, order.pk, "assign", before, took_over=took_over))


def after_opening(actor, order: WorkOrder) -> None:
    """ORDER was just recorded; when it repeats an open order, that order's holders learn
    that its customer came back."""
    if order.repeat_of_id is not None:
        _after_commit(partial(_repeat_contact, actor, order.pk))


def _repeat_contact(actor, order_pk: int) -> None:
    new = WorkOrder.objects.only("number", "repeat_of").get(pk=order_pk)
    earlier = WorkOrder.objects.select_related("assignee", "created_by").get(pk=new.repeat_of_id)
    if earlier.state != S.CLOSED:
        _tell(holders(earlier), CUSTOMER_INFO, earlier, actor, via="contact", new=new.number)


def after_attachment(actor, order: WorkOrder) -> None:
    """A file was attached to ORDER by ACTOR: its holders learn there is more to read."""
    _after_commit(partial(_attachment, actor, order.pk))


def _attachment(actor, order_pk: int) -> None:
    order = WorkOrder.objects.select_related("assignee", "created_by").get(pk=order_pk)
    if order.state != S.CLOSED:
        _tell(holders(order), CUSTOMER_INFO, order, actor, via="attachment")


# --- deadlines (periodic) -----------------------------------------------------------------


def deadline_notices(order: WorkOrder, kind: str, people) -> list[Notice]:
    """The SLA notices (kind "warning" or "overdue") for PEOPLE about ORDER."""
    params = {"number": order.number, "due": order.resolve_due.isoformat()}
    link = order_link(order)
    return [Notice(p.pk, f"sla_{kind}", link, params) for p in people if p is not None]


def callback_callers(order: WorkOrder, leads: dict) -> list:
    """Who calls ORDER's customer back: whoever started the callback; before that the
    recorder (first responsibility), if they may still call back in its city; else the
    city's team leads."""
    if order.state == S.AWAITING_CALLBACK and order.assignee_id is not None:
        return [order.assignee]
    users = get_user_model().objects
    recorder = _permitted(users.filter(pk=order.created_by_id), CALLBACK, order.city_id)
    if recorder.exists():
        return list(recorder)
    if order.city_id not in leads:
        team_leads = users.filter(groups__name="team_lead")
        leads[order.city_id] = list(_permitted(team_leads, CALLBACK, order.city_id))
    return leads[order.city_id]


def check_callbacks(now: datetime | None = None, warning: timedelta | None = None) -> int:
    """Tell the callers of orders whose callback comes due within WARNING (the callback
    warning time) since the last run. Returns how many orders.

    A range on the indexed `callback_due`, bounded by the previous run: the orders that
    entered the warning window, plus those replied since the last run whose window had
    already begun (a callback limit shorter than the warning time).
    """
    from sqm.complaints.sla import CALLBACK_STATES
    from sqm.core.models import JobCheckpoint

    if warning is None:
        from sqm.complaints.sla import CALLBACK_WARNING as warning
    now = now or timezone.now()
    with transaction.atomic():
        checkpoint, _created = JobCheckpoint.objects.select_for_update().get_or_create(
            name=CALLBACK_CHECKPOINT, defaults={"until": now - FIRST_LOOK_BACK}
        )
        since = checkpoint.until
        entered = Q(callback_due__gt=since + warning, callback_due__lte=now + warning)
        late = Q(callback_due__gt=since, callback_due__lte=since + warning, replied_at__gt=since)
        due = WorkOrder.objects.filter(entered | late, state__in=CALLBACK_STATES).select_related(
            "assignee"
        )
        leads: dict = {}
        notes = []
        count = 0
        for order in due:
            count += 1
            params = {"number": order.number, "due": order.callback_due.isoformat()}
            link = order_link(order)
            notes += [
                Notice(p.pk, CALLBACK_DUE, link, params) for p in callback_callers(order, leads)
            ]
        notifications.write(notes)
        checkpoint.until = now
        checkpoint.save(update_fields=["until"])
    return count
