"""The facts of bench/kpi.py: the operational facts of a generated province written with bulk
inserts (sqm.core.bulk.BulkInserter; COPY on PostgreSQL), spread over the 12 months before
NOW. The shapes are described in bench/kpi.py's docstring and docs/benchmarks.md."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

from _child import log

DAY = 86400.0
HOUR = 3600.0
YEAR = 365 * DAY
REPAIR_CAUSES = ("光猫故障", "线路故障", "PON口故障", "用户终端", "欠费停机", "其他")
NETWORK_CAUSES = frozenset(("线路故障", "PON口故障", "光猫故障"))
OUTAGE_CAUSES = ("光缆中断", "设备故障", "电源故障", "用户侧", "其他")
SKILLS = ("宽带", "家庭网关", "政企", "国际漫游", "投诉升级")
DEDICATED = ("dedicated_voice", "dedicated_data", "dedicated_internet")
CHUNK = 50_000


def at(seconds: float | None) -> datetime | None:
    """An aware time in whole seconds (the engine's unit), or None."""
    return None if seconds is None else datetime.fromtimestamp(int(seconds), UTC)


def insert(model, rows, by: str | None = None) -> int:
    """ROWS (an iterable of dicts) into MODEL's table, CHUNK at a time, one transaction; in
    the order of the time BY when given, as an operational database receives them (the
    other systems' records arrive as they happen, so ids follow time)."""
    from django.db import transaction

    from sqm.core.bulk import BulkInserter

    inserter = BulkInserter(model)
    if by is not None:
        rows = sorted(rows, key=lambda row: row[by])
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

    counts["repairs"] = insert(q.Repair, repair_rows(rng, repairs, broadband, now), "reported_at")
    log(f"  {counts['repairs']:,} repairs")
    counts["activations"] = insert(
        q.Activation,
        activation_rows(rng, int(0.6 * repairs), broadband, dedicated, now),
        "ordered_at",
    )
    counts["transfers"] = insert(
        q.Transfer, transfer_rows(rng, orders // 2, cities, now), "requested_at"
    )
    counts["speed_tests"] = insert(
        q.SpeedTest, speed_rows(rng, repairs // 2, broadband, cities, now), "measured_at"
    )
    counts["operations"] = insert(q.OperationsMonth, operations_rows(rng, cities, now))
    counts["circuits"] = insert(
        q.Circuit, circuit_rows(rng, max(10, repairs // 50), customers, now)
    )
    circuits = list(q.Circuit.objects.values_list("pk", "city_id", "opened_at"))
    counts["circuit_outages"] = insert(
        q.CircuitOutage, outage_rows(rng, max(10, repairs // 20), circuits, now), "started_at"
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
