"""The complaint side of the demo: the history imported, suggestions trained, queues filled,
and the live fault's batch cause with its batch complaints (docs/faults.md, "Demo")."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext

from sqm.complaints.choices import CauseKind, Channel, Demand, Topic
from sqm.complaints.models import ComplaintCause
from sqm.complaints.triage import Intake
from sqm.core.models import User
from sqm.network.choices import FaultState
from sqm.network.fault_sms import fault_area, fault_type_name
from sqm.network.models import FaultEvent, Outage

# Open work orders put in each demo user's queue: up to QUEUE_SIZE from the history, topped
# up to QUEUE_MIN with customers calling again today.
QUEUE_SIZE = 5
QUEUE_MIN = 3


def load_history(load) -> None:
    """Import the complaint history (when the province has one), train the category
    suggestions on it and put open work orders in the demo users' queues."""
    if load.wrote("complaints"):
        load.import_file("complaints")
        train_category_classifier(load.say)
    join_departments()
    fill_queues()
    cause = batch_complaints(load.shared.get("live_fault"))
    if cause is not None:
        load.say(
            gettext("batch cause %(title)s: %(n)s work orders linked")
            % {"title": cause.title, "n": cause.work_orders.count()}
        )


def train_category_classifier(say: Callable[[str], None]) -> None:
    """Train the intake page's category suggestions on the imported history."""
    from sqm.complaints import textmining

    say(gettext("training the category suggestions on the complaint history"))
    try:
        report = textmining.train()
    except ValueError as exc:  # too little history (a tiny demo): suggestions stay off
        say(str(exc))
        return
    say(
        gettext("category suggestions: top-1 %(top1).0f%%, top-3 %(top3).0f%% on held-out orders")
        % {"top1": 100 * (report.top1 or 0), "top3": 100 * (report.top3 or 0)}
    )


# Department membership of the demo users (sqm.core.demo.DEMO_USERS), so that a pool has
# colleagues to assign to and a queue the department's unclaimed escalated orders: the
# hotline agent and two first-liners in the 10086 customer-service centre (front line); two
# network second-liners in the network second line and the network department it passes
# orders on to; two billing second-liners in the billing second line. Every department with
# members has at least two in Nanjing. Departments without members (市场部, 客户服务部, …) are
# worked by anyone of the back office in the order's city (workorders.holders).
DEMO_DEPARTMENTS = {
    "HOTLINE": ["agent", "firstline", "firstline2"],
    "NET-2L": ["secondline", "secondline2"],
    "NET": ["secondline", "secondline2"],
    "BILL-2L": ["billing", "billing2"],
}


def join_departments() -> None:
    """Put the demo users in their departments (DEMO_DEPARTMENTS); users missing are skipped."""
    from sqm.complaints.models import Department

    users = {u.username: u for u in User.objects.filter(username__in=_members())}
    for department in Department.objects.filter(code__in=DEMO_DEPARTMENTS):
        department.members.add(
            *(users[name] for name in DEMO_DEPARTMENTS[department.code] if name in users)
        )


def _members() -> set[str]:
    return {name for names in DEMO_DEPARTMENTS.values() for name in names}


# Which open work orders suit whose queue: (user name, states, and the state a suspended
# order must have been suspended from: front line before escalation, back office after).
QUEUES = (
    ("secondline", ("escalated",), "escalated"),
    ("agent", ("replied", "awaiting_callback"), None),
    ("firstline", ("new", "in_progress", "reopened"), "in_progress"),
    ("lead", ("new", "in_progress", "reopened", "escalated"), None),
)


def fill_queues(size: int = QUEUE_SIZE, least: int = QUEUE_MIN) -> int:
    """Put open work orders of the history into the demo users' queues (once).

    Each queue user gets up to SIZE unassigned open orders of their cities in the states
    their role works on; remediation orders get the team lead as follow-up owner. Where the
    history has fewer than LEAST left, customers of the user's city call again today and
    their orders are recorded and moved on through the live lifecycle
    (`complaints.workorders`). Returns the number of orders assigned; 0 when the queues were
    filled before.
    """
    from sqm.complaints.models import WorkOrder

    users = {u.username: u for u in User.objects.filter(username__in=[q[0] for q in QUEUES])}
    if len(users) < len(QUEUES) or WorkOrder.objects.filter(assignee__in=users.values()).exists():
        return 0
    assigned = calls = 0
    for username, states, suspended_from in QUEUES:
        user = users[username]
        wanted = WorkOrder.objects.restrict(user).filter(
            assignee=None, record_type="complaint_work_order", state__in=states
        )
        if suspended_from:
            wanted = wanted | WorkOrder.objects.restrict(user).filter(
                assignee=None, state="suspended", state_before_suspension=suspended_from
            )
        picked = list(wanted.order_by("-created").values_list("pk", flat=True)[:size])
        while len(picked) < least:
            again = _call_again_today(user, users, calls)
            calls += 1
            if again is None:  # a province too small to have history to follow up
                break
            picked.append(again)
        assigned += WorkOrder.objects.filter(pk__in=picked).update(assignee=user)
    WorkOrder.objects.filter(state="reopened", remediation=True, remediation_owner=None).update(
        remediation_owner=users["lead"]
    )
    return assigned


