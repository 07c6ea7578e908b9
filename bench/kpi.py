"""KPI engine benchmark: every indicator by city for one month, extraction included (issue 13 §5).

    .venv/bin/python bench/kpi.py [--orders 1000000] [--repairs 1000000] [--customers 100000]
        [--month YYYY-MM] [--seed 1] [--database sqlite|postgres|both] [--no-spark] [--quick]
        [--keep] [--home DIR]

A child process with its own SQM_HOME (SQLite) or a fresh database on the server named by
SQM_DATABASE_URL (PostgreSQL; `--database` defaults to both when that is set) imports a
generated province (customers, topology, accounts: `sqm generate`, the importers), fills
the work-order table with bench/complaints.py's `fill` (its staff and SLA policies too),
and writes the operational facts (bench/kpi_facts.py) with bulk inserts
(sqm.core.bulk.BulkInserter: COPY on PostgreSQL), all spread over the 12 months before
now, so one month holds ~1/12 of them:

- `--repairs` repairs (a fifth rural, ~8 % restored late, 70 % with a visit, ~10 % of
  the visits late or early), activations (0.6 × repairs; ~10 % late, a few pending),
  specialist transfers (0.5 × orders; ~5 % never connected), speed tests (0.5 × repairs:
  95 % at users' lines, the rest city nodes and the provincial exit), the monthly
  operations figures (city × product), dedicated circuits (repairs / 50) and their outages
  (repairs / 20), fault events (repairs / 50) with their fault SMS (10 each);
- the work orders get the customer's account (so they count as broadband or dedicated),
  a twelfth are marked as repeats, and one in 30 complaints is linked to a fault event of
  its city.

Then, in the same run, each figure next to its baseline:

1. DuckDB end to end: `sqm.quality.engine.compute(month, engine="duckdb",
   breakdowns=("city",))` — the facts extracted from the operational database
   (sqm.quality.facts) and every indicator computed by city — with extraction and compute
   apart.
2. The baseline: a straightforward pandas implementation of the same indicators
   (bench/kpi_pandas.py: the facts read with pandas.read_sql, each indicator a groupby),
   and the number of values where its figures differ from the engine's (must be 0).
   DuckDB and pandas run twice each, taking turns; the figures are the faster run of each,
   and every run is printed.
3. Spark local mode (`engine="spark"`), its start-up apart; no target (`--no-spark` skips).

Target on SQLite: DuckDB under 10 s end to end and at least 5× faster than pandas.
`--quick` shrinks everything for a smoke run; `--keep` keeps the database and `--home DIR`
measures again on one kept (SQLite). Figures are wall-clock on this machine; the
load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from _child import log, run_child, start_province

# --- the child: one database, fresh ---------------------------------------------------------


def child(data: Path, opts: dict) -> None:
    """Runs inside a fresh process (own SQM_HOME / database); prints one JSON line."""
    rng, out = start_province(data, opts)
    import complaints as complaints_bench
    import kpi_facts
    from django.db import connection

    start = time.perf_counter()
    world = complaints_bench.make_world(rng, opts["users"])
    filled = complaints_bench.fill(world, rng, opts["orders"])
    log(
        f"{connection.vendor}: {filled['rows']:,} work orders "
        f"in {time.perf_counter() - start:.0f} s"
    )
    now = float(int(filled["now"]))
    start = time.perf_counter()
    out["facts"] = kpi_facts.fill_facts(rng, opts, now)
    out["facts"]["work_orders"] = filled["rows"]
    out["fill_s"] = time.perf_counter() - start
    log(f"{connection.vendor}: facts {out['facts']} in {out['fill_s']:.0f} s")
    out["analyze_s"] = complaints_bench.analyze()
    out["db_mib"] = complaints_bench.database_mib()
    out["now"] = now
    connection.close()  # the measured runs open it afresh, as a command would
    # What was set up, for `--home` runs on a kept database.
    (Path(os.environ["SQM_HOME"]) / "bench-kpi.json").write_text(json.dumps(out, default=str))
    measured(out, opts)


def measured(out: dict, opts: dict) -> None:
    """The month's figures added to OUT (the set-up's record), printed as one JSON line."""
    from sqm.quality.facts import Month

    month = Month.parse(opts["month"]) if opts["month"] else last_full_month(out["now"])
    out["month"] = month.label
    out.update(measure(month, opts))
    out["load_end"] = os.getloadavg()[0]
    print(json.dumps(out, default=str))


def child_again(opts: dict) -> None:
    """`--home`: measure again on a database kept by an earlier run (its SQM_HOME)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqm.settings")
    import django

    django.setup()
    out = json.loads((Path(os.environ["SQM_HOME"]) / "bench-kpi.json").read_text())
    out["load_start"] = os.getloadavg()[0]
    measured(out, opts)


