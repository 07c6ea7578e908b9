"""Audit entries as sentences in the reader's language, made at display time.

The log stores codes (`{"what": "groups", "action": "add", …}`), scrubbed of personal data
and hash-chained (sqm.core.audit); nothing here changes what is stored. Each action has a
sentence formatter that knows its detail keys; keys it does not know, and actions without a
formatter, fall back to a translated "key: value" list. Values that are codes of a choice set
are shown with their labels. A domain app whose codes appear in details (a list's filters, a
token's revocation reason) registers their labels in its own `audit_labels` module with
`register_values`; core discovers those modules (as the admin discovers `admin` modules) and
imports no domain app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from django.apps import apps
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from sqm.core.models import AuditAction
from sqm.core.roles import ROLE_BY_CODE

# Detail keys as the reader sees them (context "audit detail": "rows" here is not a table's).
# Keys of list filters are here too (they are the lists' GET parameters); a key missing here
# is shown as stored.
KEY_NAMES: dict[str, object] = {
    "rows": pgettext_lazy("audit detail", "rows"),
    "format": pgettext_lazy("audit detail", "format"),
    "filters": pgettext_lazy("audit detail", "filters"),
    "personal_data": pgettext_lazy("audit detail", "personal data"),
    "file": pgettext_lazy("audit detail", "file"),
    "created": pgettext_lazy("audit detail", "created"),
    "updated": pgettext_lazy("audit detail", "updated"),
    "per_row_change_log": pgettext_lazy("audit detail", "change log per row"),
    "token": pgettext_lazy("audit detail", "token"),
    "tokens": pgettext_lazy("audit detail", "tokens"),
    "name": pgettext_lazy("audit detail", "name"),
    "names": pgettext_lazy("audit detail", "names"),
    "expires": pgettext_lazy("audit detail", "expires"),
    "reason": pgettext_lazy("audit detail", "reason"),
    "kind": pgettext_lazy("audit detail", "kind"),
    "lookup_hash": pgettext_lazy("audit detail", "lookup hash"),
    "channel": pgettext_lazy("audit detail", "channel"),
    "found": pgettext_lazy("audit detail", "found"),
    "refused": pgettext_lazy("audit detail", "refused"),
    "alert": pgettext_lazy("audit detail", "alert"),
    "change": pgettext_lazy("audit detail", "change"),
    "count": pgettext_lazy("audit detail", "count"),
    "limit": pgettext_lazy("audit detail", "limit"),
    "customers_last_hour": pgettext_lazy("audit detail", "customers in the last hour"),
    "misses_last_hour": pgettext_lazy("audit detail", "misses in the last hour"),
    "legacy_entries": pgettext_lazy("audit detail", "entries before the key"),
    "flags": pgettext_lazy("audit detail", "flags"),
    "what": pgettext_lazy("audit detail", "what"),
    "action": pgettext_lazy("audit detail", "action"),
    "items": pgettext_lazy("audit detail", "items"),
    "fields": pgettext_lazy("audit detail", "fields"),
    "is_superuser": pgettext_lazy("audit detail", "superuser"),
    "is_staff": pgettext_lazy("audit detail", "staff"),
    "is_active": pgettext_lazy("audit detail", "active user"),
    "q": pgettext_lazy("audit detail", "search"),
    "mobile_hash": pgettext_lazy("audit detail", "mobile number (lookup hash)"),
    "id_number_hash": pgettext_lazy("audit detail", "ID number (lookup hash)"),
    "state": pgettext_lazy("audit detail", "state"),
    "city": pgettext_lazy("audit detail", "city"),
    "department": pgettext_lazy("audit detail", "department"),
    "category": pgettext_lazy("audit detail", "category"),
    "sla": pgettext_lazy("audit detail", "SLA"),
    "record_type": pgettext_lazy("audit detail", "record type"),
    "upgraded": pgettext_lazy("audit detail", "upgraded complaint"),
    "repeat": pgettext_lazy("audit detail", "repeat complaint"),
    "open": pgettext_lazy("audit detail", "open only"),
    "created_from": pgettext_lazy("audit detail", "created from"),
    "created_to": pgettext_lazy("audit detail", "created to"),
    "closed_from": pgettext_lazy("audit detail", "closed from"),
    "closed_to": pgettext_lazy("audit detail", "closed to"),
    "assignee": pgettext_lazy("audit detail", "assignee"),
    "recorded_by": pgettext_lazy("audit detail", "recorded by"),
    "unclaimed": pgettext_lazy("audit detail", "unclaimed only"),
    "sort": pgettext_lazy("audit detail", "sorted by"),
    "selected": pgettext_lazy("audit detail", "selected rows"),
    "service": pgettext_lazy("audit detail", "service"),
    "number": pgettext_lazy("audit detail", "issue number"),
    "month": pgettext_lazy("audit detail", "month"),
    "run": pgettext_lazy("audit detail", "KPI run"),
}

FORMATS = {"xlsx": "XLSX", "csv": "CSV", "pdf": "PDF", "html": "HTML"}

# Labels of the codes core itself writes, by (scope, key); the scope is an action, a target
# or "" for any entry. Domain apps add theirs with register_values.
_VALUES: dict[tuple[str, str], Mapping[str, object]] = {
    ("", "format"): FORMATS,
    ("", "what"): {
        "groups": pgettext_lazy("audit detail", "groups"),
        "permissions": pgettext_lazy("audit detail", "permissions"),
        "cities": pgettext_lazy("audit detail", "cities"),
        "group_permissions": pgettext_lazy("audit detail", "group permissions"),
    },
    ("", "action"): {
        "add": pgettext_lazy("audit detail", "added"),
        "remove": pgettext_lazy("audit detail", "removed"),
        "clear": pgettext_lazy("audit detail", "cleared"),
    },
    ("", "change"): {
        "raised": pgettext_lazy("audit detail", "raised"),
        "grown": pgettext_lazy("audit detail", "grown"),
    },
    ("", "fields"): {
        "name": pgettext_lazy("audit detail", "name"),
        "mobile": pgettext_lazy("audit detail", "mobile number"),
        "id_number": pgettext_lazy("audit detail", "ID number"),
        "address": pgettext_lazy("audit detail", "address"),
    },
    (AuditAction.LOOKUP, "kind"): {
        "mobile": pgettext_lazy("audit detail", "mobile number"),
        "id_number": pgettext_lazy("audit detail", "ID number"),
    },
    (AuditAction.LOOKUP, "channel"): {
        "page": pgettext_lazy("look-up channel", "customer search"),
        "intake": pgettext_lazy("look-up channel", "complaint intake"),
        "api": pgettext_lazy("look-up channel", "API"),
        "cli": pgettext_lazy("look-up channel", "command line"),
        "orders": pgettext_lazy("look-up channel", "work-order search"),
    },
    (AuditAction.LOOKUP, "refused"): {
        "role": pgettext_lazy("look-up refused", "the role may not look up by number"),
        "limit": pgettext_lazy("look-up refused", "the hourly limit was reached"),
    },
}

# What a target's prefix names (`user:alice` reads 用户 alice); others are shown as stored.
TARGET_KINDS: dict[str, object] = {
    "user": pgettext_lazy("audit target", "user"),
    "group": pgettext_lazy("audit target", "group"),
    "customer": pgettext_lazy("audit target", "customer"),
    "survey-run": pgettext_lazy("audit target", "survey analysis"),
    "list": pgettext_lazy("audit target", "list"),
    "import": pgettext_lazy("audit target", "import"),
    "data-key": pgettext_lazy("audit target", "data key"),
    "audit-key": pgettext_lazy("audit target", "audit key"),
    "lookup": pgettext_lazy("audit target", "look-up"),
    "quality-report": pgettext_lazy("audit target", "monthly quality report"),
}
_TARGET_NAMES: dict[str, object] = {
    "lookup:nobody": pgettext_lazy("audit target", "nobody found"),
    "lookup:refused": pgettext_lazy("audit target", "refused"),
    "audit-log": pgettext_lazy("audit target", "audit log"),
}


# The four permissions Django makes for every model, as the reader says them ("新增" API 令牌).
PERMISSION_ACTIONS: dict[str, object] = {
    "add": pgettext_lazy("permission action", "add"),
    "change": pgettext_lazy("permission action", "change"),
    "delete": pgettext_lazy("permission action", "delete"),
    "view": pgettext_lazy("permission action", "view"),
}


def register_values(key: str, labels: Mapping[str, object] | Iterable, *, scope: str = "") -> None:
    """Show the codes of detail KEY with LABELS (a dict or a Django choices class).

    SCOPE limits them to one action or one target (`list:work_orders`), so one key can carry
    different codes in different entries (a look-up's channel is not a work order's).
    """
    if not isinstance(labels, Mapping):
        labels = {member.value: member.label for member in labels}
    _VALUES[(scope, key)] = labels


# What acted when no user did, as the audit and change logs store it (`system`, `cli`); a
# domain app names its own with register_actor. Context "change-log actor".
_ACTORS: dict[str, object] = {
    "system": pgettext_lazy("change-log actor", "system"),
    "cli": pgettext_lazy("change-log actor", "command line"),
}


def register_actor(label: str, name: object) -> None:
    """Name the actor LABEL (`fault-split` → 自动拆分故障) on the audit and change-log pages."""
    _ACTORS[label] = name


def actor_label(label: str) -> str:
    """An actor stored as a label (not a user) in the reader's language; others as stored.

    An import's label (`import:customers`) reads as the import of its kind."""
    _discover()
    if label in _ACTORS:
        return str(_ACTORS[label])
    kind, sep, rest = label.partition(":")
    if sep and kind == "import" and rest:
        return pgettext("change-log actor", "import of %(kind)s") % {
            "kind": import_kind_label(rest)
        }
    return label


