"""The work-order lifecycle: opening, and every state change as a guarded update.

`do_transition` is the only way a work order changes state. It checks the action against
the transition table (docs/work-orders.md), the user's permission and city, then runs
`UPDATE … WHERE id = … AND state = <as seen> AND version = <as seen>` (the version goes up with
every change, so even changes that keep the state are guarded): of two people acting on the
same work order at once exactly one wins, the other gets TransitionConflict. Each change
writes a timeline event and a change-log entry in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sqm.complaints import notices, sla
from sqm.complaints.choices import (
    UPGRADED_CHANNELS,
    CallbackOutcome,
    Channel,
    DepartmentKind,
    RecordType,
    WorkOrderAction,
    WorkOrderState,
)
from sqm.complaints.models import Category, Department, WorkOrder, WorkOrderEvent
from sqm.core import changelog, context

S = WorkOrderState
A = WorkOrderAction
FRONT = "complaints.handle_front_line"
BACK = "complaints.handle_back_office"
CALLBACK = "complaints.do_callback"
HANDLING = (S.IN_PROGRESS, S.ESCALATED, S.REOPENED)


class TransitionConflict(Exception):
    """Someone else changed the work order first; reload it and decide again."""


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str | None  # None: back to the state before suspension
    needs_note: bool = False
    needs_department: bool = False


# The transition table. There is deliberately no way from "escalated" back to the front
# line: under first-responsibility (首问负责) the department that received it keeps it.
TRANSITIONS: dict[str, Transition] = {
    A.ACCEPT: Transition((S.NEW,), S.IN_PROGRESS),
    A.ESCALATE: Transition((S.IN_PROGRESS, S.REOPENED), S.ESCALATED, True, True),
    A.TRANSFER: Transition((S.ESCALATED,), S.ESCALATED, True, True),
    A.CLAIM: Transition((S.ESCALATED,), S.ESCALATED),
    A.SUSPEND: Transition(HANDLING, S.SUSPENDED, needs_note=True),
    A.RESUME: Transition((S.SUSPENDED,), None),
    A.REPLY: Transition(HANDLING, S.REPLIED, needs_note=True),
    A.START_CALLBACK: Transition((S.REPLIED,), S.AWAITING_CALLBACK),
    A.CLOSE: Transition((S.AWAITING_CALLBACK,), S.CLOSED),
    A.REOPEN: Transition((S.AWAITING_CALLBACK,), S.REOPENED, needs_note=True),
    A.CALLBACK_ATTEMPT: Transition((S.AWAITING_CALLBACK,), S.AWAITING_CALLBACK),
}


def required_permission(action: str, order: WorkOrder) -> str:
    """Front line acts while the order is theirs; once escalated the back office acts."""
    if action in (A.START_CALLBACK, A.CLOSE, A.REOPEN, A.CALLBACK_ATTEMPT):
        return CALLBACK
    if action in (A.TRANSFER, A.CLAIM):
        return BACK
    if action in (A.ACCEPT, A.ESCALATE):
        return FRONT
    state = order.state_before_suspension if order.state == S.SUSPENDED else order.state
    return BACK if state == S.ESCALATED else FRONT


def in_cities(user, city_id: int) -> bool:
    """Whether CITY_ID is one of USER's cities (no query after the first: intake checks this
    on every contact)."""
    if user.is_superuser or getattr(user, "all_cities", False):
        return True
    return city_id in user.city_ids()


def open_work_order(
    user,
    *,
    customer,
    category: Category,
    channel: str,
    description: str,
    account=None,
    record_type: str = RecordType.COMPLAINT_WORK_ORDER,
    decision=None,
    intake=None,
    fault_event_id: int | None = None,
) -> WorkOrder:
    """Record a new work order for CUSTOMER filed under a third-level CATEGORY.

    DECISION and INTAKE (from triage) are kept on the record, and the FAULT_EVENT_ID it is
    about (a batch answer or a batch complaint, docs/faults.md). A record that is not a
    complaint work order (a service request, a direct-answer complaint) is written closed:
    每诉必录 — every contact is recorded — but only work orders enter the lifecycle.
    """
    if not user.has_perm("complaints.add_workorder"):
        raise PermissionDenied(_("You may not record work orders."))
    if not (user.has_perm("customers.view_customer") and in_cities(user, customer.city_id)):
        raise PermissionDenied(_("This customer is outside your cities."))
    if channel not in Channel.values:
        raise ValidationError(_("Unknown channel %(channel)s.") % {"channel": channel})
    if category.level != 3 or not category.active:
        raise ValidationError(_("File the work order under an active third-level category."))
    if account is not None and account.customer_id != customer.pk:
        raise ValidationError(_("The account belongs to another customer."))
    if decision is not None:
        record_type = decision.record_type
    dispatched = record_type == RecordType.COMPLAINT_WORK_ORDER
    facts = {}
    if intake is not None:
        facts = {"topic": intake.topic.value, "demands": sorted(d.value for d in intake.demands)}
    if decision is not None:
        facts["order_kind"] = decision.order.value if decision.order else ""
        facts["triage_reason"] = decision.reason
    # Everything that only reads is decided before the transaction: on SQLite the write
    # lock is held from the first write to the commit, so it must be short.
    order = WorkOrder(
        **facts,
        state=S.NEW if dispatched else S.CLOSED,
        assignee=user if dispatched and user.has_perm(FRONT) else None,
        repeat_of_id=previous_complaint(customer, category) if dispatched else None,
        number=f"TMP-{uuid.uuid4().hex[:20]}",
        customer=customer,
        account=account,
        city_id=customer.city_id,
        channel=channel,
        upgraded=channel in UPGRADED_CHANNELS,
        category=category,
        description=description,
        record_type=record_type,
        fault_event_id=fault_event_id,
        created_by=user,
    )
    policy = sla.policy_for(order) if dispatched else None
    order._log_later = True
    with transaction.atomic(), context.acting_as(user):
        order.save(force_insert=True)
        # The number shows the local day and the row id: unique without a counter table.
        order.number = f"TS{timezone.localdate():%Y%m%d}{order.pk:08d}"
        clock = sla.opening_deadlines(order, order.created, policy) if dispatched else {}
        if not dispatched:
            clock = {"closed_at": order.created}
        for name, value in clock.items():
            setattr(order, name, value)
        WorkOrder.objects.filter(pk=order.pk).update(number=order.number, **clock)
        order._log_later = False
        changelog.record_bulk([order], "create")
        WorkOrderEvent.objects.create(
            work_order=order, user=user, action=A.OPEN, to_state=S.NEW, note=description[:200]
        )
        if not dispatched:
            WorkOrderEvent.objects.create(
                work_order=order,
                user=user,
                action=A.CLOSE,
                from_state=S.NEW,
                to_state=S.CLOSED,
                note=facts.get("triage_reason", ""),
            )
        notices.after_opening(user, order)
    return order


def previous_complaint(customer, category: Category) -> int | None:
    """The id of the order this one repeats (重复投诉): the same customer's latest order in
    the same second-level category that is still open or closed within SQM_REPEAT_DAYS."""
    since = timezone.now() - timedelta(days=settings.SQM_REPEAT_DAYS)
    parents = sla.category_parents()
    if category.pk not in parents:  # a category newer than the cache
        sla.forget_policies()
        parents = sla.category_parents()
    # The sibling categories from the cached tree: no join in an every-intake query.
    siblings = [pk for pk, parent in parents.items() if parent == category.parent_id]
    return (
        WorkOrder.objects.filter(customer_id=customer.pk, category_id__in=siblings)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=since))
        .order_by("-created")
        .values_list("pk", flat=True)
        .first()
    )


def _guarded_update(order: WorkOrder, **changes) -> None:
    """Write CHANGES to ORDER only if it is still in the state and version USER saw
    (`UPDATE … WHERE state=old AND version=old`), bumping the version; TransitionConflict
    when someone changed it first."""
    won = WorkOrder.objects.filter(pk=order.pk, state=order.state, version=order.version).update(
        **changes, version=F("version") + 1, last_updated=timezone.now()
    )
    if not won:
        raise TransitionConflict(
            _("Work order %(number)s was changed by someone else; reload it.")
            % {"number": order.number}
        )


def do_transition(
    user,
    order: WorkOrder,
    action: str,
    note: str = "",
    department: Department | None = None,
    *,
    also: dict | None = None,
) -> WorkOrder:
    """Apply ACTION to ORDER (as USER saw it). Returns the work order as it is now.

    ALSO: further fields written by the same guarded update (callback outcome, …).
    """
    step = TRANSITIONS.get(action)
    if step is None:
        raise ValidationError(_("Unknown action %(action)s.") % {"action": action})
    if not WorkOrder.objects.restrict(user).filter(pk=order.pk).exists():
        raise PermissionDenied(_("This work order is outside your cities."))
    if not user.has_perm(required_permission(action, order)):
        raise PermissionDenied(_("Your role may not do this now."))
    if order.state not in step.sources:
        raise ValidationError(
            _("A work order that is %(state)s cannot be %(action)s.")
            % {"state": order.get_state_display(), "action": WorkOrderAction(action).label}
        )
    note = (note or "").strip()
    if step.needs_note and not note:
        raise ValidationError(_("Say why (or what was replied)."))
    changes = {**_changes(user, order, action, step, note, department), **(also or {})}
    with transaction.atomic(), context.acting_as(user):
        before = changelog.snapshot(order)
        _guarded_update(order, **changes)
        WorkOrderEvent.objects.create(
            work_order=order,
            user=user,
            action=action,
            from_state=order.state,
            to_state=changes["state"],
            department=department,
            note=note,
        )
        order.refresh_from_db()
        changelog.record_bulk([order], "update", {order.pk: before})
        notices.after_transition(user, order, action, before)
    return order


def _changes(
    user,
    order: WorkOrder,
    action: str,
    step: Transition,
    note: str,
    department: Department | None,
) -> dict:
    changes: dict = {"state": step.target}
    if action in (A.ACCEPT, A.CLAIM, A.START_CALLBACK):
        changes["assignee"] = user
    elif action in (A.ESCALATE, A.TRANSFER):
        changes["assignee"] = None  # into the receiving department's pool
    if step.needs_department:
        if department is None or department.kind == DepartmentKind.FRONT_LINE:
            raise ValidationError(_("Escalate to a second-line group or a responsible department."))
        changes["department"] = department
        # The first back-office department that receives it owns it until closure.
        if order.first_responsible_id is None and department.kind == DepartmentKind.BACK_OFFICE:
            changes["first_responsible"] = department
    now = timezone.now()
    if action == A.SUSPEND:
        changes.update(state_before_suspension=order.state, suspended_at=now)
    elif action == A.RESUME:
        changes["state"] = order.state_before_suspension
        changes["state_before_suspension"] = ""
        changes.update(sla.resumed_deadlines(order, now))
    elif action == A.REPLY:
        changes.update(reply=note, replied_at=now, **sla.callback_deadline(order, now))
    elif action == A.CLOSE:
        changes["closed_at"] = now
        changes.update(sla.closing_verdict(order, now))
    return changes


def record_callback(
    user, order: WorkOrder, outcome: str, note: str = "", remediation_owner=None
) -> WorkOrder:
    """Record the result of calling the customer back (回访).

    Satisfied or basically satisfied closes the order. Dissatisfied reopens it for service
    remediation (服务补救) with a follow-up owner. Unreachable counts an attempt; after
    SQM_CALLBACK_MAX_ATTEMPTS the order closes as unreachable.
    """
    if outcome not in CallbackOutcome.values:
        raise ValidationError(_("Unknown callback outcome %(outcome)s.") % {"outcome": outcome})
    if outcome in (CallbackOutcome.SATISFIED, CallbackOutcome.BASICALLY_SATISFIED):
        return do_transition(user, order, A.CLOSE, note, also={"callback_outcome": outcome})
    if outcome == CallbackOutcome.DISSATISFIED:
        if remediation_owner is None:
            raise ValidationError(_("Name who follows up the service remediation."))
        if not remediation_owners(order).filter(pk=remediation_owner.pk).exists():
            raise ValidationError(
                _("%(name)s may not follow up service remediation in this city.")
                % {"name": remediation_owner.username}
            )
        return do_transition(
            user,
            order,
            A.REOPEN,
            note,
            also={
                "callback_outcome": outcome,
                "remediation": True,
                "remediation_owner": remediation_owner,
            },
        )
    attempts = order.callback_attempts + 1
    if attempts >= settings.SQM_CALLBACK_MAX_ATTEMPTS:
        return do_transition(
            user,
            order,
            A.CLOSE,
            note or _("Closed after the last unreachable attempt."),
            also={"callback_outcome": outcome, "callback_attempts": attempts},
        )
    return do_transition(
        user, order, A.CALLBACK_ATTEMPT, note, also={"callback_attempts": attempts}
    )


# Actions offered as buttons; the callback outcomes drive close / reopen / attempt.
BY_CALLBACK = (A.CLOSE, A.REOPEN, A.CALLBACK_ATTEMPT)
# The actions a user chooses directly (a page button, the API's transitions/).
DIRECT_ACTIONS = [action for action in TRANSITIONS if action not in BY_CALLBACK]


def available_actions(user, order: WorkOrder) -> list[str]:
    """The actions USER may take on ORDER in its current state (for the detail page)."""
    return [
        action
        for action, step in TRANSITIONS.items()
        if action not in BY_CALLBACK
        and order.state in step.sources
        and user.has_perm(required_permission(action, order))
        and not (action == A.CLAIM and order.assignee_id == user.pk)
    ]


def can_record_callback(user, order: WorkOrder) -> bool:
    return order.state == S.AWAITING_CALLBACK and user.has_perm(CALLBACK)


# --- who holds an order: assignment and internal notes (docs/work-orders.md) -------------

# Orders that can change hands: being handled or suspended. Replied orders belong to whoever
# calls the customer back (start callback), closed ones to nobody.
ASSIGNABLE = (S.NEW, S.IN_PROGRESS, S.ESCALATED, S.REOPENED, S.SUSPENDED)
OVERSEE = "complaints.oversee_workorders"
# Whoever may write an internal note: anyone who works on or oversees work orders.
NOTE_PERMISSIONS = (FRONT, BACK, CALLBACK, OVERSEE)


def handling_permission(order: WorkOrder) -> str:
    """The permission that handles ORDER in its state: the front line until it is
    escalated, the back office after (a suspended order as in the state it left)."""
    state = order.state_before_suspension if order.state == S.SUSPENDED else order.state
    return BACK if state == S.ESCALATED else FRONT


def _with_permission(people, dotted: str):
    from django.contrib.auth.models import Group, Permission

    from sqm.core.roles import ROLES, group_name

    app_label, codename = dotted.split(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    # The administrator (a superuser, whose role group carries every permission) holds work
    # orders only when given a handling role as well: the account exists to run the system,
    # not to be picked from an assignee list.
    handling_groups = Group.objects.filter(permissions__in=permission).exclude(
        name__in=[group_name(role) for role in ROLES if role.superuser]
    )
    return people.filter(Q(groups__in=handling_groups) | Q(user_permissions__in=permission))


def _in_city(people, city_id: int):
    return people.filter(Q(is_superuser=True) | Q(all_cities=True) | Q(cities=city_id))


def holders(order: WorkOrder):
    """The people who may hold ORDER: active, with the permission that handles it in its
    state, working in its city, and — once it waits on a department with members — members
    of that department. A queryset of users, by user name."""
    from django.contrib.auth import get_user_model

    people = _in_city(
        _with_permission(
            get_user_model().objects.filter(is_active=True), handling_permission(order)
        ),
        order.city_id,
    )
    if order.department_id is not None and order.department.members.exists():
        people = people.filter(departments=order.department_id)
    return people.distinct().order_by("username")


def colleagues(user):
    """The people USER may name when assigning from a list: active people who handle work
    orders (front line or back office) in USER's cities — members of USER's departments,
    or anyone of those cities for a team lead or someone in no department. Whether each
    may hold a given order is still checked order by order (`may_hold`)."""
    from django.contrib.auth import get_user_model

    people = get_user_model().objects.filter(is_active=True)
    handlers = people.filter(
        Q(pk__in=_with_permission(people, FRONT)) | Q(pk__in=_with_permission(people, BACK))
    )
    if not (user.is_superuser or getattr(user, "all_cities", False)):
        handlers = handlers.filter(Q(all_cities=True) | Q(cities__in=user.city_ids()))
    department_ids = list(user.departments.values_list("pk", flat=True))
    if department_ids and not user.has_perm(OVERSEE):
        handlers = handlers.filter(departments__in=department_ids)
    return handlers.distinct().order_by("username")


def may_hold(person, order: WorkOrder) -> bool:
    return holders(order).filter(pk=person.pk).exists()


def takes_over(user, order: WorkOrder) -> bool:
    """Whether USER taking ORDER would take it from a colleague who holds it now (which needs
    the same right as giving it away: `may_assign`)."""
    if order.assignee_id in (None, user.pk) or not order.assignee.is_active:
        return False
    # A new order still sits with whoever recorded it until someone accepts it: anyone who
    # may handle it takes it on. Once accepted, it is a colleague's work in hand.
    return order.state != S.NEW and may_hold(order.assignee, order)


def may_assign(user, order: WorkOrder) -> bool:
    """Whether USER may give ORDER to someone else: a team lead (who oversees), whoever holds
    it now, anyone who may handle it while nobody holds it, or a member of its department."""
    if user.has_perm(OVERSEE) or order.assignee_id in (None, user.pk):
        return True
    return order.department_id is not None and order.department.members.filter(pk=user.pk).exists()


def remediation_owners(order: WorkOrder):
    """Who may follow up ORDER's service remediation (服务补救): active people who handle
    work orders (front line or back office) and work in the order's city."""
    from django.contrib.auth import get_user_model

    people = get_user_model().objects.filter(is_active=True)
    front = _with_permission(people, FRONT)
    back = _with_permission(people, BACK)
    return _in_city(people.filter(Q(pk__in=front) | Q(pk__in=back)), order.city_id).distinct()


