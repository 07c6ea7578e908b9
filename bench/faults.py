"""Batch fault notification benchmark: OLT alarm, alarm storm, fault replay, SMPP (issue 4).

    .venv/bin/python bench/faults.py [--database sqlite|postgres|both] [--customers 200000]
        [--olt-accounts 20000] [--storm-events 120000] [--batch 2000]
        [--baseline-events 3000] [--replay-alarms 10000] [--smpp-messages 20000]
        [--seed 1] [--quick] [--keep]

Each database gets a child process with its own SQM_HOME (SQLite) or its own fresh database
on the server named by SQM_DATABASE_URL (PostgreSQL; `--database` defaults to both when that
is set). The child migrates, imports a generated province (`sqm generate`: customers,
accounts, topology) and adds two OLTs of `--olt-accounts` active broadband accounts each
(one customer, one ONU, one account per subscriber; 64 ONUs per PON port, 16 ports per
board), written with bulk inserts because the generator's OLTs hold ~600 ONUs. Then, each
figure next to the baseline it is compared with (measured in the same run):

1. OLT alarm: one OLT power-off raise through `sqm.network.ingest.ingest` on the first big
   OLT — a fault event, an outage per account and a scheduled fault SMS per account (target
   < 1 s on SQLite) — against the same work with per-row ORM writes on the second big OLT
   (fault event, alarm and alarm event, then `Outage.objects.create` and
   `OutboundMessage.objects.create` per account, text rendered once, one transaction). Then
   the OLT's clear 3 minutes later, before the notices are due (every outage ended, every
   notice cancelled), against per-row `save()` of each outage and notice.
2. Alarm storm: `--storm-events` alarm events (the API/CLI path: `json.loads` of a batch body
   and `ingest_objects`, `--batch` events per call, in delivery order as an NMS would post
   them) over the generated province — target ≥ 2,000 events/s, i.e. 120,000 events in
   60 s. Against one event per call over a smaller storm of the same shape on other ports
   (`--baseline-events`), its rate extrapolated. The storm follows the generator's shapes
   (sqm/network/province/alarms.py): fibre cuts (a PON LOS, and 90 % of the port's ONUs
   raising LOS 5 s before to 30 s after it, clearing within −10…+180 s of it), buildings'
   power cuts (runs of 3–12 neighbouring ONUs), ONU LOS flaps, PON flaps, 1 % duplicate
   lines, 2 % of short alarms' raises delivered after their clears, 1 % of clears delivered
   5–60 min late. The raises fall within 45 s; the durations are shortened (30 s–30 min) so
   the clears are in the stream too.
3. Replay: `read_alarm_lines` + `sqm.network.faults.replay` (what `sqm faults replay` does,
   without printing) of a day of `--replay-alarms` alarms (raise and clear lines) — target
   < 30 s. The day comes from the generator's own stream over as many days as the province
   needs for that many alarms, folded into one day: each alarm moved by whole days so its
   raise falls on the first day (raise-to-clear times, duplicates and delivery quirks kept),
   then a seeded sample of that many alarms. Against the same replay with the memory
   store's per-element account cache turned off (every `accounts_under` a query).
4. SMPP (in the parent, no database): `SmppClient` with a window of 10 against a window of 1
   at 5 ms SMSC latency, imported from bench/smpp.py (which has the full set and the end to
   end run), and the time to hand figure 1's notices to the SMSC at that rate.

`--quick` shrinks everything for smoke runs. Figures are wall-clock on this machine; the load
average is printed with them. Exit status is non-zero only when something crashes, not when
a target is missed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

from _child import ROOT, log, run_child

AS_OF = date(2026, 6, 30)  # the generator's default "now"
# One storm's wall clock in simulated time: a weekday morning.
STORM_START = "2026-11-23T09:30:00+08:00"
OLT_ALARM_AT = "2026-11-23T10:00:00+08:00"
ONUS_PER_PORT, PORTS_PER_BOARD = 64, 16
# Alarms per customer and day in the generator's stream (seed 1; ~1,300 alarms in 30 days
# for 50,000 customers): the replay's window is sized from it.
ALARMS_PER_CUSTOMER_DAY = 0.00085


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else 0.0


class Statements:
    """Counts the SQL statements the connection runs (execute and executemany)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


# --- the child: one database, fresh ---------------------------------------------------------


