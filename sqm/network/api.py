"""REST API for the access-network topology and the accounts hanging under each element."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from sqm.api.fields import AwareDateTimeField
from sqm.api.pagination import Pagination
from sqm.api.parsers import JSONParser
from sqm.api.schema import AutoSchema, ErrorSerializer
from sqm.api.viewsets import ActingUserMixin, ModelViewSet, ReadOnlyViewSet
from sqm.core.context import acting_as
from sqm.core.models import City
from sqm.customers.api import AccountSerializer
from sqm.network import fault_queries, services, sms_api, stale
from sqm.network.choices import AlarmLevel, AlarmOutcome, FaultState
from sqm.network.fault_services import set_estimated_recovery
from sqm.network.filters import OltFilterSet, OnuFilterSet, PonPortFilterSet
from sqm.network.ingest import ingest_objects
from sqm.network.models import AlarmEvent, FaultEvent, Olt, Onu, PonPort


class UserCityField(serializers.SlugRelatedField):
    """A city by code, limited to the cities the requesting user works in."""

    def get_queryset(self):
        user = self.context["request"].user
        if user.is_superuser or getattr(user, "all_cities", False):
            return City.objects.all()
        return user.cities.all()


class OltSerializer(serializers.ModelSerializer):
    city = UserCityField(slug_field="code")
    port_count = serializers.IntegerField(read_only=True)
    onu_count = serializers.IntegerField(read_only=True)
    account_count = serializers.IntegerField(
        read_only=True, help_text=_("Active accounts on the OLT's ONUs.")
    )

    class Meta:
        model = Olt
        fields = [
            "id",
            "olt_id",
            "name",
            "ip",
            "vendor",
            "city",
            "district",
            "port_count",
            "onu_count",
            "account_count",
        ]


class PonPortSerializer(serializers.ModelSerializer):
    olt = serializers.SlugRelatedField(slug_field="olt_id", read_only=True)

    class Meta:
        model = PonPort
        fields = ["id", "olt", "frame", "slot", "port"]


class OnuSerializer(serializers.ModelSerializer):
    olt = serializers.SlugRelatedField(slug_field="olt_id", read_only=True)

    class Meta:
        model = Onu
        fields = ["id", "onu_id", "olt", "pon_port", "frame", "slot", "port"]
        read_only_fields = fields


class AccountsUnderMixin:
    """`…/{id}/accounts/`: the active broadband accounts under one element, paginated."""

    @extend_schema(responses=AccountSerializer(many=True))
    @action(detail=True, filter_backends=[])
    def accounts(self, request, pk=None):
        """Active broadband accounts under this element (those a fault here would hit)."""
        accounts = services.accounts_under(self.get_object()).restrict(request.user)
        page = self.paginate_queryset(accounts.select_related("customer", "onu"))
        return self.get_paginated_response(AccountSerializer(page, many=True).data)


ACCOUNTS_PERMISSIONS = ["customers.view_account"]


@extend_schema_view(
    destroy=extend_schema(responses={204: None, 409: ErrorSerializer}),
)
class OltViewSet(AccountsUnderMixin, ModelViewSet):
    """OLTs in your cities with their PON port, ONU and active account counts.

    Network operations may add, change and delete OLTs (in their own cities)."""

    serializer_class = OltSerializer
    filterset_class = OltFilterSet
    action_permissions = {"accounts": ["network.view_olt", *ACCOUNTS_PERMISSIONS]}

    def get_queryset(self):
        if self.action in ("list", "retrieve"):
            return services.olts_with_counts(self.request.user)
        verb = {"destroy": "delete", "accounts": "view"}.get(self.action, "change")
        return Olt.objects.restrict(self.request.user, verb).select_related("city")

    def perform_create(self, serializer) -> None:
        super().perform_create(serializer)
        serializer.instance = services.olts_with_counts(self.request.user).get(
            pk=serializer.instance.pk
        )

    def perform_update(self, serializer) -> None:
        super().perform_update(serializer)
        serializer.instance = services.olts_with_counts(self.request.user).get(
            pk=serializer.instance.pk
        )


class PonPortViewSet(AccountsUnderMixin, ReadOnlyViewSet):
    """PON ports (OLT frame/slot/port) in your cities."""

    serializer_class = PonPortSerializer
    filterset_class = PonPortFilterSet
    action_permissions = {"accounts": ["network.view_ponport", *ACCOUNTS_PERMISSIONS]}

    def get_queryset(self):
        return PonPort.objects.restrict(self.request.user).select_related("olt")


class OnuViewSet(AccountsUnderMixin, ReadOnlyViewSet):
    """ONUs in your cities with their position on the OLT."""

    serializer_class = OnuSerializer
    filterset_class = OnuFilterSet
    action_permissions = {"accounts": ["network.view_onu", *ACCOUNTS_PERMISSIONS]}

    def get_queryset(self):
        return Onu.objects.restrict(self.request.user).select_related("olt")


class AlarmEventSerializer(serializers.ModelSerializer):
    olt_id = serializers.CharField(source="olt_code")
    onu_id = serializers.CharField(source="onu_code")

    class Meta:
        model = AlarmEvent
        fields = [
            "id", "alarm_id", "event", "olt_id", "level", "frame", "slot", "port", "onu_id",
            "type", "severity", "occurred_at", "received_at", "outcome",
        ]  # fmt: skip
        read_only_fields = fields


class AlarmInSerializer(serializers.Serializer):
    """One alarm as the network management system sends it (docs/formats.md, alarms)."""

    alarm_id = serializers.CharField(help_text=_("The management system's id of the alarm."))
    event = serializers.ChoiceField(["raise", "clear"])
    olt_id = serializers.CharField()
    level = serializers.ChoiceField(["olt", "board", "pon", "onu"])
    frame = serializers.IntegerField(required=False, help_text=_("Levels board and pon."))
    slot = serializers.IntegerField(required=False, help_text=_("Levels board and pon."))
    port = serializers.IntegerField(required=False, help_text=_("Level pon."))
    onu_id = serializers.CharField(required=False, help_text=_("Level onu."))
    type = serializers.CharField(help_text=_("e.g. LOS, power-off, link-down"))
    severity = serializers.CharField()
    occurred_at = serializers.CharField(help_text=_("ISO 8601; without offset: Asia/Shanghai."))


class AlarmErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text=_("Position of the alarm in the list, from 1."))
    key = serializers.CharField()
    message = serializers.CharField()


class IngestResultSerializer(serializers.Serializer):
    counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text=_("received, raised, cleared, duplicates, unmatched, early_clears, "
                    "ignored_clears, rejected, outages_started, outages_ended, "
                    "notices_scheduled, notices_cancelled, recoveries_scheduled, opted_out"),
    )  # fmt: skip
    errors = AlarmErrorSerializer(many=True)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("outcome", enum=[c.value for c in AlarmOutcome]),
            OpenApiParameter("alarm_id", str),
            OpenApiParameter("olt_id", str),
        ]
    ),
    create=extend_schema(
        request=AlarmInSerializer(many=True),
        responses={
            200: OpenApiResponse(IngestResultSerializer, _("Every alarm was taken.")),
            207: OpenApiResponse(
                IngestResultSerializer, _("Some alarms were bad (see errors); the rest were taken.")
            ),
            400: OpenApiResponse(IngestResultSerializer, _("No alarm could be taken.")),
        },
    ),
)
class AlarmViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Alarm events from the network management system: send one alarm or a list; read
    what was received (newest first), e.g. `?outcome=unmatched` for unknown elements."""

    serializer_class = AlarmEventSerializer
    pagination_class = Pagination
    schema = AutoSchema()

    def get_queryset(self):
        events = AlarmEvent.objects.all()
        for key, column in (("outcome", "outcome"), ("alarm_id", "alarm_id"),
                            ("olt_id", "olt_code")):  # fmt: skip
            value = self.request.query_params.get(key)
            if value:
                events = events.filter(**{column: value})
        return events

    parser_classes = [JSONParser]

    def create(self, request, *args, **kwargs):
        try:
            data = request.data
        except ParseError as exc:  # answered in the same shape as a bad alarm
            problem = {"line": 0, "key": "-", "message": str(exc.detail)}
            return Response({"counts": {"rejected": 1}, "errors": [problem]}, status=400)
        items = data if isinstance(data, list) else [data]
        with acting_as(request.user, request_id=getattr(request, "request_id", None)):
            result = ingest_objects(items)
        taken = len(items) - result.counts["rejected"]
        code = 200 if not result.errors else (207 if taken else 400)
        return Response(result.as_dict(), status=code)


