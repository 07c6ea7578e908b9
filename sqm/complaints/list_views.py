"""Work-order list pages: the order list, my queue (我的待办), the department pool, the team
overview, and acting on a selection of rows. Thin: the queries module finds, sorts and
counts; bulk and workorders act.

Filters and the sort order live in the URL, so a view can be bookmarked and shared. The
filter form posts and comes back as a GET (a mobile or ID number searched for travels as its
lookup hash, never in the address: issue 11); sort links and pages are plain GET links.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_POST

from sqm.complaints import bulk, preprocessing, queries, workorders
from sqm.complaints.choices import Channel, RecordType, WorkOrderState
from sqm.complaints.forms import AssignForm, BulkEscalateForm
from sqm.complaints.models import Category, Department, WorkOrder
from sqm.core.decorators import permission_required
from sqm.core.exceptions import refusal_status
from sqm.core.exporting import xlsx_response
from sqm.core.inputs import page_number
from sqm.core.models import City
from sqm.core.views import refused
from sqm.customers import lookups

PER_PAGE = 50
INTERCEPTION_DAYS = 7  # the team overview's interception rate covers the last week

# The columns of a work-order table, each sortable by the key of queries.SORTS.
COLUMNS = (
    ("sla", gettext_lazy("SLA")),
    ("number", gettext_lazy("work order number")),
    ("created", pgettext_lazy("work order list", "created")),
    ("state", gettext_lazy("state")),
    ("due", gettext_lazy("due")),
    ("category", gettext_lazy("category")),
    ("city", gettext_lazy("city")),
    ("department", gettext_lazy("handling department")),
    ("assignee", gettext_lazy("assignee")),
    ("flags", gettext_lazy("flags")),
)


class Window:
    """A page of a list; the total is counted apart (`queries.total`, capped)."""

    def __init__(self, queryset, request, per_page: int | None = None, total=None) -> None:
        per_page = per_page or PER_PAGE
        self.number = page_number(request.GET.get("page"))
        # The number of pages when TOTAL (queries.Total) is exact; None for an estimate.
        self.pages = (
            max(1, -(-total.count // per_page))
            if total is not None and not total.estimated
            else None
        )
        start = (self.number - 1) * per_page
        rows = list(queryset[start : start + per_page + 1])
        self.has_next = len(rows) > per_page
        self.rows = rows[:per_page]
        self.has_previous = self.number > 1
        self.start = start

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def decorate(orders, now=None) -> list:
    """Give each order its SLA status and label for the table."""
    now = now or timezone.now()
    for order in orders:
        order.sla = queries.sla_status(order, now)
        order.sla_label = queries.SLA_LABELS.get(order.sla, "")
    return orders


def _cities(user):
    if user.is_superuser or user.all_cities:
        return City.objects.all()
    return user.cities.all()


def _columns(query: dict[str, str], sort: str) -> list[dict]:
    """Header cells: each column's label, its ascending and descending links (the other
    filters kept, back to page 1) and whether the list is sorted by it now."""
    current = sort or queries.PAGE_SORT
    cells = []
    for key, label in COLUMNS:
        links = {}
        for direction, value in (("asc", key), ("desc", f"-{key}")):
            links[direction] = "?" + urlencode({**query, "sort": value})
        active = "asc" if current == key else "desc" if current == f"-{key}" else ""
        cells.append({"key": key, "label": label, **links, "active": active})
    return cells


def _people_filters(user, query: dict[str, str]) -> list[dict]:
    """The person filters in force (whose orders: assignee, recorded by), each with the name
    shown and the link that drops it; they arrive from links such as the home page's."""
    labels = {"assignee": _("assignee"), "recorded_by": _("recorded by")}
    out = []
    for key, label in labels.items():
        value = query.get(key)
        if not value:
            continue
        if value == "me":
            name = _("me")
        else:
            # A name is shown only for colleagues of USER's cities; anyone else's user name
            # is echoed as typed (the list is no directory of staff names).
            person = workorders.colleagues(user).filter(username=value).first()
            name = (person.get_full_name() or person.username) if person else value
        rest = {k: v for k, v in query.items() if k != key}
        out.append({"key": key, "label": label, "value": value, "name": name, "drop": rest})
    for item in out:
        item["drop"] = "?" + urlencode(item["drop"])
    return out


