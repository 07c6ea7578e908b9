"""Background jobs of the quality domain (Huey)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task


@db_task()
def compute_run(run_id: int, language: str | None = None) -> None:
    """Compute a queued KPI run (its messages in the language of the user who asked)."""
    from django.utils import translation

    from sqm.core import context
    from sqm.quality.services import do_compute_run

    with translation.override(language), context.acting_as(None, label="worker"):
        do_compute_run(run_id)
