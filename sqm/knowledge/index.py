"""Writing the search index: records of a source into SearchDocument rows (docs/search.md).

Each write replaces the records' rows in one transaction; the FTS5 table (SQLite) or the
tsvector columns (PostgreSQL) follow by triggers and generated columns in that same
transaction, so a search never sees a record half indexed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef

from sqm.knowledge import segment
from sqm.knowledge.models import SearchDocument
from sqm.knowledge.sources import SOURCES, Source

CHUNK = 500


def _document(source: Source, record) -> SearchDocument:
    fields = source.document(record)
    # Keys: numbers the record is looked up by (an order's account number), indexed but
    # not shown in the title or the snippet.
    keys = fields.pop("keys", "")
    text = segment.normalise(" ".join([fields["ref"], keys, fields["title"], fields["body"]]))
    return SearchDocument(
        kind=source.kind,
        object_id=record.pk,
        words=" ".join(segment.words(text)),
        grams=" ".join(segment.grams(text)),
        version=segment.version(),
        **fields,
    )


def index_records(kind: str, ids: Iterable[int]) -> int:
    """(Re)index the records IDS of KIND; records that no longer exist lose their row."""
    source = SOURCES[kind]
    ids = list(ids)
    # Cut before writing: the write lock is held for the delete and the inserts only.
    documents = [_document(source, r) for r in source.queryset().filter(pk__in=ids)]
    with transaction.atomic():
        SearchDocument.objects.filter(kind=kind, object_id__in=ids).delete()
        SearchDocument.objects.bulk_create(documents)
    return len(documents)


def remove_records(kind: str, ids: Iterable[int]) -> None:
    SearchDocument.objects.filter(kind=kind, object_id__in=list(ids)).delete()


def reindex(
    kinds: Iterable[str] | None = None,
    *,
    since=None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, int]:
    """Index every record of KINDS (all) again, or only those changed SINCE (a time; for the
    records that bulk writes saved without signals). PROGRESS(kind, done, total)."""
    counts = {}
    for kind in kinds or list(SOURCES):
        source = SOURCES[kind]
        queryset = source.queryset().order_by("pk")
        if since is not None:
            queryset = queryset.filter(last_updated__gte=since)
        ids = list(queryset.values_list("pk", flat=True))
        done = 0
        for start in range(0, len(ids), CHUNK):
            done += index_records(kind, ids[start : start + CHUNK])
            if progress is not None:
                progress(kind, min(start + CHUNK, len(ids)), len(ids))
        if since is None:  # records gone since the last full index
            # NOT EXISTS, not NOT IN: PostgreSQL re-reads a NOT IN list that outgrows
            # work_mem for every row (a million ids: hours).
            present = source.queryset().filter(pk=OuterRef("object_id"))
            SearchDocument.objects.filter(kind=kind).exclude(Exists(present)).delete()
        counts[kind] = done
    return counts


def outdated() -> int:
    """How many rows were cut by another segmentation version (a dictionary change)."""
    return SearchDocument.objects.exclude(version=segment.version()).count()


def catch_up(progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Reindex the kinds whose index is incomplete or cut by another segmentation version
    (records written without the change log, a new dictionary); nothing when it is current."""
    stale = []
    for kind, source in SOURCES.items():
        rows = SearchDocument.objects.filter(kind=kind)
        current = rows.filter(version=segment.version()).count()
        if current != rows.count() or rows.count() != source.queryset().count():
            stale.append(kind)
    return reindex(stale, progress=progress) if stale else {}
