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


def start_province(data: Path, opts: dict) -> tuple:
    """In the child: Django set up in English, the database migrated and the generated
    province in DATA (customers, topology, accounts) imported. Returns the seeded random
    source and the result dict with the database, its version and the load at the start."""
    import random

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqm.settings")
    import django

    django.setup()
    import complaints as complaints_bench
    from django.core.management import call_command
    from django.db import connection
    from django.utils import translation

    import sqm.customers.importers  # noqa: F401
    import sqm.network.importers  # noqa: F401
    from sqm.core.importing import run_import

    translation.activate("en")
    rng = random.Random(opts["seed"])
    out: dict = {"database": connection.vendor, "db_version": complaints_bench.db_version()}
    out["load_start"] = os.getloadavg()[0]
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    for kind in ("customers", "topology", "accounts"):
        result = run_import(kind, data / f"{kind}.csv", log_changes=False)
        assert result.ok, result.error_lines()[:5]
        out[kind] = result.rows
    log(f"{connection.vendor}: province imported in {time.perf_counter() - start:.0f} s")
    return rng, out
