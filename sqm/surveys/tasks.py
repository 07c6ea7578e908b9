"""Background jobs of the survey domain (Huey)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task


@db_task()
def run_analysis(run_id: int, language: str | None = None) -> None:
    """Run a queued analysis; its messages in the language of the user who asked for it."""
    from django.utils import translation

    from sqm.surveys.services import do_run_analysis

    with translation.override(language):
        do_run_analysis(run_id)
