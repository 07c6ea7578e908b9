"""Customers (客户) and their accounts (账号), with personal data encrypted at rest."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sqm.core.fields import EncryptedTextField, KeyIdField, LookupHashField
from sqm.core.masking import mask_address, mask_id_number, mask_mobile, mask_name
from sqm.core.models import ChangeLoggedModel
from sqm.customers.choices import AccountStatus, CustomerType, Service, Tier


class Customer(ChangeLoggedModel):
    customer_id = models.CharField(_("customer ID"), max_length=32, unique=True)
    name = EncryptedTextField(_("name"), mask="name")
    mobile = EncryptedTextField(_("mobile number"), mask="mobile")
    mobile_hash = LookupHashField(source="mobile")
    id_number = EncryptedTextField(_("ID number"), mask="id_number")
    id_number_hash = LookupHashField(source="id_number")
    address = EncryptedTextField(_("address"), mask="address")
    customer_type = models.CharField(
        _("customer type"), max_length=8, choices=CustomerType.choices, default=CustomerType.PUBLIC
    )
    tier = models.CharField(_("tier"), max_length=8, choices=Tier.choices, default=Tier.NORMAL)
    city = models.ForeignKey(
        "core.City", on_delete=models.PROTECT, related_name="customers", verbose_name=_("city")
    )
    district = models.CharField(_("district"), max_length=32, blank=True)
    marketing_consent = models.BooleanField(_("consents to marketing SMS"), default=False)
    service_sms_opt_out = models.BooleanField(_("opted out of service SMS"), default=False)
    pii_key_id = KeyIdField()

    city_path = "city"

    class Meta:
        ordering = ["customer_id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [
            ("reveal_customer", _("Reveal a customer's personal data")),
            ("lookup_by_number", _("Find a customer by mobile or ID number")),
            ("export_pii", _("Export lists with personal data")),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.masked_name}"

    def get_absolute_url(self) -> str:
        return reverse("customers:customer", args=[self.pk])

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_address(self) -> str:
        return mask_address(self.address)


class Account(ChangeLoggedModel):
    account_id = models.CharField(_("account number"), max_length=32, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("customer")
    )
    service = models.CharField(_("service"), max_length=20, choices=Service.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    address = EncryptedTextField(_("installation address"), mask="address")
    bandwidth_mbps = models.PositiveIntegerField(_("bandwidth (Mbit/s)"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    onu = models.ForeignKey(
        "network.Onu",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        verbose_name=_("ONU"),
    )
    pii_key_id = KeyIdField()

    city_path = "customer__city"

    class Meta:
        ordering = ["account_id"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [models.Index(fields=["onu", "status"], name="account_onu_status")]

    def __str__(self) -> str:
        return self.account_id

    def get_absolute_url(self) -> str:
        return reverse("customers:account", args=[self.pk])

    @property
    def masked_address(self) -> str:
        return mask_address(self.address)
