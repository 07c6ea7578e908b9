"""Pre-processing for the hotline (投诉预处理, docs/faults.md).

When a customer calls while the network is down under them, the agent should see it at
once and answer from the known fault instead of opening a work order:

- `fault_situation` gathers, for a customer's accounts, the open outages with their fault
  events, the state of each account's ONU, PON port and OLT from the active alarms, the SMS
  we sent them lately, and the fault type's answer script filled in. A constant number of
  queries, however many accounts and alarms.
- `do_batch_answer` records such a contact as a closed direct-answer complaint linked to
  the fault event (an intercepted complaint), through `services.record_contact` like any
  other contact.
- `services.record_contact` links a complaint work order opened while an open outage covers
  the customer to that fault event (a batch complaint, 批量投诉), found by
  `covering_fault`; the link is written with the record.
- `interception_counts` compares the two for the team overview.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sqm.complaints import queries
from sqm.complaints.choices import Channel, Demand, RecordType, Topic
from sqm.complaints.fault_panels import fault_reference
from sqm.complaints.models import Category, WorkOrder
from sqm.complaints.triage import Intake
from sqm.network import stale
from sqm.network.choices import AlarmLevel, FaultState
from sqm.network.fault_sms import fault_area
from sqm.network.models import Alarm, FaultEvent, FaultType, Olt, Outage
from sqm.notify.choices import MessageKind, MessageState
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import SHANGHAI

RECENT_SMS_DAYS = 7
RECENT_SMS_LIMIT = 20
# Where a batch answer is filed unless the agent chose a category: 家庭宽带 › 无法上网.
BATCH_ANSWER_CATEGORY = "NQ.BB.03"
# The facts of a contact answered from a known fault: the customer wants the service back
# (restore) and is unhappy about it, accepted the answer, nothing to hand over. The entry
# rules make that a direct-answer complaint (row O1 of docs/complaint-rules.md).
BATCH_ANSWER_INTAKE = Intake(
    topic=Topic.OTHER,
    accepted=True,
    demands=frozenset({Demand.RESTORE}),
    dissatisfied=True,
    needs_handover=False,
)


# --- what the agent sees ----------------------------------------------------------------


@dataclass
class ElementState:
    """One network element above an account: down while an active alarm covers it."""

    kind: str  # "onu", "pon" or "olt"
    label: str
    alarm_type: str = ""
    since: datetime | None = None
    cause: str = ""  # the element the alarm is on, when it is a wider one

    @property
    def down(self) -> bool:
        return self.since is not None

    @property
    def state(self) -> str:
        return "down" if self.down else "normal"

    @property
    def kind_label(self) -> str:
        return str(AlarmLevel(self.kind).label)


@dataclass
class AccountElements:
    account: object
    elements: list[ElementState]

    @property
    def down(self) -> bool:
        return any(element.down for element in self.elements)


@dataclass
class FaultView:
    """A fault event over some of the customer's accounts, as the agent answers it."""

    fault: FaultEvent
    element: str  # the failed element: OLT name and position
    type_name: str
    script: str  # the answer script with {area} {started} {eta} filled in
    accounts: list = field(default_factory=list)  # the customer's accounts it covers
    down_since: datetime | None = None  # the earliest of their outages
    # The customer's newest open work order about this fault (linked to the event, to one it
    # absorbed, or to its batch cause): follow it up rather than opening another.
    open_order: WorkOrder | None = None
    # No alarm activity for SQM_FAULT_STALE_HOURS (network.stale): its clear was probably
    # lost, so the customer's service may well be back; the agent asks before answering.
    stale: bool = False
    last_activity: datetime | None = None

    @property
    def active(self) -> bool:
        return self.fault.state == FaultState.ACTIVE

    @property
    def started_at(self) -> datetime:
        return self.fault.started_at

    @property
    def estimated_recovery(self) -> datetime | None:
        return self.fault.estimated_recovery


