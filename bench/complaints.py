"""Work-order benchmark: intake, my queue, team-lead lists and the SLA job on 1,000,000 orders.

    .venv/bin/python bench/complaints.py [--orders 1000000] [--customers 50000] [--intake 2000]
        [--seed 1] [--database sqlite|postgres|both] [--intake-workers 2] [--home-sample 30]
        [--quick] [--explain] [--keep]

Issue 3 §8. Each database gets a child process with its own SQM_HOME (SQLite) or its own
fresh database on the server named by SQM_DATABASE_URL (PostgreSQL; `--database` defaults to
both when that is set). The child imports a generated province (customers only), creates
~200 staff (hotline agents, second line, team leads, one city each), records `--intake`
contacts through `record_contact` on the empty table, fills the work-order table to
`--orders` rows with one raw multi-row insert (COPY on PostgreSQL) — ~8 % open across the
open states, the rest closed, spread over 12 months, deadlines as the SLA policies give
them, a fifth of the running ones overdue — runs ANALYZE and measures, each next to the
baseline it is compared with (measured in the same run):

1. intake through `record_contact` (one transaction per contact, as the page does) on the
   full table, in orders/s — against the same calls on the empty table and the target
   300/s; then the same number of contacts shared by `--intake-workers` processes at once
   (as several page workers would record them) — against the one-process figure;
2. p50/p95 of `list(my_queue(user)[:50])` over every user, and of the team-lead lists
   `search(lead, Filters(department=…, sla="overdue"))` and `Filters(city=…,
   state="escalated")` (first 50), plus the team-lead `overview` — against the same
   queries after dropping the composite indexes workorder_queue, workorder_department and
   workorder_city_state (the single-column state and foreign-key indexes stay: the schema
   without the indexes the domain added for these lists). Target p95 < 100 ms;
3. home pages (issue 12): each role's home page, GET / through Django's test client
   (middleware, panels, templates and context processors; status 200), for up to
   `--home-sample` users of each role — hotline agents, second line and team leads as
   above, plus 10 first-line staff (one city each, in a front-line department) and 5
   quality managers who see all cities — p50/p95 against the same user's work-order list
   page (my queue for agents, first and second line; the order list for leads and quality
   managers) requested in turn with it, with the SQL statements per page and each panel's
   build alone. Then the team lead's 30-day trend (`workload.daily_trend`) and the quality
   manager's `workload.volume` and trend, called alone, against the same calls after
   dropping workorder_created and workorder_closed_at (complaints 0015; put back after);
4. `check_deadlines(now)`: a first run with the checkpoint 1 min back, then runs advancing
   `now` by 60 s (mean/max per run) — against a naive job that loads every running order
   and compares its deadlines in Python (no notifications written: a lower bound). Then
   every other closed order older than 30 days is put back in progress with its old (long
   past) deadlines, so the number of open orders grows ~5x while the number crossing a line
   per minute stays the same, and both are timed again: the job's cost should not move, the
   naive scan's should. Target < 1 s per run. A first run ever (24 h look-back) is shown for
   information.

Step 3 runs after the SLA job's first runs and before step 2's baseline drops the list
indexes. `--quick` shrinks the defaults (50,000 orders, 5,000 customers, 200 contacts) for
smoke runs. `--explain` also prints the plans of the work-order statements exactly as the domain
code runs them (EXPLAIN QUERY PLAN and one more timed run on SQLite, EXPLAIN ANALYZE on
PostgreSQL), the home pages of a team lead and a quality manager included. Figures are
wall-clock on this machine; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _child import log, run_child

LIST_INDEXES = ("workorder_queue", "workorder_department", "workorder_city_state")
OPEN_SHARE = 0.08
# Open states and their shares among open orders (docs/work-orders.md).
OPEN_MIX = (
    ("new", 10),
    ("in_progress", 25),
    ("escalated", 33),
    ("replied", 10),
    ("awaiting_callback", 15),
    ("reopened", 3),
    ("suspended", 4),
)
CHANNEL_MIX = (
    ("hotline", 70),
    ("business_hall", 8),
    ("online_hall", 5),
    ("app", 8),
    ("sms", 3),
    ("letter", 1),
    ("regulator", 2),
    ("consumer_association", 1.5),
    ("media", 1.5),
)
TEXTS = (
    "宽带晚上网速很慢，看视频一直卡顿，要求尽快处理",
    "光猫指示灯红色闪烁，无法上网已经两天",
    "本月话费比平时多扣了三十元，要求退还",
    "营业厅工作人员态度差，办理业务等待时间过长",
    "未经同意被开通了增值业务，要求退订并退费",
    "家里信号很差，经常打不通电话",
    "装机预约时间一再推迟，没有人联系",
    "套餐变更后资费与宣传不符，要求恢复原套餐",
)
HOUR = 3600.0
DAY = 24 * HOUR


def percentiles(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    if not ordered:
        return {"n": 0, "p50": 0.0, "p95": 0.0, "max": 0.0}
    p95 = ordered[math.ceil(0.95 * len(ordered)) - 1]  # nearest rank
    return {
        "n": len(ordered),
        "p50": statistics.median(ordered),
        "p95": p95,
        "max": ordered[-1],
    }


# --- the child: one database, fresh ---------------------------------------------------------


def child(data: Path, opts: dict) -> None:
    """Runs inside a fresh process (own SQM_HOME / database); prints one JSON line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqm.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import translation

    translation.activate("en")
    rng = random.Random(opts["seed"])
    out: dict = {"database": connection.vendor, "db_version": db_version()}
    out["load_start"] = os.getloadavg()[0]
    log(f"{connection.vendor}: migrate")
    call_command("migrate", verbosity=0)

    import sqm.customers.importers  # noqa: F401
    from sqm.core.importing import run_import

    start = time.perf_counter()
    result = run_import("customers", data / "customers.csv", log_changes=False)
    assert result.ok, result.error_lines()[:5]
    out["customers"] = result.rows
    log(f"{connection.vendor}: {result.rows:,} customers in {time.perf_counter() - start:.1f} s")

    world = make_world(rng, opts["users"])
    out["users"] = len(world["users"])

    log(f"{connection.vendor}: intake on the empty table ({opts['intake']} contacts)")
    out["intake_empty"] = intake(world, rng, opts["intake"])

    start = time.perf_counter()
    filled = fill(world, rng, opts["orders"] - opts["intake"])
    out["fill_s"] = time.perf_counter() - start
    out["orders"] = filled["rows"] + opts["intake"]
    log(f"{connection.vendor}: filled {filled['rows']:,} work orders in {out['fill_s']:.0f} s")
    out["analyze_s"] = analyze()
    out["db_mib"] = database_mib()
    out["open"] = count_open()

    log(f"{connection.vendor}: intake on the full table ({opts['intake']} contacts)")
    out["intake_full"] = intake(world, rng, opts["intake"])
    workers = opts["intake_workers"]
    log(f"{connection.vendor}: intake, {workers} processes at once ({opts['intake']} contacts)")
    out["intake_parallel"] = intake_parallel(opts["intake"], workers, opts["seed"])

    log(f"{connection.vendor}: lists")
    plans: dict = {}
    out["lists"] = {"indexed": lists(world, opts["rounds"], plans, "indexed")}

    log(f"{connection.vendor}: SLA job at {out['open']:,} open orders")
    t0 = datetime.now(UTC).replace(microsecond=0)
    out["sla"] = {"open": out["open"], **sla_job(t0, opts["sla_runs"], plans, "")}

    log(f"{connection.vendor}: home pages")
    by_role = add_home_users(world)
    out["home"] = home_pages(by_role, opts["rounds"], opts["home_sample"], opts["seed"], plans)
    out["trend"] = {"indexed": trend_functions(by_role, opts["rounds"], plans, "trend")}
    log(f"{connection.vendor}: trend functions without {', '.join(TREND_INDEXES)}")
    set_trend_indexes(False)
    out["trend"]["noindex"] = trend_functions(by_role, opts["rounds"], plans, "no trend index")
    set_trend_indexes(True)

    log(f"{connection.vendor}: lists without the composite indexes")
    drop_list_indexes()
    analyze()
    out["lists"]["noindex"] = lists(world, opts["rounds"], plans, "noindex")

    log(f"{connection.vendor}: reopening closed orders (a large backlog)")
    out["reopened"] = reopen_backlog(filled["now"])
    analyze()
    out["sla_big"] = {"open": count_open(), **sla_job(t0, opts["sla_runs"], plans, "big-")}
    log(f"{connection.vendor}: SLA job, first run ever (24 h look-back)")
    out["sla_catch_up"] = catch_up(t0 + timedelta(seconds=60 * (opts["sla_runs"] + 1)))
    out["plans"] = plans
    out["load_end"] = os.getloadavg()[0]
    print(json.dumps(out, default=str))


