"""Access-network topology: OLT → board (frame/slot) → PON port → ONU → broadband accounts."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sqm.core.models import ChangeLoggedModel
from sqm.core.validators import validate_place_name
from sqm.network.choices import (
    AlarmEventKind,
    AlarmLevel,
    AlarmOutcome,
    FaultState,
    alarm_type_label,
)


class Olt(ChangeLoggedModel):
    olt_id = models.CharField(_("OLT ID"), max_length=64, unique=True)
    # Name and district become the {area} of fault SMS: names only (docs/formats.md).
    name = models.CharField(
        pgettext_lazy("thing", "name"), max_length=128, validators=[validate_place_name]
    )
    ip = models.GenericIPAddressField(_("management IP"), null=True, blank=True)
    vendor = models.CharField(_("vendor"), max_length=32, blank=True)
    city = models.ForeignKey(
        "core.City", on_delete=models.PROTECT, related_name="olts", verbose_name=_("city")
    )
    district = models.CharField(
        _("district"), max_length=32, blank=True, validators=[validate_place_name]
    )

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


# --- alarms, fault events, outages (docs/faults.md) -----------------------------------------


class AlarmEvent(models.Model):
    """An alarm event as received from the network management system, kept once.

    (alarm_id, event) is unique, so a repeated event changes nothing.
    """

    alarm_id = models.CharField(_("alarm ID"), max_length=64)
    event = models.CharField(_("event"), max_length=8, choices=AlarmEventKind.choices)
    olt_code = models.CharField(_("OLT ID"), max_length=64)
    level = models.CharField(_("level"), max_length=8, choices=AlarmLevel.choices)
    frame = models.PositiveSmallIntegerField(_("frame"), null=True, blank=True)
    slot = models.PositiveSmallIntegerField(_("slot"), null=True, blank=True)
    port = models.PositiveSmallIntegerField(_("port"), null=True, blank=True)
    onu_code = models.CharField(_("ONU ID"), max_length=64, blank=True)
    type = models.CharField(_("alarm type"), max_length=32)
    severity = models.CharField(_("severity"), max_length=16)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=AlarmOutcome.choices)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["alarm_id", "event"], name="alarmevent_once")
        ]
        indexes = [models.Index(fields=["outcome", "received_at"], name="alarmevent_outcome")]
        verbose_name = _("alarm event")
        verbose_name_plural = _("alarm events")

    def __str__(self) -> str:
        return f"{self.alarm_id} {self.event}"


class FaultEvent(ChangeLoggedModel):
    """The failure of one element, grouping the alarms under it (故障事件)."""

    level = models.CharField(_("level"), max_length=8, choices=AlarmLevel.choices)
    olt = models.ForeignKey(Olt, on_delete=models.CASCADE, related_name="faults")
    board = models.ForeignKey(Board, null=True, blank=True, on_delete=models.CASCADE)
    pon_port = models.ForeignKey(PonPort, null=True, blank=True, on_delete=models.CASCADE)
    onu = models.ForeignKey(Onu, null=True, blank=True, on_delete=models.CASCADE)
    city = models.ForeignKey("core.City", on_delete=models.PROTECT, verbose_name=_("city"))
    type = models.CharField(_("alarm type"), max_length=32)
    severity = models.CharField(_("severity"), max_length=16)
    state = models.CharField(
        _("state"), max_length=8, choices=FaultState.choices, default=FaultState.ACTIVE
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="absorbed",
        verbose_name=_("merged into"),
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    estimated_recovery = models.DateTimeField(_("estimated recovery"), null=True, blank=True)
    affected_accounts = models.PositiveIntegerField(_("affected accounts"), default=0)
    # Why network operations closed it as stale (its clear was lost); change-logged.
    close_reason = models.CharField(_("reason for closing"), max_length=200, blank=True)

    city_path = "city"

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["state", "city"], name="fault_state_city")]
        verbose_name = _("fault event")
        verbose_name_plural = _("fault events")

    def __str__(self) -> str:
        # The alarm type by its label (`power-off` → 断电): the name is read by people.
        return f"{self.olt.olt_id} {self.get_level_display()} {alarm_type_label(self.type)}"


class Alarm(models.Model):
    """One alarm's life: raised at, cleared at (None while active), on which element."""

    alarm_id = models.CharField(_("alarm ID"), max_length=64, unique=True)
    level = models.CharField(_("level"), max_length=8, choices=AlarmLevel.choices)
    olt = models.ForeignKey(Olt, on_delete=models.CASCADE, related_name="alarms")
    board = models.ForeignKey(Board, null=True, blank=True, on_delete=models.CASCADE)
    pon_port = models.ForeignKey(PonPort, null=True, blank=True, on_delete=models.CASCADE)
    onu = models.ForeignKey(Onu, null=True, blank=True, on_delete=models.CASCADE)
    type = models.CharField(_("alarm type"), max_length=32)
    severity = models.CharField(_("severity"), max_length=16)
    raised_at = models.DateTimeField(_("raised at"))
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    # When the NMS last re-sent the raise of this alarm while it was active (an alarm
    # resynchronisation): proof that it is still there (docs/faults.md, stale events).
    refreshed_at = models.DateTimeField(_("re-sent at"), null=True, blank=True)
    fault_event = models.ForeignKey(
        FaultEvent, on_delete=models.CASCADE, related_name="alarms", verbose_name=_("fault")
    )

    class Meta:
        ordering = ["raised_at", "id"]
        # Correlation reads the active alarms of OLTs, PON ports and ONUs (network.store):
        # the ports' and ONUs' with one look-up each, which finds their active ones only.
        indexes = [
            models.Index(fields=["olt", "cleared_at"], name="alarm_olt_active"),
            models.Index(fields=["pon_port", "cleared_at"], name="alarm_port_active"),
            models.Index(fields=["onu", "cleared_at"], name="alarm_onu_active"),
        ]
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")

    def __str__(self) -> str:
        return self.alarm_id


class Outage(models.Model):
    """One maximal interval during which an account was down (covered by an active alarm)."""

    account = models.ForeignKey(
        "customers.Account", on_delete=models.CASCADE, related_name="outages"
    )
    fault_event = models.ForeignKey(
        FaultEvent, on_delete=models.CASCADE, related_name="outages", verbose_name=_("fault")
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # At most one open outage per account.
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(ended_at__isnull=True),
                name="outage_one_open",
            )
        ]
        indexes = [models.Index(fields=["account", "ended_at"], name="outage_account")]
        verbose_name = _("outage")
        verbose_name_plural = _("outages")

    def __str__(self) -> str:
        return f"{self.account_id} {self.started_at:%Y-%m-%d %H:%M}"


class FaultType(ChangeLoggedModel):
    """What an alarm type means to a customer: the name used in SMS ({type}) and the
    script hotline agents answer with (admin-editable; docs/faults.md)."""

    code = models.CharField(
        _("alarm type"), max_length=32, unique=True, help_text=_("As alarms carry it, e.g. LOS.")
    )
    # Sent to customers as {type}: a name, never a link or a number (docs/formats.md).
    name = models.CharField(
        pgettext_lazy("thing", "name"), max_length=32, validators=[validate_place_name]
    )
    script = models.TextField(_("answer script"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("fault type")
        verbose_name_plural = _("fault types")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
