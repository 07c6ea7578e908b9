"""Choice sets of the survey domain (the Chinese names are in docs/glossary.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Construct(models.TextChoices):
    """The latent variables of the satisfaction index model (ECSI / CCSI)."""

    IMAG = "IMAG", _("corporate image")
    EXPE = "EXPE", _("customer expectation")
    QUAL = "QUAL", _("perceived quality")
    VAL = "VAL", _("perceived service value")
    FAIR = "FAIR", _("fairness")
    SAT = "SAT", _("satisfaction")
    LOY = "LOY", _("loyalty")
    COMP = "COMP", _("complaints")


class Process(models.TextChoices):
    """The business processes a customer meets, the candidates for drivers."""

    NETWORK = "network", pgettext_lazy("business process", "network quality")
    ROAMING = "roaming", pgettext_lazy("business process", "roaming")
    VAS = "vas", pgettext_lazy("business process", "value-added services")
    BILLS = "bills", pgettext_lazy("business process", "bills")
    PAYMENT = "payment", pgettext_lazy("business process", "payment")
    OUTLETS = "outlets", pgettext_lazy("business process", "outlets")
    HOTLINE = "hotline", pgettext_lazy("business process", "hotline")
    COMPLAINT_HANDLING = (
        "complaint_handling",
        pgettext_lazy("business process", "complaint handling"),
    )
    INFORMATION = "information", pgettext_lazy("business process", "information")


class ServqualDimension(models.TextChoices):
    TANGIBLES = "tangibles", _("tangibles")
    RELIABILITY = "reliability", _("reliability")
    RESPONSIVENESS = "responsiveness", _("responsiveness")
    ASSURANCE = "assurance", _("assurance")
    EMPATHY = "empathy", _("empathy")


class ServqualKind(models.TextChoices):
    EXPECTATION = "expectation", _("expectation")
    PERCEPTION = "perception", _("perception")


class Scheme(models.TextChoices):
    CENTROID = "centroid", _("centroid")
    FACTORIAL = "factorial", _("factorial")
    PATH = "path", _("path weighting")


class RunStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("analysis run status", "queued")
    RUNNING = "running", pgettext_lazy("analysis run status", "running")
    DONE = "done", pgettext_lazy("analysis run status", "done")
    FAILED = "failed", pgettext_lazy("analysis run status", "failed")