@dataclass
class MessageView:
    """An SMS of the outbox as the agent sees it: never the mobile number."""

    account_id: str
    kind: str
    state: str
    send_at: datetime
    sent_at: datetime | None
    text: str

    @property
    def kind_label(self) -> str:
        return str(MessageKind(self.kind).label)

    @property
    def state_label(self) -> str:
        return str(MessageState(self.state).label)


@dataclass
class Situation:
    sms_days = RECENT_SMS_DAYS
    faults: list[FaultView] = field(default_factory=list)
    accounts: list[AccountElements] = field(default_factory=list)
    messages: list[MessageView] = field(default_factory=list)

    @property
    def relevant(self) -> bool:
        """Whether there is anything to show: an outage, an element down, a recent SMS."""
        return bool(self.faults or self.messages or any(a.down for a in self.accounts))

    @property
    def down_elements(self) -> bool:
        return any(a.down for a in self.accounts)

    @property
    def open_orders(self) -> bool:
        """Whether the customer already has an open work order for one of the faults."""
        return any(f.open_order is not None for f in self.faults)

    @property
    def only_stale(self) -> bool:
        """Whether every fault over the customer is stale (none is a current outage)."""
        return bool(self.faults) and all(f.stale for f in self.faults)


def fault_situation(user, accounts, now: datetime | None = None) -> Situation:
    """What the network is doing to ACCOUNTS (a customer's accounts USER may see).

    Each part needs its permission: fault events (outages and scripts, and the customer's
    open work orders about them when USER may read work orders), alarms (element states),
    outbound SMS (recent messages); a fault with no alarm activity for long is marked stale
    (network.stale). Seven queries at most, whatever the number of accounts, alarms and
    messages.
    """
    now = now or timezone.now()
    accounts = list(accounts)
    situation = Situation()
    if not accounts:
        return situation
    if user.has_perm("network.view_faultevent"):
        situation.faults = _faults(user, accounts, now)
        if situation.faults and user.has_perm("complaints.view_workorder"):
            _find_open_orders(user, accounts, situation.faults)
    if user.has_perm("network.view_alarm"):
        situation.accounts = _elements(accounts)
    if user.has_perm("notify.view_outboundmessage"):
        situation.messages = _messages(accounts, now - timedelta(days=RECENT_SMS_DAYS))
    return situation


def element_label(fault: FaultEvent) -> str:
    """The failed element of FAULT: its OLT's name and the position below it."""
    name = fault.olt.name or fault.olt.olt_id
    if fault.level == AlarmLevel.BOARD and fault.board is not None:
        return f"{name} {fault.board.frame}/{fault.board.slot}"
    if fault.level == AlarmLevel.PON and fault.pon_port is not None:
        pon = fault.pon_port
        return f"{name} {pon.frame}/{pon.slot}/{pon.port}"
    if fault.level == AlarmLevel.ONU and fault.onu is not None:
        onu = fault.onu
        return f"{name} {onu.frame}/{onu.slot}/{onu.port} {onu.onu_id}"
    return name


def _faults(user, accounts, now: datetime) -> list[FaultView]:
    outages = (
        Outage.objects.filter(account_id__in=[a.pk for a in accounts], ended_at__isnull=True)
        .select_related(
            "fault_event__olt",
            "fault_event__city",
            "fault_event__board",
            "fault_event__pon_port",
            "fault_event__onu",
        )
        .annotate(fault_activity=stale.last_activity("fault_event__"))
        .order_by("started_at", "pk")
    )
    by_pk = {a.pk: a for a in accounts}
    views: dict[int, FaultView] = {}
    for outage in outages:
        view = views.get(outage.fault_event_id)
        if view is None:
            fault = outage.fault_event
            view = views[fault.pk] = FaultView(
                fault=fault, element=element_label(fault), type_name=fault.type, script=""
            )
            view.down_since = outage.started_at
            view.last_activity = outage.fault_activity
            view.stale = view.active and view.last_activity <= stale.stale_since(now)
        view.accounts.append(by_pk[outage.account_id])
    if views and user.has_perm("network.view_faulttype"):
        types = {
            t.code: t
            for t in FaultType.objects.filter(code__in={v.fault.type for v in views.values()})
        }
        for view in views.values():
            fault_type = types.get(view.fault.type)
            if fault_type is not None:
                view.type_name = fault_type.name
                view.script = render_script(fault_type.script, view.fault)
    return list(views.values())


