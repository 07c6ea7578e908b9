"""Periodic jobs of the network domain (Huey)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from sqm.network import fault_split, ingest


@db_periodic_task(crontab(minute="*/5"))
def split_restored_faults() -> int:
    """Every 5 minutes: clear the fault events whose element came back while an alarm under
    it lost its clear (`fault_split`). Ingestion does the same after each batch; this job
    covers the quiet hours when no alarm arrives. Serialised with ingestion."""
    with transaction.atomic():
        ingest.lock()
        return fault_split.split_restored(timezone.now())