def last_full_month(now: float):
    from sqm.quality.facts import Month

    today = datetime.fromtimestamp(now, UTC).date()
    return Month(date(today.year, today.month, 1)).previous


def measure(month, opts: dict) -> dict:
    """The timed part: DuckDB and the pandas baseline twice each, taking turns (neither
    gets a page cache the other warmed alone), then Spark; the figures compared."""
    import ibis  # noqa: F401  (imports are not what is measured)
    import kpi_pandas

    from sqm.quality import engine

    out: dict = {"duckdb": [], "pandas": []}
    for n in range(2):
        log(f"DuckDB run {n + 1}")
        start = time.perf_counter()
        result = engine.compute(month, engine="duckdb", breakdowns=("city",))
        out["duckdb"].append(
            {
                "total": time.perf_counter() - start,
                "extract": result.seconds["extract"],
                "compute": result.seconds["compute"],
            }
        )
        log(f"pandas run {n + 1}")
        start = time.perf_counter()
        figures = kpi_pandas.compute(month)
        out["pandas"].append(time.perf_counter() - start)
    values = [v for v in result.values if v.breakdown == "city"]
    out["values"] = len(values)
    out["indicators"] = len({v.indicator for v in values})
    out["engine_codes"] = sorted({v.indicator for v in values})
    out["compare"] = kpi_pandas.compare(values, figures)
    out["pandas_codes"] = sorted({code for code, _ in figures})

    if opts["spark"]:
        log("Spark: start-up")
        start = time.perf_counter()
        engine.spark_session()
        out["spark_start"] = time.perf_counter() - start
        log("Spark run")
        start = time.perf_counter()
        spark = engine.compute(month, engine="spark", breakdowns=("city",))
        out["spark"] = {
            "total": time.perf_counter() - start,
            "extract": spark.seconds["extract"],
            "compute": spark.seconds["compute"],
        }
        spark_values = [v for v in spark.values if v.breakdown == "city"]
        out["spark_compare"] = kpi_pandas.compare_values(values, spark_values)
    return out


# --- the parent ------------------------------------------------------------------------------


