"""What each kind of record puts into the search index, and the signals that keep it current.

A source turns records of one model into SearchDocument rows (masked title and text, the
scoping and filter columns, the cut terms). Every save and guarded update the change log
records re-indexes those records in the same transaction (`sqm.core.changelog.changed`).
Imports write in bulk without cutting text in their transaction: the worker catches the
index up every five minutes (`tasks.catch_up_search`), and a segmentation change (a new
dictionary) needs a full `sqm search reindex`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import models
from django.urls import reverse

from sqm.core.masking import mask_numbers as _mask_ascii
from sqm.knowledge.choices import SearchKind


def mask_numbers(text: str) -> str:
    """TEXT with its mobile and ID numbers masked, full-width digits (１３８…) folded first:
    the index folds them, so a number must not get past the mask as full-width."""
    return _mask_ascii(unicodedata.normalize("NFKC", text or ""))


@dataclass(frozen=True)
class Source:
    kind: str
    model: str  # app_label.Model
    permission: str  # who may find these records (and the city scoping of SearchDocument)
    queryset: Callable[[], models.QuerySet]
    document: Callable[[models.Model], dict]  # the document's fields but the terms
    urls: Callable[[list[int]], dict[int, str]]  # the records' pages, from their ids
    # The ids of the records an exact key names besides their reference (an account
    # number: its work orders), shown first.
    exact: Callable[[str], list[int]] | None = None


SOURCES: dict[str, Source] = {}


def register_source(source: Source) -> None:
    SOURCES[source.kind] = source


def _work_orders():
    from sqm.complaints.models import WorkOrder

    return WorkOrder.objects.select_related("category", "assignee", "account")


def _orders_of_account(text: str) -> list[int]:
    from sqm.complaints.models import WorkOrder

    if not text or len(text) > 32:
        return []
    return list(
        WorkOrder.objects.filter(account__account_id=text).values_list("pk", flat=True)[:50]
    )


def _work_order_document(order) -> dict:
    description = mask_numbers(order.description or "")
    reply = mask_numbers(order.reply or "")
    category = order.category.name if order.category_id else ""
    return {
        "ref": order.number,
        "keys": order.account.account_id if order.account_id else "",
        # The category names it; the description shows as the snippet under it.
        "title": category or description[:60],
        "body": "\n".join(part for part in (description, reply) if part),
        "city_id": order.city_id,
        "category": category,
        "handler": order.assignee.get_username() if order.assignee_id else "",
        "state": order.state,
        "happened": order.created,
    }


def _problems():
    from sqm.knowledge.models import Problem

    return Problem.objects.select_related("module", "owner")


def _problem_document(problem) -> dict:
    symptom = mask_numbers(problem.symptom or "")
    cause = mask_numbers(problem.root_cause or "")
    return {
        "ref": problem.code,
        "title": mask_numbers(problem.title),
        "body": "\n".join(part for part in (symptom, cause) if part),
        "city_id": problem.city_id,
        "category": problem.module.name,
        "handler": problem.owner.get_username(),
        "state": problem.state,
        "happened": problem.created,
    }


def _articles():
    from sqm.knowledge.models import Article

    return Article.objects.select_related("category", "owner").prefetch_related("cities")


def _article_document(article) -> dict:
    cities = list(article.cities.all())
    return {
        "ref": article.code,
        "title": mask_numbers(article.title),
        "body": "\n".join(
            mask_numbers(part) for part in (article.script, article.body, article.steps) if part
        ),
        # One city: that city's users find it; none or several: everyone (one row per
        # record; the article pages scope by all its cities).
        "city_id": cities[0].pk if len(cities) == 1 else None,
        "category": article.category.name if article.category_id else "",
        "handler": article.owner.get_username(),
        "state": article.state,
        "happened": article.created,
    }


def _attachment_texts():
    from sqm.knowledge.choices import TextState
    from sqm.knowledge.models import AttachmentText

    return AttachmentText.objects.filter(state=TextState.DONE).select_related(
        "attachment__work_order__category", "attachment__work_order__assignee"
    )


def _attachment_document(row) -> dict:
    order = row.attachment.work_order
    return {
        "ref": order.number,
        "title": mask_numbers(row.attachment.original_name)[:200],
        # The index holds at most the first 100,000 characters of a document.
        "body": mask_numbers(row.text[:100_000]),
        "city_id": order.city_id,
        "category": order.category.name if order.category_id else "",
        "handler": order.assignee.get_username() if order.assignee_id else "",
        "state": order.state,
        "happened": row.attachment.uploaded_at,
    }


def _pages(name: str) -> Callable[[list[int]], dict[int, str]]:
    return lambda pks: {pk: reverse(name, args=[pk]) for pk in pks}


def _attachment_urls(pks: list[int]) -> dict[int, str]:
    """An attachment's text leads to its work order's page (one query for the hit list)."""
    from sqm.knowledge.models import AttachmentText

    orders = AttachmentText.objects.filter(pk__in=pks).values_list(
        "pk", "attachment__work_order_id"
    )
    return {pk: reverse("complaints:order", args=[order]) for pk, order in orders}


def _attachment_stored(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw:
        from sqm.knowledge import attachments

        attachments.queue(instance)


def register() -> None:
    from django.db.models.signals import post_save

    from sqm.core import changelog

    register_source(
        Source(
            kind=SearchKind.ORDER,
            model="complaints.WorkOrder",
            permission="complaints.view_workorder",
            queryset=_work_orders,
            document=_work_order_document,
            urls=_pages("complaints:order"),
            exact=_orders_of_account,
        )
    )
    register_source(
        Source(
            kind=SearchKind.PROBLEM,
            model="knowledge.Problem",
            permission="knowledge.view_problem",
            queryset=_problems,
            document=_problem_document,
            urls=_pages("knowledge:problem"),
        )
    )
    register_source(
        Source(
            kind=SearchKind.ARTICLE,
            model="knowledge.Article",
            permission="knowledge.view_article",
            queryset=_articles,
            document=_article_document,
            urls=_pages("knowledge:article"),
        )
    )
    register_source(
        Source(
            kind=SearchKind.ATTACHMENT,
            model="knowledge.AttachmentText",
            permission="complaints.view_workorderattachment",
            queryset=_attachment_texts,
            document=_attachment_document,
            urls=_attachment_urls,
        )
    )
    changelog.changed.connect(_changed, dispatch_uid="search-index")
    post_save.connect(
        _attachment_stored, sender="complaints.WorkOrderAttachment", dispatch_uid="attachment-text"
    )
    from sqm.core import textsearch

    for kind, source in SOURCES.items():
        textsearch.register(source.model, lambda text, kind=kind: _matching(text, kind))


def _matching(text: str, kind: str):
    from sqm.knowledge import search

    return search.matching_sql(text, kind)


def _source_of(model) -> Source | None:
    label = f"{model._meta.app_label}.{model.__name__}"
    return next((s for s in SOURCES.values() if s.model == label), None)


def _changed(sender, pks, action, **kwargs) -> None:
    """Every change the change log records, indexed in the same transaction."""
    source = _source_of(sender)
    if source is None:
        return
    from sqm.knowledge import index

    if action == "delete":
        index.remove_records(source.kind, pks)
    else:
        index.index_records(source.kind, pks)
    if source.kind == SearchKind.ORDER and action != "delete":
        # An attachment's row carries its order's state, city, handler and category.
        from sqm.knowledge.choices import TextState
        from sqm.knowledge.models import AttachmentText

        texts = AttachmentText.objects.filter(
            attachment__work_order_id__in=pks, state=TextState.DONE
        ).values_list("pk", flat=True)
        if texts:
            index.index_records(SearchKind.ATTACHMENT, list(texts))


def kinds_for(user) -> list[str]:
    """The kinds USER may find."""
    return [kind for kind, s in SOURCES.items() if user.has_perm(s.permission)]


def sources(kinds: Iterable[str] | None = None) -> list[Source]:
    return [s for k, s in SOURCES.items() if kinds is None or k in kinds]
