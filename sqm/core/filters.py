"""Filters for the audit log, change log and alerts (API and pages)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from sqm.core.models import Alert, AuditEntry, ChangeLogEntry


class AuditEntryFilterSet(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_name", label=_("User name"))
    time = django_filters.IsoDateTimeFromToRangeFilter(label=_("Time (ISO 8601 range)"))

    class Meta:
        model = AuditEntry
        fields = ["action", "target"]


class ChangeLogEntryFilterSet(django_filters.FilterSet):
    content_type = django_filters.CharFilter(
        method="filter_content_type", label=_("Object type as app_label.model, e.g. network.olt")
    )
    user = django_filters.CharFilter(field_name="user__username", label=_("User name"))
    time = django_filters.IsoDateTimeFromToRangeFilter(label=_("Time (ISO 8601 range)"))

    class Meta:
        model = ChangeLogEntry
        fields = ["object_id", "action", "request_id"]

    def filter_content_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        app_label, _dot, model = value.lower().partition(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)


class AlertFilterSet(django_filters.FilterSet):
    acknowledged = django_filters.BooleanFilter(
        field_name="acknowledged_at",
        lookup_expr="isnull",
        exclude=True,
        label=_("Acknowledged"),
    )
    subject = django_filters.CharFilter(field_name="subject__username", label=_("User concerned"))

    class Meta:
        model = Alert
        fields = ["kind"]
