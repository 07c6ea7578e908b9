"""Read side of work orders: my queue, the department pool, filtered lists, the team-lead
overview, SLA colours.

Every list starts from `WorkOrder.objects.restrict(user)`, so the city scope is part of the
SQL. The queue and department lists filter on indexed columns (assignee or department,
state, deadline). Pages sort by any column (newest first unless asked otherwise, `SORTS`);
the API keeps the soonest deadline first. Where an order stands against its SLA clock is
defined once, in `sla` (`sla.overdue_q` …), for every count and filter here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connections
from django.db.models import Case, CharField, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Substr
from django.utils import timezone

from sqm.complaints import sla
from sqm.complaints.choices import RecordType
from sqm.complaints.choices import WorkOrderState as S
from sqm.complaints.models import WorkOrder
from sqm.core import textsearch
from sqm.core.inputs import parse_day
from sqm.customers import lookups

OPEN_STATES = (S.NEW, S.IN_PROGRESS, S.ESCALATED, S.REOPENED, S.SUSPENDED, S.REPLIED,
               S.AWAITING_CALLBACK)  # fmt: skip
HANDLING_STATES = sla.RUNNING_STATES
CALLBACK_STATES = sla.CALLBACK_STATES
CALLBACK_WARNING = sla.CALLBACK_WARNING
SLA_FILTERS = ("overdue", "warning", "ontime", "paused")

# The columns a page list sorts by (the `sort` parameter, `-` for descending); any other
# value is ignored. Every ordering ends with the id, so pages never overlap.
SORTS: dict[str, tuple] = {
    "created": ("created",),
    # Numbers are text of two kinds, history "TSH" and live "TS" + date + sequence: as text,
    # every history number sorts after every live one, so the column sorts by what follows
    # the prefix (number_key), which is the number's own date and sequence.
    "number": ("number_key",),
    # The lifecycle order, not the English codes' alphabet (STATE_ORDER).
    "state": ("state_rank",),
    "due": ("due",),
    "sla": ("sla_rank", "due"),
    "category": ("category__code",),
    "city": ("city__code",),
    "department": ("department__code",),
    "assignee": ("assignee__username",),
    "flags": ("upgraded", "repeat_of_id"),
}
PAGE_SORT = "-created"  # lists open newest first
# The order in which a work order goes through its states (for sorting by state).
STATE_ORDER = (S.NEW, S.IN_PROGRESS, S.ESCALATED, S.SUSPENDED, S.REPLIED, S.AWAITING_CALLBACK,
               S.REOPENED, S.CLOSED)  # fmt: skip


def number_key() -> Case:
    """An SQL expression giving a work order's number without its "TSH"/"TS" prefix."""
    return Case(
        When(number__startswith="TSH", then=Substr("number", 4)),
        When(number__startswith="TS", then=Substr("number", 3)),
        default=F("number"),
        output_field=CharField(),
    )


def state_rank() -> Case:
    """An SQL expression giving each state its place in STATE_ORDER."""
    return Case(
        *(When(state=state, then=Value(rank)) for rank, state in enumerate(STATE_ORDER)),
        default=Value(len(STATE_ORDER)),
        output_field=IntegerField(),
    )


# Above this many rows a list says "about N" instead of counting every row.
EXACT_COUNT_LIMIT = 10_000


def with_due(queryset: QuerySet) -> QuerySet:
    """Annotate `due`: the callback deadline once replied, else the resolution deadline."""
    return queryset.annotate(
        due=Case(When(state__in=CALLBACK_STATES, then=F("callback_due")), default=F("resolve_due"))
    )


def _listing(queryset: QuerySet) -> QuerySet:
    return with_due(queryset).select_related("category__parent", "city", "department", "assignee")


def queue_orders(user) -> QuerySet:
    """Open work orders assigned to USER, and unclaimed escalated orders of their departments
    (我的待办), unsorted."""
    mine = Q(assignee=user)
    department_ids = list(user.departments.values_list("pk", flat=True))
    if department_ids:
        mine |= Q(assignee__isnull=True, department__in=department_ids, state=S.ESCALATED)
    return WorkOrder.objects.restrict(user).filter(mine, state__in=OPEN_STATES)


def my_queue(user) -> QuerySet:
    """`queue_orders`, soonest deadline first (the API's queue)."""
    return _listing(queue_orders(user)).order_by(F("due").asc(nulls_last=True), "pk")


def pool_orders(user) -> QuerySet:
    """The open work orders of USER's departments, whoever holds them (部门工单池): the
    department's workload, claimed or not, unsorted."""
    department_ids = list(user.departments.values_list("pk", flat=True))
    return WorkOrder.objects.restrict(user).filter(
        department__in=department_ids, state__in=OPEN_STATES
    )


