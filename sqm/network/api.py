"""REST API for the access-network topology and the accounts hanging under each element."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action

from sqm.api.schema import ErrorSerializer
from sqm.api.viewsets import ModelViewSet, ReadOnlyViewSet
from sqm.core.models import City
from sqm.customers.api import AccountSerializer
from sqm.network import services
from sqm.network.filters import OltFilterSet, OnuFilterSet, PonPortFilterSet
from sqm.network.models import Olt, Onu, PonPort


class UserCityField(serializers.SlugRelatedField):
    """A city by code, limited to the cities the requesting user works in."""

    def get_queryset(self):
        user = self.context["request"].user
        if user.is_superuser or getattr(user, "all_cities", False):
            return City.objects.all()
        return user.cities.all()


class OltSerializer(serializers.ModelSerializer):
    city = UserCityField(slug_field="code")
    port_count = serializers.IntegerField(read_only=True)
    onu_count = serializers.IntegerField(read_only=True)
    account_count = serializers.IntegerField(
        read_only=True, help_text=_("Active accounts on the OLT's ONUs.")
    )

    class Meta:
        model = Olt
        fields = [
            "id",
            "olt_id",
            "name",
            "ip",
            "vendor",
            "city",
            "district",
            "port_count",
            "onu_count",
            "account_count",
        ]


class PonPortSerializer(serializers.ModelSerializer):
    olt = serializers.SlugRelatedField(slug_field="olt_id", read_only=True)

    class Meta:
        model = PonPort
        fields = ["id", "olt", "frame", "slot", "port"]


class OnuSerializer(serializers.ModelSerializer):
    olt = serializers.SlugRelatedField(slug_field="olt_id", read_only=True)

    class Meta:
        model = Onu
        fields = ["id", "onu_id", "olt", "pon_port", "frame", "slot", "port"]
        read_only_fields = fields


class AccountsUnderMixin:
    """`…/{id}/accounts/`: the active broadband accounts under one element, paginated."""

    @extend_schema(responses=AccountSerializer(many=True))
    @action(detail=True, filter_backends=[])
    def accounts(self, request, pk=None):
        """Active broadband accounts under this element (those a fault here would hit)."""
        accounts = services.accounts_under(self.get_object()).restrict(request.user)
        page = self.paginate_queryset(accounts.select_related("customer", "onu"))
        return self.get_paginated_response(AccountSerializer(page, many=True).data)


ACCOUNTS_PERMISSIONS = ["customers.view_account"]


@extend_schema_view(
    destroy=extend_schema(responses={204: None, 409: ErrorSerializer}),
)
class OltViewSet(AccountsUnderMixin, ModelViewSet):
    """OLTs in your cities with their PON port, ONU and active account counts.

    Network operations may add, change and delete OLTs (in their own cities)."""

    serializer_class = OltSerializer
    filterset_class = OltFilterSet
    action_permissions = {"accounts": ["network.view_olt", *ACCOUNTS_PERMISSIONS]}

    def get_queryset(self):
        if self.action in ("list", "retrieve"):
            return services.olts_with_counts(self.request.user)
        verb = {"destroy": "delete", "accounts": "view"}.get(self.action, "change")
        return Olt.objects.restrict(self.request.user, verb).select_related("city")

    def perform_create(self, serializer) -> None:
        super().perform_create(serializer)
        serializer.instance = services.olts_with_counts(self.request.user).get(
            pk=serializer.instance.pk
        )

    def perform_update(self, serializer) -> None:
        super().perform_update(serializer)
        serializer.instance = services.olts_with_counts(self.request.user).get(
            pk=serializer.instance.pk
        )


class PonPortViewSet(AccountsUnderMixin, ReadOnlyViewSet):
    """PON ports (OLT frame/slot/port) in your cities."""

    serializer_class = PonPortSerializer
    filterset_class = PonPortFilterSet
    action_permissions = {"accounts": ["network.view_ponport", *ACCOUNTS_PERMISSIONS]}

    def get_queryset(self):
        return PonPort.objects.restrict(self.request.user).select_related("olt")


class OnuViewSet(AccountsUnderMixin, ReadOnlyViewSet):
    """ONUs in your cities with their position on the OLT."""

    serializer_class = OnuSerializer
    filterset_class = OnuFilterSet
    action_permissions = {"accounts": ["network.view_onu", *ACCOUNTS_PERMISSIONS]}

    def get_queryset(self):
        return Onu.objects.restrict(self.request.user).select_related("olt")


def register(router) -> None:
    router.register("olts", OltViewSet, basename="olt")
    router.register("pon-ports", PonPortViewSet, basename="ponport")
    router.register("onus", OnuViewSet, basename="onu")
