"""Reads queries' results from a SQLite file into Arrow with the ADBC SQLite driver, in child
processes.

The ADBC driver carries its own copy of the SQLite library. Two SQLite libraries in one
process that open the same database file undo each other's POSIX file locks (closing either
one's file descriptor drops the process's locks on the file), which can corrupt a database
another connection is writing (sqlite.org, "How To Corrupt An SQLite Database", §2.2.1).
So ADBC is only ever loaded in the reader processes started here: `python -m
sqm.quality.sqlite_reader`, which imports nothing but this module, pyarrow and the driver
(not the caller's main module, as multiprocessing's spawn would), reads its queries from a
JSON request on stdin and writes each result as an Arrow IPC file. This module must not
import Django or anything else of SQM.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote


def _read(path: str, query: str, parameters: list):
    import adbc_driver_sqlite.dbapi as adbc

    uri = f"file:{quote(path)}?mode=ro"  # reading only
    with adbc.connect(uri) as conn, conn.cursor() as cursor:
        # Memory-mapped pages and a larger page cache for the joins' look-ups by key.
        for pragma in ("mmap_size = 1073741824", "cache_size = -131072"):
            cursor.execute(f"PRAGMA {pragma}")
            cursor.fetchall()
        # Infer each column's type from the whole result, not its first rows.
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": "1000000000"})
        cursor.execute(query, parameters=parameters)
        return cursor.fetch_arrow_table()


def main() -> None:
    """The reader process: {"path": …, "queries": [{"query", "parameters", "out"}]} on stdin."""
    import pyarrow as pa

    request = json.load(sys.stdin)
    for job in request["queries"]:
        table = _read(request["path"], job["query"], job["parameters"])
        with pa.OSFile(job["out"], "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
            out.write_table(table)


def read_all(path: str, jobs: dict[str, tuple[str, list]], workers: int = 2) -> dict:
    """JOBS (name → qmark query and its parameters) run on the SQLite file PATH by up to
    WORKERS reader processes side by side (SQLite runs one query on one core); name → Arrow
    table. A reader that fails raises RuntimeError with what it said."""
    import pyarrow as pa

    names = list(jobs)
    with tempfile.TemporaryDirectory(prefix="sqm-facts-") as folder:
        shares = [names[i::workers] for i in range(min(workers, len(names)))]
        processes = []
        for share in shares:
            request = {
                "path": path,
                "queries": [
                    {"query": jobs[n][0], "parameters": jobs[n][1], "out": f"{folder}/{n}.arrow"}
                    for n in share
                ],
            }
            process = subprocess.Popen(
                [sys.executable, "-m", "sqm.quality.sqlite_reader"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            process.stdin.write(json.dumps(request).encode())
            process.stdin.close()
            processes.append(process)
        errors = []
        for process in processes:
            stderr = process.stderr.read().decode(errors="replace")
            if process.wait() != 0:
                errors.append(stderr.strip().splitlines()[-1] if stderr.strip() else "failed")
        if errors:
            raise RuntimeError("; ".join(errors))
        tables = {}
        for name in names:
            with pa.memory_map(str(Path(folder) / f"{name}.arrow")) as source:
                tables[name] = pa.ipc.open_file(source).read_all()
        return tables


if __name__ == "__main__":
    main()
