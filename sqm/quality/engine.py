"""The KPI engine: the registry's measures over a month's facts, on DuckDB or on Spark.

The facts are extracted once (facts.py, Arrow), handed to the engine as tables, derived
(measures.py) and aggregated per indicator and breakdown by the engine; the small
aggregates come back and are turned into values here, with targets and status. The same
Ibis expressions run on both engines; nothing is translated between SQL dialects.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import ibis
import pyarrow as pa

from sqm.quality import facts as facts_module
from sqm.quality import measures
from sqm.quality.facts import Month
from sqm.quality.registry import Definition, Targets, load_definitions, status


@dataclass
class Value:
    indicator: str
    month: str
    breakdown: str
    key: dict[str, str]
    value: float | None
    numerator: float | None
    denominator: float | None
    target: float | None = None
    warning: float | None = None
    status: str = ""

    def as_json(self) -> dict:
        out = {"indicator": self.indicator, "month": self.month}
        out.update(self.key)
        out.update(
            value=_round(self.value),
            numerator=_number(self.numerator),
            denominator=_number(self.denominator),
            target=self.target,
            status=self.status or None,
        )
        return out

    @property
    def key_text(self) -> str:
        return "/".join(self.key.values())


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _number(value: float | None):
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 6)


# --- engines ------------------------------------------------------------------------------


class DuckDBEngine:
    name = "duckdb"

    def __init__(self) -> None:
        self.con = ibis.duckdb.connect()  # in memory; no extension is loaded or fetched

    def load(self, tables: dict[str, pa.Table]) -> dict:
        # Registered, not copied: DuckDB scans the Arrow tables where they are.
        out = {}
        for name, table in tables.items():
            self.con.con.register(name, table)
            out[name] = self.con.table(name)
        return out

    def execute(self, expr):
        return self.con.to_pyarrow(expr)

    def register(self, tables: dict[str, pa.Table]) -> None:
        for name, table in tables.items():
            self.con.con.register(name, table)

    def run(self, sql: str, schema: pa.Schema) -> pa.Table:
        """Compiled SQL (engine._compiled), its result in the types its expression has."""
        return self.con.con.sql(sql).to_arrow_table().cast(schema)

    def close(self) -> None:
        self.con.disconnect()


_spark_lock = threading.Lock()
_spark_session = None


def spark_session():
    """One local Spark for the process (it takes seconds to start); Java comes from the
    system (Debian's openjdk-17-jre-headless, installed by scripts/system-deps.sh)."""
    global _spark_session
    with _spark_lock:
        if _spark_session is None:
            import os

            from django.conf import settings
            from pyspark.sql import SparkSession

            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only, no lookup

            builder = (
                SparkSession.builder.master(getattr(settings, "SQM_SPARK_MASTER", "local[2]"))
                .appName("sqm-kpi")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.memory", "2g")
                .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            )
            _spark_session = builder.getOrCreate()
            _spark_session.sparkContext.setLogLevel("ERROR")
        return _spark_session


class SparkEngine:
    name = "spark"

    def __init__(self) -> None:
        self.session = spark_session()
        self.con = ibis.pyspark.connect(self.session)
        self.views: list[str] = []

    def load(self, tables: dict[str, pa.Table]) -> dict:
        out = {}
        for name, table in tables.items():
            view = f"sqm_{name}_{id(self)}"
            frame = self.session.createDataFrame(
                table.to_pandas(types_mapper=_nullable), schema=_spark_schema(table.schema)
            )
            frame.createOrReplaceTempView(view)
            self.views.append(view)
            out[name] = self.con.table(view)
        return out

    def execute(self, expr):
        return pa.Table.from_pandas(self.con.execute(expr), preserve_index=False)

    def close(self) -> None:
        for view in self.views:
            self.session.catalog.dropTempView(view)


def _nullable(dtype):
    import pandas as pd

    return {
        pa.int64(): pd.Int64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.string(): pd.StringDtype(),
        pa.float64(): pd.Float64Dtype(),
    }.get(dtype)


def _spark_schema(schema: pa.Schema):
    from pyspark.sql import types as T

    kinds = {
        pa.int64(): T.LongType(),
        pa.bool_(): T.BooleanType(),
        pa.string(): T.StringType(),
        pa.float64(): T.DoubleType(),
    }
    return T.StructType([T.StructField(f.name, kinds[f.type], True) for f in schema])


ENGINES = {"duckdb": DuckDBEngine, "spark": SparkEngine}


# --- computing ----------------------------------------------------------------------------


@dataclass
class Computation:
    month: Month
    engine: str
    values: list[Value] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


Progress = Callable[[str, float], None]


def facts_needed(definitions: Iterable[Definition]) -> list[str]:
    needed = set()
    for d in definitions:
        needed.add(d.measure.fact)
        if d.measure.base:
            needed.add(measures.BASES[d.measure.base][0])
    raw = set()
    for name in needed:
        raw.add(measures.DERIVED[name][0])
    if "visits" in needed:
        raw |= {"repairs", "activations"}
    if "circuit_months" in needed:
        raw |= {"circuits", "circuit_outages"}
    return sorted(raw)


def compute(
    month: Month,
    *,
    engine: str = "duckdb",
    codes: Iterable[str] | None = None,
    breakdowns: Iterable[str] = ("city",),
    tables: dict[str, pa.Table] | None = None,
    progress: Progress | None = None,
) -> Computation:
    """Every chosen indicator (all by default) for MONTH by each breakdown it allows."""
    definitions = _chosen(codes)
    breakdowns = tuple(breakdowns)
    result = Computation(month=month, engine=engine)
    started = time.perf_counter()
    first = {}
    jobs = [(d, b) for d in definitions for b in breakdowns if _allows(d, b)]
    plan = None
    if engine == "duckdb":
        # Building and compiling the Ibis expressions takes as long as DuckDB running them,
        # and needs only the facts' schemas: it happens while the facts are read.
        planner = ThreadPoolExecutor(max_workers=1)
        plan = planner.submit(_compiled, definitions, jobs, month)
        planner.shutdown(wait=False)
    if tables is None:
        needed = facts_needed(definitions)
        first = facts_module.first_records(needed)
        tables = facts_module.extract_all(
            month,
            needed,
            progress=lambda name, share: progress and progress(name, 0.4 * share),
            columns=facts_module.columns_for(breakdowns),
        )
    # Facts not needed (or absent from a snapshot or a test's tables) are empty tables.
    tables = {**_empty_facts(), **tables}
    result.seconds["extract"] = time.perf_counter() - started
    runner = ENGINES[engine]()
    try:
        started = time.perf_counter()
        targets = Targets(month.first.year)
        cities = _city_names()
        if plan is not None:  # DuckDB: the SQL compiled while the facts were read
            queries = plan.result()
            runner.register(tables)
        else:
            derived = measures.derive(runner.load(tables), month)
            queries = _queries(derived, definitions, jobs, month)
        parts: dict[tuple[str, str], list[dict]] = {}
        bases: dict[tuple[str, str], list[dict]] = {}
        for index, query in enumerate(queries):
            if plan is not None:
                rows = runner.run(query.sql, query.schema).to_pylist()
            else:
                rows = runner.execute(query.expr).to_pylist()
            if progress is not None:
                progress(query.key[1], 0.4 + 0.6 * (index + 1) / len(queries))
            if query.key[0] == "base":
                bases[query.key[1:]] = rows
                continue
            breakdown = query.key[2]
            for n, definition in enumerate(query.members):
                parts[definition.code, breakdown] = _parts_of(
                    rows, n, definition.measure.kind, breakdown
                )
        for definition, breakdown in jobs:
            base = definition.measure.base
            base_rows = None if base is None else bases[base, breakdown]
            rows = parts[definition.code, breakdown]
            source = measures.DERIVED[definition.measure.fact][0]
            begins = first.get(source, month.start)
            covered = begins is not None and begins < month.end
            result.values += _values(
                definition, breakdown, month, rows, base_rows, targets, cities, covered
            )
        result.seconds["compute"] = time.perf_counter() - started
    finally:
        runner.close()
    return result


@dataclass
class _Query:
    """One query of a computation: the aggregate of a fact's definitions by a breakdown
    (key ("group", fact, breakdown)), or a base by a breakdown (("base", base, breakdown))."""

    key: tuple[str, str, str]
    expr: object
    members: list[Definition]
    sql: str = ""
    schema: pa.Schema | None = None


def _queries(derived: dict, definitions, jobs, month: Month) -> list[_Query]:
    """One aggregate per fact and breakdown for all its definitions, and one per base: building
    and compiling an Ibis expression costs more than DuckDB running it."""
    groups: dict[tuple[str, str], list[Definition]] = {}
    for definition, breakdown in jobs:
        groups.setdefault((definition.measure.fact, breakdown), []).append(definition)
    queries, bases = [], set()
    for (fact, breakdown), members in groups.items():
        expr = _aggregate_all(derived, fact, members, breakdown, month)
        queries.append(_Query(("group", fact, breakdown), expr, members))
        for definition in members:
            base = definition.measure.base
            if base is not None and (base, breakdown) not in bases:
                bases.add((base, breakdown))
                expr = _base(derived, base, breakdown)
                queries.append(_Query(("base", base, breakdown), expr, []))
    return queries


def _compiled(definitions, jobs, month: Month) -> list[_Query]:
    """The queries over the facts' schemas (tables named as the facts, as DuckDBEngine
    registers them), compiled to DuckDB's SQL."""
    queries = _queries(measures.derive(measures._unbound(), month), definitions, jobs, month)
    for query in queries:
        query.sql = ibis.to_sql(query.expr, dialect="duckdb")
        query.schema = query.expr.schema().to_pyarrow()
    return queries


def _aggregate_all(derived: dict, fact: str, definitions: list[Definition], breakdown, month):
    """The parts of every definition over FACT in one aggregate, each measure's aggregates
    filtered to its own rows (measures.counted): columns `rows_N`,
    `numerator_N`, `denominator_N`, `value_N` for the Nth definition, by the breakdown."""
    table = derived[fact]
    keys = list(measures.BREAKDOWN_COLUMNS[breakdown])
    metrics = {}
    for n, definition in enumerate(definitions):
        m = definition.measure
        where = measures.counted(table, m, month)
        metrics[f"rows_{n}"] = table.count(where=where)
        if m.kind == "ratio":
            metrics[f"numerator_{n}"] = table[m.flag].cast("int64").sum(where=where)
        elif m.kind in {"mean", "quantile"}:
            column = table[m.column]
            metrics[f"denominator_{n}"] = column.count(where=where)
            if m.kind == "mean":
                metrics[f"numerator_{n}"] = column.sum(where=where)
            else:
                metrics[f"value_{n}"] = column.quantile(m.q, where=where)
        elif m.kind == "sum_ratio":
            metrics[f"numerator_{n}"] = table[m.numerator].sum(where=where)
            metrics[f"denominator_{n}"] = table[m.denominator].sum(where=where)
        elif m.kind not in {"count", "per"}:  # registry.load_definitions refuses others
            raise ValueError(m.kind)
    return (table.group_by(keys) if keys else table).aggregate(**metrics)


def _parts_of(rows: list[dict], n: int, kind: str, breakdown: str) -> list[dict]:
    """The Nth definition's parts of `_aggregate_all`'s rows: the breakdown values
    it has rows for, with `numerator`, `denominator` and `value`."""
    keys = measures.BREAKDOWN_COLUMNS[breakdown]
    out = []
    for row in rows:
        # Spark counts with a condition as a sum: NULL, not 0, over no rows.
        count = row[f"rows_{n}"] or 0
        if not count and keys:  # the province's one row stays, as a plain aggregate's would
            continue
        part = {key: row[key] for key in keys}
        part["numerator"] = row.get(f"numerator_{n}", count)
        part["denominator"] = row.get(f"denominator_{n}", count)
        if kind in {"mean", "quantile"}:
            part["denominator"] = part["denominator"] or 0
        part["value"] = row.get(f"value_{n}")
        out.append(part)
    return out


def _base(derived: dict, base: str, breakdown: str):
    fact, flag = measures.BASES[base]
    table = derived[fact].filter(derived[fact][flag])
    keys = list(measures.BREAKDOWN_COLUMNS[breakdown])
    return (table.group_by(keys) if keys else table).aggregate(denominator=table.count())


def _city_names() -> list[str]:
    from sqm.core.models import City

    return list(City.objects.values_list("name", flat=True))


def _empty_facts() -> dict[str, pa.Table]:
    return {name: spec.schema.empty_table() for name, spec in facts_module.FACTS.items()}


def _chosen(codes) -> list[Definition]:
    definitions = load_definitions()
    if not codes:
        return list(definitions)
    by_code = {d.code: d for d in definitions}
    unknown = [c for c in codes if c not in by_code]
    if unknown:
        raise KeyError(", ".join(unknown))
    return [by_code[c] for c in codes]


def _allows(definition: Definition, breakdown: str) -> bool:
    return breakdown == "province" or breakdown in definition.breakdowns


def _values(
    definition, breakdown, month, rows, base_rows, targets, cities=(), covered=True
) -> list[Value]:
    """The values of one definition by one breakdown. Not COVERED: the month ends before its
    fact's first record, so there is no value (no data), whatever was counted."""
    keys = measures.BREAKDOWN_COLUMNS[breakdown]
    kind = definition.measure.kind

    def key_of(row) -> tuple:
        return tuple("" if row[k] is None else str(row[k]) for k in keys)

    parts = {key_of(row): row for row in rows}
    if base_rows is not None:  # every value of the base shows, with 0 when nothing happened
        bases = {key_of(row): row["denominator"] for row in base_rows}
        all_keys = sorted(set(parts) | set(bases))
    else:
        bases = {}
        all_keys = sorted(parts)
    if not keys and not all_keys:
        all_keys = [()]  # the province always has its value (null when nothing counted)
    if kind == "count" and breakdown == "city":  # a city where nothing happened counts 0
        all_keys = sorted(set(all_keys) | {(city,) for city in cities})
    out = []
    for key in all_keys:
        row = parts.get(key, {})
        numerator = row.get("numerator")
        denominator = row.get("denominator")
        if kind == "per":
            numerator = numerator or 0
            denominator = bases.get(key, 0)
            value = numerator / denominator * definition.measure.scale if denominator else None
        elif kind == "count":
            numerator = numerator or 0
            denominator = None
            value = float(numerator)
        elif kind == "quantile":
            value = row.get("value")
            numerator = None
        else:
            value = numerator / denominator if denominator else None
        if value is not None and not math.isfinite(value) or not covered:
            value = None
        city = dict(zip(keys, key, strict=True)).get("city")
        target, warning = targets(definition.code, city)
        out.append(
            Value(
                indicator=definition.code,
                month=month.label,
                breakdown=breakdown,
                key=dict(zip(keys, key, strict=True)),
                value=value,
                numerator=None if numerator is None else float(numerator),
                denominator=None if denominator is None else float(denominator),
                target=target,
                warning=warning,
                status=status(
                    None if value is None else round(value, 9), target, warning, definition.better
                ),
            )
        )
    return out


def drill_down(
    month: Month,
    code: str,
    filters: dict[str, str],
    *,
    limit: int = 500,
    engine: str = "duckdb",
    tables: dict[str, pa.Table] | None = None,
) -> tuple[str, list[dict]]:
    """The records behind one figure (measures.drill): the derived fact's name and its
    rows (id, ref and the columns that explain the figure), at most LIMIT."""
    definition = {d.code: d for d in load_definitions()}[code]
    if tables is None:
        tables = facts_module.extract_all(month, facts_needed([definition]))
    tables = {**_empty_facts(), **tables}
    runner = ENGINES[engine]()
    try:
        derived = measures.derive(runner.load(tables), month)
        table = measures.drill(derived, definition.measure, definition.better, month, filters)
        rows = runner.execute(table.limit(limit)).to_pylist()
    finally:
        runner.close()
    return definition.measure.fact, rows