def child(data: Path, opts: dict) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqm.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    out: dict = {"database": connection.vendor, "db_version": db_version()}
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
    big = [build_olt(f"OLT-BENCH-{x}", opts["olt_accounts"]) for x in "AB"]
    analyze()
    log(
        f"{connection.vendor}: two OLTs of {opts['olt_accounts']:,} accounts in "
        f"{time.perf_counter() - start:.0f} s"
    )
    counter = Statements()
    with connection.execute_wrapper(counter):
        log(f"{connection.vendor}: figure 1, OLT alarm")
        out["olt"] = olt_alarm(big[0], counter)
        out["olt_orm"] = olt_alarm_orm(big[1], counter)
        # The planner's statistics as a running system has them: figure 1 filled the
        # outage and SMS tables after the ANALYZE above, and PostgreSQL would otherwise plan
        # (and cache, for its foreign-key checks) scans of tables it believes empty.
        analyze()
        log(f"{connection.vendor}: figure 3, replay")
        out["replay"] = replay_day(data / "alarms.jsonl", opts, counter)
        log(f"{connection.vendor}: figure 2, storm")
        out["storm"] = storm_figures(opts, counter)
    out["load_end"] = os.getloadavg()[0]
    print(json.dumps(out, default=str))


def db_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "select sqlite_version()" if connection.vendor == "sqlite" else "show server_version"
        )
        return cursor.fetchone()[0]