def report(r: dict, opts: dict) -> None:
    first, second = r["duckdb"]
    best = min(r["duckdb"], key=lambda run: run["total"])
    pandas_s = min(r["pandas"])
    ratio = pandas_s / best["total"]
    c = r["compare"]
    facts = ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in r["facts"].items())
    print()
    print(
        f"== {r['database']} {r['db_version']}: month {r['month']}, {r['indicators']} indicators "
        f"by city ({r['values']:,} values); database {r['db_mib']:,.0f} MiB"
    )
    print(f"   {r['customers']:,} customers, {r['accounts']:,} accounts; {facts}")
    print(
        f"   facts written in {r['fill_s']:.0f} s, ANALYZE {r['analyze_s']:.1f} s (set-up, not "
        f"measured); {os.cpu_count()} CPUs, load average {r['load_start']:.1f} at the start, "
        f"{r['load_end']:.1f} at the end"
    )
    rows = [
        ("figure", "measured", "baseline (same run)", "target"),
        (
            "DuckDB end to end (extraction + compute)",
            f"{best['total']:.2f} s",
            f"{pandas_s:.2f} s pandas",
            "< 10 s " + verdict(best["total"] < 10),
        ),
        ("  extraction (sqm.quality.facts)", f"{best['extract']:.2f} s", "", ""),
        ("  compute (DuckDB)", f"{best['compute']:.2f} s", "", ""),
        (
            "  runs 1 / 2: total (extraction + compute)",
            f"{first['total']:.2f} ({first['extract']:.2f} + {first['compute']:.2f}) / "
            f"{second['total']:.2f} ({second['extract']:.2f} + {second['compute']:.2f}) s",
            "pandas {:.2f} / {:.2f} s".format(*r["pandas"]),
            "",
        ),
        ("pandas ÷ DuckDB", f"{ratio:.1f}×", "", "≥ 5× " + verdict(ratio >= 5)),
        (
            f"values compared with pandas ({len(r['pandas_codes'])} indicators)",
            f"{c['mismatches']} mismatches",
            f"{c['compared']:,} (indicator, city) compared",
            "0 " + verdict(c["mismatches"] == 0),
        ),
    ]
    if "spark" in r:
        s = r["spark"]
        rows += [
            ("Spark local mode: start-up", f"{r['spark_start']:.1f} s", "", "(none)"),
            (
                "Spark end to end (extraction + compute)",
                f"{s['total']:.2f} s",
                f"{best['total']:.2f} s DuckDB",
                "(none)",
            ),
            ("  extraction / compute", f"{s['extract']:.2f} / {s['compute']:.2f} s", "", ""),
            (
                "  values differing from DuckDB",
                f"{r['spark_compare']['mismatches']}",
                f"{r['spark_compare']['compared']:,} compared",
                "0 " + verdict(r["spark_compare"]["mismatches"] == 0),
            ),
        ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    for line in c["examples"]:
        print(f"   mismatch: {line}")
    missing = sorted(set(r["engine_codes"]) - set(r["pandas_codes"])) if "engine_codes" in r else []
    if missing:
        print(f"   not in the baseline: {', '.join(missing)}")


def verdict(ok: bool) -> str:
    return "✓" if ok else "✗"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, help="work orders (default 1,000,000)")
    parser.add_argument("--repairs", type=int, help="repairs (default 1,000,000)")
    parser.add_argument("--customers", type=int, help="generated customers (default 100,000)")
    parser.add_argument("--month", help="YYYY-MM (default: the last full month)")
    parser.add_argument("--users", type=int, default=200, help="staff for the work orders")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres", "both"),
        help="default: both when SQM_DATABASE_URL is set, else sqlite",
    )
    parser.add_argument("--no-spark", action="store_true", help="skip the Spark run")
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--keep", action="store_true", help="keep the database for a look")
    parser.add_argument(
        "--home", type=Path, help="measure again on the SQLite database a --keep run kept there"
    )
    args = parser.parse_args()
    quick = args.quick
    opts = {
        "orders": args.orders or (5_000 if quick else 1_000_000),
        "repairs": args.repairs or (5_000 if quick else 1_000_000),
        "users": min(args.users, 40) if quick else args.users,
        "month": args.month,
        "seed": args.seed,
        "spark": not args.no_spark,
    }
    if args.month:
        try:
            datetime.strptime(args.month, "%Y-%m")
        except ValueError:
            parser.error("--month takes YYYY-MM")
    customers = args.customers or (1_000 if quick else 100_000)
    server = os.environ.pop("SQM_DATABASE_URL", None)
    database = args.database or ("both" if server else "sqlite")
    if database != "sqlite" and not server:
        parser.error("PostgreSQL needs SQM_DATABASE_URL (see scripts/pg-test-cluster.sh)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqm.settings")
    if args.home:
        env = {**os.environ, "SQM_HOME": str(args.home.resolve())}
        env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
        done = subprocess.run(
            [sys.executable, __file__, "_again", json.dumps(opts)],
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        report(json.loads(done.stdout.strip().splitlines()[-1]), opts)
        return
    data = Path(tempfile.mkdtemp(prefix="sqm-bench-kpi-data-"))
    scratch = Path(tempfile.mkdtemp(prefix="sqm-bench-kpi-gen-"))
    try:
        os.environ["SQM_HOME"] = str(scratch)
        import django

        django.setup()
        from sqm.core.generator import generate_province

        start = time.perf_counter()
        counts = generate_province(data, customers=customers, seed=args.seed, months=0)
        log(f"generate: {counts} in {time.perf_counter() - start:.1f} s")
        for db in ("sqlite", "postgres") if database == "both" else (database,):
            r = run_child(__file__, "kpi", db, [str(data), json.dumps(opts)], server, args.keep)
            report(r, opts)  # as soon as it is there: a later failure keeps it
            sys.stdout.flush()
    finally:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        "\nBaseline: the same indicators by city written plainly in pandas (bench/kpi_pandas.py): "
        "the same facts read with pandas.read_sql, each indicator a groupby; timed in the same "
        "run on the same database."
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child(Path(sys.argv[2]), json.loads(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_again":
        child_again(json.loads(sys.argv[2]))
    else:
        main()