def audit_actor(entry) -> str:
    """Who made audit ENTRY: the user's name, or what acted without one, translated."""
    if entry.actor_id:
        return entry.actor_name
    return actor_label(entry.actor_name)


def register_target(target: str, name: object) -> None:
    """Name a whole target (`list:work_orders` → 工单列表) for the audit page."""
    _TARGET_NAMES[target] = name


# --- values ------------------------------------------------------------------------------


_discovered = False


def _discover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("audit_labels")
        _discovered = True


def discover_labels() -> None:
    """Load the domain apps' `audit_labels` modules (once); the change log's labels too."""
    _discover()


def _labels_for(entry, key: str) -> Mapping[str, object] | None:
    _discover()
    for scope in (entry.target, entry.action, ""):
        found = _VALUES.get((scope, key))
        if found is not None:
            return found
    return None


def _time(value: str) -> str | None:
    parsed = parse_datetime(value) if isinstance(value, str) and "T" in value else None
    if parsed is None:
        return None
    if timezone.is_aware(parsed):
        parsed = timezone.localtime(parsed)
    return parsed.strftime("%Y-%m-%d %H:%M")


def key_name(key: str) -> str:
    return str(KEY_NAMES.get(key, key))


def show(entry, key: str, value) -> str:
    """VALUE of detail KEY as the reader sees it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return pgettext("yes or no", "yes") if value else pgettext("yes or no", "no")
    if isinstance(value, list | tuple):
        return list_of(show(entry, key, v) for v in value)
    if isinstance(value, dict):
        return list_of(_pair(entry, k, v) for k, v in value.items())
    labels = _labels_for(entry, key)
    if labels is not None and str(value) in labels:
        return str(labels[str(value)])
    return _time(value) or str(value)


def list_of(parts: Iterable[str]) -> str:
    return pgettext("list separator", ", ").join(parts)


def _pair(entry, key: str, value) -> str:
    return _("%(key)s: %(value)s") % {"key": key_name(key), "value": show(entry, key, value)}


def _clauses(parts: Iterable[str]) -> str:
    return pgettext("clause separator", "; ").join(p for p in parts if p)


# --- one sentence per action -------------------------------------------------------------


ALL = "*"  # a formatter that reads every key of its details


@dataclass(frozen=True)
class Sentence:
    keys: frozenset[str]
    build: Callable[[object, dict], list[str]]


SENTENCES: dict[str, Sentence] = {}


def sentence(action: str, *keys: str):
    """Register the formatter of ACTION, which reads detail KEYS (others fall back)."""

    def register(build: Callable[[object, dict], list[str]]):
        SENTENCES[action] = Sentence(frozenset(keys), build)
        return build

    return register


def describe(entry) -> str:
    """ENTRY's details as a sentence in the active language ("" when it has none)."""
    details = entry.details if isinstance(entry.details, dict) else {"details": entry.details}
    known = SENTENCES.get(entry.action)
    parts: list[str] = []
    rest = details
    if known is not None:
        parts = known.build(entry, details)
        rest = (
            {} if ALL in known.keys else {k: v for k, v in details.items() if k not in known.keys}
        )
    parts += [_pair(entry, key, value) for key, value in rest.items()]
    return _clauses(parts)


