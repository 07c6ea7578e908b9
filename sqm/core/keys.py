"""Data-key rotation: re-encrypt every personal field with the active key."""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.db import transaction

from sqm.core import audit, crypto
from sqm.core.fields import EncryptedTextField, KeyIdField
from sqm.core.models import AuditAction


def personal_models() -> list:
    return [
        m
        for m in apps.get_models()
        if any(isinstance(f, EncryptedTextField) for f in m._meta.concrete_fields)
    ]


def rotate(batch_size: int = 2000, progress: Callable[[str, int], None] | None = None) -> dict:
    """Re-encrypt rows written under an older key; returns rows re-encrypted per model.

    Loading decrypts with whichever key a value names; saving encrypts with the active one.
    Each batch commits on its own, so a long rotation can be stopped and run again.
    """
    active = crypto.keyring().active_id
    counts: dict[str, int] = {}
    for model in personal_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, EncryptedTextField | KeyIdField)
        ]
        label = model._meta.label
        counts[label] = 0
        manager = model._base_manager
        while True:
            with transaction.atomic():
                rows = list(manager.exclude(pii_key_id=active).order_by("pk")[:batch_size])
                if not rows:
                    break
                for row in rows:
                    row.pii_key_id = active
                manager.bulk_update(rows, fields)
            counts[label] += len(rows)
            if progress:
                progress(label, counts[label])
    audit.record(AuditAction.KEY_ROTATION, target=f"data-key:{active}", details=counts)
    return counts
