"""Serializers of the work-order API (`sqm.complaints.api`): request and response shapes."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.utils.urls import remove_query_param, replace_query_param

from sqm.api.fields import AwareDateTimeField
from sqm.api.pagination import Pagination
from sqm.complaints import queries, records, services, workorders
from sqm.complaints.choices import (
    CallbackOutcome,
    Channel,
    Demand,
    NeedArea,
    OrderKind,
    RecordType,
    Topic,
    WorkOrderAction,
    WorkOrderState,
)
from sqm.complaints.forms import CallbackForm, LinkCauseForm
from sqm.complaints.models import (
    Category,
    ComplaintCause,
    Department,
    WorkOrder,
    WorkOrderAttachment,
    WorkOrderEvent,
)
from sqm.customers import lookups
from sqm.customers.models import Customer
from sqm.customers.services import accounts_of
from sqm.network.api import UserCityField
from sqm.network.models import FaultEvent

# Actions offered by `transitions/`. Closing, reopening and unreachable attempts follow
# from a callback outcome: they go through `callback/`, as on the page.
ACTIONS = workorders.DIRECT_ACTIONS
YES_NO = [("1", _("yes")), ("0", _("no"))]


class WorkOrderPagination(Pagination):
    """Page links that never repeat a mobile number searched for with `q`: it leaves as its
    lookup hash (`mobile_hash`), which the list accepts too."""

    def _without_personal_data(self, url: str | None) -> str | None:
        url = super()._without_personal_data(url)
        number = lookups.classify(self.request.query_params.get("q") or "")
        if url is not None and number is not None:
            url = replace_query_param(
                remove_query_param(url, "q"), lookups.HASH_FIELDS[number.kind], number.digest
            )
        return url


class IsoDateField(serializers.DateField):
    """A date as YYYY-MM-DD, read like the page reads it; far ends would overflow the day
    bounds the search computes."""

    default_error_messages = {
        "invalid": _("Enter a date as YYYY-MM-DD."),
        "range": _("Enter a date within years 2–9998."),
    }

    def to_internal_value(self, value):
        try:
            day = datetime.date.fromisoformat(str(value))
        except ValueError:
            self.fail("invalid")
        if not datetime.date(2, 1, 1) <= day <= datetime.date(9998, 12, 31):
            self.fail("range")
        return day


# --- serializers: work orders -------------------------------------------------------------


class MaskedCustomerSerializer(serializers.ModelSerializer):
    masked_name = serializers.CharField(read_only=True)
    masked_mobile = serializers.CharField(read_only=True)

    class Meta:
        model = Customer
        fields = ["customer_id", "masked_name", "masked_mobile", "tier"]
        read_only_fields = fields


class WorkOrderEventSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    department = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    # Plain strings: an enum here would give the state set a second name in the schema.
    from_state = serializers.CharField(
        read_only=True, help_text=_("A state as in `state`; empty for the opening event.")
    )
    to_state = serializers.CharField(read_only=True, help_text=_("A state as in `state`."))

    class Meta:
        model = WorkOrderEvent
        fields = ["time", "user", "action", "from_state", "to_state", "department", "note"]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = WorkOrderAttachment
        fields = [
            "id",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
        ]
        read_only_fields = fields


def _username():
    return serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)


def _code():
    return serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)


class WorkOrderSerializer(serializers.ModelSerializer):
    """A work order in a list: state, SLA colour, deadlines, who holds it."""

    customer = MaskedCustomerSerializer(read_only=True)
    account = serializers.SlugRelatedField(slug_field="account_id", read_only=True, allow_null=True)
    city = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_path = serializers.CharField(source="category.path", read_only=True)
    department = _code()
    first_responsible = _code()
    assignee = _username()
    repeat_of = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)
    sla = serializers.SerializerMethodField(
        help_text=_(
            "overdue, warning (near the deadline), ontime, paused (suspended), done (closed), "
            "or empty (no SLA clock)."
        )
    )
    due = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text=_("The deadline that matters now: callback once replied, else resolution."),
    )
    version = serializers.IntegerField(
        read_only=True,
        help_text=_(
            "Send it back with a transition or callback: if the order has changed "
            "since, the answer is 409."
        ),
    )

    class Meta:
        model = WorkOrder
        fields = [
            "number",
            "record_type",
            "state",
            "sla",
            "due",
            "version",
            "city",
            "channel",
            "upgraded",
            "customer",
            "account",
            "category",
            "category_path",
            "department",
            "first_responsible",
            "assignee",
            "repeat_of",
            "cause",
            "fault_event",
            "remediation",
            "created",
            "response_due",
            "resolve_due",
            "warn_at",
            "callback_due",
        ]
        read_only_fields = fields

    def get_sla(self, order: WorkOrder) -> str:
        return queries.sla_status(order, self.context.get("now"))


class WorkOrderDetailSerializer(WorkOrderSerializer):
    """One work order with its intake facts, timeline, attachments and what you may do."""

    created_by = _username()
    remediation_owner = _username()
    topic = serializers.ChoiceField(
        choices=Topic.choices,
        allow_blank=True,
        read_only=True,
        help_text=_("The intake topic; empty for orders recorded without intake facts."),
    )
    demands = serializers.ListField(child=serializers.CharField(), read_only=True)
    # Plain strings: an enum here would give these value sets a second name in the schema.
    order_kind = serializers.CharField(
        read_only=True, help_text=_("The order raised alongside, as `order` of a decision.")
    )
    callback_outcome = serializers.CharField(
        read_only=True,
        help_text=_("As `outcome` of a callback; empty until the customer was called back."),
    )
    events = WorkOrderEventSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    actions = serializers.SerializerMethodField(
        help_text=_("The actions you may take now with `transitions/`.")
    )
    can_record_callback = serializers.SerializerMethodField(
        help_text=_("Whether you may record a callback outcome now with `callback/`.")
    )

    class Meta(WorkOrderSerializer.Meta):
        fields = [
            *WorkOrderSerializer.Meta.fields,
            "description",
            "topic",
            "demands",
            "order_kind",
            "triage_reason",
            "created_by",
            "reply",
            "replied_at",
            "closed_at",
            "suspended_at",
            "untimely",
            "breach_reason",
            "callback_outcome",
            "callback_attempts",
            "remediation_owner",
            "actions",
            "can_record_callback",
            "events",
            "attachments",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ACTIONS)))
    def get_actions(self, order: WorkOrder) -> list[str]:
        return workorders.available_actions(self.context["request"].user, order)

    def get_can_record_callback(self, order: WorkOrder) -> bool:
        return workorders.can_record_callback(self.context["request"].user, order)


class DecisionSerializer(serializers.Serializer):
    record_type = serializers.ChoiceField(choices=RecordType.choices)
    order = serializers.ChoiceField(
        choices=OrderKind.choices,
        allow_null=True,
        help_text=_("The order raised alongside the record, if any."),
    )
    reason = serializers.CharField(help_text=_("The entry rule's wording (Chinese)."))


class IntakeFactsSerializer(serializers.Serializer):
    """The facts triage decides on (docs/complaint-rules.md). Read as `sqm complaints triage`
    reads them: JSON true/false only, and an unknown key is an error."""

    topic = serializers.ChoiceField(choices=Topic.choices)
    accepted = serializers.BooleanField(
        help_text=_("The customer explicitly accepted the on-the-spot result.")
    )
    demands = serializers.ListField(
        child=serializers.ChoiceField(choices=Demand.choices),
        required=False,
        help_text=_("Explicit demands beyond the topic's own request; none by default."),
    )
    dissatisfied = serializers.BooleanField(
        required=False,
        help_text=_("Dissatisfaction stated (read for topic other); false by default."),
    )
    needs_handover = serializers.BooleanField(
        required=False,
        help_text=_("Needs dispatch, investigation or another department; false by default."),
    )


class RecordSerializer(serializers.Serializer):
    """What is recorded besides the intake facts; the facts are read by `intake_of`."""

    customer = serializers.CharField(
        max_length=32, help_text=_("The customer's customer ID (the business id, not the pk).")
    )
    account = serializers.CharField(
        max_length=32,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text=_("Account ID of one of the customer's accounts (optional)."),
    )
    channel = serializers.ChoiceField(choices=Channel.choices)
    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=services.filing_categories(),
        help_text=_("Code of an active third-level category, e.g. NQ.BB.01."),
    )
    description = serializers.CharField(max_length=4000)

    def validate_customer(self, value: str) -> Customer:
        customer = (
            Customer.objects.restrict(self.context["request"].user)
            .filter(customer_id=value)
            .first()
        )
        if customer is None:  # the same answer whether it exists in another city or not
            raise serializers.ValidationError(
                gettext("No customer %(id)s in your cities.") % {"id": value}
            )
        return customer

    def validate(self, attrs: dict) -> dict:
        account_id = attrs.get("account")
        attrs["account"] = None
        if account_id:
            user = self.context["request"].user
            account = accounts_of(user, attrs["customer"]).filter(account_id=account_id).first()
            if account is None:
                raise serializers.ValidationError(
                    {
                        "account": [
                            gettext("The customer has no account %(id)s.") % {"id": account_id}
                        ]
                    }
                )
            attrs["account"] = account
        return attrs


class IntakeSerializer(RecordSerializer, IntakeFactsSerializer):
    """A customer contact to record (every contact is recorded, 每诉必录)."""


class BatchAnswerSerializer(RecordSerializer):
    """A contact answered from a known fault (投诉预处理): recorded as a closed direct-answer
    complaint linked to the fault event; no work order is opened."""

    fault_event = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text=_("Id of an active fault event covering the customer's account."),
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.HOTLINE)
    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=services.filing_categories(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Code of an active third-level category; NQ.BB.03 when absent."),
    )
    description = serializers.CharField(
        max_length=4000,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("What the customer said; a standard text when empty."),
    )

    def validate_fault_event(self, value: int) -> FaultEvent:
        fault = FaultEvent.objects.restrict(self.context["request"].user).filter(pk=value).first()
        if fault is None:
            raise serializers.ValidationError(
                gettext("No fault event %(id)s in your cities.") % {"id": value}
            )
        return fault


class IntakeResultSerializer(serializers.Serializer):
    decision = DecisionSerializer()
    work_order = WorkOrderDetailSerializer()


def seen_version() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        required=False,
        help_text=_("The version of the order you saw: 409 if it has changed since."),
    )


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=[(a, WorkOrderAction(a).label) for a in ACTIONS],
        help_text=_("Close, reopen and unreachable attempts follow a callback: use `callback/`."),
    )
    note = serializers.CharField(
        max_length=4000,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Why (escalate, transfer, suspend), or the reply itself (reply)."),
    )
    department = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.filter(active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Code of the receiving department (escalate, transfer)."),
    )
    version = seen_version()


class CallbackSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=CallbackOutcome.choices)
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    remediation_owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.none(),  # set per order in __init__
        required=False,
        allow_null=True,
        default=None,
        help_text=_("User name of who follows up the service remediation (dissatisfied)."),
    )
    version = seen_version()

    def __init__(self, *args, order: WorkOrder | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # The people the page offers for this order: active staff of its city.
        owners = CallbackForm(order=order).fields["remediation_owner"].queryset
        self.fields["remediation_owner"].queryset = owners


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_("jpg, png, pdf, docx, xlsx, txt (UTF-8), mp3 or wav; the type is checked.")
    )

    def validate_file(self, upload):
        try:
            records.check_attachment(upload)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return upload


class AssignSerializer(serializers.Serializer):
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        help_text=_("User name of the colleague who takes the order (your own to take it)."),
    )
    version = seen_version()


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=4000,
        help_text=_("An internal note for staff; never shown or sent to the customer."),
    )


class BreachReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=4000)


class LinkCauseSerializer(serializers.Serializer):
    cause = serializers.PrimaryKeyRelatedField(
        # The causes the page offers: those not ended yet.
        queryset=LinkCauseForm.base_fields["cause"].queryset,
        allow_null=True,
        help_text=_("Id of a batch cause that has not ended, or null to unlink."),
    )


class WorkOrderFilterSerializer(serializers.Serializer):
    """The filters of the work-order list page, with the page's parameter names and values."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_(
            "A work-order number (or its beginning, TS…), a mobile number (exact), a "
            "customer ID, or text in the description."
        ),
    )
    mobile_hash = serializers.RegexField(
        r"^[0-9a-f]{64}$",
        required=False,
        allow_blank=True,
        help_text=_("Lookup hash of the customer's mobile number (in page links)."),
    )
    id_number_hash = serializers.RegexField(
        r"^[0-9a-f]{64}$",
        required=False,
        allow_blank=True,
        help_text=_("Lookup hash of the customer's ID number (in page links)."),
    )
    state = serializers.ChoiceField(
        choices=WorkOrderState.choices, required=False, allow_blank=True
    )
    city = serializers.CharField(required=False, allow_blank=True, help_text=_("City code."))
    department = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Code of the handling department.")
    )
    category = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("A category code at any level: the order's own or one of its ancestors."),
    )
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_blank=True)
    sla = serializers.ChoiceField(
        choices=[
            ("overdue", _("overdue")),
            ("warning", _("near deadline")),
            ("ontime", _("on time")),
            ("paused", pgettext_lazy("SLA status", "paused")),
        ],
        required=False,
        allow_blank=True,
        help_text=_(
            "Open orders by SLA state, as docs/sla.md defines it: a suspended order is paused, "
            "never overdue."
        ),
    )
    assignee = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=150,
        help_text=_("User name of whoever holds the order, or `me`."),
    )
    recorded_by = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=150,
        help_text=_("User name of whoever recorded the order, or `me`."),
    )
    upgraded = serializers.ChoiceField(
        choices=YES_NO, required=False, help_text=_("Upgraded complaints: 1 yes, 0 no.")
    )
    repeat = serializers.ChoiceField(
        choices=YES_NO, required=False, help_text=_("Repeat complaints: 1 yes, 0 no.")
    )
    record_type = serializers.ChoiceField(
        choices=RecordType.choices,
        required=False,
        allow_blank=True,
        help_text=_("complaint_work_order when absent; empty (record_type=) for every type."),
    )
    created_from = IsoDateField(required=False, help_text=_("Recorded on or after this day."))
    created_to = IsoDateField(required=False, help_text=_("Recorded on or before this day."))
    closed_from = IsoDateField(required=False, help_text=_("Closed on or after this day."))
    closed_to = IsoDateField(required=False, help_text=_("Closed on or before this day."))
    open = serializers.ChoiceField(
        choices=YES_NO, required=False, help_text=_("1: open orders only; 0 or absent: all.")
    )


