"""REST API for complaint work orders: intake with triage, the lifecycle, callback, lists.

Thin like the pages: each endpoint reads its input with a serializer and calls the service
functions of sqm.complaints (services, workorders, queries, records), so the page and the
API decide alike. Customers appear masked only.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from sqm.api.exceptions import Conflict
from sqm.api.pagination import Pagination
from sqm.api.schema import VALIDATION_ERROR, AutoSchema, ErrorSerializer
from sqm.api.viewsets import ReadOnlyViewSet
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
from sqm.complaints.triage import KEYS as INTAKE_KEYS
from sqm.core.crypto import lookup_hash
from sqm.customers.models import Customer
from sqm.customers.services import accounts_of
from sqm.network.api import UserCityField

# Actions offered by `transitions/`. Closing, reopening and unreachable attempts follow
# from a callback outcome: they go through `callback/`, as on the page.
BY_CALLBACK = (WorkOrderAction.CLOSE, WorkOrderAction.REOPEN, WorkOrderAction.CALLBACK_ATTEMPT)
ACTIONS = [name for name in workorders.TRANSITIONS if name not in BY_CALLBACK]
YES_NO = [("1", _("yes")), ("0", _("no"))]


# --- errors ------------------------------------------------------------------------------


def _messages(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if key == NON_FIELD_ERRORS else key): messages
            for key, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


@contextmanager
def service_errors() -> Iterator[None]:
    """A service's refusal as the API's usual answer: a broken rule 400, a missing
    permission 403, someone else's change first 409."""
    try:
        yield
    except workorders.TransitionConflict as exc:
        raise Conflict(str(exc)) from exc
    except PermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None) from exc
    except DjangoValidationError as exc:
        raise serializers.ValidationError(_messages(exc)) from exc


def check_version(order: WorkOrder, version: int | None) -> None:
    """A client that names the version it saw loses with 409 once the order has moved on,
    before the state check could answer it with a 400 about the new state."""
    if version is not None and version != order.version:
        raise Conflict(
            gettext("Work order %(number)s was changed by someone else; reload it.")
            % {"number": order.number}
        )


def intake_of(data) -> services.Intake:
    """Intake facts validated exactly as `sqm complaints triage` validates them."""
    try:
        return services.parse_intake(data)
    except services.IntakeInvalid as exc:
        errors: dict[str, list[str]] = {}
        for key, reason in exc.problems:
            errors.setdefault("non_field_errors" if key == "-" else key, []).append(reason)
        raise serializers.ValidationError(errors) from exc


