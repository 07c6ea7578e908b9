"""REST API read of the NOC's SMS view: fault SMS with why each waits (docs/faults.md, "The
NOC's SMS view"). Read only: resending and cancelling are page actions."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from sqm.api.pagination import Pagination
from sqm.api.schema import AutoSchema
from sqm.network import sms_services
from sqm.notify.choices import MessageKind, MessageState
from sqm.notify.models import OutboundMessage


class WaitingReasonSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[
            "hold_down",
            "window",
            "sender",
            "worker",
            "due",
            "planned",
            "in_flight",
            "stuck",
        ]  # fmt: skip
    )
    text = serializers.CharField()
    until = serializers.DateTimeField(allow_null=True)


class FaultSmsSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=MessageKind.choices)
    state = serializers.ChoiceField(choices=MessageState.choices)
    account = serializers.CharField(source="account.account_id")
    mobile = serializers.CharField(source="masked_mobile", help_text="masked: 139****0001")
    delivered_parts = serializers.IntegerField(source="receipts.delivered")
    waiting_reason = WaitingReasonSerializer(source="reason", allow_null=True)

    class Meta:
        model = OutboundMessage
        fields = [
            "id", "key", "kind", "fault_event", "account", "mobile", "state", "text",
            "send_at", "attempts", "parts", "delivered_parts", "sent_at", "done_at",
            "last_error", "waiting_reason",
        ]  # fmt: skip
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("fault", OpenApiTypes.INT, description="a fault event's id"),
            OpenApiParameter("state", OpenApiTypes.STR, enum=MessageState.values),
            OpenApiParameter(
                "planned_from", OpenApiTypes.DATE, description="planned on or after (local day)"
            ),
            OpenApiParameter(
                "planned_to", OpenApiTypes.DATE, description="planned on or before (local day)"
            ),
        ]
    )
)
class FaultSmsViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Fault SMS of the events in your cities, newest planned time first, each with the
    reason it still waits (`hold_down`, `window`, `worker`, `sender`, …), attempts and
    delivered parts. Numbers are masked."""

    serializer_class = FaultSmsSerializer
    pagination_class = Pagination
    schema = AutoSchema()
    filter_backends: list = []  # the filters are read by sms_services.SmsFilters

    def get_queryset(self):
        filters = sms_services.SmsFilters.from_query(self.request.query_params)
        return sms_services.fault_messages(self.request.user, filters)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = sms_services.decorate(page, sms_services.Pipeline.read())
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


def register(router) -> None:
    router.register("fault-sms", FaultSmsViewSet, basename="faultsms")
