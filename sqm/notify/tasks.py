"""Periodic jobs of the notify domain (Huey)."""

from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from sqm.notify import outbox


@db_periodic_task(crontab(minute="*"))
def send_due_sms() -> dict[str, int] | None:
    """Every minute: one pass of the outbox worker (`sqm sms send --once`), when
    SQM_SMS_SEND_IN_JOBS is on (the default with the console backend). With SMPP a
    long-running `sqm sms send` does this instead (docs/notify.md).

    A pass is capped at what the configured rate sends in 50 s, so passes do not overlap."""
    if not settings.SQM_SMS_SEND_IN_JOBS:
        return None
    limit = None
    if settings.SQM_SMS_BACKEND == "smpp" and settings.SQM_SMPP_RATE:
        limit = settings.SQM_SMPP_RATE * 50
    return outbox.send(once=True, limit=limit).summary.as_dict()
