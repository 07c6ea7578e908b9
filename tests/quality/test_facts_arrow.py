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
