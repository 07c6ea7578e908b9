"""Fast bulk inserts for imports: one prepared INSERT run with executemany.

Django's bulk_create compiles every value of every row through the field machinery, which
costs more than the database itself at a million rows. Imports instead prepare each row's
database values once (encrypting personal fields, hashing lookups) and hand the rows to the
driver in one executemany. Only plain column types take the shortcut; anything else still
goes through the field's own `get_db_prep_save`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from django.db import connection, models
from django.utils import timezone

from sqm.core import context, crypto
from sqm.core.fields import EncryptedTextField, KeyIdField, LookupHashField

_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
    models.GenericIPAddressField,
)


def _time_converter(field: models.DateTimeField) -> Callable[[object], object]:
    """Database value of a time: an aware datetime goes straight to the backend's adapter
    (what `get_db_prep_save` ends in, minus its per-value checks); anything else takes the
    field's own way (naive times, dates, strings)."""
    adapt = connection.ops.adapt_datetimefield_value
    prep = field.get_db_prep_save

    def convert(value):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return adapt(value)
        return prep(value, connection)

    return convert


class BulkInserter:
    """INSERT of MODEL rows given as dicts of field name → Python value.

    `auto_now` / `auto_now_add` fields get the time of the insert, except those named in
    KEEP_TIMES: they take the row's own value when it has one (history imports keep when a
    record was made, not when it was loaded).
    """

    def __init__(self, model: type[models.Model], keep_times: tuple[str, ...] = ()) -> None:
        self.model = model
        self.keep_times = frozenset(keep_times)
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        self.sql = (
            f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} "
            f"({columns}) VALUES ({marks})"
        )
        self.copy_sql = (
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
        )
        self.converters = [self._converter(f) for f in self.fields]

    def _converter(self, field) -> Callable[[dict, object], object]:
        name = field.name
        if isinstance(field, EncryptedTextField):
            ring, ctx = crypto.keyring(), field.context
            return lambda row, now: ring.encrypt(row[name], ctx) if row.get(name) else ""
        if isinstance(field, LookupHashField):
            source = field.source
            return lambda row, now: crypto.lookup_hash(row[source]) if row.get(source) else ""
        if isinstance(field, KeyIdField):
            active = crypto.keyring().active_id
            return lambda row, now: active
        if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            if name in self.keep_times:
                prep_time = _time_converter(field)

                def keep(row, now):
                    value = row.get(name)
                    return now if value is None else prep_time(value)

                return keep
            return lambda row, now: now
        attname = field.attname
        # As a model instance would: the declared default, else "" for text that may not be
        # NULL, else None.
        default = field.get_default()
        if isinstance(field, _PLAIN):
            if attname == name:
                return lambda row, now: row.get(name, default)
            return lambda row, now: row[attname] if attname in row else row.get(name, default)
        if isinstance(field, models.DateTimeField):
            prep_time = _time_converter(field)

            def convert_time(row, now):
                value = row.get(attname, row.get(name, default))
                return None if value is None else prep_time(value)

            return convert_time
        prep = field.get_db_prep_save

        def convert(row, now):
            value = row.get(attname, row.get(name, default))
            return None if value is None else prep(value, connection)

        return convert

    def prepare(self, rows: Iterable[dict]) -> list[list]:
        """The database values of ROWS (personal fields encrypted, lookups hashed): work an
        import does before its write transaction, so the lock is held only for the INSERT."""
        auto = [
            f
            for f in self.fields
            if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add)
        ]
        now = auto[0].get_db_prep_save(timezone.now(), connection) if auto else None
        converters = self.converters
        return [[conv(row, now) for conv in converters] for row in rows]

    def insert(self, rows: Iterable[dict]) -> int:
        return self.insert_prepared(self.prepare(rows))

    def insert_prepared(self, params: list[list]) -> int:
        if params:
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    # COPY streams the rows; executemany would still run one INSERT each.
                    with cursor.cursor.copy(self.copy_sql) as copy:
                        for values in params:
                            copy.write_row(values)
                else:
                    cursor.executemany(self.sql, params)
        return len(params)


def log_bulk_creates(
    model: type[models.Model], key: str, rows: list[dict], afters: list[dict] | None = None
) -> None:
    """Change-log rows ('create') for ROWS just inserted, found again by business KEY.
    AFTERS: the rows' snapshots when made beforehand (outside the write transaction)."""
    from django.contrib.contenttypes.models import ContentType

    from sqm.core.changelog import snapshot_values
    from sqm.core.models import ChangeLogEntry

    if not rows:
        return
    pks = dict(
        model._base_manager.filter(**{f"{key}__in": [r[key] for r in rows]}).values_list(key, "pk")
    )
    actor = context.current()
    user_id = getattr(actor.user, "pk", None)
    ct = ContentType.objects.get_for_model(model).pk
    entries = [
        {
            "user_id": user_id,
            "actor": actor.label[:150],
            "request_id": actor.request_id,
            "content_type_id": ct,
            "object_id": str(pks[r[key]]),
            "object_repr": str(r[key]),
            "action": "create",
            "before": None,
            "after": afters[i] if afters is not None else snapshot_values(model, r),
        }
        for i, r in enumerate(rows)
    ]
    inserter_for(ChangeLogEntry).insert(entries)


_inserters: dict[tuple[str, str], BulkInserter] = {}


def inserter_for(model: type[models.Model]) -> BulkInserter:
    """MODEL's inserter for this connection (built once: it compiles the field list)."""
    key = (connection.alias, model._meta.label)
    if key not in _inserters:
        _inserters[key] = BulkInserter(model)
    return _inserters[key]


def update_objects(objs: list[models.Model], fields: list[str]) -> None:
    """UPDATE stored instances OBJS (all of one model), setting FIELDS from each, in one
    statement (bulk_update's CASE … WHEN costs more to build than to run)."""
    if not objs:
        return
    meta = objs[0]._meta
    model_fields = [meta.get_field(name) for name in fields]
    rows = [
        [o.pk] + [f.get_db_prep_save(getattr(o, f.attname), connection) for f in model_fields]
        for o in objs
    ]
    update_rows(type(objs[0]), meta.pk.name, fields, rows)


def update_rows(model: type[models.Model], key: str, fields: list[str], rows: list) -> None:
    """UPDATE MODEL's rows whose KEY field has each given value, setting FIELDS; each of
    ROWS is (key value, database value of each field…). PostgreSQL: one UPDATE … FROM unnest()
    over arrays; SQLite: one executemany (in process, each statement is cheap)."""
    if not rows:
        return
    meta, quote = model._meta, connection.ops.quote_name
    key_field = meta.get_field(key)
    model_fields = [meta.get_field(name) for name in fields]
    table = quote(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = [f"v{i}" for i in range(len(model_fields))]
            arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in [key_field, *model_fields])
            sets = ", ".join(
                f"{quote(f.column)} = v.{n}" for f, n in zip(model_fields, names, strict=True)
            )
            sql = (
                f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v(k, {', '.join(names)})"
                f" WHERE {table}.{quote(key_field.column)} = v.k"
            )
            cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])
        else:
            sets = ", ".join(f"{quote(f.column)} = %s" for f in model_fields)
            sql = f"UPDATE {table} SET {sets} WHERE {quote(key_field.column)} = %s"
            cursor.executemany(sql, [[*row[1:], row[0]] for row in rows])