def analyze() -> None:
    """Statistics (and, on PostgreSQL, vacuumed tables) as a running system has them: else
    autovacuum works through the freshly loaded province while a figure is measured."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def build_olt(olt_id: str, accounts: int) -> dict:
    """An OLT with ACCOUNTS subscribers: customer → active broadband account → own ONU."""
    from sqm.core.bulk import BulkInserter
    from sqm.core.models import City
    from sqm.customers.models import Account, Customer
    from sqm.network.models import Board, Olt, Onu, PonPort

    city = City.objects.order_by("pk").first()
    district = f"{city.name}高新区"
    olt = Olt.objects.create(
        olt_id=olt_id, name=f"{district}-{olt_id}", city=city, district=district, vendor="华为"
    )
    per_board = ONUS_PER_PORT * PORTS_PER_BOARD
    boards = Board.objects.bulk_create(
        Board(olt=olt, frame=0, slot=s + 1) for s in range(math.ceil(accounts / per_board))
    )
    ports = PonPort.objects.bulk_create(
        PonPort(board=b, olt=olt, frame=0, slot=b.slot, port=p)
        for b in boards
        for p in range(PORTS_PER_BOARD)
    )
    tag = olt_id.rsplit("-", 1)[1]
    onus = []
    for i in range(accounts):
        p = ports[i // ONUS_PER_PORT]
        onus.append(
            {
                "onu_id": f"ONU-{olt_id}-{i:06d}",
                "pon_port_id": p.pk,
                "olt_id": olt.pk,
                "frame": 0,
                "slot": p.slot,
                "port": p.port,
            }
        )
    BulkInserter(Onu).insert(onus)
    address = f"{city.name}市高新区科技路{{}}号"
    BulkInserter(Customer).insert(
        {
            "customer_id": f"CB{tag}{i:08d}",
            "name": f"测试用户{i}",
            "mobile": f"1{3 + i % 6}{i:09d}",
            "id_number": f"320102{ord(tag) % 10}{i:011d}",
            "address": address.format(i),
            "city_id": city.pk,
            "district": "高新区",
        }
        for i in range(accounts)
    )
    customers = dict(
        Customer.objects.filter(customer_id__startswith=f"CB{tag}").values_list("customer_id", "pk")
    )
    onu_pks = dict(Onu.objects.filter(olt=olt).values_list("onu_id", "pk"))
    BulkInserter(Account).insert(
        {
            "account_id": f"AB{tag}{i:08d}",
            "customer_id": customers[f"CB{tag}{i:08d}"],
            "service": "broadband",
            "status": "active",
            "address": address.format(i),
            "bandwidth_mbps": 300,
            "onu_id": onu_pks[f"ONU-{olt_id}-{i:06d}"],
        }
        for i in range(accounts)
    )
    return {"olt_id": olt_id, "pk": olt.pk, "accounts": accounts, "ports": len(ports)}


def _alarm_input(alarm_id: str, event: str, olt_id: str, at: datetime):
    from sqm.network.alarms import AlarmInput

    return AlarmInput(
        alarm_id, event, olt_id, "olt", None, None, None, "", "power-off", "critical", at, 1
    )


def olt_alarm(olt: dict, counter: Statements) -> dict:
    """Figure 1 through the live path: the raise, then its clear before the notices."""
    from sqm.network.ingest import ingest
    from sqm.network.models import FaultEvent, Outage
    from sqm.notify.models import OutboundMessage

    at = datetime.fromisoformat(OLT_ALARM_AT)
    out = {}
    for event, moment in (("raise", at), ("clear", at + timedelta(minutes=3))):
        before, cpu = counter.n, time.process_time()
        start = time.perf_counter()
        counts = ingest([_alarm_input("BENCH-OLT-A", event, olt["olt_id"], moment)], now=moment)
        out[event] = {
            "s": time.perf_counter() - start,
            "cpu": time.process_time() - cpu,
            "statements": counter.n - before,
            "counts": dict(counts),
        }
        if event == "raise":
            fault = FaultEvent.objects.get(olt_id=olt["pk"])
            out["outages"] = Outage.objects.filter(fault_event=fault).count()
            out["messages"] = OutboundMessage.objects.filter(
                fault_event=fault, state="scheduled"
            ).count()
            out["affected"] = fault.affected_accounts
    out["cancelled"] = OutboundMessage.objects.filter(
        fault_event__olt_id=olt["pk"], state="cancelled"
    ).count()
    return out


def olt_alarm_orm(olt: dict, counter: Statements) -> dict:
    """Figure 1's baseline: the same rows written one ORM call at a time (one transaction)."""
    from django.db import transaction

    from sqm.network import fault_sms
    from sqm.network.models import Alarm, AlarmEvent, FaultEvent, Olt, Outage
    from sqm.network.services import accounts_under
    from sqm.notify.models import OutboundMessage
    from sqm.notify.rules import current_rules

    rules = current_rules()
    at = datetime.fromisoformat(OLT_ALARM_AT)
    row = Olt.objects.get(pk=olt["pk"])
    out = {}
    before, cpu = counter.n, time.process_time()
    start = time.perf_counter()
    with transaction.atomic():
        fault = FaultEvent.objects.create(
            level="olt",
            olt=row,
            city_id=row.city_id,
            type="power-off",
            severity="critical",
            started_at=at,
        )
        Alarm.objects.create(
            alarm_id="BENCH-OLT-B",
            level="olt",
            olt=row,
            type="power-off",
            severity="critical",
            raised_at=at,
            fault_event=fault,
        )
        AlarmEvent.objects.create(
            alarm_id="BENCH-OLT-B",
            event="raise",
            olt_code=row.olt_id,
            level="olt",
            type="power-off",
            severity="critical",
            occurred_at=at,
            outcome="applied",
        )
        text = fault_sms.render("fault", fault)
        send_at = rules.fault_at(at)
        n = 0
        accounts = accounts_under(row).values_list("pk", "customer__service_sms_opt_out")
        for account, opted_out in accounts:
            outage = Outage.objects.create(account_id=account, fault_event=fault, started_at=at)
            n += 1
            if not opted_out:
                OutboundMessage.objects.create(
                    key=fault_sms.message_key(outage.pk, "fault"),
                    kind="fault",
                    account_id=account,
                    outage=outage,
                    fault_event=fault,
                    text=text,
                    send_at=send_at,
                )
        fault.affected_accounts = n
        fault.save(update_fields=["affected_accounts"])
    out["raise"] = {
        "s": time.perf_counter() - start,
        "cpu": time.process_time() - cpu,
        "statements": counter.n - before,
    }
    out["outages"] = Outage.objects.filter(fault_event=fault).count()
    out["messages"] = OutboundMessage.objects.filter(fault_event=fault).count()
    ended = at + timedelta(minutes=3)
    before, cpu = counter.n, time.process_time()
    start = time.perf_counter()
    with transaction.atomic():
        Alarm.objects.filter(alarm_id="BENCH-OLT-B").update(cleared_at=ended)
        AlarmEvent.objects.create(
            alarm_id="BENCH-OLT-B",
            event="clear",
            olt_code=row.olt_id,
            level="olt",
            type="power-off",
            severity="critical",
            occurred_at=ended,
            outcome="applied",
        )
        for outage in Outage.objects.filter(fault_event=fault, ended_at__isnull=True):
            outage.ended_at = ended
            outage.save(update_fields=["ended_at"])
        for message in OutboundMessage.objects.filter(fault_event=fault, state="scheduled"):
            message.state, message.done_at = "cancelled", ended
            message.last_error = fault_sms.ENDED_BEFORE
            message.save(update_fields=["state", "done_at", "last_error"])
        fault.state, fault.ended_at = "cleared", ended
        fault.save(update_fields=["state", "ended_at"])
    out["clear"] = {
        "s": time.perf_counter() - start,
        "cpu": time.process_time() - cpu,
        "statements": counter.n - before,
    }
    out["cancelled"] = OutboundMessage.objects.filter(fault_event=fault, state="cancelled").count()
    return out


