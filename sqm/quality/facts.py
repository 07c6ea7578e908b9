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
        # strftime() row by row in SQLite (and no slower than unixepoch(), measured).
        return column
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"


# A unary plus on a join column (`cu.id = +a.customer_id`) keeps SQLite from walking the
# table by that column's index (every row, in random order) instead of scanning it: measured
# 2× on 1,000,000 repairs (bench/kpi.py). PostgreSQL ignores it.


def _unindexed(column: str) -> str:
    """COLUMN, not to be searched by its index (SQLite's unary plus; PostgreSQL has no
    unary plus on times, and plans by its statistics)."""
    return f"+{column}" if connection.vendor == "sqlite" else column


def _window(column: str) -> str:
    return f"({column} >= %(w0)s AND {column} < %(w1)s)"


def _in_month(column: str) -> str:
    # The facts whose indicators never look at neighbouring records (no repeats, no fix that
    # holds) read the month alone: a third of the window's rows.
    return f"({column} >= %(m0)s AND {column} < %(m1)s)"


# Each fact: its Arrow schema and a function giving its Query for a month. A query names an
# SQL expression for every column of the schema; a computation that needs fewer columns (no
# references, no district when nothing is broken down by district) reads only those, and only
# the joins they need.
INT, S, B, F = pa.int64(), pa.string(), pa.bool_(), pa.float64()


@dataclass(frozen=True)
class Lookup:
    """A column read as its key and looked up afterwards in a small dimension (DIMENSIONS):
    a city's name by its id, an account's service. The lookup happens once per key in
    Arrow, not once per row in a join the database would run."""

    dimension: str
    key: str


@dataclass(frozen=True)
class Query:
    select: dict[str, str | Lookup]  # column -> SQL expression, in the schema's order
    source: str  # FROM the fact's own table AS its alias
    joins: tuple[tuple[str, str], ...] = ()  # (alias, JOIN clause), in order
    where: str = ""
    # Joins that can drop rows (an inner join on a nullable key) stay in every read.
    kept: frozenset[str] = frozenset()

    def sql(self, columns=None) -> tuple[str, list[str]]:
        """The SELECT of COLUMNS (all by default) and the columns it reads, in order."""
        names = [c for c in self.select if columns is None or c in columns]
        expressions = [
            e.key if isinstance(e, Lookup) else e for e in (self.select[c] for c in names)
        ]
        text = " ".join(expressions) + " " + self.where
        joins = []
        # A join is read when a later part refers to its alias: walk back from the end.
        for alias, clause in reversed(self.joins):
            if alias in self.kept or re.search(rf"\b{alias}\.", text):
                joins.append(clause)
                text += " " + clause
        joins.reverse()
        where = f"WHERE {self.where}" if self.where else ""
        sql = f"SELECT {', '.join(expressions)} FROM {self.source} {' '.join(joins)} {where}"
        return sql, names

    def lookups(self, names) -> dict[str, str]:
        """Column -> dimension, for the read columns NAMES that are looked up."""
        return {c: e.dimension for c in names if isinstance(e := self.select[c], Lookup)}


# The dimensions looked up: (SQL of key and value).
DIMENSIONS = {
    "city": lambda: f"SELECT id, name FROM {_table('core.City')}",
    "service": lambda: f"SELECT id, service FROM {_table('customers.Account')}",
}


def _looked_up(keys: pa.Array, dimension: pa.Table) -> pa.Array:
    if not len(keys):
        return pa.array([], pa.string())
    ids, values = dimension.column(0), dimension.column(1)
    position = pc.index_in(pc.cast(keys, pa.int64()), value_set=pc.cast(ids, pa.int64()))
    return pc.take(pc.cast(values, pa.string()), position)


def _accounts(month: Month) -> Query:
    return Query(
        select={
            "id": "a.id",
            "service": "a.service",
            "status": "a.status",
            "opened": _epoch("a.opened_at"),
            "city": Lookup("city", "cu.city_id"),
            "district": "cu.district",
        },
        source=f"{_table('customers.Account')} a",
        joins=(("cu", f"JOIN {_table('customers.Customer')} cu ON cu.id = +a.customer_id"),),
        kept=frozenset({"cu"}),
    )