def _call_again_today(user: User, users: dict[str, User], nth: int) -> int | None:
    """The customer of the NTH latest closed work order (in the demo agent's city) complains
    again today; the new work order is taken as far as USER's queue needs (returns its
    primary key)."""
    from sqm.complaints.models import Department, WorkOrder
    from sqm.complaints.workorders import do_transition, open_work_order

    front = users["agent"]
    earlier = (
        WorkOrder.objects.restrict(front)
        .filter(record_type="complaint_work_order", state="closed")
        .select_related("customer", "category", "account")
        .order_by("-created")[nth : nth + 1]
        .first()
    )
    if earlier is None:
        return None
    order = open_work_order(
        front,
        customer=earlier.customer,
        category=earlier.category,
        channel="hotline",
        description="客户再次来电，问题仍未解决：" + earlier.description,
        account=earlier.account,
    )
    if order.state != "new":  # recorded closed (not a work order in this version)
        return order.pk
    order = do_transition(front, order, "accept")
    if user.username == "secondline":
        second_line = Department.objects.filter(kind="second_line").order_by("code").first()
        order = do_transition(front, order, "escalate", "需二线核查处理", department=second_line)
    elif user.username == "agent":
        order = do_transition(front, order, "reply", "已核实处理，等待回访确认。")
        order = do_transition(front, order, "start_callback")
    return order.pk


# --- the live fault's batch cause -------------------------------------------------------------

# Customers of the live fault who call: the first BATCH_COMPLAINTS insist on a work order
# (batch complaints, linked to the cause), the next BATCH_ANSWERS accept the fault answer.
BATCH_COMPLAINTS = 6
BATCH_ANSWERS = 3
# They want the line back and compensation, and do not accept the first answer: a complaint
# work order by the entry rules (row O2 of docs/complaint-rules.md).
BATCH_COMPLAINT_INTAKE = Intake(
    topic=Topic.OTHER,
    accepted=False,
    demands=frozenset({Demand.RESTORE, Demand.COMPENSATION}),
    dissatisfied=True,
    needs_handover=True,
)
BATCH_COMPLAINT_TEXT = (
    "客户来电反映宽带突然无法上网，光猫指示灯异常，要求尽快修复并给予补偿，对首次答复不接受。"
)


def live_fault(pk: int | None = None) -> FaultEvent | None:
    """The live fault the network part raised (PK), or else the active fault event above
    single ONUs that started last."""
    faults = FaultEvent.objects.filter(state=FaultState.ACTIVE).select_related("olt", "city")
    if pk is not None:
        return faults.filter(pk=pk).first()
    return faults.filter(level__in=("olt", "board", "pon")).order_by("-started_at").first()


def _acting(usernames: tuple[str, ...], perms: tuple[str, ...], city_id: int) -> User | None:
    """The first demo user of USERNAMES who has PERMS in the city."""
    from sqm.complaints.workorders import in_cities

    for name in usernames:
        user = User.objects.filter(username=name, is_active=True).first()
        if user is not None and user.has_perms(perms) and in_cities(user, city_id):
            return user
    return None


def batch_complaints(fault_pk: int | None = None) -> ComplaintCause | None:
    """Record the live fault's batch cause (批量投诉原因) and its customers' calls: batch
    complaints linked to the cause, and batch answers. None when there is no live fault or
    no demo user to act."""
    from sqm.complaints.models import Category
    from sqm.complaints.preprocessing import BATCH_ANSWER_CATEGORY, do_batch_answer
    from sqm.complaints.records import create_cause, link_cause
    from sqm.complaints.services import record_contact

    fault = live_fault(fault_pk)
    if fault is None:
        return None
    agent = _acting(("agent", "admin"), ("complaints.add_workorder",), fault.city_id)
    lead = _acting(
        ("lead", "admin"),
        ("complaints.add_complaintcause", "complaints.change_complaintcause"),
        fault.city_id,
    )
    category = Category.objects.filter(code=BATCH_ANSWER_CATEGORY, level=3, active=True).first()
    if agent is None or lead is None or category is None:
        return None
    type_name = fault_type_name(fault.type)
    cause = create_cause(
        lead,
        kind=CauseKind.NETWORK_FAULT,
        title=f"{fault_area(fault)}{type_name}（故障事件{fault.pk}）"[:120],
        description=(
            f"{fault.olt.olt_id}（{fault.olt.name}）{type_name}，影响约{fault.affected_accounts}户"
            "宽带用户，已通知抢修，故障短信已发送。"
        ),
        city=fault.city,
        started_at=fault.started_at,
        reference=f"fault-event:{fault.pk}",
    )
    outages = (
        Outage.objects.filter(fault_event=fault, ended_at__isnull=True)
        .select_related("account__customer")
        .order_by("account__account_id")[: BATCH_COMPLAINTS + BATCH_ANSWERS]
    )
    orders = []
    for i, outage in enumerate(outages):
        account = outage.account
        if i < BATCH_COMPLAINTS:
            order, _decision = record_contact(
                agent,
                customer=account.customer,
                account=account,
                category=category,
                channel=Channel.HOTLINE,
                description=BATCH_COMPLAINT_TEXT,
                intake=BATCH_COMPLAINT_INTAKE,
            )
            orders.append(order)
        else:
            do_batch_answer(agent, account.customer, account, fault)
    link_cause(lead, orders, cause)
    return cause
