from django.db import models
from django.utils.translation import pgettext_lazy


class SearchKind(models.TextChoices):
    ORDER = "order", pgettext_lazy("search kind", "Work order")
    PROBLEM = "problem", pgettext_lazy("search kind", "Problem")
    ARTICLE = "article", pgettext_lazy("search kind", "Article")
    ATTACHMENT = "attachment", pgettext_lazy("search kind", "Attachment")


class ProblemState(models.TextChoices):
    OPEN = "open", pgettext_lazy("problem state", "open")
    ANALYSING = "analysing", pgettext_lazy("problem state", "analysing")
    CAUSE_FOUND = "cause_found", pgettext_lazy("problem state", "cause found")
    SOLVED = "solved", pgettext_lazy("problem state", "solved")
    ARCHIVED = "archived", pgettext_lazy("problem state", "archived")


class ProblemAction(models.TextChoices):
    OPEN = "open", pgettext_lazy("problem action", "opened")
    EDIT = "edit", pgettext_lazy("problem action", "edited")
    LINK = "link", pgettext_lazy("problem action", "work orders linked")
    UNLINK = "unlink", pgettext_lazy("problem action", "work order unlinked")
    ANALYSE = "analyse", pgettext_lazy("problem action", "analysis started")
    FIND_CAUSE = "find_cause", pgettext_lazy("problem action", "cause found")
    SOLVE = "solve", pgettext_lazy("problem action", "solved")
    REOPEN = "reopen", pgettext_lazy("problem action", "reopened")
    ARCHIVE = "archive", pgettext_lazy("problem action", "archived")
    NOTE = "note", pgettext_lazy("problem action", "note")


class ArticleState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("article state", "draft")
    IN_REVIEW = "in_review", pgettext_lazy("article state", "in review")
    PUBLISHED = "published", pgettext_lazy("article state", "published")
    EXPIRED = "expired", pgettext_lazy("article state", "expired")


class TextState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("attachment text", "waiting")
    DONE = "done", pgettext_lazy("attachment text", "read")
    FAILED = "failed", pgettext_lazy("attachment text", "unreadable")
    SKIPPED = "skipped", pgettext_lazy("attachment text", "no text (image)")
