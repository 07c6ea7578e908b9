"""How long an import holds SQLite's write lock (issue 11 §5).

    .venv/bin/python bench/import_lock.py [--customers 100000] [--data DIR] [--code DIR]
                                          [--kind customers|accounts|topology|complaints]
                                          [--months 0] [--no-baseline]

Generates (or reuses) a province's files, then imports the customers (or `--kind accounts`)
in a fresh process on a fresh SQM_HOME while a probe thread in that process, on its own
connection, takes and releases the write lock (`BEGIN IMMEDIATE; COMMIT`) every 5 ms, as a
page saving a form would. It prints the import's wall time, how long its write pass (the
one transaction) lasted, and the longest the probe waited for the lock: the time another
writer is stalled. The same run also imports the file with staging switched off (the
spooled batches written inside the transaction, as before sqm/core/importing/staging.py)
as a baseline; `--no-baseline` skips it. `--code DIR` runs the import of another checkout
of the project (e.g. `git archive 6808f3f | tar -x -C /tmp/before` for the code before the
change; use --no-baseline with one older than staging), so all figures come from the same
machine and file.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(data: Path, mode: str, kind: str) -> None:
    """Runs inside a fresh process with SQM_HOME set; prints one JSON line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqm.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import sqm.complaints.importers  # noqa: F401
    import sqm.customers.importers  # noqa: F401
    import sqm.network.importers  # noqa: F401
    from sqm.core.importing import base, run_import

    earlier = {
        "accounts": ("topology", "customers"),
        "complaints": ("topology", "customers", "accounts"),
    }
    for before in earlier.get(kind, ()):  # what the file refers to, loaded unmeasured
        assert run_import(before, data / f"{before}.csv").ok
    if mode == "unstaged":  # the same-run baseline: spooled batches written in the transaction
        base.registry[kind].make_stage = lambda self: None
    write_pass = getattr(base, "_write_pass", None)
    in_write = [0.0]
    if write_pass is not None:  # how long the write transaction itself lasts

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return write_pass(*args, **kwargs)
            finally:
                in_write[0] += time.perf_counter() - start

        base._write_pass = timed

    longest = [0.0]
    probes = [0]
    stop = threading.Event()

    def probe() -> None:
        db = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=120)
        db.isolation_level = None
        while not stop.is_set():
            start = time.perf_counter()
            db.execute("BEGIN IMMEDIATE")
            db.execute("COMMIT")
            longest[0] = max(longest[0], time.perf_counter() - start)
            probes[0] += 1
            time.sleep(0.005)
        db.close()

    thread = threading.Thread(target=probe)
    thread.start()
    start = time.perf_counter()
    name = "complaints.jsonl" if kind == "complaints" else f"{kind}.csv"
    result = run_import(kind, data / name, dry_run=mode == "dry")
    total = time.perf_counter() - start
    stop.set()
    thread.join()
    assert result.ok, result.error_lines()[:5]
    print(
        json.dumps(
            {
                "rows": result.rows,
                "seconds": total,
                "longest_wait": longest[0],
                "write_pass": in_write[0],
                "probes": probes[0],
            }
        )
    )


def run_child(code: Path, data: Path, mode: str, kind: str) -> dict:
    home = Path(tempfile.mkdtemp(prefix="sqm-bench-lock-"))
    env = {k: v for k, v in os.environ.items() if k != "SQM_DATABASE_URL"}
    env.update(SQM_HOME=str(home), PYTHONPATH=str(code))
    args = [sys.executable, __file__, "_child", str(data), mode, kind]
    out = subprocess.run(args, env=env, cwd=code, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--kind",
        choices=["customers", "accounts", "topology", "complaints"],
        default="customers",
        help="the file measured (accounts: topology and customers are loaded first, unmeasured; "
        "topology: OLTs, boards, PON ports and ONUs into an empty database; complaints: "
        "complaints.jsonl, after topology, customers and accounts, unmeasured)",
    )
    parser.add_argument("--data", type=Path, help="reuse generated files in this folder")
    parser.add_argument(
        "--months", type=int, default=0, help="months of complaint history to generate"
    )
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout to measure")
    parser.add_argument(
        "--no-baseline",
        dest="baseline",
        action="store_false",
        help="skip the same-run baseline (the import writing its spooled batches inside the "
        "transaction, as before staging)",
    )
    args = parser.parse_args()

    data = args.data or Path(tempfile.mkdtemp(prefix="sqm-bench-data-"))
    if not (data / "customers.csv").exists():
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqm.settings")
        os.environ.setdefault("SQM_HOME", tempfile.mkdtemp(prefix="sqm-bench-gen-"))
        import django

        django.setup()
        from sqm.core.generator import generate_province

        generate_province(data, customers=args.customers, seed=args.seed, months=args.months)
    code = args.code.resolve()
    print(f"code: {code}; file: {args.kind}")
    print(f"{'':34}{'rows':>9}{'import s':>10}{'write pass s':>14}{'longest lock wait s':>21}")
    modes = [("import", "import"), ("dry run", "dry")]
    if args.baseline:
        modes.insert(1, ("import, no stage (baseline)", "unstaged"))
    for label, mode in modes:
        found = run_child(code, data, mode, args.kind)
        print(
            f"{label:34}{found['rows']:>9,}{found['seconds']:>10.1f}"
            f"{found['write_pass']:>14.2f}{found['longest_wait']:>21.2f}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child(Path(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        main()
