"""Change-log entries as sentences in the reader's language, made at display time.

An entry stores the object's fields before and after as codes (`{"state": "closed"}`, personal
data masked; sqm.core.changelog). The page reads them with the model's own field names and
choice labels: "changed work order WO-1: state: pending → closed" becomes
"修改了 工单 WO-1：状态：待处理 → 已关闭". Nothing stored is changed.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from sqm.core.models import ChangeAction

TEXT_CHARS = 40  # a long text (a description) is shown cut: the entry is one line

# Bookkeeping fields a reader has no use for ("version: 0 → 1" on every work-order change):
# left out of the sentences, though entries store them. A model names more of its own in
# `changelog_hidden_fields`.
HIDDEN_FIELDS = frozenset(
    {
        "version",
        "created",
        "last_updated",
        "updated_at",
        "search_vector",
        "search_text",
        # where a suspended work order returns on resuming; its state change says it all
        "state_before_suspension",
    }
)


def hidden_fields(model) -> frozenset[str]:
    return HIDDEN_FIELDS | frozenset(getattr(model, "changelog_hidden_fields", ()))


def _field(model, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def field_name(model, name: str) -> str:
    field = _field(model, name)
    if field is None:
        return name
    if field.is_relation and field.verbose_name == field.name.replace("_", " "):
        # A link without a name of its own (`pon_port`) reads as what it links to: PON 口.
        return str(field.related_model._meta.verbose_name)
    return str(field.verbose_name or name)


# Labels of codes kept in fields without choices (a fault event's alarm type: the NMS's
# codes, any of which may come): {(app_label.model_name, field): code → label}. A domain app
# registers its own in its `audit_labels` module (discovered with core.audit_text's).
_FIELD_LABELS: dict[tuple[str, str], Callable[[str], str]] = {}


def register_field_labels(model_label: str, field: str, label: Callable[[str], str]) -> None:
    """Show the values of FIELD of MODEL_LABEL (`network.faultevent`) through LABEL."""
    _FIELD_LABELS[(model_label.lower(), field)] = label


def _field_label(model, name: str) -> Callable[[str], str] | None:
    if model is None:
        return None
    from sqm.core.audit_text import discover_labels

    discover_labels()
    return _FIELD_LABELS.get((model._meta.label_lower, name))


def field_value(model, name: str, value, names: dict | None = None) -> str:
    """VALUE of field NAME as the reader sees it: choice labels, local times, yes/no, and a
    related object by its name when NAMES (from `describe_all`) holds it."""
    if value is None or value == "":
        return "—"
    field = _field(model, name)
    if isinstance(value, bool):
        return pgettext("yes or no", "yes") if value else pgettext("yes or no", "no")
    if field is not None and field.choices:
        labels = {str(code): label for code, label in field.flatchoices}
        if str(value) in labels:
            return str(labels[str(value)])
    label = _field_label(model, name)
    if label is not None and isinstance(value, str):
        return str(label(value))
    if isinstance(field, models.ForeignKey):
        related = (names or {}).get((field.related_model, value))
        return related if related is not None else f"#{value}"
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is not None:
            if timezone.is_aware(parsed):
                parsed = timezone.localtime(parsed)
            return parsed.strftime("%Y-%m-%d %H:%M")
    if isinstance(field, models.DateField) and isinstance(value, str):
        parsed = parse_date(value)
        if parsed is not None:
            return parsed.isoformat()
    if isinstance(value, list | dict):
        value = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return Truncator(str(value)).chars(TEXT_CHARS)


def changes(entry, names: dict | None = None) -> list[str]:
    """One "field: before → after" clause per field an update changed."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    before, after = entry.before or {}, entry.after or {}
    hidden = hidden_fields(model)
    out = []
    for name, new in after.items():
        if name in hidden or (name in before and before[name] == new):
            continue
        values = {"field": field_name(model, name), "after": field_value(model, name, new, names)}
        if name in before:
            values["before"] = field_value(model, name, before[name], names)
            out.append(_("%(field)s: %(before)s → %(after)s") % values)
        else:  # an entry written without the object's earlier state
            out.append(_("%(field)s: → %(after)s") % values)
    return out