class WorkOrderPagination(Pagination):
    """Page links that never repeat a mobile number searched for with `q`: it leaves as its
    lookup hash (`mobile_hash`), which the list accepts too."""

    def _without_personal_data(self, url: str | None) -> str | None:
        url = super()._without_personal_data(url)
        term = (self.request.query_params.get("q") or "").strip()
        if url is not None and queries.MOBILE.fullmatch(term):
            url = replace_query_param(
                remove_query_param(url, "q"), "mobile_hash", lookup_hash(term)
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


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time of the years 1901–9998: every database stores those, and
    they read back with a whole-minute offset (before 1901 Shanghai had local mean time)."""

    default_error_messages = {"range": _("Enter a date and time within years 1901–9998.")}
    EARLIEST = datetime.datetime(1901, 1, 1, tzinfo=datetime.UTC)
    LATEST = datetime.datetime(9998, 12, 31, tzinfo=datetime.UTC)

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        try:
            in_range = self.EARLIEST <= moment.astimezone(datetime.UTC) <= self.LATEST
        except OverflowError:
            in_range = False
        if not in_range:
            self.fail("range")
        return moment


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
    mobile_hash = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("Lookup hash of the customer's mobile number (in page links)."),
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
        ],
        required=False,
        allow_blank=True,
        help_text=_("Open orders by SLA colour."),
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


class OverviewSerializer(Counts):
    upgraded_open = serializers.IntegerField()
    remediation_open = serializers.IntegerField()
    by_department = DepartmentCountsSerializer(many=True)
    by_city = CityCountsSerializer(many=True)


# --- filters -----------------------------------------------------------------------------


class ComplaintCauseFilterSet(django_filters.FilterSet):
    city = django_filters.CharFilter(field_name="city__code", label=_("City code"))
    ongoing = django_filters.BooleanFilter(
        field_name="ended_at", lookup_expr="isnull", label=_("Not ended yet (true/false)")
    )

    class Meta:
        model = ComplaintCause
        fields = ["kind", "reference"]


class CategoryFilterSet(django_filters.FilterSet):
    parent = django_filters.CharFilter(field_name="parent__code", label=_("Parent category code"))
    department = django_filters.CharFilter(
        field_name="department__code", label=_("Responsible department code")
    )
    need_area = django_filters.ChoiceFilter(choices=NeedArea.choices)

    class Meta:
        model = Category
        fields = ["level", "active"]


# --- viewsets ----------------------------------------------------------------------------

VIEW = "complaints.view_workorder"
LIST_RELATED = ("customer", "account", "first_responsible", "repeat_of", "category__parent__parent")
DETAIL_RELATED = (
    *LIST_RELATED,
    "city",
    "department",
    "assignee",
    "created_by",
    "remediation_owner",
)

INTAKE_FACTS = {
    "topic": "other",
    "demands": ["compensation"],
    "dissatisfied": True,
    "accepted": False,
    "needs_handover": True,
}
DECISION_REASON = "客户表达不满并提出明确诉求，属于投诉；客户不接受首次答复，记为投诉工单。"
CONFLICT = OpenApiResponse(
    ErrorSerializer,
    _("Someone else changed the work order since the version you sent; reload it."),
)
SEEN_VERSION = {"version": 3}


class IntakeViewSet(viewsets.GenericViewSet):
    """The operator's entry rules (投诉录入补充规定): how a contact is recorded."""

    queryset = WorkOrder.objects.none()
    schema = AutoSchema()
    parser_classes = [parsers.JSONParser]
    action_permissions = {"triage": ["complaints.add_workorder"]}

    @extend_schema(
        request=IntakeFactsSerializer,
        responses=DecisionSerializer,
        examples=[
            OpenApiExample("intake facts", value=INTAKE_FACTS, request_only=True),
            OpenApiExample(
                "decision",
                value={
                    "record_type": "complaint_work_order",
                    "order": None,
                    "reason": DECISION_REASON,
                },
                response_only=True,
            ),
        ],
    )
    @action(detail=False, methods=["post"])
    def triage(self, request):
        """The record type (and any order raised alongside) the entry rules give these intake
        facts; nothing is recorded. The same rules and checks as `sqm complaints triage`."""
        return Response(services.triage(intake_of(request.data)).as_dict())


class WorkOrderViewSet(ReadOnlyViewSet):
    """Complaint work orders in your cities, found by number; customers masked.

    Record a contact (triaged by the entry rules), move an order through its lifecycle, call
    back, attach files, link batch causes. The same services and checks as the pages."""

    serializer_class = WorkOrderSerializer
    lookup_field = "number"
    lookup_value_regex = "[^/]+"  # any number, so an unknown one is a 404 of the API
    pagination_class = WorkOrderPagination
    filter_backends = []
    parser_classes = [parsers.JSONParser]
    action_permissions = {
        "create": [VIEW, "complaints.add_workorder"],
        "queue": [VIEW],
        "overview": [VIEW, "complaints.oversee_workorders"],
        "transitions": [VIEW],
        "callback": [VIEW, "complaints.do_callback"],
        "attachments": [VIEW, "complaints.add_workorderattachment"],
        "breach_reason": [VIEW],
        "cause": [VIEW, "complaints.change_complaintcause"],
    }

    def get_queryset(self):
        orders = queries.with_due(WorkOrder.objects.restrict(self.request.user))
        return orders.select_related(*DETAIL_RELATED).prefetch_related(
            Prefetch("events", WorkOrderEvent.objects.select_related("user", "department")),
            Prefetch("attachments", WorkOrderAttachment.objects.select_related("uploaded_by")),
        )

    def get_serializer_class(self):
        return WorkOrderDetailSerializer if self.action == "retrieve" else WorkOrderSerializer

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "now": timezone.now()}

    def order_response(self, order: WorkOrder) -> Response:
        """ORDER as it is now, with its timeline and the caller's actions."""
        fresh = self.get_queryset().get(pk=order.pk)
        context = self.get_serializer_context()
        return Response(WorkOrderDetailSerializer(fresh, context=context).data)

    def orders_page(self, orders) -> Response:
        rows = self.paginate_queryset(orders.select_related(*LIST_RELATED))
        context = self.get_serializer_context()
        return self.get_paginated_response(
            WorkOrderSerializer(rows, many=True, context=context).data
        )

    @extend_schema(
        parameters=[WorkOrderFilterSerializer],
        responses={
            200: WorkOrderSerializer,
            400: OpenApiResponse(VALIDATION_ERROR, _("Invalid filter value.")),
        },
    )
    def list(self, request):
        """Work orders matching the filters of the list page, soonest deadline first."""
        params = WorkOrderFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        orders = queries.search(request.user, queries.Filters.from_query(request.query_params))
        if params.validated_data.get("mobile_hash"):
            orders = orders.filter(customer__mobile_hash=params.validated_data["mobile_hash"])
        return self.orders_page(orders)

    @extend_schema(
        request=IntakeSerializer,
        responses={201: IntakeResultSerializer},
        examples=[
            OpenApiExample(
                "a complaint by hotline",
                value={
                    "customer": "C00000042",
                    "account": "A00000042",
                    "channel": "hotline",
                    "category": "NQ.BB.01",
                    "description": "宽带晚上网速很慢，要求赔偿",
                    **INTAKE_FACTS,
                },
                request_only=True,
            )
        ],
    )
    def create(self, request):
        """Record a customer contact: triage it by the entry rules, then write it.

        A complaint work order enters the lifecycle with its SLA clock; a service request or
        a direct-answer complaint is written closed. A customer outside your cities is
        answered like one that does not exist (400 on `customer`)."""
        body = RecordSerializer(data=request.data, context=self.get_serializer_context())
        if not isinstance(request.data, dict):
            body.is_valid(raise_exception=True)
        errors = {} if body.is_valid() else dict(body.errors)
        own = list(body.fields)
        keys = ", ".join([*own, *INTAKE_KEYS])
        for key in request.data:
            if key not in own and key not in INTAKE_KEYS:
                errors[key] = [gettext("unknown key; the keys are %(keys)s") % {"keys": keys}]
        facts = {key: request.data[key] for key in INTAKE_KEYS if key in request.data}
        try:
            intake = intake_of(facts)
        except serializers.ValidationError as exc:
            errors.update(exc.detail)
        if errors:
            raise serializers.ValidationError(errors)
        data = body.validated_data
        with service_errors():
            order, decision = services.record_contact(
                request.user,
                customer=data["customer"],
                account=data["account"],
                category=data["category"],
                channel=data["channel"],
                description=data["description"],
                intake=intake,
            )
        result = self.order_response(order).data
        return Response(
            {"decision": decision.as_dict(), "work_order": result},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses=WorkOrderSerializer(many=True))
    @action(detail=False)
    def queue(self, request):
        """My queue: open orders assigned to me and unclaimed escalated orders of my
        departments, soonest deadline first."""
        return self.orders_page(queries.my_queue(request.user))

    @extend_schema(responses=OverviewSerializer)
    @action(detail=False)
    def overview(self, request):
        """Team leads: open, overdue and near-deadline counts, by department and by city."""
        return Response(OverviewSerializer(queries.overview(request.user)).data)

    @extend_schema(
        request=TransitionSerializer,
        responses={200: WorkOrderDetailSerializer, 409: CONFLICT},
        examples=[
            OpenApiExample(
                "escalate",
                value={
                    "action": "escalate",
                    "note": "需二线测速排查",
                    "department": "NET",
                    **SEEN_VERSION,
                },
                request_only=True,
            ),
            OpenApiExample(
                "reply",
                value={"action": "reply", "note": "已更换分光器端口，速率恢复", **SEEN_VERSION},
                request_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def transitions(self, request, number=None):
        """Move the order on (accept, escalate, transfer, claim, suspend, resume, reply,
        start_callback). Someone else's change since `version` is a 409."""
        order = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        check_version(order, data.get("version"))
        with service_errors():
            workorders.do_transition(
                request.user, order, data["action"], data["note"], data["department"]
            )
        return self.order_response(order)

    @extend_schema(
        request=CallbackSerializer,
        responses={200: WorkOrderDetailSerializer, 409: CONFLICT},
        examples=[
            OpenApiExample(
                "dissatisfied",
                value={
                    "outcome": "dissatisfied",
                    "note": "客户表示仍然很慢",
                    "remediation_owner": "lead",
                    **SEEN_VERSION,
                },
                request_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def callback(self, request, number=None):
        """Record the callback (回访): satisfied closes, dissatisfied reopens for service
        remediation with a follow-up owner, unreachable counts an attempt."""
        order = self.get_object()
        body = CallbackSerializer(data=request.data, order=order)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        check_version(order, data.get("version"))
        with service_errors():
            workorders.record_callback(
                request.user, order, data["outcome"], data["note"], data["remediation_owner"]
            )
        return self.order_response(order)

    @extend_schema(request=AttachmentUploadSerializer, responses={201: AttachmentSerializer})
    @action(detail=True, methods=["post"], parser_classes=[parsers.MultiPartParser])
    def attachments(self, request, number=None):
        """Attach a file (multipart, field `file`); its type is checked by name and content."""
        order = self.get_object()
        body = AttachmentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            attachment = records.add_attachment(request.user, order, body.validated_data["file"])
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=BreachReasonSerializer, responses=WorkOrderDetailSerializer)
    @action(detail=True, methods=["post"], url_path="breach-reason")
    def breach_reason(self, request, number=None):
        """Say why the order missed its deadline (for the KPI review)."""
        order = self.get_object()
        body = BreachReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            records.record_breach_reason(request.user, order, body.validated_data["reason"])
        return self.order_response(order)

    @extend_schema(request=LinkCauseSerializer, responses=WorkOrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def cause(self, request, number=None):
        """Link the order to a batch cause (批量投诉), or unlink it with null."""
        order = self.get_object()
        body = LinkCauseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            records.link_cause(request.user, [order], body.validated_data["cause"])
        return self.order_response(order)


class ListViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    pagination_class = Pagination
    schema = AutoSchema()


class ComplaintCauseViewSet(mixins.CreateModelMixin, ListViewSet):
    """Batch-complaint causes (a network fault, a billing run, …), visible in every city.

    Second line, team leads and quality managers record them."""

    serializer_class = ComplaintCauseSerializer
    filterset_class = ComplaintCauseFilterSet
    parser_classes = [parsers.JSONParser]

    def get_queryset(self):
        return ComplaintCause.objects.restrict(self.request.user).select_related(
            "city", "created_by"
        )

    def perform_create(self, serializer) -> None:
        with service_errors():
            serializer.instance = records.create_cause(
                self.request.user, **serializer.validated_data
            )


class CategoryViewSet(ListViewSet):
    """The complaint category tree as a flat list: level, parent, and on the second level the
    need area and responsible department. Work orders are filed under third-level codes."""

    serializer_class = CategorySerializer
    filterset_class = CategoryFilterSet

    def get_queryset(self):
        return Category.objects.restrict(self.request.user).select_related(
            "parent__parent", "department"
        )


def register(router) -> None:
    router.register("intake", IntakeViewSet, basename="intake")
    router.register("work-orders", WorkOrderViewSet, basename="workorder")
    router.register("complaint-causes", ComplaintCauseViewSet, basename="complaintcause")
    router.register("complaint-categories", CategoryViewSet, basename="category")
