"""The problem library's actions (docs/problems.md): open a problem from work orders, link
and unlink orders, move it along its states, and the module owner's day (日结).

Every action checks the permission, writes in one transaction, records a timeline event and
the change log (which keeps the search index current); state changes are guarded updates
(`UPDATE … WHERE state=old AND version=old`), so two people cannot both move a problem.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from sqm.core import changelog, context
from sqm.knowledge.choices import ProblemAction as A
from sqm.knowledge.choices import ProblemState as S
from sqm.knowledge.models import ModuleOwner, Problem, ProblemEvent, ProblemOrder


class TransitionConflict(Exception):
    """Someone changed the problem since it was read."""


# action -> (the states it starts from, the state it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    A.ANALYSE: ((S.OPEN,), S.ANALYSING),
    A.FIND_CAUSE: ((S.OPEN, S.ANALYSING), S.CAUSE_FOUND),
    A.SOLVE: ((S.CAUSE_FOUND,), S.SOLVED),
    A.REOPEN: ((S.SOLVED, S.CAUSE_FOUND), S.ANALYSING),
    A.ARCHIVE: ((S.SOLVED,), S.ARCHIVED),
}


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied(_("Your role may not work on problems."))


def _visible_orders(user, orders: Iterable) -> list:
    from sqm.complaints.models import WorkOrder

    ids = sorted({getattr(o, "pk", o) for o in orders})
    found = list(WorkOrder.objects.restrict(user).filter(pk__in=ids))
    if len(found) != len(ids):
        raise ValidationError(_("Some of these work orders are not yours to see."))
    return found


def _event(user, problem: Problem, action: str, note: str = "", **states) -> None:
    ProblemEvent.objects.create(problem=problem, user=user, action=action, note=note, **states)


def open_problem(
    user,
    *,
    module,
    title: str,
    symptom: str,
    orders: Iterable = (),
    owner=None,
    department=None,
) -> Problem:
    """A new problem in MODULE (a second-level category), with ORDERS linked (work orders or
    their ids, all visible to USER); its city is theirs when they share one."""
    _require(user, "knowledge.add_problem")
    title, symptom = (title or "").strip(), (symptom or "").strip()
    if not title:
        raise ValidationError(_("Give the problem a title."))
    if not symptom:
        raise ValidationError(_("Describe the symptom."))
    if module.parent_id is None or module.parent.parent_id is not None:
        raise ValidationError(_("A module is a second-level category."))
    found = _visible_orders(user, orders)
    cities = {o.city_id for o in found}
    city = cities.pop() if len(cities) == 1 else None
    if city is None and not (user.is_superuser or user.all_cities):
        cities = sorted(user.city_ids())
        city = cities[0] if len(cities) == 1 else None
    with transaction.atomic(), context.acting_as(user):
        problem = Problem(
            code=f"TMP-{timezone.now().timestamp()}",
            module=module,
            title=title[:120],
            symptom=symptom,
            owner=owner or user,
            department=department or module.department,
            city_id=city,
        )
        problem._log_later = True
        problem.save(force_insert=True)
        # The code shows the local day and the row id: unique without a counter table.
        problem.code = f"WT{timezone.localdate():%Y%m%d}{problem.pk:05d}"
        Problem.objects.filter(pk=problem.pk).update(code=problem.code)
        changelog.record_bulk([problem], "create")
        ProblemOrder.objects.bulk_create(
            ProblemOrder(problem=problem, order=o, linked_by=user) for o in found
        )
        _event(user, problem, A.OPEN, note=", ".join(o.number for o in found))
    return problem


def link_orders(user, problem: Problem, orders: Iterable) -> int:
    """Link ORDERS to PROBLEM; the ones already linked are left; how many were new."""
    _require(user, "knowledge.change_problem")
    found = _visible_orders(user, orders)
    if problem.state == S.ARCHIVED:
        raise ValidationError(_("An archived problem takes no more work orders."))
    with transaction.atomic(), context.acting_as(user):
        linked = set(problem.links.values_list("order_id", flat=True))
        new = [o for o in found if o.pk not in linked]
        ProblemOrder.objects.bulk_create(
            ProblemOrder(problem=problem, order=o, linked_by=user) for o in new
        )
        if new:
            _event(user, problem, A.LINK, note=", ".join(o.number for o in new))
            _touch(problem)
    return len(new)


def link_numbers(user, problem: Problem, text: str) -> int:
    """Link the work orders whose numbers TEXT lists (separated by spaces, commas or lines)."""
    from sqm.complaints.models import WorkOrder

    numbers = {n.strip().upper() for n in text.replace(",", " ").replace("，", " ").split()}
    numbers.discard("")
    if not numbers or len(numbers) > 200:
        raise ValidationError(_("Give between 1 and 200 work-order numbers."))
    found = list(WorkOrder.objects.restrict(user).filter(number__in=numbers))
    missing = numbers - {o.number for o in found}
    if missing:
        raise ValidationError(
            _("No such work order of yours: %(numbers)s") % {"numbers": "、".join(sorted(missing))}
        )
    return link_orders(user, problem, found)


def unlink_order(user, problem: Problem, order) -> None:
    _require(user, "knowledge.change_problem")
    (order,) = _visible_orders(user, [order])
    with transaction.atomic(), context.acting_as(user):
        if ProblemOrder.objects.filter(problem=problem, order=order).delete()[0]:
            _event(user, problem, A.UNLINK, note=order.number)
            _touch(problem)


def _touch(problem: Problem) -> None:
    """After its links changed: the problem's city is its orders' one city, or none (the
    province's) when they span cities; change-logged, so the index follows."""
    before = changelog.snapshot(problem)
    cities = set(problem.links.values_list("order__city_id", flat=True))
    city = cities.pop() if len(cities) == 1 else (problem.city_id if not cities else None)
    Problem.objects.filter(pk=problem.pk).update(last_updated=timezone.now(), city_id=city)
    problem.refresh_from_db()
    changelog.record_bulk([problem], "update", {problem.pk: before})


def edit(user, problem: Problem, **fields) -> Problem:
    """Change the title, symptom, root cause, owner or department of PROBLEM as USER saw it
    (a guarded update: TransitionConflict when someone changed it first)."""
    _require(user, "knowledge.change_problem")
    allowed = {"title", "symptom", "root_cause", "owner", "department"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("These cannot be edited: %(names)s") % {"names": sorted(unknown)})
    if problem.state == S.ARCHIVED:
        raise ValidationError(_("An archived problem is not edited."))
    changes, changed = {}, []
    for name, value in fields.items():
        value = value.strip() if isinstance(value, str) else value
        if value != getattr(problem, name):
            changes[name] = value
            changed.append(str(Problem._meta.get_field(name).verbose_name))
    merged = {**{n: getattr(problem, n) for n in ("title", "symptom", "root_cause")}, **changes}
    if not merged["title"] or not merged["symptom"]:
        raise ValidationError(_("A problem needs a title and a symptom."))
    if problem.state in (S.CAUSE_FOUND, S.SOLVED) and not merged["root_cause"]:
        raise ValidationError(_("A problem whose cause was found keeps its root cause."))
    if not changes:
        return problem
    with transaction.atomic(), context.acting_as(user):
        before = changelog.snapshot(problem)
        won = Problem.objects.filter(pk=problem.pk, version=problem.version).update(
            **changes, version=F("version") + 1, last_updated=timezone.now()
        )
        if not won:
            raise TransitionConflict(
                _("Problem %(code)s was changed by someone else; reload it.")
                % {"code": problem.code}
            )
        problem.refresh_from_db()
        changelog.record_bulk([problem], "update", {problem.pk: before})
        _event(user, problem, A.EDIT, note="、".join(changed))
    return problem


def do_transition(user, problem: Problem, action: str, note: str = "") -> Problem:
    """Apply ACTION to PROBLEM as USER saw it; TransitionConflict when someone was first."""
    _require(user, "knowledge.change_problem")
    step = TRANSITIONS.get(action)
    if step is None:
        raise ValidationError(_("Unknown action %(action)s.") % {"action": action})
    sources, target = step
    if problem.state not in sources:
        raise ValidationError(
            _("A problem that is %(state)s cannot be %(action)s.")
            % {"state": problem.get_state_display(), "action": A(action).label}
        )
    if target == S.CAUSE_FOUND and not (problem.root_cause or "").strip():
        raise ValidationError(_("Write down the root cause first."))
    now = timezone.now()
    changes = {"state": target, "last_updated": now}
    if target == S.SOLVED:
        changes["solved_at"] = now
    with transaction.atomic(), context.acting_as(user):
        before = changelog.snapshot(problem)
        won = Problem.objects.filter(
            pk=problem.pk, state=problem.state, version=problem.version
        ).update(**changes, version=F("version") + 1)
        if not won:
            raise TransitionConflict(
                _("Problem %(code)s was changed by someone else; reload it.")
                % {"code": problem.code}
            )
        old = problem.state
        problem.refresh_from_db()
        changelog.record_bulk([problem], "update", {problem.pk: before})
        _event(user, problem, action, note, from_state=old, to_state=target)
    return problem


# --- the module owner's day (日结) --------------------------------------------------------


@dataclass
class Day:
    day: dt.date
    modules: list
    unlinked: list  # the day's work orders of the modules not yet in a problem
    stalled: list  # open problems of the modules without progress for STALL_DAYS
    overdue: list  # open work orders of the modules past their deadline


STALL_DAYS = 3
DAY_LIMIT = 200  # rows per list of the day page: the oldest first, the rest next time


def owner_day(user, day: dt.date | None = None, *, stall_days: int = STALL_DAYS) -> Day:
    """What USER's modules need today: the day's work orders not in a problem, problems
    that have not moved for STALL_DAYS days, and overdue work orders."""
    from sqm.complaints.models import WorkOrder
    from sqm.complaints.queries import OPEN_STATES

    day = day or timezone.localdate()
    modules = [m.module for m in ModuleOwner.objects.filter(user=user).select_related("module")]
    start = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    orders = (
        WorkOrder.objects.restrict(user)
        .filter(category__parent__in=modules)
        .select_related("category")
    )
    unlinked = list(
        orders.filter(created__gte=start, created__lt=start + dt.timedelta(days=1))
        .filter(problem_links__isnull=True)
        .order_by("created")
    )
    quiet_since = timezone.now() - dt.timedelta(days=stall_days)
    stalled = list(
        Problem.objects.restrict(user)
        .filter(module__in=modules)
        .exclude(state__in=[S.SOLVED, S.ARCHIVED])
        .annotate(last_step=Max("events__time"))
        .filter(last_step__lt=quiet_since)
        .order_by("last_step")
    )
    overdue = list(
        orders.filter(state__in=OPEN_STATES, resolve_due__lt=timezone.now()).order_by("resolve_due")
    )
    return Day(day=day, modules=modules, unlinked=unlinked, stalled=stalled, overdue=overdue)