def object_name(entry, names: dict | None = None) -> str:
    """The name of ENTRY's object in the reader's language: the object's own name when it
    still exists and NAMES (from `describe_all`) holds it, else the name stored with the
    entry. The stored one was made in the language of whoever made the change (a fault
    event's alarm type, "power-off", is 断电 to a Chinese reader)."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    found = (names or {}).get((OBJECT, model, str(entry.object_id)))
    return found if found is not None else entry.object_repr


def describe(entry, names: dict | None = None) -> str:
    """ENTRY as a sentence in the active language."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    values = {
        "type": str(model._meta.verbose_name) if model is not None else entry.content_type.model,
        "object": object_name(entry, names),
    }
    if entry.action == ChangeAction.CREATE:
        return _("created %(type)s %(object)s") % values
    if entry.action == ChangeAction.DELETE:
        return _("deleted %(type)s %(object)s") % values
    clauses = changes(entry, names)
    if not clauses:
        return _("changed %(type)s %(object)s") % values
    values["changes"] = pgettext("clause separator", "; ").join(clauses)
    return _("changed %(type)s %(object)s: %(changes)s") % values


def related_names(entries) -> dict:
    """{(model, pk): name} of the objects the updates of ENTRIES point to (an assignee, a
    department), read with one query per related model. Names are what the objects show
    everywhere (a customer masked), never more."""
    wanted: dict[type, set] = {}
    for entry in entries:
        if entry.action != ChangeAction.UPDATE or not entry.content_type_id:
            continue
        model = entry.content_type.model_class()
        for side in (entry.before or {}, entry.after or {}):
            for name, value in side.items():
                field = _field(model, name)
                if isinstance(field, models.ForeignKey) and value is not None:
                    wanted.setdefault(field.related_model, set()).add(value)
    names = {}
    for model, pks in wanted.items():
        for pk, obj in model._base_manager.in_bulk(list(pks)).items():
            names[(model, pk)] = str(obj)
    return names


# Key prefix in the names dict of the entries' own objects (not the objects they point to).
OBJECT = "object"


def object_names(entries) -> dict:
    """{(OBJECT, model, object id): name} of the objects of ENTRIES that still exist, read
    with one query per model, so each is named in the reader's language (object_name)."""
    wanted: dict[type, set[str]] = {}
    for entry in entries:
        model = entry.content_type.model_class() if entry.content_type_id else None
        if model is not None and entry.object_id:
            wanted.setdefault(model, set()).add(str(entry.object_id))
    names = {}
    for model, ids in wanted.items():
        try:
            # select_related: a name made of linked objects (a fault's OLT) costs no query
            found = model._base_manager.select_related().in_bulk(list(ids))
        except (ValueError, TypeError, ValidationError):  # an id of another pk type
            continue
        for pk, obj in found.items():
            names[(OBJECT, model, str(pk))] = str(obj)
    return names


def describe_all(entries) -> list[tuple[object, str]]:
    """(entry, sentence) for a page of ENTRIES, related objects named."""
    entries = list(entries)
    names = related_names(entries) | object_names(entries)
    return [(entry, describe(entry, names)) for entry in entries]


def rows(entries) -> list[tuple[object, str, str, str]]:
    """(entry, actor, object name, sentence) for a page of ENTRIES, in the reader's
    language (the change-log page)."""
    entries = list(entries)
    names = related_names(entries) | object_names(entries)
    return [
        (entry, change_actor(entry), object_name(entry, names), describe(entry, names))
        for entry in entries
    ]


def change_actor(entry) -> str:
    """Who made ENTRY's change: the user's name, or the label of what made it without a
    user (`system`, `cli`, `fault-split`) in the reader's language."""
    from sqm.core.audit_text import actor_label

    if entry.user_id:
        return entry.user.username
    return actor_label(entry.actor)
