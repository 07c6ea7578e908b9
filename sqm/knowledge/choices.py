from django.db import models
from django.utils.translation import pgettext_lazy


class SearchKind(models.TextChoices):
    ORDER = "order", pgettext_lazy("search kind", "Work order")
    PROBLEM = "problem", pgettext_lazy("search kind", "Problem")
    ARTICLE = "article", pgettext_lazy("search kind", "Article")
    ATTACHMENT = "attachment", pgettext_lazy("search kind", "Attachment")
