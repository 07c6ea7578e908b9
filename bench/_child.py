"""What the database benchmarks share (bench/complaints.py, bench/faults.py): one database's
measurements run in a child process, with its own SQM_HOME (SQLite) or a fresh database on
the PostgreSQL server named by SQM_DATABASE_URL, removed afterwards unless kept."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def pg_admin(server: str, sql: str) -> None:
    """Run SQL on SERVER's maintenance database (CREATE / DROP DATABASE)."""
    import psycopg

    admin = urlunsplit(urlsplit(server)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def run_child(
    script: str, name: str, database: str, args: list[str], server: str | None, keep: bool
) -> dict:
    """Run `python SCRIPT _child ARGS…` against a fresh DATABASE (sqlite or postgres) and
    return the JSON object its last line of output holds."""
    home = Path(tempfile.mkdtemp(prefix=f"sqm-bench-{name}-{database}-"))
    env = {k: v for k, v in os.environ.items() if k != "SQM_DATABASE_URL"}
    env.update(SQM_HOME=str(home), PYTHONPATH=str(ROOT))
    dbname = None
    try:
        if database == "postgres":
            pg_admin(server, f'CREATE DATABASE "sqm_bench_{name}_{os.getpid()}"')
            dbname = f"sqm_bench_{name}_{os.getpid()}"
            env["SQM_DATABASE_URL"] = urlunsplit(urlsplit(server)._replace(path=f"/{dbname}"))
        done = subprocess.run(
            [sys.executable, script, "_child", *args],
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        if keep:
            log(f"kept {home}" + (f" and database {dbname}" if dbname else ""))
        else:
            shutil.rmtree(home, ignore_errors=True)
            if dbname:
                pg_admin(server, f'DROP DATABASE IF EXISTS "{dbname}"')
