"""Filters for the audit log, change log and alerts (API and pages)."""

from __future__ import annotations

import datetime

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField, RangeField
from django_filters.widgets import DateRangeWidget

from sqm.core.models import Alert, AuditEntry, ChangeLogEntry


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, turned into UTC.

    Python accepts offsets up to ±23:59, PostgreSQL only up to ±15:59; in UTC the value
    means the same and every database takes it.
    """

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(datetime.UTC)
        except OverflowError as exc:
            raise ValidationError(
                _("Enter a date and time within years 1–9999."), "invalid"
            ) from exc


class UtcDateTimeRangeField(RangeField):
    widget = DateRangeWidget

    def __init__(self, *args, **kwargs):
        super().__init__((UtcDateTimeField(), UtcDateTimeField()), *args, **kwargs)


class DateTimeRangeFilter(django_filters.IsoDateTimeFromToRangeFilter):
    """`NAME_after` / `NAME_before` in ISO 8601, either end optional."""

    field_class = UtcDateTimeRangeField


class AuditEntryFilterSet(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_name", label=_("User name"))
    time = DateTimeRangeFilter(label=_("Time (ISO 8601 range)"))

    class Meta:
        model = AuditEntry
        fields = ["action", "target"]


class ChangeLogEntryFilterSet(django_filters.FilterSet):
    content_type = django_filters.CharFilter(
        method="filter_content_type", label=_("Object type as app_label.model, e.g. network.olt")
    )
    user = django_filters.CharFilter(field_name="user__username", label=_("User name"))
    time = DateTimeRangeFilter(label=_("Time (ISO 8601 range)"))

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
