"""Reads a query's result from a SQLite file into Arrow with the ADBC SQLite driver, in a
child process.

The ADBC driver carries its own copy of the SQLite library. Two SQLite libraries in one
process that open the same database file undo each other's POSIX file locks (closing either
one's file descriptor drops the process's locks on the file), which can corrupt a database
another connection is writing (sqlite.org, "How To Corrupt An SQLite Database", §2.2.1).
So ADBC is only ever loaded in the processes started here: fresh interpreters (spawn) that
import nothing but this module, pyarrow and the driver, and hand each result back as an
Arrow IPC stream. This module must not import Django or anything of SQM.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from urllib.parse import quote


def read(path: str, query: str, parameters: list) -> bytes:
    """The rows of QUERY (qmark parameters) on the SQLite file PATH, opened read-only, as an
    Arrow IPC stream (runs in a reader process)."""
    import adbc_driver_sqlite.dbapi as adbc
    import pyarrow as pa

    uri = f"file:{quote(path)}?mode=ro"
    with adbc.connect(uri) as conn, conn.cursor() as cursor:
        # Memory-mapped pages and a larger page cache for the joins' look-ups by key.
        for pragma in ("mmap_size = 1073741824", "cache_size = -131072"):
            cursor.execute(f"PRAGMA {pragma}")
            cursor.fetchall()
        # Infer each column's type from the whole result, not its first rows.
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": "1000000000"})
        cursor.execute(query, parameters=parameters)
        table = cursor.fetch_arrow_table()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def pool(workers: int = 2) -> ProcessPoolExecutor:
    """Reader processes: SQLite runs one query on one core, so two read side by side."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def table_of(stream: bytes):
    import pyarrow as pa

    return pa.ipc.open_stream(stream).read_all()