# --- figure 2: the storm ---------------------------------------------------------------------


def province_ports(rng: random.Random) -> list[tuple]:
    """Every PON port of the generated province with its ONUs, in a seeded random order."""
    from sqm.network.models import Onu

    ports: dict[tuple, list[str]] = defaultdict(list)
    rows = Onu.objects.exclude(olt__olt_id__startswith="OLT-BENCH-").values_list(
        "olt__olt_id", "frame", "slot", "port", "onu_id"
    )
    for olt_id, frame, slot, port, onu_id in rows.order_by("olt__olt_id", "onu_id"):
        ports[olt_id, frame, slot, port].append(onu_id)
    keys = sorted(ports)
    rng.shuffle(keys)
    return [(*key, ports[key]) for key in keys]


def storm(rng: random.Random, ports: list[tuple], events: int, prefix: str) -> tuple[list, int]:
    """A storm of at least EVENTS delivered lines over PORTS (taken in order).

    Returns ([(delivered second, JSON text)], ports used), in delivery order."""
    from sqm.network.province import alarms as gen

    lines: list[tuple[int, int, str]] = []
    start = datetime.fromisoformat(STORM_START)
    seq = 0
    ids = 0

    def uniform(bounds: tuple[int, int]) -> int:
        return bounds[0] + int(rng.random() * (bounds[1] - bounds[0] + 1))

    def deliver(at: int, text: str) -> None:
        nonlocal seq
        lines.append((at, seq, text))
        seq += 1
        if rng.random() < gen.DUPLICATE:  # sent twice
            lines.append((at + uniform(gen.DUPLICATE_DELAY), seq, text))
            seq += 1

    def alarm(olt, level, frame, slot, port, onu, type_, t0: int, t1: int) -> None:
        nonlocal ids
        ids += 1
        body = {
            "alarm_id": f"{prefix}-{ids:08d}",
            "event": "raise",
            "olt_id": olt,
            "level": level,
            "frame": frame,
            "slot": slot,
            "port": port,
            "onu_id": onu,
            "type": type_,
            "severity": gen.SEVERITY[level, type_],
        }
        raised_at, cleared_at = t0, t1
        r = rng.random()
        if t1 - t0 <= gen.SHORT and r < gen.RAISE_AFTER_CLEAR:
            raised_at = t1 + uniform(gen.RAISE_DELAY)  # the raise comes after its clear
        elif r > 1 - gen.LATE_CLEAR:
            cleared_at = t1 + uniform(gen.LATE_CLEAR_DELAY)
        for event, occurred, delivered in (("raise", t0, raised_at), ("clear", t1, cleared_at)):
            body["event"] = event
            body["occurred_at"] = (start + timedelta(seconds=occurred)).isoformat()
            deliver(delivered, json.dumps(body, ensure_ascii=False))

    def flapping(kind, olt, level, frame, slot, port, onu, type_, t0, t1) -> None:
        if rng.random() < gen.FLAP.get(kind, 0.0):
            duration = t1 - t0
            for _cycle in range(uniform(gen.FLAP_CYCLES)):
                up = t0 + uniform(gen.FLAP_UP)
                alarm(olt, level, frame, slot, port, onu, type_, t0, up)
                t0 = up + uniform(gen.FLAP_DOWN)
            t1 = t0 + duration
        alarm(olt, level, frame, slot, port, onu, type_, t0, t1)

    used = 0
    for olt, frame, slot, port, onus in ports:
        if len(lines) >= events:
            break
        used += 1
        t0 = int(rng.random() * 45)
        if rng.random() < 0.35:
            t1 = t0 + uniform((30, 240))  # over before its notice (5 min hold-down)
        else:
            t1 = t0 + uniform((360, 1800))
        if rng.random() < 0.8:  # a fibre cut: the port and most of its ONUs
            _p_pon, p_onu, offsets = gen.STORM["fibre-cut"]
            flapping("fibre-cut", olt, "pon", frame, slot, port, None, "LOS", t0, t1)
            for onu in onus:
                if rng.random() < p_onu:
                    c0 = t0 + uniform(offsets)
                    c1 = max(c0 + 5, t1 + uniform(gen.CHILD_CLEAR))
                    alarm(olt, "onu", frame, slot, port, onu, "LOS", c0, c1)
        else:  # a building's power cut, and a drop fibre flapping
            first = int(rng.random() * len(onus))
            for onu in onus[first : first + uniform(gen.MAINS_RUN)]:
                c0 = t0 + uniform((0, 30))
                alarm(
                    olt,
                    "onu",
                    frame,
                    slot,
                    port,
                    onu,
                    "power-off",
                    c0,
                    t1 + uniform(gen.MAINS_CLEAR),
                )
        onu = onus[int(rng.random() * len(onus))]
        s0 = int(rng.random() * 45)
        flapping("onu-los", olt, "onu", frame, slot, port, onu, "LOS", s0, s0 + uniform((60, 900)))
    if len(lines) < events:
        raise SystemExit(
            f"the province has too few PON ports for a storm of {events:,} events "
            f"({len(lines):,} from {used:,} ports): raise --customers"
        )
    lines.sort()
    return [(at, text) for at, _seq, text in lines], used


