"""Choice sets of the survey domain (the Chinese names are in docs/glossary.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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

    NETWORK = "network", _("network quality")
    ROAMING = "roaming", _("roaming")
    VAS = "vas", _("value-added services")
    BILLS = "bills", _("bills")
    PAYMENT = "payment", _("payment")
    OUTLETS = "outlets", _("outlets")
    HOTLINE = "hotline", _("hotline")
    COMPLAINT_HANDLING = "complaint_handling", _("complaint handling")
    INFORMATION = "information", _("information")


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
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")
