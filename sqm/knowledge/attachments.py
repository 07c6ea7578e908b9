"""Attachment text (issue 14 §4, docs/search.md "Attachment text"): every work-order
attachment gets a pending AttachmentText row in the transaction that stores it; the worker
reads the document (sqm.knowledge.extract: size, zip and time limits, in a child process),
keeps the text or the reason it failed, and the text is searched under the work order."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.utils import timezone

from sqm.knowledge.choices import TextState
from sqm.knowledge.models import AttachmentText

BATCH = 20
IMAGE_TYPES = ("image/",)


def queue(attachment) -> None:
    """A pending row for ATTACHMENT (in the caller's transaction), read after commit."""
    row, _created = AttachmentText.objects.get_or_create(attachment=attachment)
    transaction.on_commit(lambda: _enqueue(row.pk))


def _enqueue(pk: int) -> None:
    from sqm.knowledge import tasks

    tasks.read_attachment(pk)


def read(pk: int) -> AttachmentText | None:
    """Read the document of row PK if it is still pending; index the text."""
    from sqm.knowledge import index
    from sqm.knowledge.extract import extract_text

    row = (
        AttachmentText.objects.select_related("attachment")
        .filter(pk=pk, state=TextState.PENDING)
        .first()
    )
    if row is None:
        return None
    attachment = row.attachment
    if attachment.content_type.startswith(IMAGE_TYPES):
        row.state, row.error = TextState.SKIPPED, ""
    else:
        try:
            path = Path(attachment.file.path)
        except (ValueError, NotImplementedError):
            path = None
        found = extract_text(path, name=attachment.original_name) if path else None
        if found is None or found.error:
            row.state = TextState.FAILED
            row.error = (found.error if found else "no file")[:200]
            row.text = ""
        else:
            row.state, row.error = TextState.DONE, ""
            row.text, row.truncated = found.text, found.truncated
    row.read_at = timezone.now()
    with transaction.atomic():
        # Guarded: a row another worker read meanwhile is left as it is.
        won = AttachmentText.objects.filter(pk=row.pk, state=TextState.PENDING).update(
            state=row.state, error=row.error, text=row.text, truncated=row.truncated,
            read_at=row.read_at,
        )  # fmt: skip
        if won and row.state == TextState.DONE:
            index.index_records("attachment", [row.pk])
    return row


def sweep() -> int:
    """Rows for attachments that have none (written around the signal), and the pending
    rows: read BATCH of them (the worker, every minute)."""
    from sqm.complaints.models import WorkOrderAttachment

    missing = WorkOrderAttachment.objects.filter(text__isnull=True).values_list("pk", flat=True)
    AttachmentText.objects.bulk_create(
        [AttachmentText(attachment_id=pk) for pk in missing[:1000]], ignore_conflicts=True
    )
    pending = list(
        AttachmentText.objects.filter(state=TextState.PENDING).values_list("pk", flat=True)[:BATCH]
    )
    return sum(1 for pk in pending if read(pk) is not None)