def _complaints(month: Month) -> Query:
    # Customer and category are required keys: leaving their joins out drops no row.
    return Query(
        select={
            "id": "w.id",
            "ref": "w.number",
            "record_type": "w.record_type",
            "created": _epoch("w.created"),
            "closed": _epoch("w.closed_at"),
            "replied": _epoch("w.replied_at"),
            "untimely": "w.untimely",
            "city": Lookup("city", "w.city_id"),
            "district": "cu.district",
            "channel": "w.channel",
            "upgraded": "w.upgraded",
            "repeat": "w.repeat_of_id IS NOT NULL",
            "batch": "(w.cause_id IS NOT NULL OR w.fault_event_id IS NOT NULL)",
            "fault_event": "w.fault_event_id",
            "cause": "COALESCE(parent.name, cat.name)",
            "service": Lookup("service", "w.account_id"),
            "callback_outcome": "w.callback_outcome",
        },
        source=f"{_table('complaints.WorkOrder')} w",
        joins=(
            ("cu", f"JOIN {_table('customers.Customer')} cu ON cu.id = w.customer_id"),
            ("cat", f"JOIN {_table('complaints.Category')} cat ON cat.id = w.category_id"),
            (
                "parent",
                f"LEFT JOIN {_table('complaints.Category')} parent ON parent.id = cat.parent_id",
            ),
        ),  # fmt: skip
        where=f"""w.record_type IN ('direct_answer_complaint', 'complaint_work_order')
          AND ({_in_month("w.created")} OR {_in_month("w.closed_at")})""",
    )


def _repairs(month: Month) -> Query:
    return Query(
        select={
            "id": "r.id",
            "ref": "r.repair_id",
            "account": "r.account_id",
            "service": Lookup("service", "r.account_id"),
            "city": Lookup("city", "r.city_id"),
            "district": "r.district",
            "reported": _epoch("r.reported_at"),
            "restored": _epoch("r.restored_at"),
            "area": "r.area",
            "cause": "r.cause",
            "network_fault": "r.network_fault",
            "appointment_from": _epoch("r.appointment_from"),
            "appointment_to": _epoch("r.appointment_to"),
            "arrived": _epoch("r.arrived_at"),
            "rating": "r.visit_rating",
        },
        source=f"{_table('quality.Repair')} r",
        # Each of the three is an index range (repair_reported, _restored, _arrived).
        where=f"""{_window("r.reported_at")} OR {_window("r.restored_at")}
           OR {_window("r.arrived_at")}""",
    )


def _activations(month: Month) -> Query:
    return Query(
        select={
            "id": "v.id",
            "ref": "v.order_id",
            "account": "v.account_id",
            "service": Lookup("service", "v.account_id"),
            "city": Lookup("city", "v.city_id"),
            "district": "v.district",
            "ordered": _epoch("v.ordered_at"),
            "committed": _epoch("v.committed_at"),
            "activated": _epoch("v.activated_at"),
            "appointment_from": _epoch("v.appointment_from"),
            "appointment_to": _epoch("v.appointment_to"),
            "arrived": _epoch("v.arrived_at"),
            "rating": "v.visit_rating",
        },
        source=f"{_table('quality.Activation')} v",
        # Not by the ordered_at index (`+`): most orders were placed before the window's end,
        # and the three terms after it are index ranges.
        where=f"""{_unindexed("v.ordered_at")} < %(w1)s AND (v.activated_at IS NULL
          OR v.activated_at >= %(m0)s OR {_in_month("v.arrived_at")})""",
    )


def _transfers(month: Month) -> Query:
    return Query(
        select={
            "id": "t.id",
            "ref": "t.transfer_id",
            "city": Lookup("city", "t.city_id"),
            "requested": _epoch("t.requested_at"),
            "connected": _epoch("t.connected_at"),
            "skill": "t.skill",
        },
        source=f"{_table('quality.Transfer')} t",
        where=_in_month("t.requested_at"),
    )


