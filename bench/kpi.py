"""KPI engine benchmark: every indicator by city for one month, extraction included (issue 13 §5).

    .venv/bin/python bench/kpi.py [--orders 1000000] [--repairs 1000000] [--customers 100000]
        [--month YYYY-MM] [--seed 1] [--database sqlite|postgres] [--no-spark] [--quick]
        [--keep]

A child process with its own SQM_HOME (SQLite) or a fresh database on the server named by
SQM_DATABASE_URL (PostgreSQL, `--database postgres`) imports a generated province
(customers, topology, accounts: `sqm generate`, the importers), fills the work-order table
with bench/complaints.py's `fill` (its staff and SLA policies too), and writes the
operational facts with bulk inserts (sqm.core.bulk.BulkInserter: COPY on PostgreSQL), all
spread over the 12 months before now, so one month holds ~1/12 of them:

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
`--quick` shrinks everything for a smoke run. Figures are wall-clock on this machine; the
load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from _child import log, run_child

DAY = 86400.0
HOUR = 3600.0
YEAR = 365 * DAY
REPAIR_CAUSES = ("光猫故障", "线路故障", "PON口故障", "用户终端", "欠费停机", "其他")
NETWORK_CAUSES = frozenset(("线路故障", "PON口故障", "光猫故障"))
OUTAGE_CAUSES = ("光缆中断", "设备故障", "电源故障", "用户侧", "其他")
SKILLS = ("宽带", "家庭网关", "政企", "国际漫游", "投诉升级")
DEDICATED = ("dedicated_voice", "dedicated_data", "dedicated_internet")
CHUNK = 50_000


# --- the child: one database, fresh ---------------------------------------------------------


def child(data: Path, opts: dict) -> None:
    """Runs inside a fresh process (own SQM_HOME / database); prints one JSON line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqm.settings")
    import django

    django.setup()
    import complaints as complaints_bench
    from django.core.management import call_command
    from django.db import connection
    from django.utils import translation

    translation.activate("en")
    rng = random.Random(opts["seed"])
    out: dict = {"database": connection.vendor, "db_version": complaints_bench.db_version()}
    out["load_start"] = os.getloadavg()[0]
    call_command("migrate", verbosity=0)
    import sqm.customers.importers  # noqa: F401
    import sqm.network.importers  # noqa: F401
    from sqm.core.importing import run_import

    start = time.perf_counter()
    for kind in ("customers", "topology", "accounts"):
        result = run_import(kind, data / f"{kind}.csv", log_changes=False)
        assert result.ok, result.error_lines()[:5]
        out[kind] = result.rows
    log(f"{connection.vendor}: province imported in {time.perf_counter() - start:.0f} s")

    start = time.perf_counter()
    world = complaints_bench.make_world(rng, opts["users"])
    filled = complaints_bench.fill(world, rng, opts["orders"])
    log(
        f"{connection.vendor}: {filled['rows']:,} work orders "
        f"in {time.perf_counter() - start:.0f} s"
    )
    now = float(int(filled["now"]))
    start = time.perf_counter()
    out["facts"] = fill_facts(rng, opts, now)
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


# --- the facts --------------------------------------------------------------------------------


def at(seconds: float | None) -> datetime | None:
    """An aware time in whole seconds (the engine's unit), or None."""
    return None if seconds is None else datetime.fromtimestamp(int(seconds), UTC)


def insert(model, rows) -> int:
    """ROWS (an iterable of dicts) into MODEL's table, CHUNK at a time, one transaction."""
    from django.db import transaction

    from sqm.core.bulk import BulkInserter

    inserter = BulkInserter(model)
    count = 0
    chunk: list[dict] = []
    with transaction.atomic():
        for row in rows:
            chunk.append(row)
            if len(chunk) == CHUNK:
                count += inserter.insert(chunk)
                chunk = []
        count += inserter.insert(chunk)
    return count


