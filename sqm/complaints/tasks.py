"""Periodic jobs of the complaints domain (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from sqm.complaints import notices, sla


@db_periodic_task(crontab(minute="*"))
def check_sla_deadlines() -> dict[str, int]:
    """Every minute: warn about work orders reaching their warning point or deadline."""
    return sla.check_deadlines()


@db_periodic_task(crontab(minute="*"))
def check_callbacks_due() -> int:
    """Every minute: tell the callers of work orders whose callback (回访) comes due."""
    return notices.check_callbacks()