def do_assign(user, order: WorkOrder, assignee, note: str = "") -> WorkOrder:
    """Give ORDER (as USER saw it) to ASSIGNEE — USER themself to take it. The state stays;
    the update is guarded like a transition (TransitionConflict when someone changed the
    order first), and the step is on the timeline and in the change log."""
    if not WorkOrder.objects.restrict(user).filter(pk=order.pk).exists():
        raise PermissionDenied(_("This work order is outside your cities."))
    if order.state not in ASSIGNABLE:
        raise ValidationError(
            _("A work order that is %(state)s cannot be assigned.")
            % {"state": order.get_state_display()}
        )
    if not user.has_perm(handling_permission(order)):
        raise PermissionDenied(_("Your role may not do this now."))
    if (assignee.pk != user.pk or takes_over(user, order)) and not may_assign(user, order):
        raise PermissionDenied(
            _("Only whoever holds it, a member of its department or a team lead may assign it.")
        )
    if assignee.pk == order.assignee_id:
        raise ValidationError(_("%(name)s already holds it.") % {"name": assignee.username})
    if not may_hold(assignee, order):
        raise ValidationError(
            _("%(name)s may not handle this work order (role, city or department).")
            % {"name": assignee.username}
        )
    previous = order.assignee_id
    # It leaves a colleague who was handling it (not the one acting): they are told.
    took_over = (
        previous not in (None, user.pk) and order.state != S.NEW and may_hold(order.assignee, order)
    )
    with transaction.atomic(), context.acting_as(user):
        before = changelog.snapshot(order)
        _guarded_update(order, assignee=assignee)
        WorkOrderEvent.objects.create(
            work_order=order,
            user=user,
            action=A.ASSIGN,
            from_state=order.state,
            to_state=order.state,
            assignee=assignee,
            note=(note or "").strip(),
        )
        order.refresh_from_db()
        changelog.record_bulk([order], "update", {order.pk: before})
        notices.after_assignment(user, order, previous, took_over=took_over)
    return order


def may_note(user, order: WorkOrder) -> bool:
    return any(user.has_perm(perm) for perm in NOTE_PERMISSIONS)


def do_note(user, order: WorkOrder, text: str) -> WorkOrderEvent:
    """Write an internal note on ORDER's timeline: for staff only, never the reply to the
    customer (that is the `reply` transition) nor anything sent to them. The order itself
    does not change (no new version: a note never makes someone's open page stale)."""
    if not WorkOrder.objects.restrict(user).filter(pk=order.pk).exists():
        raise PermissionDenied(_("This work order is outside your cities."))
    if not may_note(user, order):
        raise PermissionDenied(_("Your role may not do this now."))
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write the note first."))
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError(_("A note holds at most %(n)d characters.") % {"n": NOTE_MAX_LENGTH})
    with context.acting_as(user):
        return WorkOrderEvent.objects.create(
            work_order=order,
            user=user,
            action=A.NOTE,
            from_state=order.state,
            to_state=order.state,
            note=text,
        )


NOTE_MAX_LENGTH = 4000