def describe_target(target: str) -> str:
    """A target (`user:alice`, `list:work_orders`) in the reader's language."""
    _discover()
    if target in _TARGET_NAMES:
        return str(_TARGET_NAMES[target])
    kind, sep, rest = target.partition(":")
    if sep and kind == "import":
        rest = import_kind_label(rest)
    elif sep and kind == "group":
        rest = group_label(rest)
    if sep and kind in TARGET_KINDS:
        return f"{TARGET_KINDS[kind]} {rest}"
    return target


# --- groups, permissions, import kinds: names stored as codes or in English ----------------


def group_label(name: str) -> str:
    """A group named by a role code (`network_ops`) by the role's label; others as named."""
    role = ROLE_BY_CODE.get(name)
    return str(role.label) if role is not None else name


def import_kind_label(kind: str) -> str:
    """An import kind (`survey`) by the label its importer gives (a kind no longer
    registered by its code)."""
    from sqm.core.importing.base import kind_label

    return kind_label(kind)


def _model_permission(model, codename: str) -> str | None:
    meta = model._meta
    for custom, name in meta.permissions:
        if custom == codename:
            # Our Meta permission names are gettext_lazy msgids; a plain str is looked up too.
            return translation.gettext(str(name)) if isinstance(name, str) else str(name)
    action, sep, model_name = codename.partition("_")
    if sep and model_name == meta.model_name and action in PERMISSION_ACTIONS:
        return pgettext("permission", "%(action)s %(model)s") % {
            "action": PERMISSION_ACTIONS[action],
            "model": meta.verbose_name,
        }
    return None