def peak_active(lines: list) -> tuple[int, int]:
    """The most alarms active at once in LINES (delivery order), in all and on one OLT."""
    active: dict[str, str] = {}
    per_olt: Counter = Counter()
    peak = peak_olt = 0
    for _at, text in lines:
        data = json.loads(text)
        alarm_id, olt = data["alarm_id"], data["olt_id"]
        if data["event"] == "raise" and alarm_id not in active:
            active[alarm_id] = olt
            per_olt[olt] += 1
            peak, peak_olt = max(peak, len(active)), max(peak_olt, per_olt[olt])
        elif data["event"] == "clear" and alarm_id in active:
            per_olt[active.pop(alarm_id)] -= 1
    return peak, peak_olt


def ingest_stream(lines: list, batch: int, counter: Statements) -> dict:
    """Post LINES in batches of BATCH as the API would take them; per-batch times."""
    from sqm.network.ingest import ingest_objects

    start_at = datetime.fromisoformat(STORM_START)
    times, cpus, statements = [], [], []
    counts: Counter = Counter()
    for first in range(0, len(lines), batch):
        chunk = lines[first : first + batch]
        body = "[" + ",".join(text for _at, text in chunk) + "]"
        now = start_at + timedelta(seconds=chunk[-1][0])
        before, cpu = counter.n, time.process_time()
        started = time.perf_counter()
        result = ingest_objects(json.loads(body), now=now)
        times.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        statements.append(counter.n - before)
        assert not result.errors, result.errors[:3]
        counts.update(result.counts)
    cpu = sum(cpus)
    total = sum(times)
    sizes = [min(batch, len(lines) - i) for i in range(0, len(lines), batch)]
    rates = [n / t for n, t in zip(sizes, times, strict=True)]
    return {
        "events": len(lines),
        "batch": batch,
        "batches": len(times),
        "s": total,
        "per_s": len(lines) / total,
        "cpu_ms_per_event": cpu / len(lines) * 1000,
        "cpu_per_s": len(lines) / cpu,
        "slowest_batch_per_s": min(rates),
        "batch_p50_ms": statistics.median(times) * 1000,
        "batch_p95_ms": percentile(times, 0.95) * 1000,
        "batch_max_ms": max(times) * 1000,
        "statements_per_batch": statistics.mean(statements),
        # Sustained: the first and the last fifth of the stream.
        "first_fifth_per_s": _share_rate(sizes, times, 0, 0.2),
        "last_fifth_per_s": _share_rate(sizes, times, 0.8, 1.0),
        "first_fifth_cpu_ms": 1000 / _share_rate(sizes, cpus, 0, 0.2),
        "last_fifth_cpu_ms": 1000 / _share_rate(sizes, cpus, 0.8, 1.0),
        "counts": dict(sorted(counts.items())),
    }


def _share_rate(sizes: list[int], times: list[float], low: float, high: float) -> float:
    n = len(times)
    a, b = int(n * low), max(int(n * low) + 1, int(n * high))
    return sum(sizes[a:b]) / sum(times[a:b])


