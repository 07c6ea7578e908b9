"""Filters for customer and account lists (API and pages)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from sqm.customers import lookups
from sqm.customers.models import Account, Customer

# Personal data is encrypted, so it can only be matched exactly through its lookup hash, and
# only as a counted, audited look-up (customers.lookups).
NUMBER_PARAMS = {
    "mobile": (lookups.MOBILE, False),
    "id_number": (lookups.ID_NUMBER, False),
    "mobile_hash": (lookups.MOBILE, True),
    "id_number_hash": (lookups.ID_NUMBER, True),
}
# Filters that pin the answer to one known customer: with a number they would turn the
# look-up into a yes/no test of a guess about that customer.
PINNING_PARAMS = ("customer_id", "id")


class CustomerFilterSet(django_filters.FilterSet):
    city = django_filters.CharFilter(field_name="city__code", label=_("City code"))
    mobile = django_filters.CharFilter(
        method="filter_number", label=_("Mobile number (exact match; counted and audited)")
    )
    id_number = django_filters.CharFilter(
        method="filter_number", label=_("ID number (exact match; counted and audited)")
    )
    mobile_hash = django_filters.CharFilter(
        method="filter_number", label=_("Lookup hash of a mobile number")
    )
    id_number_hash = django_filters.CharFilter(
        method="filter_number", label=_("Lookup hash of an ID number")
    )

    class Meta:
        model = Customer
        fields = ["customer_id", "tier", "customer_type", "district"]

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        numbers = [name for name in NUMBER_PARAMS if self.form.cleaned_data.get(name)]
        pinned = [name for name in PINNING_PARAMS if self.data.get(name)]
        if len(numbers) > 1 or (numbers and pinned):
            raise ValidationError(
                {
                    numbers[0]: [
                        _(
                            "A look-up by number cannot be combined with another number or "
                            "with a customer ID: look the customer up by one number alone."
                        )
                    ]
                }
            )
        return super().filter_queryset(queryset)

    def filter_number(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        kind, hashed = NUMBER_PARAMS[name]
        if hashed:
            if not lookups.HASH_RE.fullmatch(value.strip().lower()):
                raise ValidationError({name: [_("A lookup hash is 64 hexadecimal digits.")]})
            number = lookups.from_hash(kind, value)
        else:
            number = lookups.classify(value)
            if number is None or number.kind != kind:
                raise ValidationError({name: [_("Enter a whole mobile or ID number.")]})
        user = self.request.user if self.request is not None else None
        channel = "api" if self.request is not None else "cli"
        return queryset.filter(pk__in=lookups.find_by_number(user, number, channel=channel))


class AccountFilterSet(django_filters.FilterSet):
    customer_id = django_filters.CharFilter(
        field_name="customer__customer_id", label=_("Customer ID")
    )
    onu_id = django_filters.CharFilter(field_name="onu__onu_id", label=_("ONU ID"))

    class Meta:
        model = Account
        fields = ["account_id", "service", "status"]
