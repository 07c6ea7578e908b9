"""Import benchmark: generate a province, import it on SQLite, compare with a plain ORM insert.

    .venv/bin/python bench/import_customers.py [--customers 1000000] [--baseline-customers 20000]

Prints rows/s and peak memory (max RSS) of our importer (topology, customers, accounts) and,
measured in the same run on the first customers of the same files, of a straightforward
row-by-row `Model.objects.create` loop in one transaction (the baseline). Each import runs in
its own process on a fresh SQM_HOME, so its peak memory is its own.
Target (issue 2): ≥ 20,000 rows/s and < 1 GiB peak for 1,000,000 customers with accounts.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(mode: str, data: Path, limit: int) -> None:
    """Runs inside a fresh process with SQM_HOME set; prints one JSON line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqm.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import sqm.customers.importers  # noqa: F401
    import sqm.network.importers  # noqa: F401
    from sqm.core.importing import run_import

    timings = {}
    rows = {}
    # The topology is set-up for both modes (accounts need ONUs); it is timed for ours.
    start = time.perf_counter()
    result = run_import("topology", data / "topology.csv", log_changes=(mode == "ours"))
    # (baseline: the topology is set-up only, loaded the fast way and not compared)
    assert result.ok, result.error_lines()[:5]
    timings["topology"], rows["topology"] = time.perf_counter() - start, result.rows
    if mode in ("ours", "ours-nolog"):
        for kind in ("customers", "accounts"):
            start = time.perf_counter()
            result = run_import(kind, data / f"{kind}.csv", log_changes=(mode == "ours"))
            assert result.ok, result.error_lines()[:5]
            timings[kind], rows[kind] = time.perf_counter() - start, result.rows
    else:
        timings.update(baseline_insert(data, limit, rows))
    import resource

    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"timings": timings, "rows": rows, "peak_mib": peak_kib / 1024}))


def baseline_insert(data: Path, limit: int, rows: dict) -> dict:
    """The obvious code: csv.DictReader and Model.objects.create per row, one transaction."""
    from django.db import transaction

    from sqm.core.models import City
    from sqm.customers.models import Account, Customer
    from sqm.network.models import Onu

    cities = {c.name: c for c in City.objects.all()}
    timings = {}
    start = time.perf_counter()
    kept: set[str] = set()
    with transaction.atomic(), (data / "customers.csv").open(encoding="utf-8") as fh:
        for row in itertools.islice(csv.DictReader(fh), limit):
            Customer.objects.create(
                customer_id=row["customer_id"],
                name=row["name"],
                mobile=row["mobile"],
                id_number=row["id_number"],
                address=row.get("address", ""),
                customer_type=row["customer_type"],
                tier=row["tier"],
                city=cities[row["city"]],
                district=row["district"],
                marketing_consent=row["marketing_consent"] == "1",
                service_sms_opt_out=row["service_sms_opt_out"] == "1",
            )
            kept.add(row["customer_id"])
    timings["customers"], rows["customers"] = time.perf_counter() - start, len(kept)
    start = time.perf_counter()
    n = 0
    with transaction.atomic(), (data / "accounts.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["customer_id"] not in kept:
                continue
            Account.objects.create(
                account_id=row["account_id"],
                customer=Customer.objects.get(customer_id=row["customer_id"]),
                service=row["service"],
                status=row["status"],
                address=row["address"],
                bandwidth_mbps=int(row["bandwidth_mbps"]) if row["bandwidth_mbps"] else None,
                opened_at=row["opened_at"] or None,
                onu=Onu.objects.get(onu_id=row["onu_id"]) if row["onu_id"] else None,
            )
            n += 1
    timings["accounts"], rows["accounts"] = time.perf_counter() - start, n
    return timings


def run_child(mode: str, data: Path, limit: int) -> dict:
    home = Path(tempfile.mkdtemp(prefix=f"sqm-bench-{mode}-"))
    env = {k: v for k, v in os.environ.items() if k != "SQM_DATABASE_URL"}
    env.update(SQM_HOME=str(home), PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, __file__, "_child", mode, str(data), str(limit)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def rate(report: dict, kinds=("customers", "accounts")) -> float:
    return sum(report["rows"][k] for k in kinds) / sum(report["timings"][k] for k in kinds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--baseline-customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, help="reuse generated files in this folder")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqm.settings")
    data = args.data or Path(tempfile.mkdtemp(prefix="sqm-bench-data-"))
    if not (data / "customers.csv").exists():
        os.environ.setdefault("SQM_HOME", tempfile.mkdtemp(prefix="sqm-bench-gen-"))
        import django

        django.setup()
        from sqm.core.generator import generate_province

        start = time.perf_counter()
        counts = generate_province(data, customers=args.customers, seed=args.seed)
        print(f"generate: {counts} in {time.perf_counter() - start:.1f} s")

    ours = run_child("ours", data, 0)
    nolog = run_child("ours-nolog", data, 0)
    base = run_child("baseline", data, args.baseline_customers)
    rows_ours = ours["rows"]["customers"] + ours["rows"]["accounts"]
    rows_base = base["rows"]["customers"] + base["rows"]["accounts"]
    print(f"{'':28}{'rows':>12}{'rows/s':>12}{'peak MiB':>10}")
    print(
        f"{'ours, with change log':28}{rows_ours:>12,}{rate(ours):>12,.0f}"
        f"{ours['peak_mib']:>10,.0f}"
    )
    print(
        f"{'  topology (ONUs)':28}{ours['rows']['topology']:>12,}"
        f"{ours['rows']['topology'] / ours['timings']['topology']:>12,.0f}"
    )
    print(
        f"{'ours, --no-change-log':28}{rows_ours:>12,}{rate(nolog):>12,.0f}"
        f"{nolog['peak_mib']:>10,.0f}"
    )
    print(
        f"{'baseline row-by-row ORM':28}{rows_base:>12,}{rate(base):>12,.0f}"
        f"{base['peak_mib']:>10,.0f}"
    )
    print(f"speed-up: {rate(ours) / rate(base):.1f}x; target ≥ 20,000 rows/s and < 1,024 MiB")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
