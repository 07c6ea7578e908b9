from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AlarmLevel(models.TextChoices):
    """The element an alarm is raised on; each level covers everything below it."""

    OLT = "olt", _("OLT")
    BOARD = "board", _("board")
    PON = "pon", _("PON port")
    ONU = "onu", _("ONU")


class AlarmEventKind(models.TextChoices):
    RAISE = "raise", _("raise")
    CLEAR = "clear", _("clear")


class AlarmOutcome(models.TextChoices):
    """What ingestion did with a received alarm event."""

    APPLIED = "applied", _("applied")
    EARLY_CLEAR = "early_clear", _("clear before its raise (kept until the raise arrives)")
    IGNORED_CLEAR = "ignored_clear", _("clear of an alarm already cleared (ignored)")
    UNMATCHED = "unmatched", _("on an unknown element")
    NO_IMPACT = "no_impact", _("minor: recorded, cuts no service")


class FaultState(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("fault state", "active")
    CLEARED = "cleared", pgettext_lazy("fault state", "cleared")
    MERGED = "merged", pgettext_lazy("fault state", "merged into a wider fault")
    # Closed by network operations after its clear was lost (docs/faults.md, stale events).
    CLOSED = "closed", pgettext_lazy("fault state", "closed by the NOC")


class Severity(models.TextChoices):
    """An alarm's severity as the NMS sends it (X.733 words); other values are shown as sent."""

    CRITICAL = "critical", pgettext_lazy("alarm severity", "critical")
    MAJOR = "major", pgettext_lazy("alarm severity", "major")
    MINOR = "minor", pgettext_lazy("alarm severity", "minor")
    WARNING = "warning", pgettext_lazy("alarm severity", "warning")


class AlarmType(models.TextChoices):
    """The alarm types the NMS sends most (its own codes); other types are shown as sent.

    Labels carry the context "alarm type": they name what the equipment reports, which is not
    the customer's wording of a fault type (FaultType.name, admin-edited).
    """

    LOS = "LOS", pgettext_lazy("alarm type", "LOS")
    POWER_OFF = "power-off", pgettext_lazy("alarm type", "power-off")
    LINK_DOWN = "link-down", pgettext_lazy("alarm type", "link-down")
    BOARD_FAULT = "board-fault", pgettext_lazy("alarm type", "board-fault")
    HIGH_TEMPERATURE = "high-temperature", pgettext_lazy("alarm type", "high-temperature")
    DYING_GASP = "dying-gasp", pgettext_lazy("alarm type", "dying-gasp")


def alarm_type_label(code: str) -> str:
    """An alarm type code in the active language (`power-off` → 断电); unknown codes as sent."""
    return str(AlarmType(code).label) if code in AlarmType.values else code
