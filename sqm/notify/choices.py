from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    FAULT = "fault", _("fault notice")
    RECOVERY = "recovery", _("recovery notice")


class MessageState(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")
