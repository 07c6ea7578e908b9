"""The ADBC SQLite driver brings its own SQLite library: it is only ever loaded in reader
processes, never in the process that writes the database."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap


def test_reading_facts_through_adbc_never_loads_a_second_sqlite_into_this_process(tmp_path):
    path = tmp_path / "facts.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x INTEGER, at TEXT)")
        db.execute("INSERT INTO t VALUES (1, '2026-10-01 00:00:00'), (2, '2026-10-02 00:00:00')")
    script = textwrap.dedent(
        f"""
        import sys
        from sqm.quality import facts
        columns = facts._read_adbc(
            "SELECT x FROM t WHERE at >= %(w0)s", {{"w0": "2026-10-02"}}, path={str(path)!r}
        )
        print(columns[0].to_pylist())
        with open("/proc/self/maps") as maps:
            loaded = [line for line in maps if "adbc_driver_sqlite" in line]
        print(len(loaded))
        print("adbc_driver_sqlite.dbapi" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert out == ["[2]", "0", "False"]