def db_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
        else:
            cursor.execute("show server_version")
        return cursor.fetchone()[0]


def analyze() -> float:
    from django.db import connection

    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - start


def database_mib() -> float:
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return Path(connection.settings_dict["NAME"]).stat().st_size / 2**20
    with connection.cursor() as cursor:
        cursor.execute("select pg_database_size(current_database())")
        return cursor.fetchone()[0] / 2**20


def count_open() -> int:
    from sqm.complaints.models import WorkOrder

    return WorkOrder.objects.exclude(state="closed").count()


def make_world(rng: random.Random, n_users: int) -> dict:
    """Staff (one city each), the filing categories, customers by city, the SLA policies."""
    from django.contrib.auth.models import Group

    from sqm.complaints.models import Department, WorkOrder
    from sqm.complaints.services import filing_categories, routing_of
    from sqm.complaints.sla import policy_for
    from sqm.core.models import City, User
    from sqm.customers.models import Customer

    cities = list(City.objects.order_by("pk"))
    departments = {d.code: d for d in Department.objects.all()}
    back = [d for d in departments.values() if d.kind == "back_office"]
    second = [d for d in departments.values() if d.kind == "second_line"]
    # 65 % hotline agents, 25 % second line, 10 % team leads; city i % cities.
    roles = []
    for i in range(n_users):
        share = i / n_users
        roles.append(
            "hotline_agent" if share < 0.65 else "second_line" if share < 0.9 else "team_lead"
        )
    users = User.objects.bulk_create(
        User(username=f"bench{i:04d}", password="!", first_name=role)
        for i, role in enumerate(roles)
    )
    groups = {g.name: g for g in Group.objects.filter(name__in=set(roles))}
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=u.pk, group_id=groups[role].pk)
        for u, role in zip(users, roles, strict=True)
    )
    city_of = {u.pk: cities[i % len(cities)].pk for i, u in enumerate(users)}
    User.cities.through.objects.bulk_create(
        User.cities.through(user_id=pk, city_id=city) for pk, city in city_of.items()
    )
    handling = back + second
    members = []
    member_of: dict[tuple[int, int], list[int]] = {}
    k = 0
    for u, role in zip(users, roles, strict=True):
        if role == "second_line":
            dept = handling[k % len(handling)]
            k += 1
            members.append(Department.members.through(department_id=dept.pk, user_id=u.pk))
            member_of.setdefault((city_of[u.pk], dept.pk), []).append(u.pk)
    Department.members.through.objects.bulk_create(members)
    agents: dict[int, list[int]] = {}
    for u, role in zip(users, roles, strict=True):
        if role == "hotline_agent":
            agents.setdefault(city_of[u.pk], []).append(u.pk)

    categories = list(filing_categories())
    cats = []
    for cat in categories:
        area, dept = routing_of(cat)
        second_line = "NET-2L" if area == "network_quality" else "BILL-2L"
        cats.append((cat, dept.pk, departments[second_line].pk))
    customers: dict[int, list[tuple[int, str]]] = {}
    for pk, city, tier in Customer.objects.values_list("pk", "city_id", "tier"):
        customers.setdefault(city, []).append((pk, tier))
    # The policy the service would pick, per (category, tier, upgraded).
    policies = {}
    for cat, _, _ in cats:
        for tier in ("normal", "silver", "gold", "diamond"):
            for upgraded in (False, True):
                order = WorkOrder(category=cat, customer=Customer(tier=tier), upgraded=upgraded)
                p = policy_for(order)
                policies[cat.pk, tier, upgraded] = (
                    p.pk,
                    float(p.response_hours) * HOUR,
                    float(p.resolution_hours) * HOUR,
                    float(p.resolution_hours * p.warning_ratio) * HOUR,
                    float(p.callback_hours) * HOUR,
                )
    return {
        "users": users,
        "roles": dict(zip((u.pk for u in users), roles, strict=True)),
        "city_of": city_of,
        "cities": {c.pk: c for c in cities},
        "agents": {c: a for c, a in agents.items() if c in customers},
        "members": member_of,
        "cats": cats,
        "customers": customers,
        "policies": policies,
        "back_codes": [d.code for d in back] + [d.code for d in second],
    }


