"""Staging: an import's rows made ready outside the write transaction, applied inside it by a
few set-based statements (issue 11 §5).

On SQLite one writer at a time holds the database's write lock, and every page saving a
form waits for it. So everything an import can do before taking the lock it does: decide
create or update, encrypt personal fields, hash look-ups, take the change log's before and
after snapshots (masked), and put the resulting database values into a TEMP table. A TEMP
table lives in the connection's own temporary database: filling it takes no lock on the main
database (tests/core/test_import_staging.py shows another connection writing meanwhile).
The write transaction then runs a fixed number of statements whatever the row count: check
nothing drifted, INSERT … SELECT the new rows, UPDATE … FROM the changed ones, INSERT …
SELECT their change-log rows. The same SQL runs on PostgreSQL (UPDATE … FROM, TEMP tables),
where the stage is filled with COPY.

What is staged holds no personal data in clear (ciphertext, HMACs, masked snapshots), so the
temporary database file SQLite may spill to holds none either.

If the database changed since a row was staged (a new row's key now exists, an updated row
was saved again or deleted, a referenced row is gone) `apply` raises StageDrifted before
writing anything, and the import writes its spooled rows the plain way instead.
"""

from __future__ import annotations

import itertools

from django.db import DatabaseError, connection, models
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from sqm.core import changelog, context
from sqm.core.bulk import BulkInserter
from sqm.core.fields import KeyIdField, LookupHashField, refresh_personal_fields

_names = itertools.count()


def supported() -> bool:
    """Whether this database runs the stage's SQL: UPDATE … FROM needs SQLite 3.33 (Django
    itself runs on 3.31); older ones write the plain way."""
    if connection.vendor == "sqlite":
        return connection.Database.sqlite_version_info >= (3, 33)
    return connection.vendor == "postgresql"


class StageDrifted(Exception):
    """The database changed since the rows were staged; nothing has been written."""


def _auto_time(field: models.Field) -> bool:
    return isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add)


