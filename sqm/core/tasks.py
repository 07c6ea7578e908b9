"""Background and periodic jobs of the core (Huey)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from sqm.core import audit


@db_periodic_task(crontab(minute="17", hour="2"))
def verify_audit_chain() -> bool:
    """Nightly: check the audit log's hash chain; a break becomes an alert for auditors."""
    result = audit.verify()
    audit.record_check(result)
    audit.alert_if_broken(result)
    return result.ok


@db_periodic_task(crontab(minute="41"))
def purge_uploads() -> int:
    """Hourly: delete kept upload files older than SQM_UPLOAD_KEEP_HOURS (failed jobs' sealed
    files, uploads never claimed); see sqm.core.uploads."""
    from sqm.core import uploads

    return uploads.purge()


@db_task()
def run_import_job(job_id: int, language: str | None = None) -> None:
    """Run an uploaded import; messages in the language of the user who started it."""
    from django.utils import translation

    from sqm.core.importing.jobs import run_job

    with translation.override(language):
        run_job(job_id)
