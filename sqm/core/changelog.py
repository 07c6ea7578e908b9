"""A change-log row for every create, update and delete of a ChangeLoggedModel."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.dispatch import Signal

from sqm.core import context
from sqm.core.fields import EncryptedTextField, KeyIdField, LookupHashField
from sqm.core.masking import MASKERS

_SKIPPED = (LookupHashField, KeyIdField)
_SKIPPED_NAMES = {"created", "last_updated"}


def _plain(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


_SPECS: dict[type, list[tuple[str, str, object]]] = {}


def _specs(model) -> list[tuple[str, str, object]]:
    """(name, attname, masker or None) of the logged fields; computed once per model."""
    specs = _SPECS.get(model)
    if specs is None:
        # A model may leave out a field too large to copy into every entry
        # (`changelog_exclude`: the monthly report's frozen figures, kept on the row itself).
        skipped = _SKIPPED_NAMES | set(getattr(model, "changelog_exclude", ()))
        specs = _SPECS[model] = [
            (f.name, f.attname, MASKERS[f.mask] if isinstance(f, EncryptedTextField) else None)
            for f in model._meta.concrete_fields
            if not isinstance(f, _SKIPPED) and f.name not in skipped
        ]
    return specs


def _snapshot(model, get) -> dict:
    data = {}
    for name, attname, masker in _specs(model):
        try:
            value = get(name, attname)
        except KeyError:
            continue
        if masker is not None:
            value = masker(value)
        elif value is not None and not isinstance(value, str | int | float | bool):
            value = _plain(value)
        data[name] = value
    return data


def snapshot(instance: models.Model, values: dict | None = None) -> dict:
    """The object's fields as JSON, personal data masked (plaintext never reaches the log).

    VALUES, when given, are the field values as loaded from the database (from_db).
    """
    if values is None:
        return _snapshot(type(instance), lambda name, attname: getattr(instance, attname))
    return _snapshot(type(instance), lambda name, attname: values[attname])


def snapshot_values(model, row: dict) -> dict:
    """The same for a row given as a dict keyed by field name or attname (bulk imports)."""
    return _snapshot(model, lambda name, attname: row[attname] if attname in row else row[name])


def _entry(instance, action: str, before: dict | None, after: dict | None, ct=None):
    from sqm.core.models import ChangeLogEntry

    actor = context.current()
    user = actor.user if getattr(actor.user, "pk", None) else None
    return ChangeLogEntry(
        user=user,
        actor=actor.label[:150],
        request_id=actor.request_id,
        content_type=ct or ContentType.objects.get_for_model(instance),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        action=action,
        before=before,
        after=after,
    )


# Sent inside the writing transaction with the change-log rows of saves, deletes and
# record_bulk (guarded updates): sender = the model, pks = the changed objects' ids, action =
# create / update / delete. A derived copy (the search index) follows it; imports that log
# in bulk (log_bulk_creates, staged imports) do not send it, and are caught up afterwards.
changed = Signal()


def _changed(model, pks: list, action: str) -> None:
    if pks:
        changed.send(sender=model, pks=pks, action=action)


def record_save(sender, instance, created, raw=False, **kwargs) -> None:
    # `_log_later`: the caller writes the entry itself once the object is complete (a row
    # whose number depends on its id is saved twice but logged once).
    if raw or getattr(instance, "_log_later", False):
        return
    after = snapshot(instance)
    if created:
        _entry(instance, "create", None, after).save()
        _changed(type(instance), [instance.pk], "create")
        return
    loaded = getattr(instance, "_loaded_values", None)
    before = snapshot(instance, loaded) if loaded is not None else None
    if before == after:
        return
    _entry(instance, "update", before, after).save()
    _changed(type(instance), [instance.pk], "update")
    instance._loaded_values = {
        f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields
    }


def record_delete(sender, instance, **kwargs) -> None:
    _entry(instance, "delete", snapshot(instance), None).save()
    _changed(type(instance), [instance.pk], "delete")


def record_bulk(instances: Iterable[models.Model], action: str, befores: dict | None = None) -> int:
    """Change-log rows for objects written with bulk_create / bulk_update (imports, alarm
    storms), inserted with one executemany."""
    from sqm.core import bulk

    actor = context.current()
    user_id = getattr(actor.user, "pk", None)
    rows = []
    ct = None
    model, pks = None, []
    for instance in instances:
        ct = ct or ContentType.objects.get_for_model(instance).pk
        before = (befores or {}).get(instance.pk)
        after = snapshot(instance)
        if action == "update" and before == after:
            continue
        model = type(instance)
        pks.append(instance.pk)
        rows.append(
            {
                "user_id": user_id,
                "actor": actor.label[:150],
                "request_id": actor.request_id,
                "content_type_id": ct,
                "object_id": str(instance.pk),
                "object_repr": str(instance)[:200],
                "action": action,
                "before": before,
                "after": after,
            }
        )
    from sqm.core.models import ChangeLogEntry

    written = bulk.inserter_for(ChangeLogEntry).insert(rows)
    if model is not None:
        _changed(model, pks, action)
    return written
