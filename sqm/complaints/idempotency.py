"""One contact per submission: the intake form's one-time key and the API's Idempotency-Key.

The page mints a key when it renders the intake form (a hidden field); recording inserts
(user, key) in the same transaction as the record, under a unique constraint. A second
submission with the key (a double click, a resent POST, a client retrying after a timeout)
finds the first record instead of writing another. A failed attempt rolls its key back, so
the corrected form can be sent again with it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from sqm.complaints.models import IntakeSubmission, WorkOrder

# Letters, digits, "-" and "_": a UUID, a ULID or our own token all fit.
KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$", re.ASCII)
KEEP = timedelta(days=1)  # a retry comes within seconds; a day leaves room for slow clients


def new_key() -> str:
    """A fresh one-time key for a form about to be rendered."""
    return secrets.token_urlsafe(24)


def is_key(value: object) -> bool:
    return isinstance(value, str) and bool(KEY.fullmatch(value))


def record_once(
    user, key: str | None, record: Callable[[], tuple[WorkOrder, Any]]
) -> tuple[WorkOrder | None, Any, bool]:
    """Call RECORD (→ (record, decision)) unless USER already recorded with KEY.

    Returns (record, decision, True) the first time, and (the first record, None, False)
    for a repeat. Without a key RECORD simply runs. A key in flight in another transaction
    waits for it (the unique index), then counts as a repeat."""
    if not key:
        order, decision = record()
        return order, decision, True
    with transaction.atomic():
        try:
            with transaction.atomic():
                submission = IntakeSubmission.objects.create(user=user, key=key)
        except IntegrityError:
            first = (
                IntakeSubmission.objects.filter(user=user, key=key)
                .select_related("work_order")
                .first()
            )
            return (first.work_order if first else None), None, False
        order, decision = record()
        submission.work_order = order
        submission.save(update_fields=["work_order"])
        IntakeSubmission.objects.filter(user=user, created__lt=timezone.now() - KEEP).delete()
    return order, decision, True