def storm_figures(opts: dict, counter: Statements) -> dict:
    from sqm.network.models import FaultEvent, Outage
    from sqm.notify.models import OutboundMessage

    rng = random.Random(opts["seed"])
    ports = province_ports(rng)
    baseline_lines, used = storm(rng, list(reversed(ports)), opts["baseline_events"], "BASE")
    measured_lines, measured_ports = storm(
        rng, ports[: len(ports) - used], opts["storm_events"], "STORM"
    )
    log(
        f"storm: {len(measured_lines):,} events over {measured_ports:,} ports; baseline "
        f"{len(baseline_lines):,} events over {used:,} other ports, one per call"
    )
    out = {"ports": measured_ports, "baseline_ports": used, "province_ports": len(ports)}
    out["peak_active"], out["peak_active_olt"] = peak_active(measured_lines)
    out["baseline"] = ingest_stream(baseline_lines, 1, counter)
    log(f"storm baseline: {out['baseline']['per_s']:,.0f} events/s")
    out["measured"] = ingest_stream(measured_lines, opts["batch"], counter)
    out["faults"] = FaultEvent.objects.count()
    out["merged"] = FaultEvent.objects.filter(state="merged").count()
    out["outages"] = Outage.objects.count()
    out["messages"] = dict(Counter(OutboundMessage.objects.values_list("state", flat=True)))
    return out


# --- figure 3: the replay of a day -----------------------------------------------------------


def fold_day(source: Path, target: Path, alarms: int, seed: int) -> dict:
    """Fold the generator's stream into one day and keep a seeded sample of ALARMS alarms."""
    rows = []  # delivery order
    raised: dict[str, date] = {}
    with source.open(encoding="utf-8") as handle:
        for line in handle:
            data = json.loads(line)
            rows.append(data)
            if data["event"] == "raise":
                raised[data["alarm_id"]] = date.fromisoformat(data["occurred_at"][:10])
    first = min(raised.values())
    ids = sorted(raised)
    chosen = set(random.Random(seed).sample(ids, alarms)) if len(ids) > alarms else set(ids)
    out = []
    for data in rows:
        if data["alarm_id"] not in chosen:
            continue
        shift = timedelta(days=(raised[data["alarm_id"]] - first).days)
        data["occurred_at"] = (datetime.fromisoformat(data["occurred_at"]) - shift).isoformat()
        out.append(json.dumps(data, ensure_ascii=False) + "\n")
    target.write_text("".join(out), encoding="utf-8")
    return {"alarms": len(chosen), "lines": len(out), "days_folded": len(set(raised.values()))}


def replay_day(source: Path, opts: dict, counter: Statements) -> dict:
    import sqm.network.faults as faults
    from sqm.network.alarms import read_alarm_lines
    from sqm.network.outages import MemoryStore
    from sqm.notify.rules import current_rules

    day = source.with_name("day.jsonl")
    out = fold_day(source, day, opts["replay_alarms"], opts["seed"])

    def run() -> dict:
        before, cpu = counter.n, time.process_time()
        start = time.perf_counter()
        with day.open("rb") as handle:
            alarms, errors = read_alarm_lines(handle)
        assert not errors, errors[:3]
        result = faults.replay(alarms, current_rules())
        return {
            "s": time.perf_counter() - start,
            "cpu": time.process_time() - cpu,
            "statements": counter.n - before,
            "messages": len(result.messages),
            "counts": dict(sorted(result.counts.items())),
        }

    class Uncached(MemoryStore):
        def accounts_under(self, element):
            return list(self._accounts_under(element))

    out["measured"] = run()
    faults.MemoryStore = Uncached
    try:
        out["baseline"] = run()
    finally:
        faults.MemoryStore = MemoryStore
    return out


# --- figure 4: SMPP (no database) ------------------------------------------------------------


def smpp_figures(messages: int, baseline: int, latency: float) -> dict:
    spec = importlib.util.spec_from_file_location("bench_smpp", ROOT / "bench" / "smpp.py")
    smpp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(smpp)
    smsc, port = smpp.start_smsc(latency)
    try:
        windowed = smpp.run(port, 10, messages)
        single = smpp.run(port, 1, min(messages, baseline))
    finally:
        smsc.terminate()
        smsc.wait(timeout=10)
    return {
        "latency_ms": latency,
        "messages": messages,
        "baseline_messages": min(messages, baseline),
        "window10_per_s": windowed,
        "window1_per_s": single,
    }


# --- the parent ------------------------------------------------------------------------------