def intake(world: dict, rng: random.Random, n: int, ready=None) -> dict:
    """N contacts through the service layer, each its own transaction (autocommit).

    READY, when given, is called just before the clock starts (the parallel run's barrier).
    """
    from sqm.complaints.services import Intake, record_contact
    from sqm.core.models import User
    from sqm.customers.models import Customer

    facts = Intake(topic="other", accepted=False, dissatisfied=True, demands={"restore"})
    cities = sorted(world["agents"])
    picks = []
    for _ in range(n):
        city = rng.choice(cities)
        picks.append(
            (
                rng.choice(world["agents"][city]),
                rng.choice(world["customers"][city])[0],
                rng.choice(world["cats"])[0],
                rng.choice(TEXTS),
            )
        )
    # Loaded before the clock starts, as the page has them from its form.
    people = User.objects.in_bulk({p[0] for p in picks})
    customers = Customer.objects.in_bulk({p[1] for p in picks})
    samples = []
    if ready is not None:
        ready()
    began = time.time()
    cpu = time.process_time()
    start = time.perf_counter()
    for agent, customer, category, text in picks:
        one = time.perf_counter()
        order, decision = record_contact(
            people[agent],
            customer=customers[customer],
            category=category,
            channel="hotline",
            description=text,
            intake=facts,
        )
        samples.append((time.perf_counter() - one) * 1000)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    assert decision.record_type == "complaint_work_order" and order.resolve_due is not None
    # CPU seconds of this process (Django, and SQLite's own work as it runs in-process).
    return {
        "n": n,
        "per_s": n / elapsed,
        "cpu_ms": cpu / n * 1000,
        "began": began,
        "ended": began + elapsed,
        **percentiles(samples),
    }


def intake_world() -> dict:
    """What `intake` needs of the world, read back from the database (parallel workers)."""
    from sqm.complaints.services import filing_categories
    from sqm.core.models import User
    from sqm.customers.models import Customer

    agents: dict[int, list[int]] = {}
    staff = User.objects.filter(groups__name="hotline_agent", username__startswith="bench")
    for pk, city in staff.values_list("pk", "cities"):
        agents.setdefault(city, []).append(pk)
    customers: dict[int, list[tuple[int, str]]] = {}
    for pk, city, tier in Customer.objects.filter(city__in=list(agents)).values_list(
        "pk", "city_id", "tier"
    ):
        customers.setdefault(city, []).append((pk, tier))
    return {
        "agents": {c: a for c, a in agents.items() if c in customers},
        "customers": customers,
        "cats": [(cat,) for cat in filing_categories()],
    }