def permission_label(item: str) -> str:
    """A permission in the reader's language, from its codename and model.

    Entries store `app_label.codename`; older ones stored Django's English text
    (`API | API token | Can add API token`), matched here to the permission it names. The
    database's permission names are English and never shown.
    """
    old = _old_permission_codes()
    dotted = old.get(item) or old.get(item.rpartition(" | ")[2]) or item
    app_label, sep, codename = dotted.partition(".")
    if sep:
        try:
            models = apps.get_app_config(app_label).get_models()
        except LookupError:
            models = []
        for model in models:
            label = _model_permission(model, codename)
            if label is not None:
                return label
    return item


_old_permissions: dict[str, str] | None = None


def _old_permission_codes() -> dict[str, str]:
    """{Django's text of a permission: `app_label.codename`} for every model, by the whole
    text (`API | API token | Can add API token`) and by its name alone when only one
    permission has it (the prefix is in the language of whoever made the change)."""
    global _old_permissions
    if _old_permissions is None:
        whole: dict[str, str] = {}
        by_name: dict[str, str | None] = {}
        with translation.override("en"):
            for model in apps.get_models():
                meta = model._meta
                prefix = f"{meta.app_config.verbose_name} | {meta.verbose_name}"
                names = [
                    (f"{action}_{meta.model_name}", f"Can {action} {meta.verbose_name_raw}")
                    for action in meta.default_permissions
                ]
                names += [(codename, str(name)) for codename, name in meta.permissions]
                for codename, name in names:
                    dotted = f"{meta.app_label}.{codename}"
                    whole[f"{prefix} | {name}"] = dotted
                    by_name[name] = None if name in by_name else dotted
        _old_permissions = {**{k: v for k, v in by_name.items() if v}, **whole}
    return _old_permissions


