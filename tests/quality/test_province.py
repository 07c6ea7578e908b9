"""The quality facts `sqm generate` writes (repairs, activations, transfers, speed tests,
operations, circuits, circuit outages): their columns, determinism, that they import, that
their references resolve, and that their shares are the intended ones."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

import sqm.customers.importers  # noqa: F401 - registers the importers
import sqm.network.importers  # noqa: F401
import sqm.quality.importers  # noqa: F401
from sqm.cli import main as sqm_main
from sqm.core.generator import DEFAULT_AS_OF, generate_province
from sqm.core.importing import registry, run_import
from sqm.core.province import CITIES
from sqm.quality.models import (
    Activation,
    Circuit,
    CircuitOutage,
    OperationsMonth,
    Repair,
    SpeedTest,
    Transfer,
)
from sqm.quality.province import FILES, check

KINDS = tuple(FILES)
MODELS = {
    "repairs": Repair,
    "activations": Activation,
    "transfers": Transfer,
    "speed_tests": SpeedTest,
    "operations": OperationsMonth,
    "circuits": Circuit,
    "circuit_outages": CircuitOutage,
}
CITY_NAMES = {city[1] for city in CITIES}
NOW = datetime(DEFAULT_AS_OF.year, DEFAULT_AS_OF.month, DEFAULT_AS_OF.day)


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=None)


def hours(end: str, start: str) -> float:
    return (at(end) - at(start)).total_seconds() / 3600


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("quality-small")
    generate_province(out, customers=1500, seed=3, months=3)
    return out


@pytest.fixture(scope="module")
def medium(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("quality-medium")
    generate_province(out, customers=40_000, seed=8, months=12)
    data = {kind: rows(out / name) for kind, name in FILES.items()}
    data["accounts"] = rows(out / "accounts.csv")
    data["customers"] = rows(out / "customers.csv")
    data["manifest"] = json.loads((out / "manifest.json").read_text("utf-8"))
    data["out"] = out
    return data


# --- files ---------------------------------------------------------------------------------------


def test_the_seven_files_have_exactly_the_columns_of_their_import_kinds(small):
    for kind, name in FILES.items():
        raw = (small / name).read_bytes()
        assert b"\r" not in raw
        header = raw.decode("utf-8").split("\n", 1)[0]
        assert header == ",".join(registry[kind].required), kind
        assert raw.count(b"\n") > 1, f"{name} has no rows"


def test_the_manifest_counts_the_rows_and_names_the_weak_cities(small):
    manifest = json.loads((small / "manifest.json").read_text("utf-8"))
    for name in FILES.values():
        assert manifest["files"][name] == len(rows(small / name))
    assert manifest["fact_months"] == 3
    assert set(manifest["weak_cities"]) <= {city[0] for city in CITIES}
    assert "slow repairs" in manifest["weak_cities"].values()


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path):
    for name, seed in (("a", 4), ("b", 4), ("c", 5)):
        generate_province(tmp_path / name, customers=700, seed=seed, months=2)
    for file in FILES.values():
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()
    assert (tmp_path / "a" / "repairs.csv").read_bytes() != (
        tmp_path / "c" / "repairs.csv"
    ).read_bytes()


def test_the_quality_facts_change_no_other_file(tmp_path):
    generate_province(tmp_path / "with", customers=800, seed=2, months=2)
    generate_province(tmp_path / "without", customers=800, seed=2, months=2, fact_months=0)
    assert (tmp_path / "with" / "repairs.csv").exists()
    for name in FILES.values():
        assert not (tmp_path / "without" / name).exists()
    for name in ("customers.csv", "accounts.csv", "topology.csv", "complaints.jsonl"):
        assert (tmp_path / "with" / name).read_bytes() == (tmp_path / "without" / name).read_bytes()
    assert (tmp_path / "with" / "alarms.jsonl").read_bytes() == (
        tmp_path / "without" / "alarms.jsonl"
    ).read_bytes()


def test_the_facts_cover_whole_months_before_as_of_and_its_month_so_far(tmp_path):
    generate_province(tmp_path, customers=2000, seed=6, months=1, fact_months=4)
    first = date(2026, 2, 1)  # four complete months before June 2026, then June to the 30th
    reported = [at(r["reported_at"]) for r in rows(tmp_path / "repairs.csv")]
    assert min(reported).date() >= first and max(reported) < NOW
    assert min(reported).date() < first + timedelta(days=10)
    months = {r["month"] for r in rows(tmp_path / "operations.csv")}
    assert months == {"2026-02", "2026-03", "2026-04", "2026-05"}
    probes = [at(r["measured_at"]) for r in rows(tmp_path / "speed_tests.csv")]
    assert min(probes).date() == first and max(probes).date() == date(2026, 6, 29)


def test_the_options_are_checked_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError):
        check({"fact_months": -1, "repair_scale": 1.0})
    for scale in (-1, float("nan"), float("inf"), "2"):
        with pytest.raises(ValueError):
            check({"fact_months": None, "repair_scale": scale})
    with pytest.raises(ValueError):
        generate_province(tmp_path / "x", customers=10, seed=1, fact_months=-2)
    assert not (tmp_path / "x").exists()


def test_a_larger_repair_scale_gives_more_background_repairs(tmp_path):
    generate_province(tmp_path / "one", customers=3000, seed=9, months=3)
    generate_province(tmp_path / "ten", customers=3000, seed=9, months=3, repair_scale=10)
    one, ten = (
        len(rows(tmp_path / "one" / "repairs.csv")),
        len(rows(tmp_path / "ten" / "repairs.csv")),
    )
    assert ten > 3 * one


def test_the_command_writes_the_facts_for_fact_months_and_refuses_negative_ones(tmp_path, capsys):
    out = tmp_path / "p"
    sqm_main(
        ["sqm", "generate", "--out", str(out), "--customers", "300", "--months", "0"]
        + ["--fact-months", "2"]
    )
    summary = capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["fact_months"] == 2 and "repairs.csv" in manifest["files"]
    assert f"{manifest['files']['repairs.csv']:,} repairs" in summary
    assert "complaints.jsonl" not in manifest["files"]
    with pytest.raises(SystemExit) as exit_info:
        sqm_main(
            ["sqm", "generate", "--out", str(tmp_path / "q"), "--customers", "3"]
            + ["--fact-months", "-1"]
        )
    assert exit_info.value.code == 1
    assert "--fact-months" in capsys.readouterr().err
    assert not (tmp_path / "q").exists()


# --- import ------------------------------------------------------------


@pytest.mark.django_db
def test_each_file_imports_cleanly_in_dependency_order(small):
    for kind in ("topology", "customers", "accounts"):
        result = run_import(kind, small / f"{kind}.csv", log_changes=False)
        assert result.ok, result.error_lines()[:5]
    for kind, name in FILES.items():
        result = run_import(kind, small / name, log_changes=False)
        assert result.ok, (kind, result.error_lines()[:5])
        assert MODELS[kind].objects.count() == len(rows(small / name)), kind
    late = Repair.objects.exclude(restored_at=None).filter(area="urban")
    assert all(r.city_id is not None for r in late[:50])


# --- references ------------------------------------------------------------


def test_every_reference_resolves_to_a_row_of_the_province(medium):
    accounts = {a["account_id"]: a for a in medium["accounts"]}
    customers = {c["customer_id"]: c for c in medium["customers"]}
    for repair in medium["repairs"]:
        assert accounts[repair["account_id"]]["service"] == "broadband"
    for order in medium["activations"]:
        account = accounts[order["account_id"]]
        assert account["service"] == "broadband" or account["service"].startswith("dedicated_")
        assert order["activated_at"] == account["opened_at"]
    for test in medium["speed_tests"]:
        assert test["city"] in CITY_NAMES
        if test["level"] == "user":
            account = accounts[test["account_id"]]
            assert account["service"] == "broadband"
            assert test["subscribed_mbps"] == account["bandwidth_mbps"]
            assert customers[account["customer_id"]]["city"] == test["city"]
    circuits = {c["circuit_id"]: c for c in medium["circuits"]}
    dedicated = {a["customer_id"] for a in medium["accounts"] if a["service"].startswith("ded")}
    for circuit in circuits.values():
        assert circuit["customer_id"] in dedicated
        assert customers[circuit["customer_id"]]["city"] == circuit["city"]
    assert {o["circuit_id"] for o in medium["circuit_outages"]} <= set(circuits)
    assert {t["city"] for t in medium["transfers"]} == CITY_NAMES
    assert {o["city"] for o in medium["operations"]} == CITY_NAMES


# --- shares ------------------------------------------------------------


def late(repair: dict) -> bool:
    limit = 72 if repair["area"] == "rural" else 48
    return hours(repair["restored_at"], repair["reported_at"]) > limit


def test_repairs_have_the_intended_shares(medium):
    repairs = medium["repairs"]
    restored = [r for r in repairs if r["restored_at"]]
    assert 0.04 <= sum(map(late, restored)) / len(restored) <= 0.09
    assert 0.22 <= sum(r["area"] == "rural" for r in repairs) / len(repairs) <= 0.38
    assert 0.25 <= sum(r["network_fault"] == "1" for r in repairs) / len(repairs) <= 0.5
    by_account = defaultdict(list)
    for r in repairs:
        by_account[r["account_id"]].append(at(r["reported_at"]))
    repeats = 0
    for times in by_account.values():
        times.sort()
        repeats += sum(b - a <= timedelta(days=30) for a, b in zip(times, times[1:], strict=False))
    assert 0.04 <= repeats / len(repairs) <= 0.12
    visits = [r for r in repairs if r["appointment_from"] and r["arrived_at"]]
    missed = [
        r
        for r in visits
        if not at(r["appointment_from"]) <= at(r["arrived_at"]) <= at(r["appointment_to"])
    ]
    assert 0.025 <= len(missed) / len(visits) <= 0.08
    ratings = Counter(r["visit_rating"] for r in repairs if r["visit_rating"])
    assert (ratings["4"] + ratings["5"]) / sum(ratings.values()) >= 0.85
    assert set(ratings) <= {"1", "2", "3", "4", "5"}
    assert all(at(r["arrived_at"]) >= at(r["reported_at"]) for r in visits)
    assert all(r["restored_at"] >= r["reported_at"] for r in restored)
    assert any(not r["restored_at"] for r in repairs)  # some still open at as_of


def test_cities_weak_at_repairs_miss_the_repair_timeliness_the_others_meet(medium):
    weak = {
        code for code, what in medium["manifest"]["weak_cities"].items() if what == "slow repairs"
    }
    names = {city[0]: city[1] for city in CITIES}
    weak_names = {names[code] for code in weak}
    city_of = {c["customer_id"]: c["city"] for c in medium["customers"]}
    account_city = {a["account_id"]: city_of[a["customer_id"]] for a in medium["accounts"]}
    per_city = defaultdict(list)
    for r in medium["repairs"]:
        if r["restored_at"]:
            per_city[account_city[r["account_id"]]].append(late(r))
    share = {city: sum(v) / len(v) for city, v in per_city.items()}
    assert len(weak_names) == 2
    assert all(share[city] > 0.1 for city in weak_names)  # timeliness below 0.9: missed
    strong = [share[city] for city in share if city not in weak_names]
    assert sum(s < 0.05 for s in strong) >= len(strong) - 2


def test_repairs_come_where_the_onus_were_down_for_hours(medium):
    alarms = defaultdict(dict)
    with (medium["out"] / "alarms.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            a = json.loads(line)
            if a["level"] == "onu" and a["type"] == "LOS":
                alarms[a["alarm_id"]][a["event"]] = a
    down: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for events in alarms.values():
        if "raise" in events and "clear" in events:
            start, end = at(events["raise"]["occurred_at"]), at(events["clear"]["occurred_at"])
            if end - start > timedelta(hours=4):
                down[events["raise"]["onu_id"]].append((start, end))
    onu_of = {a["account_id"]: a["onu_id"] for a in medium["accounts"]}
    during = sum(
        any(s <= at(r["reported_at"]) <= e for s, e in down.get(onu_of[r["account_id"]], ()))
        for r in medium["repairs"]
    )
    outage_days = sum((e - s).total_seconds() / 86400 for v in down.values() for s, e in v)
    broadband = sum(a["service"] == "broadband" for a in medium["accounts"])
    days = (NOW - datetime(2025, 6, 1)).days
    background = len(medium["repairs"]) / (broadband * days)  # repairs per account-day
    assert during > 20
    assert during / outage_days > 10 * background  # far above chance


def test_fault_complaints_often_come_with_a_repair_of_the_same_line(medium):
    repairs = defaultdict(list)
    for r in medium["repairs"]:
        repairs[r["account_id"]].append(at(r["reported_at"]))
    with (medium["out"] / "complaints.jsonl").open(encoding="utf-8") as handle:
        complaints = [json.loads(line) for line in handle]
    no_internet = [c for c in complaints if c["category"] == "NQ.BB.03" and c["account_id"]]
    billing = [c for c in complaints if c["category"].startswith("BL.") and c["account_id"]]

    def with_repair(records) -> float:
        near = 0
        for c in records:
            created = at(c["created_at"])
            near += any(abs(t - created) <= timedelta(days=1) for t in repairs[c["account_id"]])
        return near / len(records)

    assert with_repair(no_internet) >= 0.2
    assert with_repair(no_internet) > 5 * with_repair(billing)


def test_activations_are_the_new_accounts_promised_in_days_and_mostly_on_time(medium):
    opened = [
        a
        for a in medium["accounts"]
        if a["service"] in {"broadband", "dedicated_internet", "dedicated_data", "dedicated_voice"}
        and at(a["opened_at"]) >= datetime(2025, 6, 1)
    ]
    orders = medium["activations"]
    assert len(orders) == len(opened)
    broadband = [o for o in orders if not o["account_id"].startswith("ZX")]
    promised = [hours(o["committed_at"], o["ordered_at"]) for o in broadband]
    assert min(promised) >= 48 and max(promised) <= 72
    share_late = sum(o["activated_at"] > o["committed_at"] for o in orders) / len(orders)
    assert 0.03 <= share_late <= 0.08
    assert all(o["appointment_from"] and o["arrived_at"] <= o["activated_at"] for o in broadband)


def test_transfers_are_mostly_connected_within_30_seconds(medium):
    transfers = medium["transfers"]
    lost = [t for t in transfers if not t["connected_at"]]
    waits = [
        (at(t["connected_at"]) - at(t["requested_at"])).total_seconds()
        for t in transfers
        if t["connected_at"]
    ]
    assert 0.015 <= len(lost) / len(transfers) <= 0.06
    assert 0.05 <= sum(w > 30 for w in waits) / len(transfers) <= 0.15
    per_day = Counter((t["city"], t["requested_at"][:10]) for t in transfers)
    assert len(per_day) > 13 * 300  # every city, nearly every day


def test_speed_tests_at_three_levels_with_some_slow_user_lines(medium):
    tests = medium["speed_tests"]
    levels = Counter(t["level"] for t in tests)
    assert set(levels) == {"user", "city", "exit"}
    users = [t for t in tests if t["level"] == "user"]
    slow = [t for t in users if float(t["down_mbps"]) < 0.9 * float(t["subscribed_mbps"])]
    assert 0.03 <= len(slow) / len(users) <= 0.12
    assert all(
        not t["account_id"] and not t["subscribed_mbps"] for t in tests if t["level"] != "user"
    )


def test_operations_per_month_city_and_product_never_use_more_ports_than_built(medium):
    operations = medium["operations"]
    keys = Counter((o["month"], o["city"], o["product"]) for o in operations)
    assert len(keys) == len(operations) == 12 * 13 * 4
    assert {o["product"] for o in operations} == {
        "broadband",
        "dedicated_internet",
        "dedicated_data",
        "dedicated_voice",
    }
    assert all(int(o["ports_in_use"]) <= int(o["ports_built"]) for o in operations)
    broadband = [o for o in operations if o["product"] == "broadband"]
    arpu = sum(float(o["revenue_yuan"]) for o in broadband) / sum(
        int(o["billed_accounts"]) for o in broadband
    )
    assert 40 <= arpu <= 60
    # billed accounts only grow: accounts are opened, not closed, in the generated history
    by_city = defaultdict(list)
    for o in sorted(broadband, key=lambda o: o["month"]):
        by_city[o["city"]].append(int(o["billed_accounts"]))
    assert all(v == sorted(v) for v in by_city.values())


def test_circuits_have_contracts_and_some_outages_run_over_them(medium):
    circuits = {c["circuit_id"]: c for c in medium["circuits"]}
    assert {float(c["contract_availability"]) for c in circuits.values()} <= {
        99.5,
        99.9,
        99.95,
        99.99,
    }
    assert {int(c["contract_repair_hours"]) for c in circuits.values()} <= {4, 6, 8}
    outages = [o for o in medium["circuit_outages"] if o["restored_at"]]
    over = [
        o
        for o in outages
        if hours(o["restored_at"], o["started_at"])
        > float(circuits[o["circuit_id"]]["contract_repair_hours"])
    ]
    assert 0.02 <= len(over) / len(outages) <= 0.12
    assert {c["product"] for c in circuits.values()} == {
        "dedicated_internet",
        "dedicated_data",
        "dedicated_voice",
    }


# --- demo --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_imports_the_seven_files_then_computes_thirteen_months(tmp_path, monkeypatch):
    from sqm.core.demo import DemoLoad
    from sqm.quality import services
    from sqm.quality.province.demo import load_facts

    counts = generate_province(tmp_path, customers=600, seed=12, months=1, fact_months=12)
    for kind in ("topology", "customers", "accounts"):
        assert run_import(kind, tmp_path / f"{kind}.csv", log_changes=False).ok
    computed = []
    monkeypatch.setattr(
        services, "compute_now", lambda month, breakdowns: computed.append((month, breakdowns))
    )
    said = []
    load = DemoLoad(tmp_path, 600, 12, DEFAULT_AS_OF, said.append, FILES, counts)
    load_facts(load)
    for kind, model in MODELS.items():
        assert model.objects.count() == counts[kind], kind
    assert [month.label for month, _b in computed] == [
        f"{year}-{month:02d}" for year, month in [(2025, m) for m in range(6, 13)]
    ] + [f"2026-{m:02d}" for m in range(1, 7)]
    assert all(tuple(b) == ("province", "city") for _m, b in computed)
    assert OperationsMonth.objects.order_by("month").first().month == date(2025, 6, 1)


def test_the_fault_rate_does_not_jump_where_the_complaint_history_and_alarms_begin(tmp_path):
    generate_province(tmp_path, customers=30_000, seed=13, months=3, fact_months=9)
    per_month = Counter(r["reported_at"][:7] for r in rows(tmp_path / "repairs.csv"))
    before = [per_month[f"2025-{m:02d}"] for m in range(10, 13)]  # no complaints, no alarms
    after = [per_month[f"2026-{m:02d}"] for m in range(4, 6)]  # both
    assert 0.75 <= (sum(before) / 3) / (sum(after) / 2) <= 1.33