def _speed_tests(month: Month) -> Query:
    return Query(
        select={
            "id": "s.id",
            "ref": "s.test_id",
            "level": "s.level",
            "city": Lookup("city", "s.city_id"),
            "measured": _epoch("s.measured_at"),
            "down": "s.down_mbps",
            "up": "s.up_mbps",
            "subscribed": "s.subscribed_mbps",
        },
        source=f"{_table('quality.SpeedTest')} s",
        where=_in_month("s.measured_at"),
    )


def _real(expression: str) -> str:
    kind = "REAL" if connection.vendor == "sqlite" else "DOUBLE PRECISION"
    return f"CAST({expression} AS {kind})"


def _operations(month: Month) -> Query:
    return Query(
        select={
            "id": "o.id",
            "city": Lookup("city", "o.city_id"),
            "product": "o.product",
            "revenue": _real("o.revenue_yuan"),
            "billed": "o.billed_accounts",
            "ports_built": "o.ports_built",
            "ports_in_use": "o.ports_in_use",
        },
        source=f"{_table('quality.OperationsMonth')} o",
        where="o.month = %(first)s",
    )


def _circuits(month: Month) -> Query:
    return Query(
        select={
            "id": "c.id",
            "ref": "c.circuit_id",
            "city": Lookup("city", "c.city_id"),
            "product": "c.product",
            "contract_availability": _real("c.contract_availability"),
            "contract_repair_hours": "c.contract_repair_hours",
            "opened": _epoch("c.opened_at"),
        },
        source=f"{_table('quality.Circuit')} c",
        where="c.opened_at < %(w1)s",
    )


def _circuit_outages(month: Month) -> Query:
    return Query(
        select={
            "id": "o.id",
            "ref": "o.outage_id",
            "circuit": "o.circuit_id",
            "city": Lookup("city", "o.city_id"),
            "product": "c.product",
            "started": _epoch("o.started_at"),
            "restored": _epoch("o.restored_at"),
            "cause": "o.cause",
            "network_fault": "o.network_fault",
            "contract_repair_hours": "c.contract_repair_hours",
        },
        source=f"{_table('quality.CircuitOutage')} o",
        joins=(("c", f"JOIN {_table('quality.Circuit')} c ON c.id = o.circuit_id"),),
        where="o.started_at < %(w1)s AND (o.restored_at IS NULL OR o.restored_at >= %(w0)s)",
        kept=frozenset({"c"}),
    )


def _fault_events(month: Month) -> Query:
    # The first SMS and the first complaint of the month's events only: looked up by event
    # (their fault_event_id indexes), not grouped over every message and work order.
    events = f"""SELECT id FROM {_table("network.FaultEvent")}
                 WHERE merged_into_id IS NULL AND {_in_month("started_at")}"""
    return Query(
        select={
            "id": "f.id",
            "city": Lookup("city", "f.city_id"),
            "started": _epoch("f.started_at"),
            "accounts": "f.affected_accounts",
            "first_sms": _epoch("sms.first_sent"),
            "first_contact": _epoch("wo.first_contact"),
        },
        source=f"{_table('network.FaultEvent')} f",
        joins=(
            (
                "sms",
                f"""LEFT JOIN (SELECT fault_event_id, MIN(sent_at) AS first_sent
                   FROM {_table("notify.OutboundMessage")}
                   WHERE kind = 'fault' AND sent_at IS NOT NULL
                     AND fault_event_id IN ({events})
                   GROUP BY fault_event_id) sms ON sms.fault_event_id = f.id""",
            ),
            (
                "wo",
                f"""LEFT JOIN (SELECT fault_event_id, MIN(created) AS first_contact
                   FROM {_table("complaints.WorkOrder")}
                   WHERE record_type IN ('direct_answer_complaint', 'complaint_work_order')
                     AND fault_event_id IN ({events})
                   GROUP BY fault_event_id) wo ON wo.fault_event_id = f.id""",
            ),
        ),  # fmt: skip
        where=f"f.merged_into_id IS NULL AND {_in_month('f.started_at')}",
    )


