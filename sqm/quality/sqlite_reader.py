"""Reads queries' results from a SQLite file into Arrow with the ADBC SQLite driver, in child
processes.

The ADBC driver carries its own copy of the SQLite library. Two SQLite libraries in one
process that open the same database file undo each other's POSIX file locks (closing either
one's file descriptor drops the process's locks on the file), which can corrupt a database
another connection is writing (sqlite.org, "How To Corrupt An SQLite Database", §2.2.1).
So ADBC is only ever loaded in the reader processes started here: `python -m
sqm.quality.sqlite_reader`, which imports nothing but this module, pyarrow and the driver
(not the caller's main module, as multiprocessing's spawn would), takes its queries one by
one on stdin and writes each result as an Arrow IPC file. This module must not
import Django or anything else of SQM.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote


def _literal(value) -> str:
    """A parameter as an SQL literal: the callers' parameters are their own times, dates and
    numbers, never user text; quoted all the same."""
    if isinstance(value, bool) or value is None:
        return {True: "1", False: "0", None: "NULL"}[value]
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _inline(query: str, parameters: list) -> str:
    parts = query.split("?")
    if len(parts) != len(parameters) + 1:
        raise ValueError("the query's ? do not match its parameters")
    out = [parts[0]]
    for value, rest in zip(parameters, parts[1:], strict=True):
        out += [_literal(value), rest]
    return "".join(out)


def main() -> None:
    """The reader process. Its first line on stdin is {"path": …}; then one query per line,
    {"query", "parameters", "out"}, each answered on stdout by {"out": …} once its result is
    written as an Arrow IPC file (or {"error": …}). It uses the driver's own API, not its
    DB-API module, which imports pandas (a second)."""
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite
    import pyarrow as pa

    path = json.loads(sys.stdin.readline())["path"]
    database = adbc_driver_sqlite.connect(f"file:{quote(path)}?mode=ro")
    connection = adbc.AdbcConnection(database)

    def query(sql: str) -> pa.Table:
        statement = adbc.AdbcStatement(connection)
        try:
            # Infer each column's type from the whole result, not its first rows.
            statement.set_options(**{"adbc.sqlite.query.batch_rows": "1000000000"})
            statement.set_sql_query(sql)
            handle, _rows = statement.execute_query()
            return pa.RecordBatchReader._import_from_c(handle.address).read_all()
        finally:
            statement.close()

    def answer(message: dict) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    try:
        # Memory-mapped pages and a larger page cache for the joins' look-ups by key.
        query("PRAGMA mmap_size = 1073741824")
        query("PRAGMA cache_size = -131072")
        for line in sys.stdin:
            job = json.loads(line)
            try:
                table = query(_inline(job["query"], job["parameters"]))
                with (
                    pa.OSFile(job["out"], "wb") as sink,
                    pa.ipc.new_file(sink, table.schema) as out,
                ):
                    out.write_table(table)
            except Exception as error:  # noqa: BLE001 - reported to the caller, who raises
                answer({"error": f"{type(error).__name__}: {error}"})
                return
            answer({"out": job["out"]})
    finally:
        connection.close()
        database.close()


def read_all(path: str, jobs: dict[str, tuple[str, list]], workers: int = 2) -> dict:
    """JOBS (name -> qmark query and its parameters) run on the SQLite file PATH by up to
    WORKERS reader processes side by side (SQLite runs one query on one core), in the order
    given (heaviest first balances best): each reader takes the next job when it is done
    with its last. Name -> Arrow table. A reader that fails raises RuntimeError with what it
    said."""
    import selectors

    import pyarrow as pa

    names = list(jobs)
    with tempfile.TemporaryDirectory(prefix="sqm-facts-") as folder:
        waiting = list(names)
        selector = selectors.DefaultSelector()
        processes = []
        errors: list[str] = []

        def give(process) -> bool:
            if not waiting:
                process.stdin.close()
                return False
            name = waiting.pop(0)
            query, parameters = jobs[name]
            job = {"query": query, "parameters": parameters, "out": f"{folder}/{name}.arrow"}
            process.stdin.write((json.dumps(job) + "\n").encode())
            process.stdin.flush()
            return True

        for _ in range(min(workers, len(names))):
            process = subprocess.Popen(
                [sys.executable, "-m", "sqm.quality.sqlite_reader"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            process.stdin.write((json.dumps({"path": path}) + "\n").encode())
            processes.append(process)
            selector.register(process.stdout, selectors.EVENT_READ, process)
            give(process)
        busy = len(processes)
        while busy:
            for key, _events in selector.select():
                process = key.data
                line = process.stdout.readline()
                # No line: the reader died; what it said on stderr is read below.
                message = json.loads(line) if line.strip() else {"error": None}
                if "error" in message or not give(process):
                    if message.get("error"):
                        errors.append(message["error"])
                    if not process.stdin.closed:
                        process.stdin.close()
                    selector.unregister(process.stdout)
                    busy -= 1
        for process in processes:
            stderr = process.stderr.read().decode(errors="replace").strip()
            if process.wait() != 0 and not errors:
                errors.append(stderr.splitlines()[-1] if stderr else "failed")
            process.stdout.close()
            process.stderr.close()
        missing = [n for n in names if not (Path(folder) / f"{n}.arrow").exists()]
        if missing and not errors:
            errors.append(f"no result for {', '.join(missing)}")
        if errors:
            raise RuntimeError("; ".join(errors))
        tables = {}
        for name in names:
            with pa.memory_map(str(Path(folder) / f"{name}.arrow")) as source:
                tables[name] = pa.ipc.open_file(source).read_all()
        return tables


if __name__ == "__main__":
    main()