def _find_open_orders(user, accounts, views: list[FaultView]) -> None:
    """Set each view's `open_order`: the newest open work order of the accounts' customer
    linked to its fault event, to an event it absorbed, or to a batch cause of either."""
    by_fault = {view.fault.pk: view for view in views}
    # Event id -> the shown event it belongs to (itself, or the event that absorbed it).
    owner = {pk: pk for pk in by_fault}
    owner.update(
        FaultEvent.objects.filter(merged_into_id__in=by_fault).values_list("pk", "merged_into_id")
    )
    references = {fault_reference(pk): shown for pk, shown in owner.items()}
    orders = (
        WorkOrder.objects.restrict(user)
        .filter(customer_id__in={a.customer_id for a in accounts}, state__in=queries.OPEN_STATES)
        .filter(Q(fault_event_id__in=owner) | Q(cause__reference__in=references))
        .select_related("cause")
        .order_by("-created", "-pk")
    )
    for order in orders:
        shown = owner.get(order.fault_event_id) or references.get(
            order.cause.reference if order.cause_id else ""
        )
        view = by_fault.get(shown)
        if view is not None and view.open_order is None:
            view.open_order = order


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # an unknown placeholder stays visible rather than failing


def _moment(value: datetime) -> str:
    # The script is read to the customer in Chinese, like the SMS (network.fault_sms).
    local = value.astimezone(SHANGHAI)
    return f"{local.month}月{local.day}日{local:%H:%M}"


def script_variables(fault: FaultEvent) -> dict[str, str]:
    """{area} {started} {eta} of FAULT, in the words of the fault SMS."""
    eta = fault.estimated_recovery
    return {
        "area": fault_area(fault),
        "started": _moment(fault.started_at),
        "eta": f"预计{_moment(eta)}前恢复" if eta else "请您耐心等待",
    }


def render_script(script: str, fault: FaultEvent) -> str:
    return script.format_map(_Keep(script_variables(fault)))


def _elements(accounts) -> list[AccountElements]:
    """The ONU, PON port and OLT of each broadband account, down or normal."""
    onus = [a.onu for a in accounts if getattr(a, "onu", None) is not None]
    if not onus:
        return []
    olt_ids = {o.olt_id for o in onus}
    olts = {
        pk: name or code
        for pk, name, code in Olt.objects.filter(pk__in=olt_ids).values_list("pk", "name", "olt_id")
    }
    covering = Q(level=AlarmLevel.OLT) | Q(level=AlarmLevel.ONU, onu_id__in=[o.pk for o in onus])
    for olt, frame, slot in {(o.olt_id, o.frame, o.slot) for o in onus}:
        covering |= Q(level=AlarmLevel.BOARD, olt_id=olt, board__frame=frame, board__slot=slot)
    for olt, frame, slot, port in {(o.olt_id, o.frame, o.slot, o.port) for o in onus}:
        covering |= Q(
            level=AlarmLevel.PON,
            olt_id=olt,
            pon_port__frame=frame,
            pon_port__slot=slot,
            pon_port__port=port,
        )
    # The index (olt, cleared_at) finds the active alarms of these OLTs; few are left.
    alarms = list(
        Alarm.objects.filter(olt_id__in=olt_ids, cleared_at__isnull=True)
        .filter(covering)
        .order_by("raised_at", "pk")
        .values_list(
            "level",
            "type",
            "raised_at",
            "olt_id",
            "onu_id",
            "board__frame",
            "board__slot",
            "pon_port__frame",
            "pon_port__slot",
            "pon_port__port",
        )  # fmt: skip
    )
    result = []
    for account in accounts:
        onu = getattr(account, "onu", None)
        if onu is None:
            continue
        olt_name = olts.get(onu.olt_id, "")
        position = f"{onu.frame}/{onu.slot}/{onu.port}"
        on_onu, on_pon, on_board, on_olt = [], [], [], []
        for level, kind, raised, olt, onu_id, bf, bs, pf, ps, pp in alarms:
            if olt != onu.olt_id:
                continue
            if level == AlarmLevel.OLT:
                on_olt.append((raised, kind, level, _("OLT %(name)s") % {"name": olt_name}))
            elif level == AlarmLevel.BOARD and (bf, bs) == (onu.frame, onu.slot):
                board = _("board %(position)s") % {"position": f"{bf}/{bs}"}
                on_board.append((raised, kind, level, board))
            elif level == AlarmLevel.PON and (pf, ps, pp) == (onu.frame, onu.slot, onu.port):
                pon = _("PON port %(position)s") % {"position": position}
                on_pon.append((raised, kind, level, pon))
            elif level == AlarmLevel.ONU and onu_id == onu.pk:
                on_onu.append((raised, kind, level, ""))
        result.append(
            AccountElements(
                account,
                [
                    _state(AlarmLevel.ONU, onu.onu_id, on_onu + on_pon + on_board + on_olt),
                    _state(AlarmLevel.PON, f"{olt_name} {position}", on_pon + on_board + on_olt),
                    _state(AlarmLevel.OLT, olt_name, on_olt),
                ],
            )
        )
    return result


