"""REST API for complaint work orders: intake with triage, the lifecycle, callback, lists.

Thin like the pages: each endpoint reads its input with a serializer and calls the service
functions of sqm.complaints (services, workorders, queries, records), so the page and the
API decide alike. Customers appear masked only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import django_filters
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import exceptions, mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from sqm.api.exceptions import Conflict
from sqm.api.pagination import Pagination
from sqm.api.parsers import JSONParser
from sqm.api.schema import VALIDATION_ERROR, AutoSchema, ErrorSerializer
from sqm.api.viewsets import ReadOnlyViewSet
from sqm.complaints import idempotency, preprocessing, queries, records, services, workorders
from sqm.complaints.choices import (
    NeedArea,
)
from sqm.complaints.models import (
    Category,
    ComplaintCause,
    WorkOrder,
    WorkOrderAttachment,
    WorkOrderEvent,
)
from sqm.complaints.serializers import (
    AssignSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    BatchAnswerSerializer,
    BreachReasonSerializer,
    CallbackSerializer,
    CategorySerializer,
    ComplaintCauseSerializer,
    DecisionSerializer,
    IntakeFactsSerializer,
    IntakeResultSerializer,
    IntakeSerializer,
    LinkCauseSerializer,
    NoteSerializer,
    OverviewSerializer,
    RecordSerializer,
    TransitionSerializer,
    WorkOrderDetailSerializer,
    WorkOrderFilterSerializer,
    WorkOrderPagination,
    WorkOrderSerializer,
)
from sqm.complaints.triage import KEYS as INTAKE_KEYS

# Actions offered by `transitions/`. Closing, reopening and unreachable attempts follow
# from a callback outcome: they go through `callback/`, as on the page.
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
INTERCEPTION_DAYS = 7  # the overview's interception rate covers the last week


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "pattern": idempotency.KEY.pattern},
    OpenApiParameter.HEADER,
    description=_(
        "Optional: a key of your own (e.g. a UUID) for this contact. Sent again by you "
        "within a day, nothing new is recorded and the first record is the answer."
    ),
)


class IntakeViewSet(viewsets.GenericViewSet):
    """The operator's entry rules (投诉录入补充规定): how a contact is recorded."""

    queryset = WorkOrder.objects.none()
    schema = AutoSchema()
    parser_classes = [JSONParser]
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
    parser_classes = [JSONParser]
    action_permissions = {
        "create": [VIEW, "complaints.add_workorder"],
        "queue": [VIEW],
        "overview": [VIEW, "complaints.oversee_workorders"],
        "transitions": [VIEW],
        "assign": [VIEW],  # who may assign to whom: workorders.do_assign
        "notes": [VIEW],
        "callback": [VIEW, "complaints.do_callback"],
        "attachments": [VIEW, "complaints.add_workorderattachment"],
        "breach_reason": [VIEW],
        "cause": [VIEW, "complaints.change_complaintcause"],
        "batch_answer": [VIEW, "complaints.add_workorder", "network.view_faultevent"],
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
        orders = queries.search(
            request.user, queries.Filters.from_query(request.query_params), channel="api"
        )
        return self.orders_page(orders)

    @extend_schema(
        request=IntakeSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: IntakeResultSerializer,
            200: OpenApiResponse(
                IntakeResultSerializer,
                _("Idempotency-Key seen before: the contact recorded then; nothing new."),
            ),
        },
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
        answered like one that does not exist (400 on `customer`). With an Idempotency-Key
        sent before, nothing is recorded: the answer is the first record, with 200."""
        once = request.headers.get("Idempotency-Key")
        if once is not None and not idempotency.is_key(once):
            raise serializers.ValidationError(
                {"Idempotency-Key": [gettext("8 to 64 letters, digits, - or _.")]}
            )
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
            order, decision, first = idempotency.record_once(
                request.user,
                once,
                lambda: services.record_contact(
                    request.user,
                    customer=data["customer"],
                    account=data["account"],
                    category=data["category"],
                    channel=data["channel"],
                    description=data["description"],
                    intake=intake,
                ),
            )
        if order is None:  # the key's record is gone
            raise Conflict(gettext("This Idempotency-Key was used for a record since deleted."))
        result = self.order_response(order).data
        if first:
            return Response(
                {"decision": decision.as_dict(), "work_order": result},
                status=status.HTTP_201_CREATED,
            )
        replayed = {
            "record_type": order.record_type,
            "order": order.order_kind or None,
            "reason": order.triage_reason,
        }
        return Response({"decision": replayed, "work_order": result}, status=status.HTTP_200_OK)

    @extend_schema(responses=WorkOrderSerializer(many=True))
    @action(detail=False)
    def queue(self, request):
        """My queue: open orders assigned to me and unclaimed escalated orders of my
        departments, soonest deadline first."""
        return self.orders_page(queries.my_queue(request.user))

    @extend_schema(responses=OverviewSerializer)
    @action(detail=False)
    def overview(self, request):
        """Team leads: open, overdue and near-deadline counts, by department and by city;
        contacts about known faults over the last 7 days and the interception rate."""
        now = timezone.now()
        summary = vars(queries.overview(request.user, now)).copy()
        summary["interception"] = preprocessing.interception_counts(
            request.user, now - timedelta(days=INTERCEPTION_DAYS), now
        )
        return Response(OverviewSerializer(summary).data)

    @extend_schema(
        request=BatchAnswerSerializer,
        responses={201: WorkOrderDetailSerializer},
        examples=[
            OpenApiExample(
                "answered from a known fault",
                value={
                    "customer": "C00000042",
                    "account": "A00000042",
                    "fault_event": 17,
                    "description": "客户来电反映宽带无法上网，已告知区域光缆中断及预计恢复时间",
                },
                request_only=True,
            )
        ],
    )
    @action(detail=False, methods=["post"], url_path="batch-answer")
    def batch_answer(self, request):
        """Record a contact answered from a known fault (投诉预处理, 批量答复): a closed
        direct-answer complaint linked to the fault event; no work order is opened.

        Refused (400) when the fault event is no longer active, or covers neither the given
        account nor, without one, any of the customer's accounts. The same service as the
        intake page's batch-answer button."""
        body = BatchAnswerSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with service_errors():
            order = preprocessing.do_batch_answer(
                request.user,
                data["customer"],
                data["account"],
                data["fault_event"],
                description=data["description"],
                channel=data["channel"],
                category=data["category"],
            )
        return Response(self.order_response(order).data, status=status.HTTP_201_CREATED)

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

    @extend_schema(
        request=AssignSerializer, responses={200: WorkOrderDetailSerializer, 409: CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, number=None):
        """Give the order to a named colleague who may handle it, or take it yourself (your own
        user name). The state stays; someone else's change since `version` is a 409."""
        order = self.get_object()
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        check_version(order, data.get("version"))
        with service_errors():
            workorders.do_assign(request.user, order, data["assignee"])
        return self.order_response(order)

    @extend_schema(request=NoteSerializer, responses={201: WorkOrderDetailSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request, number=None):
        """Write an internal note on the timeline: for staff, never the reply to the customer
        (that is the `reply` transition)."""
        order = self.get_object()
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            workorders.do_note(request.user, order, body.validated_data["text"])
        response = self.order_response(order)
        response.status_code = status.HTTP_201_CREATED
        return response

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
    parser_classes = [JSONParser]

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