# What the items of a membership change are, by what changed.
_ITEM_LABELS: dict[str, Callable[[str], str]] = {
    "groups": group_label,
    "permissions": permission_label,
    "group_permissions": permission_label,
}


@sentence(AuditAction.EXPORT, "rows", "format", "personal_data", "filters")
@sentence(AuditAction.EXPORT_PII, "rows", "format", "personal_data", "filters")
def _export(entry, d: dict) -> list[str]:
    fmt = show(entry, "format", d.get("format"))
    if isinstance(d.get("rows"), int):
        n = d["rows"]
        head = ngettext(
            "%(n)d row exported as %(format)s", "%(n)d rows exported as %(format)s", n
        ) % {"n": n, "format": fmt}
    else:
        head = _("exported as %(format)s") % {"format": fmt}
    parts = [head]
    if d.get("personal_data") is True:
        parts.append(_("personal data in clear"))
    elif d.get("personal_data") is False:
        parts.append(_("personal data masked"))
    filters = {k: v for k, v in (d.get("filters") or {}).items() if v not in ("", None)}
    if filters:
        # A list's filter codes are read with that list's labels (scope: the target).
        pairs = list_of(_pair(entry, k, v) for k, v in filters.items())
        parts.append(_("filtered by %(filters)s") % {"filters": pairs})
    return parts


@sentence(AuditAction.REVEAL, "fields")
def _reveal(entry, d: dict) -> list[str]:
    return [_("revealed: %(fields)s") % {"fields": show(entry, "fields", d.get("fields") or [])}]


@sentence(AuditAction.PERMISSION, "what", "action", "items", "flags")
def _permission(entry, d: dict) -> list[str]:
    parts = []
    if "what" in d:
        what = show(entry, "what", d["what"])
        label = _ITEM_LABELS.get(d["what"])
        items = d.get("items") or []
        if label is not None and isinstance(items, list):
            items = list_of(label(str(item)) for item in items)
        else:
            items = show(entry, "items", items)
        templates = {
            "add": _("added to %(what)s: %(items)s"),
            "remove": _("removed from %(what)s: %(items)s"),
            "clear": _("%(what)s cleared"),
        }
        template = templates.get(d.get("action"), _("%(what)s changed: %(items)s"))
        parts.append(template % {"what": what, "items": items})
    for flag, change in (d.get("flags") or {}).items():
        before, after = (change + [None, None])[:2] if isinstance(change, list) else (None, change)
        parts.append(
            _("%(flag)s: %(before)s → %(after)s")
            % {
                "flag": key_name(flag),
                "before": show(entry, flag, before),
                "after": show(entry, flag, after),
            }
        )
    return parts


def _alert(entry, d: dict) -> list[str]:
    values = {
        "alert": d.get("alert", "—"),
        "count": d.get("count", "—"),
        "limit": d.get("limit", "—"),
    }
    if d.get("change") == "grown":
        text = _("alert #%(alert)s grown: %(count)s in the last hour, limit %(limit)s")
    else:
        text = _("alert #%(alert)s raised: %(count)s in the last hour, limit %(limit)s")
    return [text % values]


sentence(AuditAction.REVEAL_ALERT, "alert", "change", "count", "limit", "customers_last_hour")(
    _alert
)
sentence(AuditAction.LOOKUP_ALERT, "alert", "change", "count", "limit", "misses_last_hour")(_alert)


