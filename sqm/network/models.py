"""Access-network topology: OLT → board (frame/slot) → PON port → ONU → broadband accounts."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sqm.core.models import ChangeLoggedModel


class Olt(ChangeLoggedModel):
    olt_id = models.CharField(_("OLT ID"), max_length=64, unique=True)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=128)
    ip = models.GenericIPAddressField(_("management IP"), null=True, blank=True)
    vendor = models.CharField(_("vendor"), max_length=32, blank=True)
    city = models.ForeignKey(
        "core.City", on_delete=models.PROTECT, related_name="olts", verbose_name=_("city")
    )
    district = models.CharField(_("district"), max_length=32, blank=True)

    city_path = "city"

    class Meta:
        ordering = ["olt_id"]
        verbose_name = _("OLT")
        verbose_name_plural = _("OLTs")

    def __str__(self) -> str:
        return self.name or self.olt_id

    def get_absolute_url(self) -> str:
        return reverse("network:olt", args=[self.pk])


class Board(ChangeLoggedModel):
    olt = models.ForeignKey(Olt, on_delete=models.CASCADE, related_name="boards")
    frame = models.PositiveSmallIntegerField(_("frame"))
    slot = models.PositiveSmallIntegerField(_("slot"))

    city_path = "olt__city"

    class Meta:
        ordering = ["olt", "frame", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["olt", "frame", "slot"], name="board_unique_slot")
        ]
        verbose_name = _("board")
        verbose_name_plural = _("boards")

    def __str__(self) -> str:
        return f"{self.olt.olt_id} {self.frame}/{self.slot}"


class PonPort(ChangeLoggedModel):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="ports")
    olt = models.ForeignKey(Olt, on_delete=models.CASCADE, related_name="ports")
    frame = models.PositiveSmallIntegerField(_("frame"))
    slot = models.PositiveSmallIntegerField(_("slot"))
    port = models.PositiveSmallIntegerField(_("port"))

    city_path = "olt__city"

    class Meta:
        ordering = ["olt", "frame", "slot", "port"]
        constraints = [
            models.UniqueConstraint(
                fields=["olt", "frame", "slot", "port"], name="ponport_unique_port"
            )
        ]
        verbose_name = _("PON port")
        verbose_name_plural = _("PON ports")

    def __str__(self) -> str:
        return f"{self.olt.olt_id} {self.frame}/{self.slot}/{self.port}"

    def get_absolute_url(self) -> str:
        return reverse("network:port", args=[self.pk])


class Onu(ChangeLoggedModel):
    """An ONU; its position is copied from its port so one index answers "everything under X"."""

    onu_id = models.CharField(_("ONU ID"), max_length=64, unique=True)
    pon_port = models.ForeignKey(PonPort, on_delete=models.CASCADE, related_name="onus")
    olt = models.ForeignKey(Olt, on_delete=models.CASCADE, related_name="onus")
    frame = models.PositiveSmallIntegerField(_("frame"))
    slot = models.PositiveSmallIntegerField(_("slot"))
    port = models.PositiveSmallIntegerField(_("port"))

    city_path = "olt__city"

    class Meta:
        ordering = ["onu_id"]
        indexes = [models.Index(fields=["olt", "frame", "slot", "port"], name="onu_position")]
        verbose_name = _("ONU")
        verbose_name_plural = _("ONUs")

    def __str__(self) -> str:
        return self.onu_id
