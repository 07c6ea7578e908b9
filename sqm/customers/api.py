from rest_framework import serializers, viewsets

from sqm.customers.models import Account, Customer


class CustomerSerializer(serializers.ModelSerializer):
    city = serializers.SlugRelatedField(slug_field="code", read_only=True)
    name = serializers.CharField(source="masked_name", read_only=True)
    mobile = serializers.CharField(source="masked_mobile", read_only=True)
    id_number = serializers.CharField(source="masked_id_number", read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "customer_id",
            "name",
            "mobile",
            "id_number",
            "customer_type",
            "tier",
            "city",
            "district",
            "marketing_consent",
            "service_sms_opt_out",
        ]


class AccountSerializer(serializers.ModelSerializer):
    customer = serializers.SlugRelatedField(slug_field="customer_id", read_only=True)
    onu = serializers.SlugRelatedField(slug_field="onu_id", read_only=True)
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


class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CustomerSerializer
    filterset_fields = ["customer_type", "tier", "city__code", "district"]

    def get_queryset(self):
        return Customer.objects.restrict(self.request.user).select_related("city")


class AccountViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AccountSerializer
    filterset_fields = ["service", "status"]

    def get_queryset(self):
        return Account.objects.restrict(self.request.user).select_related("customer", "onu")


def register(router) -> None:
    router.register("customers", CustomerViewSet, basename="customer")
    router.register("accounts", AccountViewSet, basename="account")
