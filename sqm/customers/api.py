"""REST API for customers and accounts: personal data only ever leaves masked, or revealed."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from sqm.api.viewsets import ReadOnlyViewSet
from sqm.customers import lookups, services
from sqm.customers.filters import AccountFilterSet, CustomerFilterSet
from sqm.customers.models import Account, Customer


class CustomerSerializer(serializers.ModelSerializer):
    city = serializers.SlugRelatedField(slug_field="code", read_only=True)
    name = serializers.CharField(source="masked_name", read_only=True)
    mobile = serializers.CharField(source="masked_mobile", read_only=True)
    id_number = serializers.CharField(source="masked_id_number", read_only=True)
    address = serializers.CharField(source="masked_address", read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "customer_id",
            "name",
            "mobile",
            "id_number",
            "address",
            "customer_type",
            "tier",
            "city",
            "district",
            "marketing_consent",
            "service_sms_opt_out",
        ]


class AccountSerializer(serializers.ModelSerializer):
    customer = serializers.SlugRelatedField(slug_field="customer_id", read_only=True)
    onu = serializers.SlugRelatedField(slug_field="onu_id", read_only=True, allow_null=True)
    address = serializers.CharField(source="masked_address", read_only=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "account_id",
            "customer",
            "service",
            "status",
            "address",
            "bandwidth_mbps",
            "opened_at",
            "onu",
        ]


class RevealReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, help_text=_("Why you need the personal data; kept in the audit log.")
    )


class NumberLookupSerializer(serializers.Serializer):
    mobile = serializers.CharField(required=False, max_length=32)
    id_number = serializers.CharField(required=False, max_length=32)

    def validate(self, data: dict) -> dict:
        given = [key for key in ("mobile", "id_number") if data.get(key)]
        if len(given) != 1:
            raise serializers.ValidationError(_("Give exactly one of mobile and id_number."))
        key = given[0]
        number = lookups.classify(data[key])
        if number is None or number.kind != key:
            raise serializers.ValidationError({key: _("Enter a whole mobile or ID number.")})
        return {"number": number}


class RevealedSerializer(serializers.Serializer):
    name = serializers.CharField()
    mobile = serializers.CharField()
    id_number = serializers.CharField()
    address = serializers.CharField()


def reveal(user, customer: Customer, reason: str) -> dict[str, str]:
    """The service's reveal, with its validation error turned into an API 400."""
    try:
        return services.reveal_customer(user, customer, reason)
    except DjangoValidationError as exc:
        raise serializers.ValidationError({"reason": exc.messages}) from exc


class CustomerViewSet(ReadOnlyViewSet):
    """Customers in your cities, personal data masked; filter by tier, type, city, district,
    or find one by exact mobile or ID number."""

    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    action_permissions = {
        "reveal": ["customers.view_customer", "customers.reveal_customer"],
        "lookup": ["customers.view_customer", lookups.PERMISSION],
    }

    def get_queryset(self):
        return Customer.objects.restrict(self.request.user).select_related("city")

    @extend_schema(request=NumberLookupSerializer, responses=CustomerSerializer(many=True))
    @action(detail=False, methods=["post"])
    def lookup(self, request):
        """Find the caller by mobile or ID number, sent in the body (never in the URL).

        Counted against your hourly look-ups (429 past the limit) and audited with the
        number's lookup hash."""
        body = NumberLookupSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = lookups.find_by_number(request.user, body.validated_data["number"], channel="api")
        found = self.get_queryset().filter(pk__in=ids)
        return Response(CustomerSerializer(found, many=True).data)

    @extend_schema(request=RevealReasonSerializer, responses=RevealedSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """Plaintext personal data of one customer; audited with the reason given."""
        customer = self.get_object()
        body = RevealReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(reveal(request.user, customer, body.validated_data["reason"]))


class AccountViewSet(ReadOnlyViewSet):
    """Accounts of the customers in your cities, installation address masked."""

    serializer_class = AccountSerializer
    filterset_class = AccountFilterSet

    def get_queryset(self):
        return Account.objects.restrict(self.request.user).select_related("customer", "onu")


def register(router) -> None:
    router.register("customers", CustomerViewSet, basename="customer")
    router.register("accounts", AccountViewSet, basename="account")
