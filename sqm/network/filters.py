"""Filters for the topology lists (API and pages)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from sqm.network.models import Olt, Onu, PonPort


class OltFilterSet(django_filters.FilterSet):
    city = django_filters.CharFilter(field_name="city__code", label=_("City code"))

    class Meta:
        model = Olt
        fields = ["olt_id", "vendor", "district"]


class PonPortFilterSet(django_filters.FilterSet):
    olt_id = django_filters.CharFilter(field_name="olt__olt_id", label=_("OLT ID"))

    class Meta:
        model = PonPort
        fields = ["frame", "slot", "port"]


class OnuFilterSet(django_filters.FilterSet):
    olt_id = django_filters.CharFilter(field_name="olt__olt_id", label=_("OLT ID"))
    pon_port = django_filters.NumberFilter(field_name="pon_port_id", label=_("PON port (id)"))

    class Meta:
        model = Onu
        fields = ["onu_id", "frame", "slot", "port"]