def intake_worker(args: dict) -> None:
    """One of the parallel intake processes: set up, wait for the others, record N contacts."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqm.settings")
    import django

    django.setup()
    world = intake_world()
    barrier = Path(args["barrier"])

    def ready():
        (barrier / f"ready-{args['index']}").touch()
        while len(list(barrier.glob("ready-*"))) < args["workers"]:
            time.sleep(0.01)

    rng = random.Random(args["seed"] * 1000 + args["index"])
    print(json.dumps(intake(world, rng, args["n"], ready)))


def intake_parallel(n: int, workers: int, seed: int) -> dict:
    """N contacts shared among WORKERS processes at once (as page workers would record them)."""
    barrier = Path(tempfile.mkdtemp(prefix="sqm-bench-barrier-"))
    try:
        procs = [
            subprocess.Popen(
                [sys.executable, __file__, "_intake", json.dumps(args)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for args in (
                {"n": n // workers, "index": i, "workers": workers, "seed": seed}
                | {"barrier": str(barrier)}
                for i in range(workers)
            )
        ]
        outs = []
        for proc in procs:
            stdout, _ = proc.communicate()
            if proc.returncode:
                raise RuntimeError(f"intake worker failed ({proc.returncode})")
            outs.append(json.loads(stdout.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(barrier, ignore_errors=True)
    total = sum(o["n"] for o in outs)
    span = max(o["ended"] for o in outs) - min(o["began"] for o in outs)
    return {
        "workers": workers,
        "n": total,
        "per_s": total / span,
        "p50": statistics.median(o["p50"] for o in outs),
        "p95": max(o["p95"] for o in outs),
    }


def weighted(rng: random.Random, mix):
    values, weights = zip(*mix, strict=True)
    return lambda k=1: rng.choices(values, weights, k=k)


def fill(world: dict, rng: random.Random, total: int) -> dict:
    """TOTAL work orders in one transaction, oldest first, with a raw multi-row insert."""
    from django.db import connection, transaction

    from sqm.complaints.models import WorkOrder

    now = time.time()
    n_open = round(total * OPEN_SHARE)
    pick_state = weighted(rng, OPEN_MIX)
    pick_channel = weighted(rng, CHANNEL_MIX)
    city_ids = sorted(world["agents"])
    city_weights = [len(world["customers"][c]) for c in city_ids]
    states = ["closed"] * (total - n_open) + pick_state(n_open)
    # Light specs first, sorted by creation time: rows go in oldest first, as ids would.
    specs = []
    n_cats = len(world["cats"])
    for state, city, channel in zip(
        states, rng.choices(city_ids, city_weights, k=total), pick_channel(total), strict=True
    ):
        customer, tier = rng.choice(world["customers"][city])
        cat = rng.randrange(n_cats)
        upgraded = channel in ("regulator", "consumer_association", "media")
        resolve = world["policies"][world["cats"][cat][0].pk, tier, upgraded][2]
        if state == "closed":
            age = rng.uniform(4 * DAY, 365 * DAY)
        elif state in ("new", "in_progress", "escalated", "reopened"):
            # Most within their limit, a fifth past it (up to a week).
            overdue = rng.random() < 0.2
            age = rng.uniform(resolve, resolve + 7 * DAY) if overdue else rng.uniform(0, resolve)
        elif state == "suspended":
            age = rng.uniform(HOUR, 5 * DAY)
        else:
            age = rng.uniform(2 * HOUR, 3 * DAY)
        specs.append((now - age, state, city, channel, customer, tier, cat, upgraded))
    specs.sort()
    fields = [f for f in WorkOrder._meta.concrete_fields if not f.primary_key]
    attnames = [f.attname for f in fields]
    defaults = {}
    for f in fields:
        default = f.get_default()  # "" for text columns without a default
        json_field = f.get_internal_type() == "JSONField"
        defaults[f.attname] = json.dumps(default) if json_field else default
    times = {f.attname for f in fields if f.get_internal_type() == "DateTimeField"}
    if connection.vendor == "sqlite":  # stored as naive UTC text, as Django writes it

        def stamp(seconds):
            naive = datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
            return naive.isoformat(" ", "microseconds")
    else:

        def stamp(seconds):
            return datetime.fromtimestamp(seconds, UTC)

    first_id = (WorkOrder.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    table = connection.ops.quote_name(WorkOrder._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    insert = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"

    def tuples(chunk, offset):
        for n, spec in enumerate(chunk):
            row = order_row(world, rng, spec)
            day = datetime.fromtimestamp(spec[0], UTC)
            row["number"] = f"TS{day:%Y%m%d}{first_id + offset + n:08d}"
            values = {**defaults, **row}
            yield tuple(
                stamp(values[a]) if a in times and values[a] is not None else values[a]
                for a in attnames
            )

    chunk_size = 20_000
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size=-1000000")  # 1 GB while filling only
        for offset in range(0, len(specs), chunk_size):
            chunk = specs[offset : offset + chunk_size]
            if connection.vendor == "sqlite":
                cursor.executemany(insert, list(tuples(chunk, offset)))
            else:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for values in tuples(chunk, offset):
                        copy.write_row(values)
            if (offset // chunk_size) % 10 == 9:
                log(f"  {offset + len(chunk):,} / {len(specs):,}")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size=-2000")  # back to the default for measuring
    return {"rows": len(specs), "now": now}


def order_row(world: dict, rng: random.Random, spec: tuple) -> dict:
    """One work order as column values (times as epoch seconds), plausible for its state."""
    created, state, city, channel, customer, tier, cat, upgraded = spec
    category, home_dept, second_dept = world["cats"][cat]
    agents = world["agents"][city]
    recorder = rng.choice(agents)
    row = {
        "created": created,
        "last_updated": created,
        "customer_id": customer,
        "city_id": city,
        "channel": channel,
        "upgraded": upgraded,
        "category_id": category.pk,
        "description": rng.choice(TEXTS),
        "topic": "other",
        "demands": '["restore"]',
        "state": state,
        "created_by_id": recorder,
    }
    if state == "closed" and rng.random() < 0.15:
        # Service requests and direct-answer complaints: recorded closed, no clock.
        kind = rng.choice(("service", "direct_answer_complaint"))
        row.update(record_type=kind, closed_at=created)
        return row
    policy, respond, resolve, warn, callback = world["policies"][category.pk, tier, upgraded]
    row.update(
        policy_id=policy,
        response_due=created + respond,
        resolve_due=created + resolve,
        warn_at=created + warn,
    )
    age = time.time() - created
    escalated = state == "escalated" or (state != "new" and rng.random() < 0.4)
    assignee = recorder
    if escalated:
        dept = second_dept if rng.random() < 0.25 else home_dept
        row["department_id"] = dept
        if dept == home_dept:
            row["first_responsible_id"] = dept
        members = world["members"].get((city, dept), [])
        if state in ("escalated", "replied", "suspended"):
            # Half still in the department's pool, half taken on by a member.
            assignee = rng.choice(members) if members and rng.random() < 0.5 else None
    row["assignee_id"] = assignee
    if state in ("replied", "awaiting_callback", "reopened", "closed"):
        if state == "closed":  # some replied after the deadline (untimely)
            handled = rng.uniform(0.5 * HOUR, 1.15 * resolve)
        else:
            handled = rng.uniform(0.25 * HOUR, max(0.5 * HOUR, min(age - 0.25 * HOUR, resolve)))
        replied = created + handled
        row.update(
            reply="已联系客户并处理完毕", replied_at=replied, callback_due=replied + callback
        )
        row["last_updated"] = replied
        if state == "awaiting_callback":
            row["assignee_id"] = rng.choice(agents)
    if state == "closed":
        closed = row["replied_at"] + rng.uniform(0.5 * HOUR, min(callback, 30 * HOUR))
        outcome = rng.choices(("satisfied", "basically_satisfied", "unreachable"), (80, 15, 5))[0]
        row.update(
            closed_at=closed,
            last_updated=closed,
            untimely=row["replied_at"] > row["resolve_due"],
            callback_outcome=outcome,
            callback_attempts=3 if outcome == "unreachable" else 0,
            assignee_id=rng.choice(agents),
            version=5,
        )
    elif state == "reopened":  # dissatisfied at callback: service remediation
        row.update(
            callback_outcome="dissatisfied",
            remediation=True,
            remediation_owner_id=rng.choice(agents),
            callback_due=None,
            version=5,
        )
    elif state == "suspended":
        row.update(
            state_before_suspension="escalated" if escalated else "in_progress",
            suspended_at=created + rng.uniform(0, age),
            version=3,
        )
    else:
        row["version"] = {"new": 0, "in_progress": 1, "escalated": 2}.get(state, 4)
    return row


# --- lists ------------------------------------------------------------------------------------


def lists(world: dict, rounds: int, plans: dict, label: str) -> dict:
    """p50/p95 of my queue (every user) and of the team-lead lists and overview."""
    from sqm.complaints.queries import Filters, my_queue, overview, search
    from sqm.core.models import User

    pks = [u.pk for u in world["users"]]
    leads = [pk for pk in pks if world["roles"][pk] == "team_lead"]
    city_code = {pk: world["cities"][world["city_of"][pk]].code for pk in pks}
    depts = world["back_codes"]

    def fresh(ids):
        # A request loads its user afresh: the permission cache starts empty, as on a page.
        found = User.objects.in_bulk(ids)
        return [found[pk] for pk in ids]

    def timed(ids, call) -> dict:
        samples = []
        for n in range(rounds + 1):  # the first pass warms the cache and is not counted
            for i, user in enumerate(fresh(ids)):
                start = time.perf_counter()
                call(i, user)
                if n:
                    samples.append((time.perf_counter() - start) * 1000)
        return percentiles(samples)

    def dept_overdue(i, user):
        department = depts[i % len(depts)]  # each lead asks for every department in turn
        return list(search(user, Filters(department=department, sla="overdue"))[:50])

    def city_escalated(i, user):
        return list(search(user, Filters(city=city_code[user.pk], state="escalated"))[:50])

    every_dept = [pk for pk in leads for _ in depts]
    result = {
        "my_queue": timed(pks, lambda i, user: list(my_queue(user)[:50])),
        "dept_overdue": timed(every_dept, dept_overdue),
        "city_escalated": timed(leads * 5, city_escalated),
        "overview": timed(leads, lambda i, user: overview(user)),
    }
    agent = next(pk for pk in pks if world["roles"][pk] == "hotline_agent")
    member = next(pk for pk in pks if world["roles"][pk] == "second_line")
    lead = leads[0]
    for name, pk, call in (
        ("my_queue, hotline agent", agent, lambda i, user: list(my_queue(user)[:50])),
        ("my_queue, second line", member, lambda i, user: list(my_queue(user)[:50])),
        (
            "lead, department NET, overdue",
            lead,
            lambda i, user: dept_overdue(depts.index("NET"), user),
        ),
        ("lead, city, escalated", lead, city_escalated),
        ("lead, overview", lead, lambda i, user: overview(user)),
    ):
        plans[f"{label}: {name}"] = explain(lambda call=call, pk=pk: call(0, fresh([pk])[0]))
    return result


def explain(fn) -> str:
    """The plans of the work-order SELECTs FN runs, exactly as it runs them (PostgreSQL:
    EXPLAIN ANALYZE, so with actual row counts and times; SQLite: EXPLAIN QUERY PLAN and the
    time of one more warm run of the statement)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    out = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.startswith("SELECT") or "complaints_workorder" not in sql:
            continue
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                lines = [f"{row[0]} {row[1]} {row[3]}" for row in cursor.fetchall()]
                # SQLite's plan has no times: run the statement once more, warm, and say so.
                start = time.perf_counter()
                cursor.execute(sql)
                cursor.fetchall()
                lines.append(f"-> {(time.perf_counter() - start) * 1000:.1f} ms (run again, warm)")
            else:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                lines = [row[0] for row in cursor.fetchall()]
        out.append(f"{sql[:400]}{'…' if len(sql) > 400 else ''}\n" + "\n".join(lines))
    return "\n\n".join(out)


