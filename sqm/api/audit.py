"""REST API over core: the audit log, the change log and auditors' alerts (read-only but one
action). It lives in the API layer, which sits above core, so core itself knows no API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from sqm.api.viewsets import ReadOnlyViewSet
from sqm.core.filters import AlertFilterSet, AuditEntryFilterSet, ChangeLogEntryFilterSet
from sqm.core.models import Alert, AuditEntry, ChangeLogEntry
from sqm.core.services import acknowledge_alert


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name", read_only=True)
    details = serializers.JSONField(read_only=True)

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "time",
            "actor",
            "action",
            "target",
            "reason",
            "details",
            "ip",
            "request_id",
            "client_request_id",
            "prev_hash",
            "hash",
            "key_id",
        ]


class ChangeLogEntrySerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    content_type = serializers.SerializerMethodField()
    before = serializers.JSONField(read_only=True, allow_null=True)
    after = serializers.JSONField(read_only=True, allow_null=True)

    class Meta:
        model = ChangeLogEntry
        fields = [
            "id",
            "time",
            "user",
            "actor",
            "request_id",
            "content_type",
            "object_id",
            "object_repr",
            "action",
            "before",
            "after",
        ]

    def get_content_type(self, entry: ChangeLogEntry) -> str:
        return f"{entry.content_type.app_label}.{entry.content_type.model}"


class AlertSerializer(serializers.ModelSerializer):
    subject = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    acknowledged_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "time",
            "kind",
            "subject",
            "message",
            "count",
            "acknowledged_by",
            "acknowledged_at",
        ]
        read_only_fields = fields


class AuditEntryViewSet(ReadOnlyViewSet):
    """The security audit log (auditors): logins, reveals, exports, permission changes."""

    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilterSet

    def get_queryset(self):
        return AuditEntry.objects.restrict(self.request.user)


class ChangeLogEntryViewSet(ReadOnlyViewSet):
    """Who changed which object when, before and after (personal data masked)."""

    serializer_class = ChangeLogEntrySerializer
    filterset_class = ChangeLogEntryFilterSet

    def get_queryset(self):
        return ChangeLogEntry.objects.restrict(self.request.user).select_related(
            "user", "content_type"
        )


class AlertViewSet(ReadOnlyViewSet):
    """Alerts for auditors, e.g. a user revealing many customers within an hour."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    action_permissions = {"acknowledge": ["core.view_alert", "core.change_alert"]}

    def get_queryset(self):
        return Alert.objects.restrict(self.request.user).select_related(
            "subject", "acknowledged_by"
        )

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Mark the alert as seen; the first acknowledgement (who, when) is kept."""
        return Response(AlertSerializer(acknowledge_alert(request.user, self.get_object())).data)


def register(router) -> None:
    router.register("audit-entries", AuditEntryViewSet, basename="auditentry")
    router.register("change-log", ChangeLogEntryViewSet, basename="changelogentry")
    router.register("alerts", AlertViewSet, basename="alert")