# --- serializers: causes, categories, overview -------------------------------------------


class ComplaintCauseSerializer(serializers.ModelSerializer):
    city = UserCityField(
        slug_field="code",
        required=False,
        allow_null=True,
        help_text=_("City code where it hit; empty for the whole province."),
    )
    started_at = AwareDateTimeField()
    ended_at = AwareDateTimeField(required=False, allow_null=True)
    created_by = _username()

    class Meta:
        model = ComplaintCause
        fields = [
            "id",
            "kind",
            "title",
            "description",
            "city",
            "started_at",
            "ended_at",
            "reference",
            "created_by",
            "created",
        ]
        read_only_fields = ["id", "created_by", "created"]


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    department = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    department_name = serializers.CharField(
        source="department.name", read_only=True, allow_null=True, default=None
    )
    path = serializers.CharField(read_only=True)
    need_area = serializers.ChoiceField(
        choices=NeedArea.choices,
        allow_blank=True,
        read_only=True,
        help_text=_("Set on second-level categories only."),
    )

    class Meta:
        model = Category
        fields = [
            "code",
            "name",
            "path",
            "level",
            "parent",
            "need_area",
            "department",
            "department_name",
            "active",
        ]
        read_only_fields = fields


class Counts(serializers.Serializer):
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    warning = serializers.IntegerField(help_text=_("Past the warning point, not yet overdue."))


class DepartmentCountsSerializer(Counts):
    department = serializers.CharField(source="department__code", allow_null=True)
    department_name = serializers.CharField(source="department__name", allow_null=True)


class CityCountsSerializer(Counts):
    city = serializers.CharField(source="city__code")
    city_name = serializers.CharField(source="city__name")


class InterceptionSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    intercepted = serializers.IntegerField(
        help_text=_("Contacts about a known fault answered without a work order.")
    )
    batch_complaints = serializers.IntegerField(
        help_text=_("Work orders opened while a fault covered the customer, linked to it.")
    )
    rate = serializers.FloatField(
        allow_null=True,
        help_text=_("intercepted / (intercepted + batch_complaints); null when both are 0."),
    )


class OverviewSerializer(Counts):
    upgraded_open = serializers.IntegerField()
    remediation_open = serializers.IntegerField()
    by_department = DepartmentCountsSerializer(many=True)
    by_city = CityCountsSerializer(many=True)
    interception = InterceptionSerializer(
        help_text=_("Known faults over the last 7 days: batch answers against batch complaints.")
    )
