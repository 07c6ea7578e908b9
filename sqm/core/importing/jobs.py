"""Imports started from the upload pages: a job row, a worker task, a progress file.

The web request only stores the upload (sealed: sqm.core.uploads) and queues the job; the
worker reads, validates and writes it. The write runs in one transaction, so progress is not
written to the database (SQLite would make the page wait for the lock): it goes to a small
JSON file under SQM_HOME/progress/ that the page polls instead. When the job ends its file is
deleted if it succeeded, or kept sealed for SQM_UPLOAD_KEEP_HOURS if it failed
(`uploads.purge`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation

from sqm.core import uploads
from sqm.core.importing import run_import
from sqm.core.models import ImportJob, ImportStatus

MAX_STORED_ERRORS = 1000


def progress_path(job_id: int) -> Path:
    folder = Path(settings.SQM_HOME) / "progress"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"import-{job_id}.json"


def write_progress(job_id: int, rows: int, fraction: float | None) -> None:
    path = progress_path(job_id)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"rows": rows, "fraction": fraction}), encoding="utf-8")
    os.replace(tmp, path)  # atomic: the page never reads half a file


def read_progress(job_id: int) -> dict:
    try:
        return json.loads(progress_path(job_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"rows": 0, "fraction": None}


def start_job(
    user,
    kind: str,
    upload,
    dry_run: bool,
    encoding: str | None = None,
    options: dict | None = None,
) -> ImportJob:
    """Keep UPLOAD sealed and queue its import; nothing of the file is read here. OPTIONS
    (JSON) go to the importer."""
    from sqm.core.tasks import run_import_job

    job = ImportJob.objects.create(
        kind=kind,
        file=uploads.seal_upload(upload, timezone.now().strftime("imports/%Y/%m")),
        original_name=upload.name,
        dry_run=dry_run,
        created_by=user,
        encoding=encoding or "",
        options=options or {},
    )
    run_import_job(job.pk, translation.get_language())
    return job


def run_job(job_id: int) -> ImportJob:
    job = ImportJob.objects.get(pk=job_id)
    updated = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING
    )
    if not updated:
        return job  # another worker took it
    path = uploads.media_path(job.file.name)
    result = run_import(
        job.kind,
        path,
        encoding=job.encoding or None,
        dry_run=job.dry_run,
        user=job.created_by,
        display_name=job.original_name,
        progress=lambda rows, fraction: write_progress(job_id, rows, fraction),
        options=job.options,
    )
    job.rows_done = result.rows
    job.rows_total = result.rows
    job.created_count = result.created
    job.updated_count = result.updated
    job.error_count = result.error_count
    job.errors = [
        {"line": e.line, "column": e.column, "reason": e.reason}
        for e in result.errors[:MAX_STORED_ERRORS]
    ]
    job.status = ImportStatus.DONE if result.ok else ImportStatus.FAILED
    job.finished = timezone.now()
    if result.link:
        job.options = {**job.options, "link": result.link}
    if result.ok:
        # Nothing more to show from the file: it goes now. A failed job's sealed file stays
        # until the purge, so its errors can be checked against it.
        path.unlink(missing_ok=True)
        job.file = ""
    job.save()
    write_progress(job_id, result.rows, 1.0)
    return job
