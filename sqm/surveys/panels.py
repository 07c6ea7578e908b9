"""The survey side's home-page panel (registered in SurveysConfig.ready()): the quality
manager's way into the satisfaction analyses."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sqm.core.home import Panel, register_panel
from sqm.surveys.models import AnalysisRun, Questionnaire

RUNS_SHOWN = 5


def analyses(user, now: datetime) -> dict | None:
    """The latest analysis runs (without their results: a run's page shows those)."""
    if not user.has_perm("surveys.view_analysisrun"):
        return None
    runs = (
        AnalysisRun.objects.select_related("questionnaire")
        .only("pk", "wave", "status", "created", "finished", "questionnaire__name")
        .order_by("-created")[:RUNS_SHOWN]
    )
    return {
        "title": _("Satisfaction analyses"),
        "runs": list(runs),
        "questionnaires": Questionnaire.objects.count(),
        "more": (reverse("surveys:list"), _("All questionnaires and analyses")),
    }


def register() -> None:
    register_panel(
        "quality_manager", Panel("analyses", "surveys/panels/analyses.html", analyses, 30)
    )
