"""Complaint reference data: departments and the three-level category tree.

The tree is the operator's four layers made data: customer → need area (second level) →
assurance module → responsible department. Administrators edit it; the defaults come from
sqm/complaints/data/categories.json.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sqm.complaints.choices import (
    CallbackOutcome,
    CauseKind,
    Channel,
    DepartmentKind,
    NeedArea,
    OrderKind,
    RecordType,
    Topic,
    WorkOrderAction,
    WorkOrderState,
)
from sqm.core.models import ChangeLoggedModel
from sqm.customers.choices import Tier

MAX_LEVEL = 3


class Department(ChangeLoggedModel):
    """A unit that handles work orders: the front line, second-line groups, departments."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=DepartmentKind.choices)
    active = models.BooleanField(_("active"), default=True)
    # Who works in it: their queue includes its unclaimed escalated orders.
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="departments",
        verbose_name=_("members"),
    )

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Category(ChangeLoggedModel):
    """One node of the complaint category tree (e.g. 网络质量 › 家庭宽带 › 网速慢).

    Second-level nodes carry the need area and the responsible department; work orders are
    filed under third-level nodes and inherit both from their parent.
    """

    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    level = models.PositiveSmallIntegerField(_("level"), editable=False)
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=64)
    need_area = models.CharField(
        _("need area"), max_length=24, choices=NeedArea.choices, blank=True
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="categories",
        verbose_name=_("responsible department"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name")
        ]
        verbose_name = _("complaint category")
        verbose_name_plural = _("complaint categories")

    def __str__(self) -> str:
        return self.path

    @property
    def path(self) -> str:
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " › ".join(reversed(names))

    def clean(self) -> None:
        self.level = 1 if self.parent is None else self.parent.level + 1
        if self.level > MAX_LEVEL:
            raise ValidationError({"parent": _("Categories have at most three levels.")})
        if self.level == 2 and not (self.need_area and self.department_id):
            raise ValidationError(
                _("A second-level category needs a need area and a responsible department.")
            )
        if self.level != 2 and (self.need_area or self.department_id):
            raise ValidationError(
                _("Only second-level categories carry a need area and a department.")
            )

    def save(self, *args, **kwargs):
        self.level = 1 if self.parent is None else self.parent.level + 1
        super().save(*args, **kwargs)


class WorkOrder(ChangeLoggedModel):
    """A complaint work order (投诉工单). State changes go through
    `sqm.complaints.workorders.do_transition` only: a guarded update plus a timeline event."""

    number = models.CharField(_("work order number"), max_length=24, unique=True)
    # The FK indexes of customer, city, department and assignee are left out: each column
    # leads a composite index below, which serves the same look-ups (and SQLite, given both,
    # picks the single-column one for the queue and reads closed orders too).
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="work_orders",
        verbose_name=_("customer"),
        db_index=False,
    )
    account = models.ForeignKey(
        "customers.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
        verbose_name=_("account"),
    )
    # The customer's city, copied so scoping and city lists need no join.
    city = models.ForeignKey(
        "core.City", on_delete=models.PROTECT, verbose_name=_("city"), db_index=False
    )
    channel = models.CharField(_("channel"), max_length=24, choices=Channel.choices)
    upgraded = models.BooleanField(_("upgraded complaint"), default=False, db_index=True)
    repeat_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repeats",
        verbose_name=_("repeat of"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="work_orders",
        verbose_name=_("category"),
    )
    description = models.TextField(_("description"))
    record_type = models.CharField(
        _("record type"),
        max_length=32,
        choices=RecordType.choices,
        default=RecordType.COMPLAINT_WORK_ORDER,
    )
    # The intake facts triage decided on (docs/complaint-rules.md), kept for review and KPIs.
    topic = models.CharField(_("topic"), max_length=16, choices=Topic.choices, blank=True)
    demands = models.JSONField(_("demands"), default=list, blank=True)
    order_kind = models.CharField(
        _("order raised alongside"), max_length=16, choices=OrderKind.choices, blank=True
    )
    triage_reason = models.TextField(_("triage reason"), blank=True)
    # Batch complaints (批量投诉): many orders about one cause.
    cause = models.ForeignKey(
        "ComplaintCause",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_orders",
        verbose_name=_("batch cause"),
    )
    # Set when the contact is about a known network fault: a batch answer (拦截) or a
    # batch complaint (docs/faults.md, pre-processing).
    fault_event = models.ForeignKey(
        "network.FaultEvent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_orders",
        verbose_name=_("fault event"),
    )
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=WorkOrderState.choices,
        default=WorkOrderState.NEW,
        db_index=True,
    )
    # Bumped by every transition; the guarded update checks it, so even changes that keep
    # the state (a transfer, a callback attempt) cannot be made twice from one view.
    version = models.PositiveIntegerField(default=0, editable=False)
    state_before_suspension = models.CharField(
        max_length=20, choices=WorkOrderState.choices, blank=True, editable=False
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handling department"),
        db_index=False,
    )
    first_responsible = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("first-responsibility department"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assignee"),
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    reply = models.TextField(_("reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # SLA clock (sqm.complaints.sla): deadlines are stored, indexed, and moved only when the
    # state changes, so periodic checks are range queries rather than recomputations.
    policy = models.ForeignKey(
        "SlaPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("SLA policy"),
    )
    response_due = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolve_due = models.DateTimeField(_("resolve by"), null=True, blank=True, db_index=True)
    warn_at = models.DateTimeField(_("warning from"), null=True, blank=True, db_index=True)
    callback_due = models.DateTimeField(_("call back by"), null=True, blank=True, db_index=True)
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    untimely = models.BooleanField(_("closed after its deadline"), null=True, blank=True)
    breach_reason = models.TextField(_("reason for the breach"), blank=True)
    # Callback (回访) and service remediation (服务补救).
    callback_outcome = models.CharField(
        _("callback outcome"), max_length=20, choices=CallbackOutcome.choices, blank=True
    )
    callback_attempts = models.PositiveSmallIntegerField(_("unreachable attempts"), default=0)
    remediation = models.BooleanField(_("service remediation"), default=False)
    remediation_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("remediation follow-up owner"),
    )

    city_path = "city"

    class Meta:
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["city", "state"], name="workorder_city_state"),
            # Repeat detection: this customer's earlier orders, newest closure first.
            models.Index(fields=["customer", "closed_at"], name="workorder_customer_closed"),
            # "My queue": an assignee's open orders by deadline.
            models.Index(fields=["assignee", "state", "resolve_due"], name="workorder_queue"),
            # Team-lead lists: a department's orders by deadline.
            models.Index(
                fields=["department", "state", "resolve_due"], name="workorder_department"
            ),
            # The home page's 30-day trend: orders opened, and closed (with their callback
            # verdict), per day; also the lists' newest-first order.
            models.Index(fields=["created"], name="workorder_created"),
            models.Index(fields=["closed_at"], name="workorder_closed_at"),
        ]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        permissions = [
            ("handle_front_line", _("Handle work orders in the front line")),
            ("handle_back_office", _("Handle escalated work orders")),
            ("do_callback", _("Call customers back and close work orders")),
            ("oversee_workorders", _("Oversee and export all work orders of one's cities")),
            ("import_history", _("Import complaint history from the old system")),
        ]

    def __str__(self) -> str:
        return self.number


