from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class MessageKind(models.TextChoices):
    FAULT = "fault", _("fault notice")
    RECOVERY = "recovery", _("recovery notice")


class MessageState(models.TextChoices):
    SCHEDULED = "scheduled", pgettext_lazy("SMS state", "scheduled")
    SENDING = "sending", pgettext_lazy("SMS state", "sending")
    SENT = "sent", pgettext_lazy("SMS state", "sent")
    DELIVERED = "delivered", pgettext_lazy("SMS state", "delivered")
    FAILED = "failed", pgettext_lazy("SMS state", "failed")
    CANCELLED = "cancelled", pgettext_lazy("SMS state", "cancelled")