# --- fault events (docs/faults.md, NOC pages) -------------------------------------------------


class SmsCountsSerializer(serializers.Serializer):
    scheduled = serializers.IntegerField()
    sending = serializers.IntegerField()
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    failed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    total = serializers.IntegerField(help_text=gettext_lazy("Every SMS but the cancelled."))
    done = serializers.IntegerField(help_text=gettext_lazy("Sent, delivered or failed."))
    waiting = serializers.IntegerField(help_text=gettext_lazy("Scheduled or sending."))
    percent = serializers.IntegerField(help_text=gettext_lazy("done × 100 / total, rounded down."))


class FaultEventSerializer(serializers.ModelSerializer):
    olt = serializers.SlugRelatedField(slug_field="olt_id", read_only=True)
    city = serializers.SlugRelatedField(slug_field="code", read_only=True)
    # Plain strings in the schema: an enum here would collide with other `level` and `state`
    # enums (work orders) and rename their schema components.
    level = serializers.CharField(read_only=True, help_text=gettext_lazy("olt, board, pon or onu"))
    state = serializers.CharField(
        read_only=True,
        help_text=gettext_lazy(
            "active, cleared, merged (into the wider event `merged_into`), or closed (closed "
            "as stale by network operations, with `close_reason`)"
        ),
    )
    last_activity = serializers.DateTimeField(
        read_only=True,
        help_text=gettext_lazy("The last raise, clear or re-sent raise of any of its alarms."),
    )
    stale = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "Active with no alarm activity for SQM_FAULT_STALE_HOURS: its clear was probably lost."
        )
    )
    element = serializers.SerializerMethodField(
        help_text=gettext_lazy("The failed element: OLT ID, frame/slot/port, ONU ID.")
    )
    type_name = serializers.CharField(
        read_only=True, allow_null=True, help_text=gettext_lazy("The fault type's name.")
    )
    sms = serializers.SerializerMethodField(help_text=gettext_lazy("The event's SMS by state."))
    opted_out = serializers.SerializerMethodField(
        help_text=gettext_lazy("Cut-off accounts whose customer opted out of service SMS.")
    )

    class Meta:
        model = FaultEvent
        fields = [
            "id", "level", "olt", "element", "board", "pon_port", "onu", "city", "type",
            "type_name", "severity", "state", "merged_into", "started_at", "ended_at",
            "estimated_recovery", "affected_accounts", "opted_out", "sms", "last_activity",
            "stale", "close_reason",
        ]  # fmt: skip
        read_only_fields = fields

    def get_element(self, fault) -> str:
        return fault_queries.element_label(fault)

    def get_stale(self, fault) -> bool:
        return stale.is_stale(fault, self.context.get("now") or timezone.now())

    @extend_schema_field(SmsCountsSerializer)
    def get_sms(self, fault) -> dict:
        counts = self.context.get("sms", {}).get(fault.pk)
        if counts is None:
            counts = fault_queries.sms_counts([fault.pk])[fault.pk]
        return counts.as_dict()

    def get_opted_out(self, fault) -> int:
        found = self.context.get("opted_out", {}).get(fault.pk)
        if found is None:
            found = fault_queries.opted_out_counts([fault.pk])[fault.pk]
        return found