def fill_facts(rng: random.Random, opts: dict, now: float) -> dict:
    from sqm.core.models import City
    from sqm.customers.models import Account, Customer
    from sqm.network.models import Olt
    from sqm.notify.models import OutboundMessage
    from sqm.quality import models as q

    accounts = list(
        Account.objects.values_list(
            "pk", "service", "customer__city_id", "customer__district", "bandwidth_mbps"
        )
    )
    broadband = [a for a in accounts if a[1] == "broadband"]
    dedicated = [a for a in accounts if a[1] in DEDICATED]
    customers = list(Customer.objects.values_list("pk", "city_id"))
    cities = list(City.objects.values_list("pk", flat=True))
    olts = list(Olt.objects.values_list("pk", "city_id"))
    repairs, orders = opts["repairs"], opts["orders"]
    counts = {}

    counts["repairs"] = insert(q.Repair, repair_rows(rng, repairs, broadband, now))
    log(f"  {counts['repairs']:,} repairs")
    counts["activations"] = insert(
        q.Activation, activation_rows(rng, int(0.6 * repairs), broadband, dedicated, now)
    )
    counts["transfers"] = insert(q.Transfer, transfer_rows(rng, orders // 2, cities, now))
    counts["speed_tests"] = insert(
        q.SpeedTest, speed_rows(rng, repairs // 2, broadband, cities, now)
    )
    counts["operations"] = insert(q.OperationsMonth, operations_rows(rng, cities, now))
    counts["circuits"] = insert(
        q.Circuit, circuit_rows(rng, max(10, repairs // 50), customers, now)
    )
    circuits = list(q.Circuit.objects.values_list("pk", "city_id", "opened_at"))
    counts["circuit_outages"] = insert(
        q.CircuitOutage, outage_rows(rng, max(10, repairs // 20), circuits, now)
    )
    counts["fault_events"] = fault_events(rng, max(10, repairs // 50), olts, now)
    events = list(q_events())
    counts["fault_sms"] = insert(OutboundMessage, sms_rows(rng, events, broadband, now))
    counts.update(link_work_orders(rng, events))
    return counts


def repair_rows(rng, n, accounts, now):
    for i in range(n):
        account, _, city, district, _ = rng.choice(accounts)
        reported = now - rng.uniform(0, YEAR)
        rural = rng.random() < 0.2
        limit = (72 if rural else 48) * HOUR
        hours = rng.uniform(limit, 2.5 * limit) if rng.random() < 0.08 else rng.uniform(HOUR, limit)
        restored = reported + hours
        row = {
            "repair_id": f"RP{i:09d}",
            "account_id": account,
            "city_id": city,
            "district": district,
            "reported_at": at(reported),
            "restored_at": at(restored) if restored < now else None,
            "area": "rural" if rural else "urban",
            "cause": (cause := rng.choice(REPAIR_CAUSES)),
            "network_fault": cause in NETWORK_CAUSES,
        }
        row.update(visit(rng, reported + rng.uniform(HOUR, 24 * HOUR), now))
        yield row


def visit(rng, appointment: float, now: float) -> dict:
    """A technician's visit: 70 % of orders, ~10 % of them outside the 2-hour slot."""
    if rng.random() >= 0.7 or appointment + 8 * HOUR > now:
        return {}
    if rng.random() < 0.9:
        arrived = appointment + rng.uniform(0, 2 * HOUR)
    else:
        arrived = appointment + rng.choice((-1, 1)) * rng.uniform(2.1 * HOUR, 4 * HOUR)
    rated = rng.random() < 0.6
    return {
        "appointment_from": at(appointment),
        "appointment_to": at(appointment + 2 * HOUR),
        "arrived_at": at(arrived),
        "visit_rating": rng.choices((5, 4, 3, 2, 1), (60, 25, 8, 4, 3))[0] if rated else None,
    }


def activation_rows(rng, n, broadband, dedicated, now):
    for i in range(n):
        pool = dedicated if dedicated and rng.random() < 0.1 else broadband
        account, _, city, district, _ = rng.choice(pool)
        ordered = now - rng.uniform(0, YEAR)
        committed = ordered + rng.uniform(24, 96) * HOUR
        if rng.random() < 0.9:
            activated = ordered + rng.uniform(0.2, 1.0) * (committed - ordered)
        else:
            activated = committed + rng.uniform(HOUR, 72 * HOUR)
        row = {
            "order_id": f"KT{i:09d}",
            "account_id": account,
            "city_id": city,
            "district": district,
            "ordered_at": at(ordered),
            "committed_at": at(committed),
            "activated_at": at(activated) if activated < now else None,
        }
        row.update(visit(rng, ordered + rng.uniform(4 * HOUR, 48 * HOUR), now))
        yield row


def transfer_rows(rng, n, cities, now):
    for i in range(n):
        requested = now - rng.uniform(0, YEAR)
        wait = None if rng.random() < 0.05 else int(rng.expovariate(1 / 15))
        yield {
            "transfer_id": f"ZX{i:09d}",
            "city_id": rng.choice(cities),
            "requested_at": at(requested),
            "connected_at": None if wait is None else at(requested + wait),
            "skill": rng.choice(SKILLS),
        }


def speed_rows(rng, n, broadband, cities, now):
    for i in range(n):
        measured = at(now - rng.uniform(0, YEAR))
        level = rng.choices(("user", "city", "exit"), (95, 4, 1))[0]
        if level == "user":
            account, _, city, _, bandwidth = rng.choice(broadband)
            subscribed = float(bandwidth or 300)
        else:
            account, city, subscribed = None, rng.choice(cities), None
        down = (subscribed or 1000.0) * rng.uniform(0.6, 1.1)
        yield {
            "test_id": f"CS{i:09d}",
            "measured_at": measured,
            "level": level,
            "city_id": city,
            "account_id": account,
            "down_mbps": round(down, 2),
            "up_mbps": round(down / 8, 2),
            "subscribed_mbps": subscribed,
        }


def operations_rows(rng, cities, now):
    from decimal import Decimal

    today = datetime.fromtimestamp(now, UTC).date()
    for back in range(13):
        index = today.year * 12 + today.month - 1 - back
        first = date(index // 12, index % 12 + 1, 1)
        for city in cities:
            for product in ("broadband", *DEDICATED):
                billed = (
                    rng.randint(50_000, 400_000)
                    if product == "broadband"
                    else rng.randint(200, 3_000)
                )
                built = rng.randint(int(billed * 1.3), int(billed * 2.4))
                yield {
                    "month": first,
                    "city_id": city,
                    "product": product,
                    "revenue_yuan": Decimal(f"{billed * rng.uniform(38, 52):.2f}"),
                    "billed_accounts": billed,
                    "ports_built": built,
                    "ports_in_use": rng.randint(int(built * 0.4), int(built * 0.7)),
                }


def circuit_rows(rng, n, customers, now):
    from decimal import Decimal

    for i in range(n):
        customer, city = rng.choice(customers)
        yield {
            "circuit_id": f"ZL{i:08d}",
            "customer_id": customer,
            "city_id": city,
            "product": rng.choice(DEDICATED),
            "contract_availability": Decimal(rng.choice(("99.9000", "99.9500", "99.5000"))),
            "contract_repair_hours": float(rng.choice((4, 8, 24))),
            "opened_at": at(now - rng.uniform(0, 3 * YEAR)),
        }


def outage_rows(rng, n, circuits, now):
    for i in range(n):
        circuit, city, opened = rng.choice(circuits)
        started = max(opened.timestamp() + HOUR, now - rng.uniform(0, YEAR))
        restored = started + rng.uniform(0.2, 30) * HOUR
        cause = rng.choice(OUTAGE_CAUSES)
        yield {
            "outage_id": f"ZD{i:08d}",
            "circuit_id": circuit,
            "city_id": city,
            "started_at": at(started),
            "restored_at": at(restored) if restored < now else None,
            "cause": cause,
            "network_fault": cause != "用户侧",
        }


def fault_events(rng, n, olts, now) -> int:
    from sqm.network.models import FaultEvent

    def rows():
        for _ in range(n):
            olt, city = rng.choice(olts)
            started = now - rng.uniform(0, YEAR)
            yield {
                "level": "olt",
                "olt_id": olt,
                "city_id": city,
                "type": "LOS",
                "severity": "critical",
                "state": "cleared",
                "started_at": at(started),
                "ended_at": at(started + rng.uniform(0.3, 6) * HOUR),
                "affected_accounts": 10,
            }

    return insert(FaultEvent, rows())


def q_events():
    from sqm.network.models import FaultEvent

    return FaultEvent.objects.values_list("pk", "city_id", "started_at")


def sms_rows(rng, events, broadband, now):
    """Ten fault SMS per event, sent 2–15 minutes after it started (a few never sent)."""
    for event, _, started in events:
        for j in range(10):
            send = started.timestamp() + rng.uniform(120, 900)
            sent = rng.random() < 0.97
            yield {
                "key": f"bench-fault-{event}-{j}",
                "kind": "fault",
                "account_id": rng.choice(broadband)[0],
                "fault_event_id": event,
                "text": "【中国移动】您所在区域宽带网络故障，正在抢修，给您带来不便敬请谅解。",
                "send_at": at(send),
                "state": "delivered" if sent else "failed",
                "sent_at": at(send + 3) if sent else None,
            }


def link_work_orders(rng, events) -> dict:
    """The work orders' accounts (the customer's first), repeats (a twelfth), and one
    complaint in 30 linked to a fault event of its city."""
    from django.db import connection, transaction

    from sqm.complaints.models import WorkOrder
    from sqm.customers.models import Account

    table = connection.ops.quote_name(WorkOrder._meta.db_table)
    accounts = connection.ops.quote_name(Account._meta.db_table)
    by_city: dict[int, list[int]] = {}
    for event, city, _ in events:
        by_city.setdefault(city, []).append(event)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET account_id = (SELECT MIN(a.id) FROM {accounts} a "
            f"WHERE a.customer_id = {table}.customer_id)"
        )
        cursor.execute(
            f"UPDATE {table} SET repeat_of_id = id - 1 WHERE id % 12 = 0 AND id > "
            f"(SELECT MIN(id) FROM {table})"
        )
        repeats = cursor.rowcount
        cursor.execute(
            f"SELECT id, city_id FROM {table} WHERE id % 30 = 0 AND record_type IN "
            "('direct_answer_complaint', 'complaint_work_order')"
        )
        links = [(rng.choice(by_city[c]), pk) for pk, c in cursor.fetchall() if c in by_city]
        cursor.executemany(f"UPDATE {table} SET fault_event_id = %s WHERE id = %s", links)
    return {"repeat_orders": repeats, "fault_linked_orders": len(links)}


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
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
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
        from datetime import datetime as _dt

        try:
            _dt.strptime(args.month, "%Y-%m")
        except ValueError:
            parser.error("--month takes YYYY-MM")
    customers = args.customers or (1_000 if quick else 100_000)
    server = os.environ.pop("SQM_DATABASE_URL", None)
    if args.database == "postgres" and not server:
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
        r = run_child(
            __file__, "kpi", args.database, [str(data), json.dumps(opts)], server, args.keep
        )
        report(r, opts)
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
