"""A run whose worker died stays queued or running: after SQM_KPI_RUN_TIMEOUT_MINUTES it no
longer holds up new runs, and its page says so."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from sqm.quality import services
from sqm.quality.choices import RunStatus
from sqm.quality.facts import Month
from sqm.quality.models import KpiRun

pytestmark = pytest.mark.django_db
OCTOBER = Month.parse("2026-10")


def stuck_run(minutes_ago: int) -> KpiRun:
    run = services.queue_run(OCTOBER)
    KpiRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, created=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    run.refresh_from_db()
    return run


def test_a_run_running_for_longer_than_the_timeout_is_abandoned(settings):
    settings.SQM_KPI_RUN_TIMEOUT_MINUTES = 60
    fresh, old = stuck_run(5), stuck_run(61)
    assert list(services.unfinished_runs(OCTOBER)) == [fresh]
    assert services.is_abandoned(old) and not services.is_abandoned(fresh)


def test_the_dashboard_offers_to_compute_again_when_the_only_unfinished_run_is_abandoned(
    quality_manager,
):
    old = stuck_run(24 * 60)
    client = Client()
    client.force_login(quality_manager)
    page = client.get("/quality/", {"month": "2026-10"}).content.decode()
    assert 'id="compute-form"' in page and 'id="pending-run"' not in page
    run_page = client.get(f"/quality/runs/{old.pk}/").content.decode()
    assert 'id="run-abandoned"' in run_page and "hx-trigger" not in run_page