@dataclass(frozen=True)
class FactSpec:
    name: str
    schema: pa.Schema
    query: Callable[[Month], Query] | None = None
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


def _cursor_columns(sql: str, params: dict | None) -> list[pa.Array]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [pa.array(values) for values in zip(*rows, strict=True)] if rows else []


def _as_fact(spec: FactSpec, columns: list[pa.Array], names: list[str]) -> pa.Table:
    """The read COLUMNS (named NAMES) as the fact's table; a column not read is all null."""
    if not columns:
        return spec.schema.empty_table()
    read = dict(zip(names, columns, strict=True))
    rows = len(columns[0])
    arrays = [
        _conform(read[field.name], field) if field.name in read else pa.nulls(rows, field.type)
        for field in spec.schema
    ]
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

    return _columns(sqlite_reader.read_all(path, {"q": _qmark(sql, params)})["q"])


def _columns(table: pa.Table) -> list[pa.Array]:
    """A read table's columns (none when it has no rows: their types are unknown then)."""
    return [column.combine_chunks() for column in table.columns] if table.num_rows else []


# The columns only some computations read: a reference (for the records behind a figure)
# and the columns of the breakdowns other than city and product.
DETAIL_COLUMNS = {
    "ref": (),
    "district": ("district",),
    "channel": ("channel",),
    "cause": ("cause",),
    "skill": ("cause",),  # a transfer's cause is its skill
}


HEAVIEST = ("complaints", "repairs", "activations", "accounts", "transfers", "speed_tests")


def columns_for(breakdowns) -> dict[str, frozenset[str]]:
    """Each fact's columns a computation by BREAKDOWNS reads."""
    skipped = {c for c, needs in DETAIL_COLUMNS.items() if not set(needs) & set(breakdowns)}
    return {
        name: frozenset(spec.schema.names) - skipped
        for name, spec in FACTS.items()
        if spec.query is not None
    }


def extract_all(month: Month, names=None, progress=None, columns=None) -> dict[str, pa.Table]:
    """The facts NAMES (all) of MONTH as Arrow tables, with every column, or only those in
    COLUMNS (fact -> names; the others all null). On a SQLite file the queries run in two
    reader processes side by side (sqlite_reader); otherwise through the connection."""
    names = list(names or FACTS)
    tables: dict[str, pa.Table] = {}
    params = _params(month)

    def done(name: str, table: pa.Table) -> None:
        tables[name] = table
        if progress is not None:
            progress(name, len(tables) / len(names))

    reads: dict[str, tuple[str, list[str], dict[str, str]]] = {}
    # The readers take the heaviest reads first, so that neither is left with a long one at
    # the end while the other waits.
    for name in sorted(names, key=lambda n: HEAVIEST.index(n) if n in HEAVIEST else 99):
        if FACTS[name].query is not None:
            query = FACTS[name].query(month)
            sql, read = query.sql(None if columns is None else columns.get(name))
            reads[name] = (sql, read, query.lookups(read))
    dimensions = sorted({d for *_, lookups in reads.values() for d in lookups.values()})
    jobs = {name: (sql, params) for name, (sql, *_) in reads.items()}
    jobs.update({f"dimension:{d}": (DIMENSIONS[d](), None) for d in dimensions})
    if jobs and _adbc_usable():
        from sqm.quality import sqlite_reader

        path = str(connection.settings_dict["NAME"])
        qmarked = {name: _qmark(sql, p or {}) for name, (sql, p) in jobs.items()}
        results = {n: _columns(t) for n, t in sqlite_reader.read_all(path, qmarked).items()}
    else:
        results = {name: _cursor_columns(sql, p) for name, (sql, p) in jobs.items()}
    for name, (_sql, read, lookups) in reads.items():
        found = results[name]
        for column, dimension in lookups.items() if found else ():
            at = read.index(column)
            table = pa.Table.from_arrays(results[f"dimension:{dimension}"], names=["id", "v"])
            found[at] = _looked_up(found[at], table)
        done(name, _as_fact(FACTS[name], found, read))
    for name in names:
        if name not in tables:  # facts made in Python
            done(name, FACTS[name].build(month))
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
