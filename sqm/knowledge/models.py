"""The search index (docs/search.md) and the problem library (docs/problems.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sqm.core.models import ChangeLoggedModel
from sqm.knowledge.choices import ArticleState, ProblemAction, ProblemState, SearchKind, TextState


class SearchDocument(models.Model):
    """One searchable record as the search sees it: its masked title and text for the hit
    list, what the filters and the scoping need, and its text cut into search terms.

    On SQLite the FTS5 table `knowledge_search_fts` indexes `words` and `grams` (external
    content, kept by triggers in the same transaction); on PostgreSQL the columns
    `words_tsv` and `grams_tsv` with GIN indexes do (migration 0001).
    """

    kind = models.CharField(_("kind"), max_length=16, choices=SearchKind.choices)
    object_id = models.PositiveBigIntegerField(_("record"))
    ref = models.CharField(_("reference"), max_length=40, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)  # masked: no personal data in clear
    city = models.ForeignKey(
        "core.City", null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("city")
    )
    category = models.CharField(_("category"), max_length=64, blank=True)
    handler = models.CharField(_("handler"), max_length=150, blank=True)
    state = models.CharField(_("state"), max_length=32, blank=True)
    happened = models.DateTimeField(_("date"), db_index=True)
    words = models.TextField(blank=True)  # space-separated dictionary words
    grams = models.TextField(blank=True)  # space-separated gram tokens
    version = models.CharField(_("segmentation version"), max_length=32)
    indexed = models.DateTimeField(_("indexed"), auto_now=True)

    city_path = "city"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="searchdocument_record")
        ]
        indexes = [models.Index(fields=["kind", "city", "happened"], name="searchdocument_scope")]
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        # Nobody edits the index; who may find what follows the kind's own permission.
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.kind} {self.ref}"


class ModuleOwner(ChangeLoggedModel):
    """A second-line staff member who owns a module (a second-level category) and closes
    its day (日结): groups its work orders into problems."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("owner"),
        related_name="owned_modules",
    )  # fmt: skip
    module = models.ForeignKey(
        "complaints.Category", on_delete=models.CASCADE, verbose_name=_("module"),
        related_name="owners",
    )  # fmt: skip

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "module"], name="moduleowner_unique")
        ]
        verbose_name = _("module owner")
        verbose_name_plural = _("module owners")

    def __str__(self) -> str:
        return f"{self.user} · {self.module}"