# The plain foreign-key indexes a schema without the list indexes would have (the domain
# leaves them out because the composite indexes lead with the same columns).
PLAIN_FK_INDEXES = {
    "bench_fk_assignee": "assignee_id",
    "bench_fk_department": "department_id",
    "bench_fk_city": "city_id",
}


def drop_list_indexes() -> None:
    from django.db import connection

    table = connection.ops.quote_name("complaints_workorder")
    with connection.cursor() as cursor:
        for name in LIST_INDEXES:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        for name, column in PLAIN_FK_INDEXES.items():
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {connection.ops.quote_name(name)} "
                f"ON {table} ({connection.ops.quote_name(column)})"
            )
        cursor.execute("ANALYZE")


# --- home pages -------------------------------------------------------------------------------

TREND_INDEXES = {"workorder_created": "created", "workorder_closed_at": "closed_at"}
# Each role's home page and the list page of the same user it is compared with.
HOME_ROLES = (
    ("hotline_agent", "/complaints/queue/"),
    ("first_line", "/complaints/queue/"),
    ("second_line", "/complaints/queue/"),
    ("team_lead", "/complaints/orders/"),
    ("quality_manager", "/complaints/orders/"),
)
QUALITY_MANAGERS = 5  # provincial (all cities): the widest scope a home page counts over
FIRST_LINE = 10  # one city each, members of a front-line department


def add_home_users(world: dict) -> dict[str, list[int]]:
    """The roles the list benchmark does without: quality managers (all cities) and
    first-line staff (one city each, in HOTLINE or HALL). Returns every role's user ids."""
    from django.contrib.auth.models import Group

    from sqm.complaints.models import Department
    from sqm.core.models import User

    front = list(Department.objects.filter(kind="front_line").order_by("code"))
    cities = sorted(world["cities"])
    made = {}
    for role, n in (("quality_manager", QUALITY_MANAGERS), ("first_line", FIRST_LINE)):
        users = User.objects.bulk_create(
            User(
                username=f"bench-{role}-{i}",
                password="!",
                first_name=role,
                all_cities=role == "quality_manager",
            )
            for i in range(n)
        )
        group = Group.objects.get(name=role)
        User.groups.through.objects.bulk_create(
            User.groups.through(user_id=u.pk, group_id=group.pk) for u in users
        )
        if role == "first_line":
            User.cities.through.objects.bulk_create(
                User.cities.through(user_id=u.pk, city_id=cities[i % len(cities)])
                for i, u in enumerate(users)
            )
            Department.members.through.objects.bulk_create(
                Department.members.through(department_id=front[i % len(front)].pk, user_id=u.pk)
                for i, u in enumerate(users)
            )
        made[role] = [u.pk for u in users]
    by_role: dict[str, list[int]] = {}
    for pk, role in world["roles"].items():
        by_role.setdefault(role, []).append(pk)
    return by_role | made