def table(rows: list[tuple[str, str, str, str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def verdict(ok: bool) -> str:
    return "✓" if ok else "✗"


def report(r: dict) -> None:
    o, b = r["olt"], r["olt_orm"]
    s, sb = r["storm"]["measured"], r["storm"]["baseline"]
    p = r["replay"]
    print()
    print(
        f"== {r['database']} {r['db_version']}: {r['customers']:,} customers, "
        f"{r['accounts']:,} accounts, {r['topology']:,} ONUs + two OLTs of "
        f"{o['outages']:,} accounts"
    )
    print(
        f"   {os.cpu_count()} CPUs, load average {r['load_start']:.1f} at the start, "
        f"{r['load_end']:.1f} at the end"
    )
    storm_s = s["events"] / 2000
    rows = [
        ("figure", "measured", "baseline (same run)", "target"),
        (
            f"1. OLT alarm → fault + {o['outages']:,} outages + {o['messages']:,} scheduled SMS",
            f"{o['raise']['s'] * 1000:,.0f} ms",
            f"{b['raise']['s'] * 1000:,.0f} ms per-row ORM ({b['messages']:,} SMS)",
            f"< 1 s {verdict(o['raise']['s'] < 1)}",
        ),
        (
            "   CPU of the process; SQL statements",
            f"{o['raise']['cpu'] * 1000:,.0f} ms; {o['raise']['statements']:,}",
            f"{b['raise']['cpu'] * 1000:,.0f} ms; {b['raise']['statements']:,}",
            "",
        ),
        (
            f"   its clear before the notices: {o['cancelled']:,} SMS cancelled",
            f"{o['clear']['s'] * 1000:,.0f} ms",
            f"{b['clear']['s'] * 1000:,.0f} ms per-row save() ({b['cancelled']:,})",
            "(none)",
        ),
        (
            f"2. storm: {s['events']:,} events, batches of {s['batch']:,}",
            f"{s['per_s']:,.0f} events/s ({s['s']:.1f} s)",
            f"{sb['per_s']:,.0f} events/s one per call ({sb['events']:,} events; "
            f"{s['events'] / sb['per_s']:,.0f} s extrapolated)",
            f"≥ 2,000/s {verdict(s['per_s'] >= 2000)} (all in {storm_s:.0f} s)",
        ),
        (
            "   CPU of the process per event (events per CPU second)",
            f"{s['cpu_ms_per_event']:.2f} ms ({s['cpu_per_s']:,.0f} /s)",
            f"{sb['cpu_ms_per_event']:.2f} ms ({sb['cpu_per_s']:,.0f} /s)",
            "",
        ),
        (
            "   first / last fifth of the stream",
            f"{s['first_fifth_per_s']:,.0f} / {s['last_fifth_per_s']:,.0f} events/s; CPU "
            f"{s['first_fifth_cpu_ms']:.2f} / {s['last_fifth_cpu_ms']:.2f} ms per event",
            "",
            "",
        ),
        (
            "   batch p50 / p95 / max; slowest batch",
            f"{s['batch_p50_ms']:,.0f} / {s['batch_p95_ms']:,.0f} / {s['batch_max_ms']:,.0f} ms;"
            f" {s['slowest_batch_per_s']:,.0f} events/s",
            f"{sb['batch_p50_ms']:.1f} / {sb['batch_p95_ms']:.1f} / {sb['batch_max_ms']:.0f} ms"
            " per event",
            "",
        ),
        (
            "   SQL statements per batch",
            f"{s['statements_per_batch']:,.0f}",
            f"{sb['statements_per_batch']:.1f} per event",
            "",
        ),
        (
            f"3. replay: a day of {p['alarms']:,} alarms ({p['lines']:,} lines)",
            f"{p['measured']['s']:,.1f} s ({p['measured']['messages']:,} SMS)",
            f"{p['baseline']['s']:,.1f} s without the account cache "
            f"({p['baseline']['messages']:,} SMS)",
            f"< 30 s {verdict(p['measured']['s'] < 30)}",
        ),
        (
            "   CPU of the process; SQL statements",
            f"{p['measured']['cpu']:,.1f} s; {p['measured']['statements']:,}",
            f"{p['baseline']['cpu']:,.1f} s; {p['baseline']['statements']:,}",
            "",
        ),
    ]
    table(rows)
    st = r["storm"]
    print(
        f"   storm: {st['ports']:,} of {st['province_ports']:,} PON ports; at most "
        f"{st['peak_active']:,} alarms active at once, {st['peak_active_olt']:,} on one OLT;"
        " counts " + ", ".join(f"{k} {v:,}" for k, v in s["counts"].items())
    )
    print(
        f"   after it: {st['faults']:,} fault events ({st['merged']:,} merged), "
        f"{st['outages']:,} outages, SMS "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(st["messages"].items()))
    )
    print(
        f"   replay: {p['days_folded']} days of the generator's stream folded into one; "
        + ", ".join(f"{k} {v:,}" for k, v in p["measured"]["counts"].items())
    )


def report_smpp(m: dict, notices: int) -> None:
    print()
    print(f"== 4. SMPP (bench/smpp.py's client and loopback SMSC, {m['latency_ms']:g} ms latency)")
    rows = [
        ("figure", "measured", "baseline (same run)", "target"),
        (
            f"SmppClient.send, window 10, {m['messages']:,} messages",
            f"{m['window10_per_s']:,.0f} messages/s",
            f"{m['window1_per_s']:,.0f} messages/s window 1 ({m['baseline_messages']:,})",
            f"≥ 1,000/s {verdict(m['window10_per_s'] >= 1000)}",
        ),
        (
            f"   figure 1's {notices:,} notices handed to the SMSC",
            f"{notices / m['window10_per_s']:,.1f} s",
            f"{notices / m['window1_per_s']:,.1f} s",
            "",
        ),
    ]
    table(rows)
    print(
        "   full SMPP figures (0 and 5 ms, end to end through sqm sms send): bench/smpp.py, "
        "docs/notify.md"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"))
    parser.add_argument("--customers", type=int, help="province size (default 200,000)")
    parser.add_argument("--olt-accounts", type=int, help="accounts on each big OLT (20,000)")
    parser.add_argument("--storm-events", type=int, help="alarm events in the storm (120,000)")
    parser.add_argument("--batch", type=int, default=2000, help="events per ingest call")
    parser.add_argument("--baseline-events", type=int, help="one-per-call sample (3,000)")
    parser.add_argument("--replay-alarms", type=int, help="alarms in the replayed day (10,000)")
    parser.add_argument("--smpp-messages", type=int, help="0 skips figure 4 (20,000)")
    parser.add_argument("--smpp-latency-ms", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="small sizes for smoke runs")
    parser.add_argument("--keep", action="store_true", help="keep the databases for a look")
    args = parser.parse_args()
    quick = args.quick

    def size(value, full, small):
        return value if value is not None else (small if quick else full)

    opts = {
        "olt_accounts": size(args.olt_accounts, 20_000, 1_000),
        "storm_events": size(args.storm_events, 120_000, 3_000),
        "baseline_events": size(args.baseline_events, 3_000, 200),
        "replay_alarms": size(args.replay_alarms, 10_000, 300),
        "batch": args.batch,
        "seed": args.seed,
    }
    customers = size(args.customers, 200_000, 5_000)
    smpp_messages = size(args.smpp_messages, 20_000, 500)
    database = args.database or ("both" if os.environ.get("SQM_DATABASE_URL") else "sqlite")
    if database != "sqlite" and not os.environ.get("SQM_DATABASE_URL"):
        parser.error("PostgreSQL needs SQM_DATABASE_URL (see scripts/pg-test-cluster.sh)")

    server = os.environ.pop("SQM_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqm.settings")
    data = Path(tempfile.mkdtemp(prefix="sqm-bench-faults-data-"))
    scratch = Path(tempfile.mkdtemp(prefix="sqm-bench-faults-gen-"))
    results = []
    try:
        os.environ["SQM_HOME"] = str(scratch)
        import django

        django.setup()
        from sqm.core.generator import generate_province

        days = max(
            1, math.ceil(1.3 * opts["replay_alarms"] / (ALARMS_PER_CUSTOMER_DAY * customers))
        )
        start = time.perf_counter()
        counts = generate_province(
            data, customers=customers, seed=args.seed, months=0, as_of=AS_OF, alarm_days=days
        )
        log(f"generate ({days} days of alarms): {counts} in {time.perf_counter() - start:.1f} s")
        for db in ("sqlite", "postgres") if database == "both" else (database,):
            r = run_child(__file__, "faults", db, [str(data), json.dumps(opts)], server, args.keep)
            results.append(r)
            report(r)  # as soon as it is there: a later failure keeps it
            sys.stdout.flush()
    finally:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
    if smpp_messages:
        log("figure 4, SMPP")
        report_smpp(
            smpp_figures(smpp_messages, max(200, smpp_messages // 10), args.smpp_latency_ms),
            results[0]["olt"]["messages"],
        )
    print(
        "\nBaselines: 1 — the same rows written with one ORM create()/save() per row in one "
        "transaction; 2 — one alarm event per ingest call over a smaller storm of the same "
        "shape on other ports, its rate extrapolated; 3 — the same replay with the memory "
        "store's per-element account cache off; 4 — a window of 1 (one request at a time)."
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child(Path(sys.argv[2]), json.loads(sys.argv[3]))
    else:
        main()