def _state(kind: str, label: str, alarms: list) -> ElementState:
    """KIND is down since the earliest of the ALARMS that cover it; the cause is named when
    the alarm is on a wider element."""
    if not alarms:
        return ElementState(kind, label)
    since, alarm_type, level, cause = min(alarms, key=lambda a: a[0])
    return ElementState(kind, label, alarm_type, since, cause if level != kind else "")


def _messages(accounts, since: datetime) -> list[MessageView]:
    # Cancelled ones never went out (the outage ended first): nothing the customer saw.
    # values_list: the encrypted mobile number is never read, let alone shown.
    rows = (
        OutboundMessage.objects.filter(account_id__in=[a.pk for a in accounts], send_at__gte=since)
        .exclude(state=MessageState.CANCELLED)
        .order_by("-send_at", "-pk")
        .values_list("account__account_id", "kind", "state", "send_at", "sent_at", "text")
    )
    return [MessageView(*row) for row in rows[:RECENT_SMS_LIMIT]]


# --- batch answers and batch complaints -----------------------------------------------------


def covering_fault(customer, account=None) -> int | None:
    """The fault event (id) of an open outage over ACCOUNT, or over any of CUSTOMER's
    accounts when no account is given; None when the network is fine there.

    One query on the index Outage(account, ended_at): intake runs it for every work order.
    """
    outages = Outage.objects.filter(ended_at__isnull=True)
    if account is not None:
        outages = outages.filter(account_id=account.pk)
    else:
        outages = outages.filter(account__customer_id=customer.pk)
    return outages.order_by("started_at").values_list("fault_event_id", flat=True).first()


def batch_answer_reason(fault: FaultEvent, type_name: str) -> str:
    """The triage reason of a batch answer. Chinese and not translated, like the entry
    rules' reasons: it is stored with the record and read by quality staff."""
    return (
        f"客户反映的问题属于已知网络故障（故障事件{fault.pk}：{fault_area(fault)}{type_name}，"
        f"{_moment(fault.started_at)}起），已按故障答复口径现场答复且客户接受，记为直接答复投诉，"
        "不派发工单。"
    )


def batch_answer_description(type_name: str) -> str:
    """The description of a batch answer when the agent typed none (stored data: Chinese)."""
    return f"客户来电反映无法正常使用业务，属于已知网络故障（{type_name}），已按故障答复口径答复。"