def home_pages(by_role: dict, rounds: int, sample: int, seed: int, plans: dict) -> dict:
    """Each role's home page (GET / through the test client: middleware, panels, templates,
    context processors) for SAMPLE users of the role, each request next to the same user's
    work-order list page; then each panel's build alone. The first pass warms the caches and
    counts the SQL statements; it is not timed."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from sqm.core.home import panels_for
    from sqm.core.models import User

    pick = random.Random(seed)
    out = {}
    for role, list_path in HOME_ROLES:
        pks = sorted(by_role.get(role, []))
        if not pks:
            continue
        chosen = pks if len(pks) <= sample else sorted(pick.sample(pks, sample))
        clients = []
        for user in User.objects.filter(pk__in=chosen).order_by("pk"):
            client = Client(HTTP_HOST="localhost")  # ALLOWED_HOSTS, outside the test runner
            client.force_login(user)
            clients.append(client)
        home, listed, statements = [], [], {"/": [], list_path: []}
        for n in range(rounds + 1):
            for client in clients:
                # The home page and the list in turn, so load changes hit both alike.
                for path, samples in (("/", home), (list_path, listed)):
                    if n == 0:
                        with CaptureQueriesContext(connection) as captured:
                            response = client.get(path)
                        statements[path].append(len(captured.captured_queries))
                    else:
                        start = time.perf_counter()
                        response = client.get(path)
                        samples.append((time.perf_counter() - start) * 1000)
                    assert response.status_code == 200, (role, path, response.status_code)
                    assert b"panel-" in response.content or path != "/", (role, "no panel")
        # Each panel's build alone (the user's permissions and cities loaded first, as the
        # page's middleware and first panel would).
        panels: dict[str, list[float]] = {}
        for _ in range(rounds):
            for user in User.objects.filter(pk__in=chosen).order_by("pk"):
                user.get_all_permissions()
                user.city_ids()
                now = timezone.now()
                for panel in panels_for(user):
                    start = time.perf_counter()
                    panel.build(user, now)
                    panels.setdefault(panel.key, []).append((time.perf_counter() - start) * 1000)
        out[role] = {
            "list_path": list_path,
            "home": percentiles(home),
            "list": percentiles(listed),
            "sql_home": statistics.median(statements["/"]),
            "sql_list": statistics.median(statements[list_path]),
            "panels": {key: percentiles(s) for key, s in panels.items()},
        }
        if role in ("team_lead", "quality_manager"):
            plans[f"home page, {role}"] = explain(lambda client=clients[0]: client.get("/"))
    return out


def trend_functions(by_role: dict, rounds: int, plans: dict, label: str) -> dict:
    """The team lead's 30-day trend and the quality manager's volume and trend, called alone
    (fresh user objects, as a request has them) for every lead and quality manager."""
    from django.utils import timezone

    from sqm.complaints import workload
    from sqm.core.models import User

    def timed(pks, call) -> dict:
        samples = []
        for n in range(rounds + 1):  # the first pass warms the cache and is not counted
            for user in User.objects.filter(pk__in=pks).order_by("pk"):
                user.get_all_permissions()
                user.city_ids()
                start = time.perf_counter()
                call(user, timezone.now())
                if n:
                    samples.append((time.perf_counter() - start) * 1000)
        return percentiles(samples)

    leads, quality = by_role["team_lead"], by_role["quality_manager"]
    calls = {
        "lead_trend": (leads, workload.daily_trend),
        "quality_volume": (quality, workload.volume),
        "quality_trend": (quality, workload.daily_trend),
    }
    result = {name: timed(pks, call) for name, (pks, call) in calls.items()}
    for name, (pks, call) in calls.items():
        user = User.objects.get(pk=pks[0])
        plans[f"{label}: {name}"] = explain(lambda call=call, user=user: call(user, timezone.now()))
    return result


def set_trend_indexes(present: bool) -> None:
    """Drop the home page's trend indexes (complaints 0015) or put them back as they were."""
    from django.db import connection

    table = connection.ops.quote_name("complaints_workorder")
    with connection.cursor() as cursor:
        for name, column in TREND_INDEXES.items():
            if present:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {connection.ops.quote_name(name)} "
                    f"ON {table} ({connection.ops.quote_name(column)})"
                )
            else:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        cursor.execute("ANALYZE")


# --- the SLA job -----------------------------------------------------------------------------


def set_checkpoint(until: datetime | None) -> None:
    from sqm.complaints.sla import CHECKPOINT
    from sqm.core.models import JobCheckpoint

    JobCheckpoint.objects.filter(name=CHECKPOINT).delete()
    if until is not None:
        JobCheckpoint.objects.create(name=CHECKPOINT, until=until)


