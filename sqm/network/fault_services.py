"""Changes the NOC makes to fault events (pages and API call the same functions)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sqm.core import context
from sqm.network import fault_sms
from sqm.network.choices import FaultState
from sqm.network.models import FaultEvent


def set_estimated_recovery(user, fault: FaultEvent, when: datetime | None) -> int:
    """Set (or with None, remove) FAULT's estimated recovery; return how many waiting fault
    SMS were re-rendered with the new estimate.

    The fault is saved through the ORM, so the change log records who changed the estimate.
    Only an active event takes an estimate: a cleared one is over, a merged one's SMS
    belong to the event that absorbed it. The estimate must lie after the fault began.
    """
    if not FaultEvent.objects.restrict(user, "change").filter(pk=fault.pk).exists():
        raise PermissionDenied(_("You may not change this fault event."))
    with transaction.atomic(), context.acting_as(user):
        locked = (
            FaultEvent.objects.select_for_update().select_related("olt", "city").get(pk=fault.pk)
        )
        if locked.state != FaultState.ACTIVE:
            raise ValidationError(
                _("Only an active fault event takes an estimated recovery; this one is %(state)s.")
                % {"state": locked.get_state_display()},
                code="not_active",
            )
        if when is not None and when <= locked.started_at:
            raise ValidationError(
                _("The estimated recovery must be after the fault began."), code="too_early"
            )
        fault.estimated_recovery = when
        if locked.estimated_recovery == when:
            return 0
        locked.estimated_recovery = when
        locked.save(update_fields=["estimated_recovery", "last_updated"])
        return fault_sms.refresh_fault_texts(locked)