class WorkOrderEvent(models.Model):
    """One step of a work order's timeline: who did what, when, from which state to which."""

    work_order = models.ForeignKey(
        WorkOrder,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("work order"),
    )
    time = models.DateTimeField(_("time"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    action = models.CharField(_("action"), max_length=20, choices=WorkOrderAction.choices)
    from_state = models.CharField(
        _("from"), max_length=20, choices=WorkOrderState.choices, blank=True
    )
    to_state = models.CharField(_("to"), max_length=20, choices=WorkOrderState.choices)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
    )
    # Whom the order was given to (an "assign" step).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["time", "id"]
        verbose_name = _("work order event")
        verbose_name_plural = _("work order events")

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.action} {self.from_state}→{self.to_state}"


class SlaPolicy(ChangeLoggedModel):
    """Time limits for work orders matching (category, customer tier, upgraded or not).

    Empty criteria match anything; the most specific matching policy applies (see
    docs/sla.md). Limits run in working time on the business calendar, or in calendar time.
    """

    name = models.CharField(pgettext_lazy("thing", "name"), max_length=64)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("category (and below)"),
    )
    tier = models.CharField(_("customer tier"), max_length=8, choices=Tier.choices, blank=True)
    upgraded = models.BooleanField(_("upgraded complaints"), null=True, blank=True)
    response_hours = models.DecimalField(
        _("response limit (hours)"), max_digits=6, decimal_places=2
    )
    resolution_hours = models.DecimalField(
        _("resolution limit (hours)"), max_digits=6, decimal_places=2
    )
    callback_hours = models.DecimalField(
        _("callback limit (hours)"), max_digits=6, decimal_places=2
    )
    working_time = models.BooleanField(
        _("in working time"),
        default=False,
        help_text=_("Count only working hours of the business calendar."),
    )
    warning_ratio = models.DecimalField(
        _("warn at share of the limit"), max_digits=3, decimal_places=2, default=Decimal("0.80")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


# The reference prefix of a batch cause recorded for a fault event ("fault-event:3100").
FAULT_REFERENCE = "fault-event"


class ComplaintCause(ChangeLoggedModel):
    """One cause behind a batch of complaints (批量投诉): a network fault, a billing run, …

    Visible in every city (a billing run is province-wide); `city` only says where it hit.
    The fault notification part links fault events here by `reference`.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=CauseKind.choices)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    city = models.ForeignKey(
        "core.City",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("city (empty: whole province)"),
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    reference = models.CharField(_("external reference"), max_length=64, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("batch complaint cause")
        verbose_name_plural = _("batch complaint causes")

    def __str__(self) -> str:
        return self.title

    @property
    def referenced_fault_id(self) -> int | None:
        """The fault event this cause was recorded for, when its reference names one
        (`fault-event:<id>`, fault_panels.fault_reference); else None."""
        prefix, _sep, number = self.reference.partition(":")
        if prefix == FAULT_REFERENCE and number.isascii() and number.isdigit():
            return int(number)
        return None


class WorkOrderAttachment(models.Model):
    """A file attached to a work order, stored under the media root (checked on upload)."""

    work_order = models.ForeignKey(
        WorkOrder,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("work order"),
    )
    file = models.FileField(_("file"), upload_to="workorders/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class IntakeSubmission(models.Model):
    """A one-time key of an intake submission (the form's hidden token, or an API client's
    Idempotency-Key) and the record it produced: the same key sent twice records one
    contact. Kept a day (see complaints.idempotency)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    work_order = models.ForeignKey(WorkOrder, null=True, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="complaints_intake_key_once")
        ]

    def __str__(self) -> str:
        return self.key