def sla_job(t0: datetime, runs: int, plans: dict, label: str) -> dict:
    """First run with the checkpoint 1 min back, then RUNS runs 60 s apart; the naive scan."""
    from sqm.complaints import sla

    set_checkpoint(t0 - timedelta(seconds=60))
    start = time.perf_counter()
    first = sla.check_deadlines(t0)
    first_ms = (time.perf_counter() - start) * 1000
    samples, crossed = [], []
    for k in range(1, runs + 1):
        start = time.perf_counter()
        counts = sla.check_deadlines(t0 + timedelta(seconds=60 * k))
        samples.append((time.perf_counter() - start) * 1000)
        crossed.append(counts["warning"] + counts["overdue"])
    # One more run, untimed, for the plans of its two range queries.
    plans[f"{label}SLA job"] = explain(
        lambda: sla.check_deadlines(t0 + timedelta(seconds=60 * (runs + 1)))
    )
    # The naive job over the same windows as the first runs (it must find the same orders).
    naive, agrees = [], True
    for k in range(1, min(runs, 3) + 1):
        start = time.perf_counter()
        found = naive_check(t0 + timedelta(seconds=60 * (k - 1)), t0 + timedelta(seconds=60 * k))
        naive.append((time.perf_counter() - start) * 1000)
        agrees = agrees and found == crossed[k - 1]
    return {
        "first_ms": first_ms,
        "first_crossed": first["warning"] + first["overdue"],
        "runs": len(samples),
        "mean_ms": statistics.fmean(samples),
        "max_ms": max(samples),
        "crossed_mean": statistics.fmean(crossed),
        "naive_mean_ms": statistics.fmean(naive),
        "naive_max_ms": max(naive),
        "naive_agrees": agrees,
    }


RUNNING = ("new", "in_progress", "escalated", "reopened")


def naive_check(since: datetime, now: datetime) -> int:
    """The obvious job: every running order into Python, deadlines compared there."""
    from sqm.complaints.models import WorkOrder

    crossed = 0
    running = WorkOrder.objects.filter(state__in=RUNNING).select_related("assignee", "created_by")
    for order in running.iterator(chunk_size=2000):  # not all in memory at once
        if order.warn_at is not None and since < order.warn_at <= now:
            crossed += 1
        if order.resolve_due is not None and since < order.resolve_due <= now:
            crossed += 1
    return crossed


def catch_up(now: datetime) -> dict:
    """The first run ever: no checkpoint, so it looks 24 h back (FIRST_LOOK_BACK)."""
    from sqm.complaints import sla

    set_checkpoint(None)
    start = time.perf_counter()
    counts = sla.check_deadlines(now)
    return {"ms": (time.perf_counter() - start) * 1000, "crossed": sum(counts.values())}


def reopen_backlog(now: float) -> int:
    """Put every other closed complaint order older than 30 days back in progress, with its
    old deadlines (all long past): many more open orders, the same number crossing a line
    in any minute from now."""
    from django.db import transaction
    from django.db.models.functions import Mod

    from sqm.complaints.models import WorkOrder

    cutoff = datetime.fromtimestamp(now - 30 * DAY, UTC)
    with transaction.atomic():
        return (
            WorkOrder.objects.filter(
                state="closed", record_type="complaint_work_order", created__lt=cutoff
            )
            .alias(odd=Mod("pk", 2))
            .filter(odd=1)
            .update(state="in_progress", closed_at=None, untimely=None, callback_outcome="")
        )


# --- the parent ------------------------------------------------------------------------------


