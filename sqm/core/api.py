"""REST API for the audit log, the change log and auditors' alerts (read-only but one action)."""

from __future__ import annotations

from django.db.models import Model, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from sqm.api.viewsets import ReadOnlyViewSet
from sqm.core.filters import AlertFilterSet, AuditEntryFilterSet, ChangeLogEntryFilterSet
from sqm.core.models import Alert, AuditEntry, ChangeLogEntry
from sqm.core.querysets import RestrictedQuerySet


def restricted(model: type[Model], user, action: str = "view") -> QuerySet:
    """`restrict()` for core models whose default manager does not offer it.

    TODO: move to the models (objects = RestrictedManager()) and drop this helper.
    """
    return RestrictedQuerySet(model=model).restrict(user, action)


def acknowledge_alert(user, alert: Alert) -> Alert:
    """Mark ALERT as seen by USER. The first acknowledgement stands; repeating it is harmless.

    TODO: belongs in a core service module.
    """
    Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=user, acknowledged_at=timezone.now()
    )
    alert.refresh_from_db()
    return alert


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
            "prev_hash",
            "hash",
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
        fields = ["id", "time", "kind", "subject", "message", "acknowledged_by", "acknowledged_at"]
        read_only_fields = fields


class AuditEntryViewSet(ReadOnlyViewSet):
    """The security audit log (auditors): logins, reveals, exports, permission changes."""

    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilterSet

    def get_queryset(self):
        return restricted(AuditEntry, self.request.user)


class ChangeLogEntryViewSet(ReadOnlyViewSet):
    """Who changed which object when, before and after (personal data masked)."""

    serializer_class = ChangeLogEntrySerializer
    filterset_class = ChangeLogEntryFilterSet

    def get_queryset(self):
        return restricted(ChangeLogEntry, self.request.user).select_related("user", "content_type")


class AlertViewSet(ReadOnlyViewSet):
    """Alerts for auditors, e.g. a user revealing many customers within an hour."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    action_permissions = {"acknowledge": ["core.view_alert", "core.change_alert"]}

    def get_queryset(self):
        return restricted(Alert, self.request.user).select_related("subject", "acknowledged_by")

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Mark the alert as seen; the first acknowledgement (who, when) is kept."""
        return Response(AlertSerializer(acknowledge_alert(request.user, self.get_object())).data)


def register(router) -> None:
    router.register("audit-entries", AuditEntryViewSet, basename="auditentry")
    router.register("change-log", ChangeLogEntryViewSet, basename="changelogentry")
    router.register("alerts", AlertViewSet, basename="alert")