NEVER_EMPTY = frozenset({"created", "pk", "id", "number"})


def sort_key(value: str | None) -> str:
    """VALUE if it names a column of SORTS (with an optional `-`), else ''."""
    value = (value or "").strip()
    return value if value.lstrip("-") in SORTS and value.count("-") <= 1 else ""


def ordered(orders: QuerySet, sort: str, now: datetime | None = None) -> QuerySet:
    """ORDERS (annotated with `due`) sorted by SORT, a key of SORTS; empty values last."""
    key = sort_key(sort) or PAGE_SORT
    descending = key.startswith("-")
    fields = SORTS[key.lstrip("-")]
    if "sla_rank" in fields:
        orders = orders.annotate(sla_rank=sla.status_rank(now or timezone.now()))
    if "state_rank" in fields:
        orders = orders.annotate(state_rank=state_rank())
    if "number_key" in fields:
        orders = orders.annotate(number_key=number_key())
    # Empty values last; a column that is never empty (created) is sorted plainly, so the
    # database walks its index (workorder_created) instead of sorting every row.
    terms = [
        (F(name).desc() if descending else F(name).asc())
        if name in NEVER_EMPTY
        else (F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True))
        for name in fields
    ]
    return orders.order_by(*terms, "-pk" if descending else "pk")


@dataclass
class Total:
    """How many rows a list has: exact up to EXACT_COUNT_LIMIT, else an estimate."""

    count: int
    estimated: bool = False


def total(orders: QuerySet) -> Total:
    """The number of ORDERS. Counting stops after EXACT_COUNT_LIMIT rows (a count is a scan
    at millions of rows); beyond that PostgreSQL's planner estimate is used, and SQLite,
    which has none, counts once more in full. Either way an answer above the limit is
    rounded and shown as an estimate."""
    orders = orders.order_by()
    capped = orders[: EXACT_COUNT_LIMIT + 1].count()
    if capped <= EXACT_COUNT_LIMIT:
        return Total(capped)
    estimate = _planner_rows(orders) if connections[orders.db].vendor == "postgresql" else None
    count = estimate if estimate and estimate > EXACT_COUNT_LIMIT else orders.count()
    return Total(round(count, -3) if count >= 1000 else count, estimated=True)


