"""Periodic jobs of the complaints domain (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from sqm.complaints import sla


@db_periodic_task(crontab(minute="*"))
def check_sla_deadlines() -> dict[str, int]:
    """Every minute: warn about work orders reaching their warning point or deadline."""
    return sla.check_deadlines()
