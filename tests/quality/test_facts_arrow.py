"""Facts into Arrow (sqm/quality/facts.py): SQLite's stored UTC text and the cursor's naive
datetimes become the same whole seconds, and the ADBC reader runs the facts' SQL (pyformat
parameters, doubled percent signs) against a database file."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pyarrow as pa

from sqm.quality import facts

SECOND = int(dt.datetime(2026, 10, 1, tzinfo=dt.UTC).timestamp())
TIME = pa.field("t", pa.int64())


def test_stored_utc_text_becomes_whole_seconds_with_the_fraction_dropped():
    text = pa.array(["2026-10-01 00:00:00.999999", "2026-10-01 00:00:01", None])
    assert facts._conform(text, TIME).to_pylist() == [SECOND, SECOND + 1, None]


def test_the_cursors_naive_utc_datetimes_give_the_same_seconds_as_the_text():
    times = pa.array([dt.datetime(2026, 10, 1, 0, 0, 0, 999999), dt.datetime(2026, 10, 1, 0, 0, 1)])
    assert facts._conform(times, TIME).to_pylist() == [SECOND, SECOND + 1]


def test_flags_stored_as_integers_become_booleans_and_nulls_stay():
    flags = pa.array([1, 0, None])
    assert facts._conform(flags, pa.field("f", pa.bool_())).to_pylist() == [True, False, None]


def test_the_adbc_reader_runs_pyformat_sql_on_a_database_file(tmp_path):
    path = tmp_path / "facts.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE r (id INTEGER, reported TEXT, cause TEXT)")
        db.executemany(
            "INSERT INTO r VALUES (?, ?, ?)",
            [
                (1, "2026-09-30 15:59:59", "光猫故障"),  # before October in Shanghai
                (2, "2026-09-30 16:00:00.5", "线路故障"),
                (3, "2026-10-20 08:00:00", "线路故障"),
            ],
        )
    sql = (
        "SELECT id, reported, cause FROM r WHERE reported >= %(w0)s AND cause LIKE '线路%%' "
        "ORDER BY id"
    )
    columns = facts._read_adbc(sql, {"w0": "2026-09-30 16:00:00"}, path=str(path))
    assert [c.to_pylist() for c in columns] == [
        [2, 3],
        ["2026-09-30 16:00:00.5", "2026-10-20 08:00:00"],
        ["线路故障", "线路故障"],
    ]
    # October's first second in Shanghai, the fraction dropped.
    assert facts._conform(columns[1], TIME).to_pylist()[0] == facts.Month.parse("2026-10").start
    assert facts._read_adbc(sql, {"w0": "2027-01-01 00:00:00"}, path=str(path)) == []


def test_a_computation_by_city_reads_no_reference_district_or_cause_and_joins_nothing():
    from sqm.quality.facts import FACTS, Month, columns_for

    month = Month.parse("2026-10")
    by_city = columns_for(("city",))
    sql, read = FACTS["complaints"].query(month).sql(by_city["complaints"])
    assert {"ref", "district", "cause", "channel"}.isdisjoint(read)
    assert "complaints_category" not in sql and "customers_customer" not in sql
    # City and service are read as keys and looked up once per key afterwards.
    assert "JOIN" not in sql and {"city", "service"} <= set(read)
    assert FACTS["complaints"].query(month).lookups(read) == {"city": "city", "service": "service"}
    everything, read_all = FACTS["complaints"].query(month).sql()
    assert "complaints_category" in everything and read_all == FACTS["complaints"].schema.names
    assert "skill" not in columns_for(("city",))["transfers"]
    assert "skill" in columns_for(("cause",))["transfers"]
    assert "district" in columns_for(("district",))["repairs"]


def test_keys_are_looked_up_in_their_dimension_and_an_unknown_or_null_key_gives_null():
    dimension = pa.table({"id": [1, 2], "v": ["南京", "无锡"]})
    keys = pa.array([2, 1, None, 9])
    assert facts._looked_up(keys, dimension).to_pylist() == ["无锡", "南京", None, None]


def test_a_column_not_read_comes_as_nulls_of_its_type():
    spec = facts.FACTS["transfers"]
    table = facts._as_fact(
        spec, [pa.array([7]), pa.array(["2026-10-01 00:00:00"])], ["id", "requested"]
    )
    assert table.schema == spec.schema
    assert table.column("requested").to_pylist() == [SECOND]
    assert table.column("skill").to_pylist() == [None]


def test_the_readers_share_more_queries_than_there_are_readers_and_a_bad_one_is_reported(
    tmp_path,
):
    import pytest

    from sqm.quality import sqlite_reader

    path = tmp_path / "facts.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x INTEGER)")
        db.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(10)])
    jobs = {f"q{n}": ("SELECT x FROM t WHERE x >= ?", [n]) for n in range(5)}
    tables = sqlite_reader.read_all(str(path), jobs, workers=2)
    assert {name: table.num_rows for name, table in tables.items()} == {
        "q0": 10, "q1": 9, "q2": 8, "q3": 7, "q4": 6,
    }  # fmt: skip
    with pytest.raises(RuntimeError, match="no such table: missing"):
        sqlite_reader.read_all(str(path), {**jobs, "bad": ("SELECT x FROM missing", [])})