def _posted_filters(request):
    """The filter form posts; come back as the GET link of the same filters."""
    filters = queries.Filters.from_query(request.POST)
    if filters.q:  # a new search replaces the number searched for before
        filters.mobile_hash = filters.id_number_hash = ""
    return redirect(f"{request.path}?{urlencode(filters.as_query())}")


def _list_page(request, base, template: str, **extra):
    """Render one of the lists: BASE (the user's orders of that list) filtered, sorted,
    counted and cut into a page. A refused look-up by number shows as the list's message."""
    user = request.user
    now = timezone.now()
    filters = queries.Filters.from_query(request.GET)
    try:
        found = queries.narrow(user, base, filters, now, channel="orders")
    except (lookups.LookupRefused, lookups.LookupLimitReached) as exc:
        filters.refused, filters.refusal = str(exc), exc
        found = WorkOrder.objects.none()
    total = queries.total(found)
    page = Window(queries.ordered(found, filters.sort, now), request, total=total)
    decorate(page.rows, now)
    query = filters.as_query()
    context = {
        "page": page,
        "total": total,
        "filters": filters,
        "query": urlencode(query),
        "columns": _columns({k: v for k, v in query.items() if k != "sort"}, filters.sort),
        "states": WorkOrderState.choices,
        "channels": Channel.choices,
        "record_types": RecordType.choices,
        "cities": _cities(user),
        "departments": Department.objects.filter(active=True),
        "top_categories": Category.objects.filter(level__lte=2, active=True),
        "bulk": _bulk_context(request),
        "people": _people_filters(user, query),
        **extra,
    }
    status = 200 if filters.refusal is None else refusal_status(filters.refusal)
    return render(request, template, context, status=status)


def _bulk_context(request) -> dict:
    user = request.user
    return {
        # Several actions share one form: the browser must not require one action's fields
        # for another (the server checks what each action needs).
        "assign_form": AssignForm(
            people=workorders.colleagues(user), prefix="bulk", use_required_attribute=False
        ),
        "escalate_form": BulkEscalateForm(prefix="bulk", use_required_attribute=False),
        "can_export": user.has_perm("complaints.oversee_workorders"),
        "next": request.get_full_path(),
        "limit": bulk.MAX_SELECTION,
    }


@permission_required("complaints.view_workorder")
def queue(request):
    if request.method == "POST":
        return _posted_filters(request)
    return _list_page(
        request, queries.queue_orders(request.user), "complaints/queue.html", list_id="queue"
    )


@permission_required("complaints.view_workorder")
def pool(request):
    if request.method == "POST":
        return _posted_filters(request)
    departments = list(request.user.departments.filter(active=True))
    return _list_page(
        request,
        queries.pool_orders(request.user),
        "complaints/pool.html",
        list_id="pool",
        my_departments=departments,
    )


@permission_required("complaints.view_workorder")
def order_list(request):
    if request.method == "POST":
        # The search form posts, and comes back as a link whose mobile or ID number is its
        # lookup hash: the number stays out of the address bar, history and Referer.
        return _posted_filters(request)
    return _list_page(
        request,
        WorkOrder.objects.restrict(request.user),
        "complaints/order_list.html",
        list_id="orders",
    )


def _export(request, orders, filters: dict):
    orders = orders.select_related(
        "customer", "first_responsible", "repeat_of", "cause", "category__parent", "city"
    ).iterator(chunk_size=2000)
    return xlsx_response(
        orders,
        queries.export_columns(),
        filename="work-orders",
        sheet_title=str(_("Work orders")),
        user=request.user,
        target="list:work_orders",
        with_personal_data=False,
        filters=filters,
    )


@permission_required("complaints.oversee_workorders")
def order_export(request):
    filters = queries.Filters.from_query(request.GET)
    try:
        found = queries.search(request.user, filters)
    except (lookups.LookupRefused, lookups.LookupLimitReached) as exc:
        return refused(request, exc)
    return _export(request, queries.ordered(found, filters.sort), filters.as_query())