class Stage:
    """Rows of MODEL, keyed by the unique field KEY, staged for one import.

    FIELDS are the fields an import sets on an existing row (lookup hashes, key id and the
    last-updated time follow them). Use `add` for each checked batch outside any transaction,
    then `apply` once inside the write transaction, and `close` at the end.
    """

    def __init__(self, model: type[models.Model], key: str, fields: list[str]) -> None:
        from django.contrib.contenttypes.models import ContentType

        from sqm.core.models import ChangeLogEntry

        self.model, self.key = model, key
        meta, quote = model._meta, connection.ops.quote_name
        self.inserter = BulkInserter(model)
        # Times of the insert / update are those of the write, not of the staging.
        self.staged = [(i, f) for i, f in enumerate(self.inserter.fields) if not _auto_time(f)]
        self.times = [f for f in self.inserter.fields if _auto_time(f)]
        set_names = set(fields)
        self.set_fields = [
            f
            for f in meta.concrete_fields
            if f.name in set_names
            or f.attname in set_names
            or isinstance(f, LookupHashField | KeyIdField)
        ]
        self.stamp = next((f for f in meta.concrete_fields if _auto_time(f) and f.auto_now), None)
        self.references = [
            f for _i, f in self.staged if isinstance(f, models.ForeignKey) and f.db_constraint
        ]
        self.table = quote(f"sqm_stage_{meta.db_table}_{next(_names)}")
        self.target = quote(meta.db_table)
        self.pk = quote(meta.pk.column)
        self.key_column = quote(meta.get_field(key).column)
        json_type = ChangeLogEntry._meta.get_field("after").db_type(connection)
        self.json_prep = ChangeLogEntry._meta.get_field("after").get_db_prep_save
        columns = [
            # On SQLite the line is the rowid: the stage is read in file order without a sort.
            f"{quote('_line')} integer PRIMARY KEY",
            f"{quote('_pk')} {meta.pk.rel_db_type(connection)}",
            f"{quote('_seen')} text",
            f"{quote('_log')} integer",
            f"{quote('_repr')} text",
            f"{quote('_before')} {json_type}",
            f"{quote('_after')} {json_type}",
        ] + [f"{quote(f.column)} {self._type(f)}" for _i, f in self.staged]
        self.staged_columns = [
            "_line", "_pk", "_seen", "_log", "_repr", "_before", "_after",
            *[f.column for _i, f in self.staged],
        ]  # fmt: skip
        self.content_type = ContentType.objects.get_for_model(model).pk  # read before the lock
        self.created = self.updated = 0
        self.changing = 0  # rows of `updated` whose values differ from what is stored
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE {self.table} ({', '.join(columns)})")
        self.open = True

    # -- outside the transaction -------------------------------------------------------------

    def add(self, batch: list[tuple[int, dict]], *, log_changes: bool) -> tuple[int, int]:
        """Stage a checked batch of (line, field values); returns (to create, to update).
        Reads the main database and writes only the TEMP table: no write lock."""
        model, key = self.model, self.key
        keys = [values[key] for _line, values in batch]
        found = model._base_manager.filter(**{f"{key}__in": keys})
        if self.stamp is not None:
            found = found.annotate(_sqm_seen=Cast(self.stamp.name, TextField()))
        existing = {getattr(obj, key): obj for obj in found}
        fields, json = self.inserter.fields, self.json_prep
        heads, dicts = [], []  # per staged row: its stage columns, and its field values
        for line, values in batch:
            obj = existing.get(values[key])
            if obj is None:
                after = changelog.snapshot_values(model, values) if log_changes else None
                heads.append([line, None, None, int(log_changes), str(values[key])[:200], None])
                dicts.append(values)
                self.created += 1
            else:
                before = changelog.snapshot(obj, obj._loaded_values) if log_changes else None
                for name, value in values.items():
                    if name != key:
                        setattr(obj, name, value)
                refresh_personal_fields(obj)
                self.updated += 1
                loaded = obj._loaded_values
                if all(loaded.get(f.attname) == getattr(obj, f.attname) for f in self.set_fields):
                    continue  # the same values, hashes and key: nothing to write or log
                after = changelog.snapshot(obj) if log_changes else None
                seen = getattr(obj, "_sqm_seen", None)
                changed = int(log_changes and before != after)
                before = json(before, connection)
                heads.append([line, obj.pk, seen, changed, str(obj)[:200], before])
                dicts.append({f.attname: getattr(obj, f.attname) for f in fields})
                self.changing += 1
            heads[-1].append(json(after, connection))
        # Encrypted, hashed and adapted for the database in one go per batch.
        rows = [
            [*head, *(params[i] for i, _f in self.staged)]
            for head, params in zip(heads, self.inserter.prepare(dicts), strict=True)
        ]
        self._fill(rows)
        return len(batch) - len(existing), len(existing)

    def _fill(self, rows: list[list]) -> None:
        if not rows:
            return
        quote = connection.ops.quote_name
        names = ", ".join(quote(c) for c in self.staged_columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.staged_columns))
                cursor.executemany(f"INSERT INTO {self.table} ({names}) VALUES ({marks})", rows)

    # -- inside the transaction --------------------------------------------------------------

    def apply(self, *, log_changes: bool) -> tuple[int, int]:
        """Write the staged rows: a fixed number of statements, however many rows. Raises
        StageDrifted, having written nothing, if the database changed since staging."""
        if not self.created and not self.changing:
            return self.created, self.updated
        quote = connection.ops.quote_name
        stage, target, pk = self.table, self.target, self.pk
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(self._drift_sql())
            if cursor.fetchone() is not None:
                raise StageDrifted
            columns = [quote(f.column) for _i, f in self.staged]
            times = [quote(f.column) for f in self.times]
            time_values = [self._param(f) for f in self.times]
            time_params = [f.get_db_prep_save(now, connection) for f in self.times]
            if self.created:
                cursor.execute(
                    f"INSERT INTO {target} ({', '.join(columns + times)}) "
                    f"SELECT {', '.join([f's.{c}' for c in columns] + time_values)} "
                    f"FROM {stage} s WHERE s._pk IS NULL ORDER BY s._line",
                    time_params,
                )
            if self.changing:
                sets = [f"{quote(f.column)} = s.{quote(f.column)}" for f in self.set_fields]
                params = []
                if self.stamp is not None:
                    sets.append(f"{quote(self.stamp.column)} = {self._param(self.stamp)}")
                    params.append(self.stamp.get_db_prep_save(now, connection))
                cursor.execute(
                    f"UPDATE {target} SET {', '.join(sets)} FROM {stage} s "
                    f"WHERE s._pk IS NOT NULL AND {target}.{pk} = s._pk",
                    params,
                )
            if log_changes:
                self._log(cursor, now)
        return self.created, self.updated

    def _drift_sql(self) -> str:
        """One query: the first staged row the database no longer agrees with, if any."""
        quote = connection.ops.quote_name
        stage, target, pk, key = self.table, self.target, self.pk, self.key_column
        fresh = ""
        if self.stamp is not None:
            fresh = f" AND CAST(t.{quote(self.stamp.column)} AS TEXT) = s._seen"
        tests = [
            f"(s._pk IS NULL AND EXISTS (SELECT 1 FROM {target} t WHERE t.{key} = s.{key}))",
            f"(s._pk IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {target} t WHERE t.{pk} = s._pk{fresh}))",
        ]
        for field in self.references:
            column = quote(field.column)
            table = quote(field.related_model._meta.db_table)
            target_column = quote(field.target_field.column)
            tests.append(
                f"(s.{column} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {table} r WHERE r.{target_column} = s.{column}))"
            )
        return f"SELECT s._line FROM {stage} s WHERE {' OR '.join(tests)} LIMIT 1"

    def _log(self, cursor, now) -> None:
        """Change-log rows for the staged creates and real updates (two statements)."""
        from sqm.core.models import ChangeLogEntry

        meta = ChangeLogEntry._meta
        actor = context.current()
        constants = {
            "time": now,
            "user": getattr(actor.user, "pk", None),
            "actor": actor.label[:150],
            "request_id": actor.request_id,
            "content_type": self.content_type,
        }
        fields = [meta.get_field(name) for name in constants]
        names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        marks = ", ".join(self._param(f) for f in fields)
        params = [
            f.get_db_prep_save(v, connection)
            for f, v in zip(fields, constants.values(), strict=True)
        ]
        table = connection.ops.quote_name(meta.db_table)
        rest = ", ".join(
            connection.ops.quote_name(meta.get_field(n).column)
            for n in ("object_id", "object_repr", "action", "before", "after")
        )
        insert = f"INSERT INTO {table} ({names}, {rest}) SELECT {marks}, "
        stage, target, pk, key = self.table, self.target, self.pk, self.key_column
        if self.created:
            cursor.execute(
                f"{insert}CAST(t.{pk} AS TEXT), s._repr, 'create', NULL, s._after "
                f"FROM {stage} s JOIN {target} t ON t.{key} = s.{key} "
                f"WHERE s._pk IS NULL ORDER BY s._line",
                params,
            )
        if self.changing:
            cursor.execute(
                f"{insert}CAST(s._pk AS TEXT), s._repr, 'update', s._before, s._after "
                f"FROM {stage} s WHERE s._pk IS NOT NULL AND s._log = 1 ORDER BY s._line",
                params,
            )

    @staticmethod
    def _type(field: models.Field) -> str:
        # SQLite: no declared type, so no affinity converts a value on its way through.
        return field.db_type(connection) if connection.vendor == "postgresql" else ""

    @staticmethod
    def _param(field: models.Field) -> str:
        # PostgreSQL cannot type a bare parameter in a SELECT list; SQLite's CAST would apply
        # column affinity (a time cast to NUMERIC), so it gets the bare parameter.
        if connection.vendor == "postgresql":
            return f"CAST(%s AS {field.db_type(connection)})"
        return "%s"

    def close(self) -> None:
        if self.open:
            self.open = False
            try:
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
            except DatabaseError:
                pass  # the connection is gone, and its TEMP table with it