def report(r: dict) -> None:
    def pair(s: dict) -> str:
        return f"{s['p50']:.1f} / {s['p95']:.1f} ms"

    idx, base = r["lists"]["indexed"], r["lists"]["noindex"]
    s, big = r["sla"], r["sla_big"]
    print()
    print(
        f"== {r['database']} {r['db_version']}: {r['orders']:,} work orders ({r['open']:,} open), "
        f"{r['customers']:,} customers, {r['users']} staff; database {r['db_mib']:,.0f} MiB"
    )
    print(
        f"   fill {r['fill_s']:.0f} s and ANALYZE {r['analyze_s']:.1f} s (set-up, not measured); "
        f"{os.cpu_count()} CPUs, load average {r['load_start']:.1f} at the start, "
        f"{r['load_end']:.1f} at the end"
    )
    rows = [
        ("figure", "measured", "baseline (same run)", "target"),
        (
            f"intake, record_contact × {r['intake_full']['n']:,}",
            f"{r['intake_full']['per_s']:,.0f} /s",
            f"{r['intake_empty']['per_s']:,.0f} /s on the empty table",
            "≥ 300 /s",
        ),
        (
            "  per contact p50 / p95",
            pair(r["intake_full"]),
            pair(r["intake_empty"]) + " on the empty table",
            "",
        ),
        (
            "  CPU of the process per contact",
            f"{r['intake_full']['cpu_ms']:.1f} ms",
            f"{r['intake_empty']['cpu_ms']:.1f} ms on the empty table",
            "",
        ),
        (
            f"intake, {r['intake_parallel']['workers']} processes at once",
            f"{r['intake_parallel']['per_s']:,.0f} /s",
            f"{r['intake_full']['per_s']:,.0f} /s in one process (above)",
            "≥ 300 /s",
        ),
        (
            "  per contact p50 / p95",
            pair(r["intake_parallel"]),
            "",
            "",
        ),
        (
            f"my queue, first 50, p50 / p95 (n={idx['my_queue']['n']})",
            pair(idx["my_queue"]),
            pair(base["my_queue"]) + " without the indexes",
            "p95 < 100 ms",
        ),
        (
            f"lead: department, overdue (n={idx['dept_overdue']['n']})",
            pair(idx["dept_overdue"]),
            pair(base["dept_overdue"]) + " without the indexes",
            "p95 < 100 ms",
        ),
        (
            f"lead: city, escalated (n={idx['city_escalated']['n']})",
            pair(idx["city_escalated"]),
            pair(base["city_escalated"]) + " without the indexes",
            "p95 < 100 ms",
        ),
        (
            f"lead: overview (n={idx['overview']['n']})",
            pair(idx["overview"]),
            pair(base["overview"]) + " without the indexes",
            "(none)",
        ),
        *home_rows(r, pair),
        (
            f"SLA job, first run (1 min back, {s['first_crossed']} crossed)",
            f"{s['first_ms']:,.1f} ms",
            f"{s['naive_mean_ms']:,.0f} ms naive scan",
            "< 1 s",
        ),
        (
            f"SLA job, {s['runs']} runs 60 s apart, mean / max",
            f"{s['mean_ms']:,.1f} / {s['max_ms']:,.1f} ms",
            f"{s['naive_mean_ms']:,.0f} / {s['naive_max_ms']:,.0f} ms naive scan"
            + ("" if s["naive_agrees"] else " (found other orders!)"),
            "< 1 s",
        ),
        (
            f"  at {s['open']:,} open orders: crossed per run",
            f"{s['crossed_mean']:.1f}",
            "",
            "",
        ),
        (
            f"SLA job at {big['open']:,} open, mean / max",
            f"{big['mean_ms']:,.1f} / {big['max_ms']:,.1f} ms",
            f"{big['naive_mean_ms']:,.0f} / {big['naive_max_ms']:,.0f} ms naive scan"
            + ("" if big["naive_agrees"] else " (found other orders!)"),
            "same as above",
        ),
        (
            f"  at {big['open']:,} open orders: crossed per run",
            f"{big['crossed_mean']:.1f}",
            "",
            "",
        ),
        (
            f"SLA job, first run ever (24 h back, {r['sla_catch_up']['crossed']:,} crossed)",
            f"{r['sla_catch_up']['ms']:,.0f} ms",
            "",
            "(once)",
        ),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


ROLE_NAMES = {
    "hotline_agent": "hotline agent",
    "first_line": "first line",
    "second_line": "second line",
    "team_lead": "team lead",
    "quality_manager": "quality manager (all cities)",
}
LIST_NAMES = {"/complaints/queue/": "my queue page", "/complaints/orders/": "order list page"}
TREND_NAMES = {
    "lead_trend": "lead: daily_trend, 30 days",
    "quality_volume": "quality (all cities): volume",
    "quality_trend": "quality (all cities): daily_trend",
}


def home_rows(r: dict, pair) -> list[tuple[str, str, str, str]]:
    """The home-page rows of the table: each role's page against its list page, its panels
    alone, then the trend functions against the same calls without the trend indexes."""
    rows = []
    for role, h in r["home"].items():
        rows.append(
            (
                f"home page, {ROLE_NAMES[role]} (n={h['home']['n']})",
                pair(h["home"]),
                f"{pair(h['list'])} {LIST_NAMES[h['list_path']]}",
                "≈ its list page",
            )
        )
        rows.append(
            (
                "  SQL statements per page",
                f"{h['sql_home']:.0f}",
                f"{h['sql_list']:.0f} on the list page",
                "",
            )
        )
        for key, p in h["panels"].items():
            rows.append((f"  panel {key}, build alone", pair(p), "", ""))
    idx, base = r["trend"]["indexed"], r["trend"]["noindex"]
    for name, label in TREND_NAMES.items():
        rows.append(
            (
                f"{label} (n={idx[name]['n']})",
                pair(idx[name]),
                pair(base[name]) + " without the trend indexes",
                "",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int)
    parser.add_argument("--customers", type=int)
    parser.add_argument("--intake", type=int)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument(
        "--intake-workers",
        type=int,
        default=max(2, min(4, os.cpu_count() or 2)),
        help="processes recording contacts at once in the parallel intake run",
    )
    parser.add_argument(
        "--home-sample", type=int, default=30, help="users per role whose home page is timed"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"))
    parser.add_argument("--quick", action="store_true", help="smaller defaults for smoke runs")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    parser.add_argument("--keep", action="store_true", help="keep the databases for a look")
    parser.add_argument("--data", type=Path, help="reuse a generated province in this folder")
    args = parser.parse_args()
    quick = args.quick
    opts = {
        "orders": args.orders or (50_000 if quick else 1_000_000),
        "intake": args.intake or (200 if quick else 2_000),
        "users": args.users,
        "intake_workers": args.intake_workers,
        "seed": args.seed,
        "rounds": 1 if quick else 3,
        "sla_runs": 5 if quick else 30,
        "home_sample": args.home_sample,
    }
    customers = args.customers or (5_000 if quick else 50_000)
    database = args.database or ("both" if os.environ.get("SQM_DATABASE_URL") else "sqlite")
    if database != "sqlite" and not os.environ.get("SQM_DATABASE_URL"):
        parser.error("PostgreSQL needs SQM_DATABASE_URL (see scripts/pg-test-cluster.sh)")

    server = os.environ.pop("SQM_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqm.settings")
    scratch = [] if args.data else [Path(tempfile.mkdtemp(prefix="sqm-bench-data-"))]
    data = args.data or scratch[0]
    try:
        if not (data / "customers.csv").exists():
            scratch.append(Path(tempfile.mkdtemp(prefix="sqm-bench-gen-")))
            os.environ["SQM_HOME"] = str(scratch[-1])
            import django

            django.setup()
            from sqm.core.generator import generate_province

            start = time.perf_counter()
            counts = generate_province(data, customers=customers, seed=args.seed, months=0)
            log(f"generate: {counts} in {time.perf_counter() - start:.1f} s")
        for db in ("sqlite", "postgres") if database == "both" else (database,):
            r = run_child(
                __file__, "complaints", db, [str(data), json.dumps(opts)], server, args.keep
            )
            report(r)  # as soon as it is there: a later failure keeps it
            if args.explain:
                print("\nquery plans:")
                for name, plan in r["plans"].items():
                    print(f"-- {name}\n{plan}")
            sys.stdout.flush()
    finally:
        for path in scratch:
            shutil.rmtree(path, ignore_errors=True)
    print(
        "\nBaselines: intake — the same record_contact calls on the empty work-order table; "
        "lists — the same queries after DROP INDEX "
        + ", ".join(LIST_INDEXES)
        + " (with plain indexes on assignee, department and city instead)"
        + "; SLA job — a scan loading every running order and comparing deadlines in Python "
        "(no notifications written); home pages — the same user's work-order list page, "
        "requested in turn with it; trend functions — the same calls after DROP INDEX "
        + ", ".join(TREND_INDEXES)
        + "."
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child(Path(sys.argv[2]), json.loads(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_intake":
        intake_worker(json.loads(sys.argv[2]))
    else:
        main()