class FaultEstimateSerializer(serializers.Serializer):
    estimated_recovery = AwareDateTimeField(
        allow_null=True,
        help_text=gettext_lazy(
            "When service should be back (ISO 8601); null removes the estimate. Fault SMS "
            "still waiting are rewritten with it."
        ),
    )


class FaultEventFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=FaultState.choices)
    city = django_filters.CharFilter(field_name="city__code", label=gettext_lazy("City code"))
    level = django_filters.ChoiceFilter(choices=AlarmLevel.choices)

    class Meta:
        model = FaultEvent
        fields = ["state", "city", "level"]


@extend_schema_view(
    partial_update=extend_schema(
        request=FaultEstimateSerializer,
        responses={200: FaultEventSerializer},
    ),
)
class FaultEventViewSet(
    ActingUserMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Fault events in your cities, newest first, with their SMS counts by state
    (`?state=active` for what is broken now). The NOC sets an event's estimated recovery
    with PATCH; nothing else of an event is written through the API."""

    serializer_class = FaultEventSerializer
    filterset_class = FaultEventFilterSet
    pagination_class = Pagination
    schema = AutoSchema()
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        faults = fault_queries.visible_faults(self.request.user)
        if self.action == "partial_update":
            faults = faults.filter(
                pk__in=FaultEvent.objects.restrict(self.request.user, "change").values("pk")
            )
        return faults.order_by("-started_at", "-id")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        ids = [fault.pk for fault in page]
        context = {
            **self.get_serializer_context(),
            "sms": fault_queries.sms_counts(ids),
            "opted_out": fault_queries.opted_out_counts(ids),
        }
        return self.get_paginated_response(
            FaultEventSerializer(page, many=True, context=context).data
        )

    def partial_update(self, request, *args, **kwargs):
        fault = self.get_object()
        data = FaultEstimateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            with self.acting():
                set_estimated_recovery(
                    request.user, fault, data.validated_data["estimated_recovery"]
                )
        except DjangoValidationError as exc:
            raise ApiValidationError({"estimated_recovery": exc.messages}) from exc
        return Response(self.get_serializer(self.get_object()).data)


def register(router) -> None:
    router.register("alarms", AlarmViewSet, basename="alarm")
    router.register("fault-events", FaultEventViewSet, basename="faultevent")
    router.register("olts", OltViewSet, basename="olt")
    router.register("pon-ports", PonPortViewSet, basename="ponport")
    router.register("onus", OnuViewSet, basename="onu")
    sms_api.register(router)
