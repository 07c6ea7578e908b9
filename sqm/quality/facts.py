"""Facts out of the operational database, into Arrow tables for the KPI engine.

Each fact is one SQL query over the month's window (the month with a lookback and a
lookahead for the indicators that look at neighbouring records: repeats in the 30 days
before, a fix that holds for 7 days after), read through the connection's cursor into
Arrow columns. Times travel as whole seconds since the epoch (UTC), so both engines do the
same integer arithmetic on them: no session time zone, no date functions that differ
between DuckDB and Spark. Month bounds are Asia/Shanghai midnights turned into the same
seconds. `write_snapshot` keeps a month's facts as Parquet files (what a Spark cluster reads
when the facts outgrow one machine).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import connection

LOOKBACK_DAYS = 31
LOOKAHEAD_DAYS = 8


@dataclass(frozen=True)
class Month:
    """A local calendar month as epoch seconds: [start, end)."""

    first: dt.date

    @classmethod
    def parse(cls, text: str) -> Month:
        return cls(dt.datetime.strptime(text, "%Y-%m").date().replace(day=1))

    @property
    def label(self) -> str:
        return f"{self.first:%Y-%m}"

    def _epoch(self, day: dt.date) -> int:
        zone = ZoneInfo(settings.TIME_ZONE)
        return int(dt.datetime(day.year, day.month, day.day, tzinfo=zone).timestamp())

    @property
    def next_first(self) -> dt.date:
        return (self.first + dt.timedelta(days=32)).replace(day=1)

    @property
    def previous(self) -> Month:
        return self.shifted(-1)

    def shifted(self, months: int) -> Month:
        index = self.first.year * 12 + self.first.month - 1 + months
        return Month(dt.date(index // 12, index % 12 + 1, 1))

    @property
    def start(self) -> int:
        return self._epoch(self.first)

    @property
    def end(self) -> int:
        return self._epoch(self.next_first)

    @property
    def window(self) -> tuple[int, int]:
        return self.start - LOOKBACK_DAYS * 86400, self.end + LOOKAHEAD_DAYS * 86400


def _table(app_model: str) -> str:
    from django.apps import apps

    return connection.ops.quote_name(apps.get_model(app_model)._meta.db_table)


def _epoch(column: str) -> str:
    if connection.vendor == "sqlite":
        # The stored UTC text as it is: Arrow parses it (_conform), many times faster than
        # strftime() row by row in SQLite.
        return column
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"


# A unary plus on a join column (`ci.id = +r.city_id`) keeps SQLite from walking the fact
# by its city index (every row, in random order) instead of scanning it: measured 2× on
# 1,000,000 repairs (bench/kpi.py). PostgreSQL ignores it.


def _window(column: str) -> str:
    return f"({column} >= %(w0)s AND {column} < %(w1)s)"


def _in_month(column: str) -> str:
    # The facts whose indicators never look at neighbouring records (no repeats, no fix that
    # holds) read the month alone: a third of the window's rows.
    return f"({column} >= %(m0)s AND {column} < %(m1)s)"


# Each fact: its Arrow schema and a function giving (SQL, parameters) for a month. The SQL
# names the columns in the schema's order.
INT, S, B, F = pa.int64(), pa.string(), pa.bool_(), pa.float64()


def _accounts(month: Month):
    sql = f"""
        SELECT a.id, a.service, a.status, {_epoch("a.opened_at")}, ci.name, cu.district
        FROM {_table("customers.Account")} a
        JOIN {_table("customers.Customer")} cu ON cu.id = +a.customer_id
        JOIN {_table("core.City")} ci ON ci.id = +cu.city_id
    """
    return sql, {}


def _complaints(month: Month):
    sql = f"""
        SELECT w.id, w.number, w.record_type, {_epoch("w.created")}, {_epoch("w.closed_at")},
               {_epoch("w.replied_at")}, w.untimely, ci.name, cu.district, w.channel,
               w.upgraded, w.repeat_of_id IS NOT NULL,
               (w.cause_id IS NOT NULL OR w.fault_event_id IS NOT NULL), w.fault_event_id,
               COALESCE(parent.name, cat.name), a.service, w.callback_outcome
        FROM {_table("complaints.WorkOrder")} w
        JOIN {_table("core.City")} ci ON ci.id = w.city_id
        JOIN {_table("customers.Customer")} cu ON cu.id = w.customer_id
        JOIN {_table("complaints.Category")} cat ON cat.id = w.category_id
        LEFT JOIN {_table("complaints.Category")} parent ON parent.id = cat.parent_id
        LEFT JOIN {_table("customers.Account")} a ON a.id = w.account_id
        WHERE w.record_type IN ('direct_answer_complaint', 'complaint_work_order')
          AND ({_in_month("w.created")} OR {_in_month("w.closed_at")})
    """
    return sql, {}


def _repairs(month: Month):
    sql = f"""
        SELECT r.id, r.repair_id, r.account_id, a.service, ci.name, r.district,
               {_epoch("r.reported_at")}, {_epoch("r.restored_at")}, r.area, r.cause,
               r.network_fault, {_epoch("r.appointment_from")}, {_epoch("r.appointment_to")},
               {_epoch("r.arrived_at")}, r.visit_rating
        FROM {_table("quality.Repair")} r
        JOIN {_table("customers.Account")} a ON a.id = r.account_id
        JOIN {_table("core.City")} ci ON ci.id = +r.city_id
        WHERE {_window("r.reported_at")} OR {_window("r.restored_at")}
           OR {_window("r.arrived_at")}
    """
    return sql, {}


def _activations(month: Month):
    sql = f"""
        SELECT v.id, v.order_id, v.account_id, a.service, ci.name, v.district,
               {_epoch("v.ordered_at")}, {_epoch("v.committed_at")}, {_epoch("v.activated_at")},
               {_epoch("v.appointment_from")}, {_epoch("v.appointment_to")},
               {_epoch("v.arrived_at")}, v.visit_rating
        FROM {_table("quality.Activation")} v
        JOIN {_table("customers.Account")} a ON a.id = v.account_id
        JOIN {_table("core.City")} ci ON ci.id = v.city_id
        WHERE v.ordered_at < %(w1)s
          AND (v.activated_at IS NULL OR v.activated_at >= %(m0)s OR {_in_month("v.arrived_at")})
    """
    return sql, {}


def _transfers(month: Month):
    sql = f"""
        SELECT t.id, t.transfer_id, ci.name, {_epoch("t.requested_at")},
               {_epoch("t.connected_at")}, t.skill
        FROM {_table("quality.Transfer")} t
        JOIN {_table("core.City")} ci ON ci.id = t.city_id
        WHERE {_in_month("t.requested_at")}
    """
    return sql, {}


def _speed_tests(month: Month):
    sql = f"""
        SELECT s.id, s.test_id, s.level, ci.name, {_epoch("s.measured_at")}, s.down_mbps,
               s.up_mbps, s.subscribed_mbps
        FROM {_table("quality.SpeedTest")} s
        JOIN {_table("core.City")} ci ON ci.id = s.city_id
        WHERE {_in_month("s.measured_at")}
    """
    return sql, {}


def _operations(month: Month):
    sql = f"""
        SELECT o.id, ci.name, o.product, CAST(o.revenue_yuan AS REAL), o.billed_accounts,
               o.ports_built, o.ports_in_use
        FROM {_table("quality.OperationsMonth")} o
        JOIN {_table("core.City")} ci ON ci.id = o.city_id
        WHERE o.month = %(first)s
    """
    if connection.vendor != "sqlite":
        sql = sql.replace("AS REAL", "AS DOUBLE PRECISION")
    return sql, {}


def _circuits(month: Month):
    sql = f"""
        SELECT c.id, c.circuit_id, ci.name, c.product, CAST(c.contract_availability AS REAL),
               c.contract_repair_hours, {_epoch("c.opened_at")}
        FROM {_table("quality.Circuit")} c
        JOIN {_table("core.City")} ci ON ci.id = c.city_id
        WHERE c.opened_at < %(w1)s
    """
    if connection.vendor != "sqlite":
        sql = sql.replace("AS REAL", "AS DOUBLE PRECISION")
    return sql, {}


def _circuit_outages(month: Month):
    sql = f"""
        SELECT o.id, o.outage_id, o.circuit_id, ci.name, c.product, {_epoch("o.started_at")},
               {_epoch("o.restored_at")}, o.cause, o.network_fault, c.contract_repair_hours
        FROM {_table("quality.CircuitOutage")} o
        JOIN {_table("quality.Circuit")} c ON c.id = o.circuit_id
        JOIN {_table("core.City")} ci ON ci.id = o.city_id
        WHERE o.started_at < %(w1)s AND (o.restored_at IS NULL OR o.restored_at >= %(w0)s)
    """
    return sql, {}


def _fault_events(month: Month):
    sql = f"""
        SELECT f.id, ci.name, {_epoch("f.started_at")}, f.affected_accounts,
               {_epoch("sms.first_sent")}, {_epoch("wo.first_contact")}
        FROM {_table("network.FaultEvent")} f
        JOIN {_table("core.City")} ci ON ci.id = f.city_id
        LEFT JOIN (SELECT fault_event_id, MIN(sent_at) AS first_sent
                   FROM {_table("notify.OutboundMessage")}
                   WHERE kind = 'fault' AND sent_at IS NOT NULL AND fault_event_id IS NOT NULL
                   GROUP BY fault_event_id) sms ON sms.fault_event_id = f.id
        LEFT JOIN (SELECT fault_event_id, MIN(created) AS first_contact
                   FROM {_table("complaints.WorkOrder")}
                   WHERE fault_event_id IS NOT NULL
                     AND record_type IN ('direct_answer_complaint', 'complaint_work_order')
                   GROUP BY fault_event_id) wo ON wo.fault_event_id = f.id
        WHERE f.merged_into_id IS NULL AND {_in_month("f.started_at")}
    """
    return sql, {}


@dataclass(frozen=True)
class FactSpec:
    name: str
    schema: pa.Schema
    query: Callable[[Month], tuple[str, dict]] | None = None
    build: Callable[[Month], pa.Table] | None = None  # facts made in Python


def _schema(*columns: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema(list(columns))


FACTS: dict[str, FactSpec] = {}


def _fact(name: str, query, *columns) -> None:
    FACTS[name] = FactSpec(name, _schema(*columns), query=query)


_fact("accounts", _accounts, ("id", INT), ("service", S), ("status", S), ("opened", INT),
      ("city", S), ("district", S))  # fmt: skip
_fact("complaints", _complaints, ("id", INT), ("ref", S), ("record_type", S), ("created", INT),
      ("closed", INT), ("replied", INT), ("untimely", B), ("city", S), ("district", S),
      ("channel", S), ("upgraded", B), ("repeat", B), ("batch", B), ("fault_event", INT),
      ("cause", S), ("service", S), ("callback_outcome", S))  # fmt: skip
_fact("repairs", _repairs, ("id", INT), ("ref", S), ("account", INT), ("service", S),
      ("city", S), ("district", S), ("reported", INT), ("restored", INT), ("area", S),
      ("cause", S), ("network_fault", B), ("appointment_from", INT), ("appointment_to", INT),
      ("arrived", INT), ("rating", INT))  # fmt: skip
_fact("activations", _activations, ("id", INT), ("ref", S), ("account", INT), ("service", S),
      ("city", S), ("district", S), ("ordered", INT), ("committed", INT), ("activated", INT),
      ("appointment_from", INT), ("appointment_to", INT), ("arrived", INT),
      ("rating", INT))  # fmt: skip
_fact("transfers", _transfers, ("id", INT), ("ref", S), ("city", S), ("requested", INT),
      ("connected", INT), ("skill", S))  # fmt: skip
_fact("speed_tests", _speed_tests, ("id", INT), ("ref", S), ("level", S), ("city", S),
      ("measured", INT), ("down", F), ("up", F), ("subscribed", F))  # fmt: skip
_fact("operations", _operations, ("id", INT), ("city", S), ("product", S), ("revenue", F),
      ("billed", INT), ("ports_built", INT), ("ports_in_use", INT))  # fmt: skip
_fact("circuits", _circuits, ("id", INT), ("ref", S), ("city", S), ("product", S),
      ("contract_availability", F), ("contract_repair_hours", F), ("opened", INT))  # fmt: skip
_fact("circuit_outages", _circuit_outages, ("id", INT), ("ref", S), ("circuit", INT),
      ("city", S), ("product", S), ("started", INT), ("restored", INT), ("cause", S),
      ("network_fault", B), ("contract_repair_hours", F))  # fmt: skip
_fact("fault_events", _fault_events, ("id", INT), ("city", S), ("started", INT),
      ("accounts", INT), ("first_sms", INT), ("first_contact", INT))  # fmt: skip


def _survey_scores(month: Month) -> pa.Table:
    """Own customers' satisfaction (the SAT items, 0–100) in the survey wave of the month's
    quarter: one row per respondent."""
    from django.apps import apps

    schema = FACTS["survey_scores"].schema
    quarter = f"{month.first.year}Q{(month.first.month - 1) // 3 + 1}"
    item_model = apps.get_model("surveys.Item")
    response_model = apps.get_model("surveys.Response")
    items: dict[int, list[tuple[str, int, int]]] = {}
    for questionnaire, code, low, high in item_model.objects.filter(construct="SAT").values_list(
        "questionnaire_id", "code", "scale_min", "scale_max"
    ):
        items.setdefault(questionnaire, []).append((code, low, high))
    ids, cities, scores = [], [], []
    rows = response_model.objects.filter(wave=quarter, is_own=True).values_list(
        "id", "questionnaire_id", "city", "answers"
    )
    for pk, questionnaire, city, answers in rows.iterator(chunk_size=5000):
        values = []
        for code, low, high in items.get(questionnaire, ()):
            answer = answers.get(code)
            if answer is not None and high > low:
                values.append((answer - low) / (high - low) * 100)
        if values:
            ids.append(pk)
            cities.append(city)
            scores.append(sum(values) / len(values))
    return pa.table([ids, cities, scores], schema=schema)


FACTS["survey_scores"] = FactSpec(
    "survey_scores", _schema(("id", INT), ("city", S), ("score", F)), build=_survey_scores
)


def _params(month: Month) -> dict:
    w0, w1 = month.window
    zone = dt.UTC
    as_time = lambda s: dt.datetime.fromtimestamp(s, zone)  # noqa: E731
    if connection.vendor == "sqlite":  # Django stores UTC text there: compare as text
        as_time = lambda s: dt.datetime.fromtimestamp(s, zone).strftime(  # noqa: E731
            "%Y-%m-%d %H:%M:%S"
        )
    return {
        "w0": as_time(w0),
        "w1": as_time(w1),
        "m0": as_time(month.start),
        "m1": as_time(month.end),
        "first": month.first.isoformat(),
    }


def extract(name: str, month: Month) -> pa.Table:
    """One fact of MONTH, read through the database connection."""
    return extract_all(month, [name])[name]


def _cursor_columns(sql: str, params: dict) -> list[pa.Array]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [pa.array(values) for values in zip(*rows, strict=True)] if rows else []


def _as_fact(spec: FactSpec, columns: list[pa.Array]) -> pa.Table:
    if not columns:
        return spec.schema.empty_table()
    arrays = [_conform(column, field) for column, field in zip(columns, spec.schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=spec.schema)


def _conform(column: pa.Array, field: pa.Field) -> pa.Array:
    """A fetched column as its fact's type. Times come from SQLite as their stored UTC text
    ('YYYY-MM-DD HH:MM:SS[.ffffff]'; naive UTC datetimes through Django's cursor): an integer
    column holding either is a time, turned into whole seconds since the epoch (fractions
    dropped, as on PostgreSQL)."""
    if field.type == INT and (
        pa.types.is_string(column.type) or pa.types.is_timestamp(column.type)
    ):
        micros = pc.cast(pc.cast(column, pa.timestamp("us")), INT)
        return pc.divide(micros, 1_000_000)  # integer division: the times are after 1970
    return pc.cast(column, field.type)


def _adbc_usable() -> bool:
    """ADBC is installed and the database is a SQLite file this connection has no open
    transaction on (else another connection would not see its rows, e.g. in tests). The
    driver is only looked for here, never loaded: it runs in reader processes
    (sqlite_reader)."""
    import importlib.util

    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return False
    if connection.is_in_memory_db() or not Path(connection.settings_dict["NAME"]).exists():
        return False
    return importlib.util.find_spec("adbc_driver_sqlite") is not None


def _qmark(sql: str, params: dict) -> tuple[str, list]:
    names = re.findall(r"%\((\w+)\)s", sql)
    return re.sub(r"%\((\w+)\)s", "?", sql).replace("%%", "%"), [params[n] for n in names]


def _read_adbc(sql: str, params: dict, path: str) -> list[pa.Array]:
    """The query's columns, read straight into Arrow by the ADBC SQLite driver in a reader
    process (sqlite_reader: never in this one); no columns when it has no rows."""
    from sqm.quality import sqlite_reader

    return _columns(sqlite_reader.read_all(path, {"q": _qmark(sql, params)}, workers=1)["q"])


def _columns(table: pa.Table) -> list[pa.Array]:
    """A read table's columns (none when it has no rows: their types are unknown then)."""
    return [column.combine_chunks() for column in table.columns] if table.num_rows else []


def extract_all(month: Month, names=None, progress=None) -> dict[str, pa.Table]:
    """The facts NAMES (all) of MONTH as Arrow tables. On a SQLite file the queries run in
    two reader processes side by side (sqlite_reader); otherwise through the connection."""
    names = list(names or FACTS)
    tables: dict[str, pa.Table] = {}
    params = _params(month)

    def done(name: str, table: pa.Table) -> None:
        tables[name] = table
        if progress is not None:
            progress(name, len(tables) / len(names))

    queried = [name for name in names if FACTS[name].query is not None]
    if queried and _adbc_usable():
        from sqm.quality import sqlite_reader

        jobs = {}
        for name in queried:
            sql, extra = FACTS[name].query(month)
            jobs[name] = _qmark(sql, {**params, **extra})
        path = str(connection.settings_dict["NAME"])
        for name, table in sqlite_reader.read_all(path, jobs).items():
            done(name, _as_fact(FACTS[name], _columns(table)))
    for name in names:
        if name in tables:
            continue
        spec = FACTS[name]
        if spec.build is not None:
            done(name, spec.build(month))
        else:
            sql, extra = spec.query(month)
            done(name, _as_fact(spec, _cursor_columns(sql, {**params, **extra})))
    return {name: tables[name] for name in names}


# Where each fact's records begin: a month that ends before a fact's first record has no
# data for its indicators (no value), not a count of 0 that would read as "met" — say, the
# months before the complaint history was loaded.
COVERAGE = {
    "complaints": ("complaints.WorkOrder", "created"),
    "repairs": ("quality.Repair", "reported_at"),
    "activations": ("quality.Activation", "ordered_at"),
    "transfers": ("quality.Transfer", "requested_at"),
    "speed_tests": ("quality.SpeedTest", "measured_at"),
    "circuit_outages": ("quality.CircuitOutage", "started_at"),
    "fault_events": ("network.FaultEvent", "started_at"),
}


def first_records(names) -> dict[str, int | None]:
    """For each raw fact of NAMES that COVERAGE knows: its first record's time (epoch
    seconds), None when it has none."""
    from django.apps import apps
    from django.db.models import Min

    out = {}
    for name in names:
        if name in COVERAGE:
            model, column = COVERAGE[name]
            first = apps.get_model(model).objects.aggregate(first=Min(column))["first"]
            out[name] = None if first is None else int(first.timestamp())
    return out


def write_snapshot(tables: dict[str, pa.Table], folder: Path) -> list[Path]:
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in tables.items():
        path = folder / f"{name}.parquet"
        pq.write_table(table, path)
        paths.append(path)
    return paths


def read_snapshot(folder: Path) -> dict[str, pa.Table]:
    import pyarrow.parquet as pq

    return {path.stem: pq.read_table(path) for path in sorted(folder.glob("*.parquet"))}


def check_snapshot(tables: dict[str, pa.Table]) -> list[str]:
    """What is wrong with a snapshot's tables: unknown facts, missing or mistyped columns
    (as `file: column: reason` lines); empty when it can be computed from."""
    problems = []
    for name, table in tables.items():
        spec = FACTS.get(name)
        if spec is None:
            problems.append(f"{name}.parquet: -: not a fact ({', '.join(FACTS)})")
            continue
        for field in spec.schema:
            if field.name not in table.column_names:
                problems.append(f"{name}.parquet: {field.name}: column missing")
            elif table.schema.field(field.name).type != field.type:
                found = table.schema.field(field.name).type
                problems.append(f"{name}.parquet: {field.name}: is {found}, should be {field.type}")
    return problems
