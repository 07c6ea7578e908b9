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

Rows may point at rows the same import creates (a topology file's ONUs at its OLTs, boards
and PON ports), whose ids exist only once the transaction wrote them. Such a foreign key is
staged by its natural key (`natural`: the parent's fields and where their values come from)
and resolved in SQL when written, after the parents' stages were applied (`StageGroup`).

If the database changed since a row was staged (a new row's key now exists, an updated row
was saved again or deleted, a referenced row is gone) `apply` raises StageDrifted before
writing anything, and the import writes its spooled rows the plain way instead.
"""

from __future__ import annotations

import itertools

from django.db import DatabaseError, connection, models, transaction
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

    KEY may be a tuple of fields (a board's OLT, frame and slot): such a stage only creates,
    and `add` must be given only rows not stored yet. NATURAL maps a foreign key to the
    parent's fields that find it, each taken from another natural foreign key of the stage,
    a field of MODEL, or a value of the row under that name (e.g. {"olt": {"olt_id":
    "olt_code"}}); the row's own value for the key may be None (the parent is new) and is
    then resolved by those fields when written. A natural key into MODEL itself (a complaint
    repeating an earlier one of the same file) is resolved by an UPDATE after the INSERT;
    for it the importer stages the id of a stored row, and the natural key only of a row of
    the same stage.

    KEEP_TIMES: automatic times the rows bring (history keeps its own). LOGGED: False for
    rows the plain import does not change-log either.
    """

    def __init__(
        self,
        model: type[models.Model],
        key: str | tuple[str, ...],
        fields: list[str],
        natural: dict[str, dict[str, str]] | None = None,
        *,
        keep_times: tuple[str, ...] = (),
        logged: bool = True,
    ) -> None:
        from django.contrib.contenttypes.models import ContentType

        from sqm.core.models import ChangeLogEntry

        self.model, self.key = model, key
        self.keys = (key,) if isinstance(key, str) else tuple(key)
        self.natural = natural or {}
        self.logged = logged
        meta, quote = model._meta, connection.ops.quote_name
        field_names = {f.name for f in meta.concrete_fields}
        # Row values the natural keys need that are no field of MODEL: extra stage columns.
        self.extra: dict[str, models.Field] = {}
        for fk, match in self.natural.items():
            parent = meta.get_field(fk).related_model._meta
            for parent_field, source in match.items():
                if source not in self.natural and source not in field_names:
                    self.extra[source] = parent.get_field(parent_field)
        self.inserter = BulkInserter(model, keep_times=keep_times)

        # Times of the insert / update are those of the write, not of the staging.
        def written_now(f: models.Field) -> bool:
            return _auto_time(f) and f.name not in keep_times

        self.staged = [(i, f) for i, f in enumerate(self.inserter.fields) if not written_now(f)]
        self.times = [f for f in self.inserter.fields if written_now(f)]
        self.late = [fk for fk in self.natural if meta.get_field(fk).related_model is model]
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
        columns += [f"{quote('_n_' + n)} {self._type(f)}" for n, f in self.extra.items()]
        self.staged_columns = [
            "_line", "_pk", "_seen", "_log", "_repr", "_before", "_after",
            *[f.column for _i, f in self.staged], *[f"_n_{n}" for n in self.extra],
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
        log_changes = log_changes and self.logged
        existing = {}
        if isinstance(key, str):
            keys = [values[key] for _line, values in batch]
            found = model._base_manager.filter(**{f"{key}__in": keys})
            if self.stamp is not None:
                found = found.annotate(_sqm_seen=Cast(self.stamp.name, TextField()))
            existing = {getattr(obj, key): obj for obj in found}
        fields, json = self.inserter.fields, self.json_prep
        heads, dicts, extras = [], [], []  # per staged row: stage columns, fields, natural keys
        for line, values in batch:
            extras.append([values.get(name) for name in self.extra])
            obj = existing.get(values[key]) if isinstance(key, str) else None
            if obj is None:
                after = changelog.snapshot_values(model, values) if log_changes else None
                shown = values.get("_repr") or values.get(self.keys[0], "")
                heads.append([line, None, None, int(log_changes), str(shown)[:200], None])
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
                    extras.pop()
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
            [*head, *(params[i] for i, _f in self.staged), *extra]
            for head, params, extra in zip(heads, self.inserter.prepare(dicts), extras, strict=True)
        ]
        self._fill(rows)
        return len(batch) - len(existing), len(existing)

    def _source(self, name: str) -> str:
        """SQL for a natural key's value NAME: a resolved foreign key, a staged field or an
        extra column of the stage (alias s)."""
        quote = connection.ops.quote_name
        if name in self.natural:
            return self._resolved(name)
        if name in self.extra:
            return f"s.{quote('_n_' + name)}"
        return f"s.{quote(self.model._meta.get_field(name).column)}"

    def _resolved(self, fk: str) -> str:
        """SQL for foreign key FK: the staged id, else the parent found by its natural key
        (written earlier in the same transaction)."""
        quote = connection.ops.quote_name
        field = self.model._meta.get_field(fk)
        parent = field.related_model._meta
        alias = quote(f"r{next(_names)}")
        tests = " AND ".join(
            f"{alias}.{quote(parent.get_field(name).column)} = {self._source(source)}"
            for name, source in self.natural[fk].items()
        )
        lookup = (
            f"(SELECT {alias}.{quote(field.target_field.column)} "
            f"FROM {quote(parent.db_table)} {alias} WHERE {tests})"
        )
        return f"COALESCE(s.{quote(field.column)}, {lookup})"

    def _value(self, field: models.Field) -> str:
        if field.name in self.natural and field.name not in self.late:
            return self._resolved(field.name)
        return f"s.{connection.ops.quote_name(field.column)}"

    def _key_match(self, alias: str) -> str:
        """SQL: the stored row ALIAS has the staged row's key."""
        quote = connection.ops.quote_name
        meta = self.model._meta
        return " AND ".join(
            f"{alias}.{quote(meta.get_field(name).column)} = {self._value(meta.get_field(name))}"
            for name in self.keys
        )

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
        log_changes = log_changes and self.logged
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
                    f"SELECT {', '.join([self._value(f) for _i, f in self.staged] + time_values)} "
                    f"FROM {stage} s WHERE s._pk IS NULL ORDER BY s._line",
                    time_params,
                )
                for fk in self.late:  # rows of this stage now have ids
                    column = quote(self.model._meta.get_field(fk).column)
                    cursor.execute(
                        f"UPDATE {target} SET {column} = {self._resolved(fk)} FROM {stage} s "
                        f"WHERE s._pk IS NULL AND s.{column} IS NULL "
                        f"AND {self._key_match(target)} AND "
                        + " AND ".join(
                            f"{self._source(source)} IS NOT NULL"
                            for source in self.natural[fk].values()
                        )
                    )
            if self.changing:
                sets = [f"{quote(f.column)} = {self._value(f)}" for f in self.set_fields]
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
        stage, target, pk = self.table, self.target, self.pk
        fresh = ""
        if self.stamp is not None:
            fresh = f" AND CAST(t.{quote(self.stamp.column)} AS TEXT) = s._seen"
        tests = [
            f"(s._pk IS NULL AND EXISTS (SELECT 1 FROM {target} t WHERE {self._key_match('t')}))",
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
        for fk in self.natural:  # a parent neither staged by id nor found by natural key
            if fk in self.late:
                continue  # a row of this very stage (see the class)
            tests.append(f"({self._resolved(fk)} IS NULL)")
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
        stage, target, pk = self.table, self.target, self.pk
        after = self._after_sql()
        if self.created:
            cursor.execute(
                f"{insert}CAST(t.{pk} AS TEXT), s._repr, 'create', NULL, {after} "
                f"FROM {stage} s JOIN {target} t ON {self._key_match('t')} "
                f"WHERE s._pk IS NULL ORDER BY s._line",
                params,
            )
        if self.changing:
            cursor.execute(
                f"{insert}CAST(s._pk AS TEXT), s._repr, 'update', s._before, {after} "
                f"FROM {stage} s JOIN {target} t ON t.{pk} = s._pk "
                f"WHERE s._pk IS NOT NULL AND s._log = 1 ORDER BY s._line",
                params,
            )

    def _after_sql(self) -> str:
        """The logged after-snapshot, with foreign keys resolved by natural key (unknown when
        staged) taken from the written row t."""
        quote = connection.ops.quote_name
        after = "s._after"
        meta = self.model._meta
        for fk in self.natural:
            column = f"t.{quote(meta.get_field(fk).column)}"
            if connection.vendor == "postgresql":
                after = f"jsonb_set({after}, '{{{fk}}}', COALESCE(to_jsonb({column}), 'null'))"
            else:
                after = f"json_set({after}, '$.{fk}', {column})"
        return after

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


class StageGroup:
    """Stages applied in order in one transaction: parents before the rows that point at them
    by natural key. `apply` returns the counts of the MAIN one (the file's own rows)."""

    def __init__(self, *stages: Stage, main: int = -1) -> None:
        self.stages = stages
        self.main = main  # the stage whose counts are the import's

    def apply(self, *, log_changes: bool) -> tuple[int, int]:
        counts = []
        # A later stage that drifted undoes the earlier ones: the import then replays its
        # spooled rows the plain way, from nothing written.
        with transaction.atomic():
            for stage in self.stages:
                counts.append(stage.apply(log_changes=log_changes))
        return counts[self.main]

    def close(self) -> None:
        for stage in self.stages:
            stage.close()
