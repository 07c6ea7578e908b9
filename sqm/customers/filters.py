"""Filters for customer and account lists (API and pages)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from sqm.core.crypto import lookup_hash
from sqm.customers.models import Account, Customer

# Personal data is encrypted, so it can only be matched exactly through its lookup hash.
HASHED_FIELDS = {"mobile": "mobile_hash", "id_number": "id_number_hash"}


class CustomerFilterSet(django_filters.FilterSet):
    city = django_filters.CharFilter(field_name="city__code", label=_("City code"))
    mobile = django_filters.CharFilter(
        method="filter_hashed", label=_("Mobile number (exact match)")
    )
    id_number = django_filters.CharFilter(
        method="filter_hashed", label=_("ID number (exact match)")
    )
    mobile_hash = django_filters.CharFilter(label=_("Lookup hash of a mobile number"))
    id_number_hash = django_filters.CharFilter(label=_("Lookup hash of an ID number"))

    class Meta:
        model = Customer
        fields = ["customer_id", "tier", "customer_type", "district"]

    def filter_hashed(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**{HASHED_FIELDS[name]: lookup_hash(value)})


class AccountFilterSet(django_filters.FilterSet):
    customer_id = django_filters.CharFilter(
        field_name="customer__customer_id", label=_("Customer ID")
    )
    onu_id = django_filters.CharFilter(field_name="onu__onu_id", label=_("ONU ID"))

    class Meta:
        model = Account
        fields = ["account_id", "service", "status"]