def do_batch_answer(
    user,
    customer,
    account,
    fault_event: FaultEvent,
    description: str = "",
    channel: str = Channel.HOTLINE,
    category: Category | None = None,
) -> WorkOrder:
    """Record a contact answered from the known FAULT_EVENT (批量答复): a closed
    direct-answer complaint linked to the fault, no work order dispatched.

    Refused when the fault event is no longer active, or covers neither ACCOUNT nor (when
    no account is given) any of CUSTOMER's accounts. Without an account, the first covered
    account of the customer is recorded. Recorded and change-logged like any contact.
    """
    from sqm.complaints.services import record_contact
    from sqm.complaints.workorders import in_cities

    if not user.has_perm("complaints.add_workorder"):
        raise PermissionDenied(_("You may not record work orders."))
    if not user.has_perm("network.view_faultevent"):
        raise PermissionDenied(_("You may not see fault events."))
    if not (user.has_perm("customers.view_customer") and in_cities(user, customer.city_id)):
        raise PermissionDenied(_("This customer is outside your cities."))
    if account is not None and account.customer_id != customer.pk:
        raise ValidationError(_("The account belongs to another customer."))
    if fault_event.state != FaultState.ACTIVE:
        raise ValidationError(
            _("Fault event %(id)s is no longer active: answer the contact as usual.")
            % {"id": fault_event.pk}
        )
    covered = Outage.objects.filter(fault_event=fault_event, ended_at__isnull=True)
    if account is not None:
        covered = covered.filter(account_id=account.pk)
    else:
        covered = covered.filter(account__customer_id=customer.pk)
    first = covered.select_related("account").order_by("account__account_id").first()
    if first is None:
        if account is not None:
            message = _("Fault event %(id)s does not cover account %(account)s.") % {
                "id": fault_event.pk,
                "account": account.account_id,
            }
        else:
            message = _("Fault event %(id)s covers none of this customer's accounts.") % {
                "id": fault_event.pk
            }
        raise ValidationError(message)
    account = account or first.account
    if category is None:
        category = Category.objects.filter(code=BATCH_ANSWER_CATEGORY, level=3, active=True).first()
        if category is None:
            raise ValidationError(_("Choose the category to file the answer under."))
    type_name = (
        FaultType.objects.filter(code=fault_event.type).values_list("name", flat=True).first()
        or fault_event.type
    )
    order, decision = record_contact(
        user,
        customer=customer,
        account=account,
        category=category,
        channel=channel,
        description=(description or "").strip() or batch_answer_description(type_name),
        intake=BATCH_ANSWER_INTAKE,
        fault_event=fault_event,
        reason=batch_answer_reason(fault_event, type_name),
    )
    assert decision.record_type == RecordType.DIRECT_ANSWER_COMPLAINT, decision
    return order


# --- the interception rate ------------------------------------------------------------------


@dataclass(frozen=True)
class Interception:
    since: datetime
    until: datetime
    intercepted: int  # contacts answered from a known fault, no work order
    batch_complaints: int  # work orders opened during a fault, linked to it

    @property
    def rate(self) -> float | None:
        """intercepted ÷ (intercepted + batch complaints); None when there were neither."""
        total = self.intercepted + self.batch_complaints
        return self.intercepted / total if total else None

    @property
    def percent(self) -> float | None:
        return None if self.rate is None else round(self.rate * 100, 1)


def interception_counts(user, since: datetime, until: datetime, city=None) -> Interception:
    """Contacts about a known fault recorded between SINCE (inclusive) and UNTIL (exclusive)
    in USER's cities (or CITY: a City or its code): answered without a work order
    (intercepted) against opened as work orders (batch complaints)."""
    orders = WorkOrder.objects.restrict(user).filter(
        fault_event__isnull=False, created__gte=since, created__lt=until
    )
    if city is not None:
        orders = (
            orders.filter(city__code=city) if isinstance(city, str) else orders.filter(city=city)
        )
    counts = orders.aggregate(
        intercepted=Count("pk", filter=Q(record_type=RecordType.DIRECT_ANSWER_COMPLAINT)),
        batch=Count("pk", filter=Q(record_type=RecordType.COMPLAINT_WORK_ORDER)),
    )
    return Interception(since, until, counts["intercepted"] or 0, counts["batch"] or 0)