class Problem(ChangeLoggedModel):
    """A problem (问题): related work orders grouped under one symptom and root cause, with an
    owner and a responsible department, worked open → analysing → cause found → solved →
    archived."""

    code = models.CharField(_("problem code"), max_length=24, unique=True)
    module = models.ForeignKey(
        "complaints.Category", on_delete=models.PROTECT, verbose_name=_("module"),
        related_name="problems",
    )  # fmt: skip
    title = models.CharField(_("title"), max_length=120)
    symptom = models.TextField(_("symptom"))
    root_cause = models.TextField(_("root cause"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("owner"),
        related_name="problems",
    )  # fmt: skip
    department = models.ForeignKey(
        "complaints.Department", null=True, blank=True, on_delete=models.PROTECT,
        verbose_name=_("responsible department"),
    )  # fmt: skip
    # The city of its work orders; none when they span cities (a province-wide problem).
    city = models.ForeignKey(
        "core.City", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("city")
    )
    state = models.CharField(
        pgettext_lazy("problem", "state"), max_length=16, choices=ProblemState.choices,
        default=ProblemState.OPEN,
    )  # fmt: skip
    version = models.PositiveIntegerField(default=0)
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    orders = models.ManyToManyField(
        "complaints.WorkOrder", through="ProblemOrder", related_name="problems",
        verbose_name=_("work orders"),
    )  # fmt: skip

    city_path = "city"
    province_wide_when_no_city = True  # visible to every reader of problems (docs/problems.md)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["module", "state"], name="problem_module_state")]
        verbose_name = _("problem")
        verbose_name_plural = _("problems")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("knowledge:problem", args=[self.pk])


class ProblemOrder(models.Model):
    """A work order linked to a problem: by whom, when."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="links")
    order = models.ForeignKey(
        "complaints.WorkOrder", on_delete=models.CASCADE, related_name="problem_links"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["problem", "order"], name="problemorder_unique")
        ]

    def __str__(self) -> str:
        return f"{self.problem_id} · {self.order_id}"


class ProblemEvent(models.Model):
    """One step of a problem's timeline."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events")
    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    action = models.CharField(_("action"), max_length=16, choices=ProblemAction.choices)
    from_state = models.CharField(max_length=16, choices=ProblemState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=ProblemState.choices, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["time", "pk"]
        verbose_name = _("problem event")
        verbose_name_plural = _("problem events")

    def __str__(self) -> str:
        return f"{self.problem_id} {self.action}"


class Article(ChangeLoggedModel):
    """A knowledge article (知识点 / 解释口径): what agents read and say to customers about a
    kind of complaint. Its text is versioned (ArticleVersion); it goes draft → in review →
    published → expired, and leaves the agents' suggestions once expired."""

    code = models.CharField(_("article code"), max_length=24, unique=True)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text (Markdown)"), blank=True)
    script = models.TextField(_("answer script"), blank=True)
    steps = models.TextField(_("handling steps"), blank=True)
    category = models.ForeignKey(
        "complaints.Category", null=True, blank=True, on_delete=models.PROTECT,
        verbose_name=_("category"), related_name="articles",
    )  # fmt: skip
    # Empty: every city; the article is found by the users of its cities (province-wide
    # articles by everyone).
    cities = models.ManyToManyField("core.City", blank=True, verbose_name=_("cities"))
    products = models.JSONField(_("products"), default=list, blank=True)  # service codes
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("owner"),
        related_name="articles",
    )  # fmt: skip
    state = models.CharField(
        pgettext_lazy("article", "state"), max_length=16, choices=ArticleState.choices,
        default=ArticleState.DRAFT,
    )  # fmt: skip
    version = models.PositiveIntegerField(_("version"), default=1)
    problem = models.ForeignKey(
        Problem, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles",
        verbose_name=_("problem"),
    )  # fmt: skip
    reminded = models.DateField(_("expiry reminder sent"), null=True, blank=True)

    city_path = None  # scoped by `cities` in the search and the pages (knowledge.articles)

    class Meta:
        ordering = ["-last_updated"]
        indexes = [models.Index(fields=["state", "valid_until"], name="article_state_until")]
        permissions = [("publish_article", _("Review and publish knowledge articles"))]
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("knowledge:article", args=[self.pk])


class ArticleVersion(models.Model):
    """The text of an article as one save left it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text (Markdown)"), blank=True)
    script = models.TextField(_("answer script"), blank=True)
    steps = models.TextField(_("handling steps"), blank=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    saved_at = models.DateTimeField(_("saved at"), auto_now_add=True)

    class Meta:
        ordering = ["article", "number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="articleversion_unique")
        ]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class AttachmentText(models.Model):
    """The text read out of an attached document, in the background; searched under the
    work order it is attached to. A row is written with the attachment (pending) and
    filled by the worker, so no attachment is missed."""

    attachment = models.OneToOneField(
        "complaints.WorkOrderAttachment", on_delete=models.CASCADE, related_name="text",
        verbose_name=_("attachment"),
    )  # fmt: skip
    state = models.CharField(
        pgettext_lazy("attachment text", "state"), max_length=16, choices=TextState.choices,
        default=TextState.PENDING, db_index=True,
    )  # fmt: skip
    text = models.TextField(_("text"), blank=True)
    error = models.CharField(_("reason"), max_length=200, blank=True)
    truncated = models.BooleanField(_("cut short"), default=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # The search scopes it by its work order's city.
    city_path = "attachment__work_order__city"

    class Meta:
        verbose_name = _("attachment text")
        verbose_name_plural = _("attachment texts")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.attachment_id} {self.state}"