@sentence(AuditAction.KEY_ROTATION, ALL)  # every key is a model label with its count
def _key_rotation(entry, d: dict) -> list[str]:
    counts = []
    for label, n in d.items():
        try:
            name = apps.get_model(label)._meta.verbose_name_plural
        except (LookupError, ValueError):
            name = label
        counts.append(_("%(what)s: %(n)s") % {"what": name, "n": n})
    return [_("re-encrypted with the active key: %(counts)s") % {"counts": list_of(counts)}]


@sentence(AuditAction.IMPORT, "file", "rows", "created", "updated", "per_row_change_log")
def _import(entry, d: dict) -> list[str]:
    parts = [
        _("%(file)s: %(rows)s rows, %(created)s created, %(updated)s updated")
        % {
            "file": d.get("file") or "—",
            "rows": d.get("rows", 0),
            "created": d.get("created", 0),
            "updated": d.get("updated", 0),
        }
    ]
    if d.get("per_row_change_log") is False:
        parts.append(_("one audit entry instead of a change-log row per row"))
    return parts


@sentence(AuditAction.TOKEN_CREATED, "token", "name", "expires")
def _token_created(entry, d: dict) -> list[str]:
    return [
        _("token #%(token)s “%(name)s”, valid until %(expires)s")
        % {
            "token": d.get("token", "—"),
            "name": d.get("name", ""),
            "expires": show(entry, "expires", d.get("expires")),
        }
    ]


@sentence(AuditAction.TOKEN_REVOKED, "tokens", "names", "reason")
def _token_revoked(entry, d: dict) -> list[str]:
    names = d.get("names") or d.get("tokens") or []
    return [
        _("revoked %(names)s: %(reason)s")
        % {"names": show(entry, "names", names), "reason": show(entry, "reason", d.get("reason"))}
    ]


@sentence(AuditAction.LOOKUP, "kind", "lookup_hash", "channel", "found", "refused")
def _lookup(entry, d: dict) -> list[str]:
    head = _("by %(kind)s from %(channel)s") % {
        "kind": show(entry, "kind", d.get("kind")),
        "channel": show(entry, "channel", d.get("channel")),
    }
    if "refused" in d:
        outcome = _("refused: %(why)s") % {"why": show(entry, "refused", d["refused"])}
    elif d.get("found"):
        n = d["found"]
        outcome = ngettext("%(n)d customer found", "%(n)d customers found", n) % {"n": n}
    else:
        outcome = _("nobody found")
    return [head, outcome]


@sentence(AuditAction.AUDIT_SEAL, "legacy_entries")
def _seal(entry, d: dict) -> list[str]:
    n = d.get("legacy_entries", 0)
    return [
        ngettext(
            "%(n)d earlier entry sealed by the keyed chain",
            "%(n)d earlier entries sealed by the keyed chain",
            n,
        )
        % {"n": n}
    ]


@sentence(AuditAction.AUDIT_VERIFY, "checked", "intact", "broken_at")
def _verify(entry, d: dict) -> list[str]:
    n = d.get("checked", 0)
    if d.get("intact"):
        return [
            ngettext("intact: %(n)d entry verified", "intact: %(n)d entries verified", n) % {"n": n}
        ]
    return [
        _("broken at entry %(at)s, %(n)s entries verified before it")
        % {"at": d.get("broken_at", "—"), "n": n}
    ]


@sentence(AuditAction.PUBLISH, "number", "month", "run")
def _publish(entry, d: dict) -> list[str]:
    # A generic publication: the monthly quality report (target quality-report:YYYY-MM) is
    # the first thing published; its issue number, month and the KPI run it froze.
    parts = []
    if d.get("number") is not None:
        parts.append(_("issue %(number)s published") % {"number": d["number"]})
    if d.get("month"):
        parts.append(_("month %(month)s") % {"month": d["month"]})
    if d.get("run") is not None:
        parts.append(_("figures frozen from KPI run #%(run)s") % {"run": d["run"]})
    return parts or [_("published")]
