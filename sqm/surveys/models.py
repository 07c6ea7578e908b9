"""Questionnaires, their items and models, respondents' answers, and analysis runs.

Survey data is province-wide analytics bought from a third party: responses carry no
personal data (a respondent id, segment attributes and answers; any other column of the
file is ignored), so they are not scoped by city.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sqm.core.models import ChangeLoggedModel
from sqm.surveys.choices import Construct, Process, RunStatus, ServqualDimension, ServqualKind


class Questionnaire(ChangeLoggedModel):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=200)
    own_operator = models.CharField(_("own operator"), max_length=40)
    missing_codes = models.JSONField(_("missing-answer codes"), default=list, blank=True)
    composite = models.JSONField(
        _("composite index weights"),
        default=dict,
        blank=True,
        help_text=_("construct code → weight, e.g. VAL 0.7 and IMAG 0.3"),
    )
    source = models.TextField(_("questionnaire file"), blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("surveys:questionnaire", args=[self.pk])


class Item(ChangeLoggedModel):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.CharField(_("code"), max_length=40)
    text = models.CharField(_("question"), max_length=300, blank=True)
    construct = models.CharField(
        _("construct"), max_length=8, choices=Construct.choices, blank=True
    )
    process = models.CharField(
        _("business process"), max_length=24, choices=Process.choices, blank=True
    )
    scale_min = models.SmallIntegerField(_("scale minimum"))
    scale_max = models.SmallIntegerField(_("scale maximum"))
    reverse = models.BooleanField(_("reverse-coded"), default=False)
    servqual_dimension = models.CharField(
        _("SERVQUAL dimension"), max_length=16, choices=ServqualDimension.choices, blank=True
    )
    servqual_kind = models.CharField(
        _("SERVQUAL kind"), max_length=16, choices=ServqualKind.choices, blank=True
    )

    class Meta:
        ordering = ["questionnaire", "position"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "code"], name="survey_item_code")
        ]
        verbose_name = _("item")
        verbose_name_plural = _("items")

    def __str__(self) -> str:
        return self.code

    def recode(self, answer: float) -> float:
        """The answer with higher meaning better (reverse-coded items flipped)."""
        return self.scale_min + self.scale_max - answer if self.reverse else answer


class StructuralModel(ChangeLoggedModel):
    """A PLS path model over a questionnaire's constructs (the `sqm survey pls` YAML shape,
    stored as JSON)."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="structural_models"
    )
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    spec = models.JSONField(_("model"))
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["questionnaire", "name"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "name"], name="survey_model_name")
        ]
        verbose_name = _("structural model")
        verbose_name_plural = _("structural models")

    def __str__(self) -> str:
        return self.name


class Response(models.Model):
    """One respondent's answers. Not change-logged row by row: a survey import is one audited
    action, and answers are never edited (a corrected file replaces them)."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="responses"
    )
    respondent_id = models.CharField(_("respondent"), max_length=64)
    operator = models.CharField(_("operator"), max_length=40)
    is_own = models.BooleanField(_("own customer"))
    wave = models.CharField(_("wave"), max_length=20)
    brand = models.CharField(_("brand"), max_length=40, blank=True)
    city = models.CharField(_("city"), max_length=40, blank=True)
    product = models.CharField(_("product"), max_length=40, blank=True)
    answers = models.JSONField(_("answers"))  # item code → raw answer, or null when missing
    imported = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        ordering = ["questionnaire", "respondent_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "respondent_id"], name="survey_respondent"
            )
        ]
        indexes = [models.Index(fields=["questionnaire", "wave"])]
        verbose_name = _("response")
        verbose_name_plural = _("responses")

    def __str__(self) -> str:
        return self.respondent_id


class AnalysisRun(models.Model):
    """One run of the satisfaction analysis, queued from a page and done by the worker; the
    page polls `progress` and, when done, reads `results` (JSON)."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="runs")
    structural_model = models.ForeignKey(
        StructuralModel, on_delete=models.SET_NULL, null=True, related_name="runs"
    )
    wave = models.CharField(_("wave"), max_length=20, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress = models.FloatField(_("progress"), default=0.0)
    stage = models.CharField(_("stage"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)
    results = models.JSONField(_("results"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("analysis run")
        verbose_name_plural = _("analysis runs")

    def __str__(self) -> str:
        return f"{self.questionnaire_id}/{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("surveys:run", args=[self.pk])