def _planner_rows(orders: QuerySet) -> int | None:
    import json

    try:
        plan = json.loads(orders.explain(format="json"))
        return int(plan[0]["Plan"]["Plan Rows"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


@dataclass
class Filters:
    """The filters of the work-order list (all optional); `from_query` reads a GET."""

    q: str = ""
    # Page links of a search by number carry its lookup hash instead of the number.
    mobile_hash: str = ""
    id_number_hash: str = ""
    state: str = ""
    city: str = ""
    department: str = ""
    category: str = ""
    channel: str = ""
    sla: str = ""  # overdue | warning | ontime
    upgraded: bool | None = None
    repeat: bool | None = None
    record_type: str = RecordType.COMPLAINT_WORK_ORDER
    created_from: date | None = None
    created_to: date | None = None
    closed_from: date | None = None
    closed_to: date | None = None
    # A colleague's user name, or "me": whose orders (the home page's workload rows, my
    # contacts today).
    assignee: str = ""
    recorded_by: str = ""
    open_only: bool = False
    unclaimed: bool = False  # only orders nobody holds (the pool)
    sort: str = ""  # a key of SORTS, `-` for descending; '' for the list's default
    errors: dict = field(default_factory=dict)
    refused: str = ""  # why a look-up by number in `q` was refused
    refusal: Exception | None = None

    KEYS = (
        "q",
        "mobile_hash",
        "id_number_hash",
        "state",
        "city",
        "department",
        "category",
        "channel",
        "sla",
        "record_type",
        "assignee",
        "recorded_by",
        "sort",
    )
    DATES = ("created_from", "created_to", "closed_from", "closed_to")

    @classmethod
    def from_query(cls, query) -> Filters:
        found = cls(**{key: (query.get(key) or "").strip()[:150] for key in cls.KEYS})
        if "record_type" in query and not found.record_type:
            found.record_type = ""  # "all record types" chosen explicitly
        elif not found.record_type:
            found.record_type = RecordType.COMPLAINT_WORK_ORDER
        for key in ("upgraded", "repeat"):
            value = query.get(key)
            setattr(found, key, {"1": True, "0": False}.get(value))
        found.open_only = query.get("open") == "1"
        found.unclaimed = query.get("unclaimed") == "1"
        found.sort = sort_key(found.sort)  # an unknown column is ignored, not an error
        for key in cls.DATES:
            value = query.get(key)
            if value:
                # Bounded: far-off dates would overflow the day arithmetic.
                day = parse_day(value)
                if day is None:
                    found.errors[key] = value
                    continue
                setattr(found, key, day)
        return found

    def as_query(self) -> dict[str, str]:
        """The filters as GET parameters (for links to the export and the next page). A
        mobile or ID number searched for leaves as its lookup hash, never in a URL."""
        out = {key: getattr(self, key) for key in self.KEYS if getattr(self, key)}
        number = lookups.classify(self.q)
        if number is not None:
            del out["q"]
            out[lookups.HASH_FIELDS[number.kind]] = number.digest
        if self.record_type == "":
            out["record_type"] = ""
        for key in ("upgraded", "repeat"):
            value = getattr(self, key)
            if value is not None:
                out[key] = "1" if value else "0"
        if self.open_only:
            out["open"] = "1"
        if self.unclaimed:
            out["unclaimed"] = "1"
        for key in self.DATES:
            value = getattr(self, key)
            if value:
                out[key] = value.isoformat()
        return out


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def search(
    user, filters: Filters, now: datetime | None = None, *, channel: str = "orders"
) -> QuerySet:
    """Work orders USER may see that match FILTERS, soonest deadline first.

    A mobile or ID number in `q` (or a `mobile_hash`) is a look-up by number: it raises
    customers.lookups.LookupRefused / LookupLimitReached when not allowed."""
    now = now or timezone.now()
    orders = narrow(user, WorkOrder.objects.restrict(user), filters, now, channel=channel)
    return orders.order_by(F("due").asc(nulls_last=True), "-pk")


def narrow(
    user, orders: QuerySet, filters: Filters, now: datetime | None = None, *, channel: str
) -> QuerySet:
    """ORDERS (already limited to what USER may see) that match FILTERS, annotated with
    `due`, unsorted. The order list, my queue and the pool filter with it alike."""
    now = now or timezone.now()
    f = filters
    for kind, digest in ((lookups.MOBILE, f.mobile_hash), (lookups.ID_NUMBER, f.id_number_hash)):
        if digest:
            number = lookups.from_hash(kind, digest)
            found = lookups.find_by_number(user, number, channel=channel)
            orders = orders.filter(customer__in=found)
    if f.q:
        term = f.q
        number = lookups.classify(term)
        if number is not None:
            # Personal data is encrypted: a number is found through its lookup hash, as a
            # counted and audited look-up (it may be refused: see customers.lookups).
            found = lookups.find_by_number(user, number, channel=channel)
            orders = orders.filter(customer__in=found)
        elif term.upper().startswith("TS"):
            orders = orders.filter(number__startswith=term.upper())
        else:
            # The one search's index when an app keeps one (sqm.knowledge): every word must
            # be found, Chinese however it is cut; and a substring of the description, for
            # orders an import wrote that the index has not caught up with yet.
            text = textsearch.matching(WorkOrder, term)
            found = Q(description__contains=term)
            if text is not None:
                found |= Q(pk__in=text)
            orders = orders.filter(Q(number=term) | Q(customer__customer_id=term) | found)
    simple = {
        "state": f.state,
        "city__code": f.city,
        "department__code": f.department,
        "channel": f.channel,
        "record_type": f.record_type,
    }
    orders = orders.filter(**{key: value for key, value in simple.items() if value})
    if f.category:
        # A code at any level: the order's own third-level code or one of its ancestors.
        orders = orders.filter(
            Q(category__code=f.category)
            | Q(category__parent__code=f.category)
            | Q(category__parent__parent__code=f.category)
        )
    if f.upgraded is not None:
        orders = orders.filter(upgraded=f.upgraded)
    if f.repeat is not None:
        orders = orders.filter(repeat_of__isnull=not f.repeat)
    if f.unclaimed:
        orders = orders.filter(assignee__isnull=True)
    if f.open_only or f.sla:
        orders = orders.filter(state__in=OPEN_STATES)
    if f.created_from:
        orders = orders.filter(created__gte=_day_start(f.created_from))
    if f.created_to:
        orders = orders.filter(created__lt=_day_start(f.created_to + timedelta(days=1)))
    if f.closed_from:
        orders = orders.filter(closed_at__gte=_day_start(f.closed_from))
    if f.closed_to:
        orders = orders.filter(closed_at__lt=_day_start(f.closed_to + timedelta(days=1)))
    for value, column in ((f.assignee, "assignee"), (f.recorded_by, "created_by")):
        if value == "me":
            orders = orders.filter(**{column: user})
        elif value:
            orders = orders.filter(**{f"{column}__username": value})
    if f.sla in SLA_FILTERS:
        # The one definition in sla (a suspended order's clock is paused: never overdue).
        orders = orders.filter(sla.status_q(f.sla, now))
    return _listing(orders)


def sla_status(order: WorkOrder, now: datetime | None = None) -> str:
    """'overdue', 'warning', 'ontime', 'paused' (suspended), 'done' or '' (no clock)."""
    return sla.status(order, now or timezone.now())


@dataclass
class Overview:
    """What a team lead looks at first."""

    open: int
    overdue: int
    warning: int
    upgraded_open: int
    remediation_open: int
    by_department: list[dict]
    by_city: list[dict]


def overview(user, now: datetime | None = None) -> Overview:
    """Counts of open work orders USER oversees: totals, by department and by city."""
    now = now or timezone.now()
    opened = WorkOrder.objects.restrict(user).filter(state__in=OPEN_STATES)
    # The same definitions as the lists' ?sla= filter (sla.overdue_q, sla.warning_q).
    counts = {
        "open": Count("pk"),
        "overdue": Count("pk", filter=sla.overdue_q(now)),
        "warning": Count("pk", filter=sla.warning_q(now)),
    }
    totals = opened.aggregate(
        **counts,
        upgraded_open=Count("pk", filter=Q(upgraded=True)),
        remediation_open=Count("pk", filter=Q(remediation=True)),
    )
    by_department = list(
        opened.values("department__code", "department__name")
        .annotate(**counts)
        .order_by("-overdue", "-open", "department__code")
    )
    by_city = list(
        opened.values("city__code", "city__name").annotate(**counts).order_by("city__code")
    )
    return Overview(**totals, by_department=by_department, by_city=by_city)


def export_columns() -> list:
    """Columns of the work-order Excel export. The customer appears masked only: the
    description is free text, exported as recorded. Times are written as local time."""
    from django.utils.translation import gettext_lazy as t

    return [
        (t("work order number"), lambda o: o.number),
        (t("record type"), lambda o: o.get_record_type_display()),
        (t("state"), lambda o: o.get_state_display()),
        (t("SLA"), lambda o: str(SLA_LABELS.get(sla_status(o), ""))),
        (t("city"), lambda o: o.city.name),
        (t("channel"), lambda o: o.get_channel_display()),
        (t("upgraded complaint"), lambda o: _yes_no(o.upgraded)),
        (t("customer ID"), lambda o: o.customer.customer_id),
        (t("customer"), lambda o: o.customer.masked_name),
        (t("category"), lambda o: o.category.path),
        (t("description"), lambda o: o.description),
        (t("handling department"), lambda o: o.department.name if o.department else ""),
        (
            t("first-responsibility department"),
            lambda o: o.first_responsible.name if o.first_responsible else "",
        ),
        (t("assignee"), lambda o: o.assignee.username if o.assignee else ""),
        (t("created"), lambda o: o.created),
        (t("resolve by"), lambda o: o.resolve_due),
        (t("replied at"), lambda o: o.replied_at),
        (t("closed at"), lambda o: o.closed_at),
        (t("closed after its deadline"), lambda o: _yes_no(o.untimely)),
        (t("reason for the breach"), lambda o: o.breach_reason),
        (t("callback outcome"), lambda o: o.get_callback_outcome_display()),
        (t("repeat of"), lambda o: o.repeat_of.number if o.repeat_of_id else ""),
        (t("batch cause"), lambda o: o.cause.title if o.cause_id else ""),
    ]


def _yes_no(value: bool | None) -> str:
    """是 / 否 (in the user's language) for a flag of the export; empty when unknown. Staff
    read the sheet, not a program: 0/1 meant nothing to them."""
    from django.utils.translation import pgettext

    if value is None:
        return ""
    return pgettext("yes or no", "yes") if value else pgettext("yes or no", "no")


def _sla_labels() -> dict:
    # A context of their own: "closed" here is not an account's 拆机 (pgettext).
    from django.utils.translation import pgettext_lazy

    return {
        "overdue": pgettext_lazy("SLA status", "overdue"),
        "warning": pgettext_lazy("SLA status", "near deadline"),
        "ontime": pgettext_lazy("SLA status", "on time"),
        "paused": pgettext_lazy("SLA status", "paused"),
        "done": pgettext_lazy("SLA status", "closed"),
    }


SLA_LABELS = _sla_labels()
