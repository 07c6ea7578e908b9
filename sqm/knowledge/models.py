"""The search index (docs/search.md); problems and articles follow."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from sqm.knowledge.choices import SearchKind


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