def _back(request) -> str:
    """Where a bulk action returns: the list it was sent from (a path of this site)."""
    back = request.POST.get("next", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(
        back, {request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return reverse("complaints:orders")


def _summary(outcome: bulk.Outcome, done_text: str) -> str:
    """One sentence group: how many were done, which were refused and why."""
    parts = [done_text] if done_text else []
    if outcome.refused:
        reasons = "; ".join(f"{number}: {reason}" for number, reason in outcome.refused)
        parts.append(
            ngettext(
                "%(n)d was refused: %(reasons)s.",
                "%(n)d were refused: %(reasons)s.",
                len(outcome.refused),
            )
            % {"n": len(outcome.refused), "reasons": reasons}
        )
    if outcome.hidden:
        parts.append(
            ngettext(
                "%(n)d selected work order is not in your cities and was left alone.",
                "%(n)d selected work orders are not in your cities and were left alone.",
                outcome.hidden,
            )
            % {"n": outcome.hidden}
        )
    return " ".join(parts)


@require_POST
@permission_required("complaints.view_workorder")
def bulk_action(request):
    """Act on the rows selected in a list: assign to a colleague, escalate, or export.
    Each order goes through the same service function as on its own page, with the same
    checks (city, role, state, department); refused ones are named with the reason."""
    user = request.user
    back = _back(request)
    action = request.POST.get("action", "")
    ids = bulk.parse_ids(request.POST.getlist("ids"))
    if action not in ("assign", "escalate", "export"):
        return HttpResponseBadRequest(_("Unknown action."))
    if not ids:
        messages.error(request, _("Select work orders first."))
        return redirect(back)
    if len(ids) > bulk.MAX_SELECTION:
        messages.error(
            request,
            _("Select at most %(n)d work orders at once.") % {"n": bulk.MAX_SELECTION},
        )
        return redirect(back)
    if action == "export":
        if not user.has_perm("complaints.oversee_workorders"):
            raise PermissionDenied
        orders = bulk.visible(user, ids)
        hidden = len(ids) - orders.count()
        if hidden:  # shown on the next page the user opens
            messages.warning(request, _summary(bulk.Outcome(hidden=hidden), ""))
        return _export(
            request, queries.ordered(queries.with_due(orders), ""), {"selected": len(ids)}
        )
    if action == "assign":
        form = AssignForm(request.POST, people=workorders.colleagues(user), prefix="bulk")
        if not form.is_valid():
            messages.error(request, _("Choose a colleague to assign the work orders to."))
            return redirect(back)
        assignee = form.cleaned_data["assignee"]
        outcome = bulk.assign(user, ids, assignee)
        done = ngettext(
            "%(n)d work order assigned to %(name)s.",
            "%(n)d work orders assigned to %(name)s.",
            len(outcome.done),
        ) % {"n": len(outcome.done), "name": assignee.username}
    else:
        form = BulkEscalateForm(request.POST, prefix="bulk")
        if not form.is_valid():
            messages.error(request, _("Choose the department and say why to escalate."))
            return redirect(back)
        department = form.cleaned_data["department"]
        outcome = bulk.escalate(user, ids, department, form.cleaned_data["note"])
        done = ngettext(
            "%(n)d work order escalated to %(department)s.",
            "%(n)d work orders escalated to %(department)s.",
            len(outcome.done),
        ) % {"n": len(outcome.done), "department": department.name}
    level = messages.SUCCESS if not (outcome.refused or outcome.hidden) else messages.WARNING
    messages.add_message(request, level, _summary(outcome, done))
    return redirect(back)


@permission_required("complaints.oversee_workorders")
def overview(request):
    from datetime import timedelta

    now = timezone.now()
    summary = queries.overview(request.user, now)
    urgent = queries.search(request.user, queries.Filters(sla="overdue"), now)[:20]
    upgraded = queries.search(request.user, queries.Filters(upgraded=True, open_only=True), now)[
        :20
    ]
    interception = preprocessing.interception_counts(
        request.user, now - timedelta(days=INTERCEPTION_DAYS), now
    )
    return render(
        request,
        "complaints/overview.html",
        {
            "summary": summary,
            "urgent": decorate(list(urgent), now),
            "upgraded": decorate(list(upgraded), now),
            "interception": interception,
            "interception_days": INTERCEPTION_DAYS,
        },
    )
