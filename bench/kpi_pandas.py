"""The baseline of bench/kpi.py: the indicators by city written plainly in pandas, as an
analyst would — each fact read with pandas.read_sql (joined to its city and account in SQL,
filtered to the month and whatever look-back the definition needs), times parsed by pandas,
each indicator a filter and a groupby. Definitions as in docs/kpi.md and
sqm/quality/data/indicators.yaml; the time limits from the same settings as the engine's.

Every indicator of the registry is here except ALL-SURVEY-INDEX (the bench writes no
survey answers). `compare` checks the figures against the engine's values.
"""

from __future__ import annotations

import math
import warnings
from datetime import UTC

import pandas as pd
from django.db import connection

DEDICATED = ("dedicated_voice", "dedicated_data", "dedicated_internet")
COMPLAINT_TYPES = "('direct_answer_complaint', 'complaint_work_order')"


def compute(month) -> dict[tuple[str, str], tuple]:
    """{(code, city): (value, numerator, denominator)} for MONTH (a sqm.quality Month)."""
    from sqm.quality.measures import Limits

    limits = Limits.from_settings()
    start = pd.Timestamp(month.start, unit="s", tz="UTC")
    end = pd.Timestamp(month.end, unit="s", tz="UTC")
    w0 = start - pd.Timedelta(days=31)
    w1 = end + pd.Timedelta(days=8)

    def between(column, low, high):
        return f"({column} >= {lit(low)} AND {column} < {lit(high)})"

    out: dict = {}

    def put(code, figures):
        for city, triple in figures.items():
            out[code, city] = triple

    def in_m(df, column):
        return df[(df[column] >= start) & (df[column] < end)]

    cities = read("SELECT name AS city FROM core_city")["city"].tolist()

    # accounts: the broadband base by city
    accounts = read(
        "SELECT a.service, a.status, a.opened_at, ci.name AS city FROM customers_account a "
        "JOIN customers_customer cu ON cu.id = a.customer_id "
        "JOIN core_city ci ON ci.id = cu.city_id",
        "opened_at",
    )
    base = accounts[
        (accounts.service == "broadband")
        & (accounts.status != "closed")
        & (accounts.opened_at.isna() | (accounts.opened_at < end))
    ]

    # complaints created or closed in the month
    c = read(
        "SELECT w.record_type, w.created, w.closed_at, w.replied_at, w.untimely, ci.name AS city, "
        "w.upgraded, w.repeat_of_id, w.cause_id, w.fault_event_id, a.service, w.callback_outcome "
        "FROM complaints_workorder w JOIN core_city ci ON ci.id = w.city_id "
        "LEFT JOIN customers_account a ON a.id = w.account_id "
        f"WHERE w.record_type IN {COMPLAINT_TYPES} AND ({between('w.created', start, end)} "
        f"OR {between('w.closed_at', start, end)})",
        "created",
        "closed_at",
        "replied_at",
    )
    c["broadband"] = c.service == "broadband"
    c["dedicated"] = c.service.isin(DEDICATED)
    c["work_order"] = c.record_type == "complaint_work_order"
    c["in_time"] = ~c.untimely.fillna(False).astype(bool)
    c["repeat"] = c.repeat_of_id.notna()
    c["batch"] = c.cause_id.notna() | c.fault_event_id.notna()
    c["ordinary"] = ~c.upgraded.astype(bool) & ~c.batch
    c["rated"] = c.callback_outcome.isin(("satisfied", "basically_satisfied", "dissatisfied"))
    c["satisfied"] = c.callback_outcome.isin(("satisfied", "basically_satisfied"))
    c["handling_hours"] = hours(c.closed_at, c.created)
    c["callback_hours"] = hours(c.closed_at, c.replied_at)
    created, closed = in_m(c, "created"), in_m(c, "closed_at")
    bb_created = created[created.broadband]
    bb_closed = closed[closed.broadband & closed.work_order]
    put("BB-COMPLAINTS-PER-10K", per(bb_created, base, 10_000))
    put("BB-REPEAT-COMPLAINTS", ratio(bb_created, "repeat"))
    put("BB-COMPLAINTS", count(bb_created, cities))
    put("BB-UPGRADED-COMPLAINTS", count(bb_created[bb_created.upgraded.astype(bool)], cities))
    put("BB-ORDINARY-COMPLAINTS", count(bb_created[bb_created.ordinary], cities))
    put("BB-BATCH-COMPLAINTS", count(bb_created[bb_created.batch], cities))
    put("BB-COMPLAINT-TIMELY", ratio(bb_closed, "in_time"))
    put("BB-COMPLAINT-HOURS-MEAN", mean(bb_closed, "handling_hours"))
    put("BB-COMPLAINT-HOURS-P80", quantile(bb_closed, "handling_hours", 0.8))
    put("BB-COMPLAINT-HOURS-P95", quantile(bb_closed, "handling_hours", 0.95))
    rated = bb_closed[bb_closed.rated]
    put("BB-CALLBACK-SATISFACTION", ratio(rated, "satisfied"))
    replied = rated[rated.replied_at.notna()]
    put("BB-CALLBACK-HOURS-MEAN", mean(replied, "callback_hours"))
    put("BB-CALLBACK-HOURS-P80", quantile(replied, "callback_hours", 0.8))
    put("BB-CALLBACK-HOURS-P95", quantile(replied, "callback_hours", 0.95))
    linked = created[created.fault_event_id.notna()].copy()
    linked["direct"] = linked.record_type == "direct_answer_complaint"
    put("BB-INTERCEPTION-RATE", ratio(linked, "direct"))
    dl_created = created[created.dedicated]
    dl_closed = closed[closed.dedicated & closed.work_order]
    put("DL-COMPLAINT-TIMELY", ratio(dl_closed, "in_time"))
    put("DL-COMPLAINT-HOURS-MEAN", mean(dl_closed, "handling_hours"))
    put("DL-REPEAT-COMPLAINTS", ratio(dl_created, "repeat"))
    put("DL-UPGRADED-COMPLAINTS", count(dl_created[dl_created.upgraded.astype(bool)], cities))
    put("DL-CALLBACK-SATISFACTION", ratio(dl_closed[dl_closed.rated], "satisfied"))

    # repairs: the month with 31 days before (repeats) and 8 after (a fix that holds)
    r = read(
        "SELECT r.id, r.account_id, a.service, ci.name AS city, r.reported_at, r.restored_at, "
        "r.area, r.network_fault, r.appointment_from, r.appointment_to, r.arrived_at, "
        "r.visit_rating FROM quality_repair r JOIN customers_account a ON a.id = r.account_id "
        "JOIN core_city ci ON ci.id = r.city_id "
        f"WHERE {between('r.reported_at', w0, w1)} OR {between('r.restored_at', w0, w1)} "
        f"OR {between('r.arrived_at', w0, w1)}",
        "reported_at",
        "restored_at",
        "appointment_from",
        "appointment_to",
        "arrived_at",
    )
    r = r.sort_values(["account_id", "reported_at", "id"])
    previous = r.groupby("account_id").reported_at.shift(1)
    following = r.groupby("account_id").reported_at.shift(-1)
    limit = r.area.map({"rural": limits.repair_rural_hours}).fillna(limits.repair_urban_hours)
    r["hours"] = hours(r.restored_at, r.reported_at)
    r["in_time"] = r.hours <= limit
    r["repeat"] = (r.reported_at - previous) <= pd.Timedelta(days=limits.repeat_fault_days)
    r["first_fix"] = r.restored_at.notna() & (
        following.isna() | (following > r.restored_at + pd.Timedelta(days=limits.first_fix_days))
    )
    r["network_fault"] = r.network_fault.astype(bool)
    bb = r[r.service == "broadband"]
    reported, restored = in_m(bb, "reported_at"), in_m(bb, "restored_at")
    put("BB-FAULTS-PER-10K", per(reported, base, 10_000))
    put("BB-REPAIR-TIMELY", ratio(restored, "in_time"))
    put("BB-REPEAT-FAULTS", ratio(reported, "repeat"))
    put("BB-FIRST-TIME-FIX", ratio(restored, "first_fix"))
    put("BB-NETWORK-FAULT-SHARE", ratio(reported, "network_fault"))
    put("BB-REPAIR-HOURS-MEAN", mean(restored, "hours"))
    put("BB-REPAIR-HOURS-P80", quantile(restored, "hours", 0.8))
    put("BB-REPAIR-HOURS-P95", quantile(restored, "hours", 0.95))

    # activations: completed or visited in the month, or overdue at its end
    v = read(
        "SELECT v.id, a.service, ci.name AS city, v.ordered_at, v.committed_at, v.activated_at, "
        "v.appointment_from, v.appointment_to, v.arrived_at, v.visit_rating "
        "FROM quality_activation v JOIN customers_account a ON a.id = v.account_id "
        "JOIN core_city ci ON ci.id = v.city_id "
        f"WHERE {between('v.activated_at', start, end)} OR {between('v.arrived_at', start, end)} "
        f"OR (v.ordered_at < {lit(end)} "
        f"AND v.committed_at < {lit(end)} AND (v.activated_at IS NULL "
        f"OR v.activated_at >= {lit(end)}))",
        "ordered_at",
        "committed_at",
        "activated_at",
        "appointment_from",
        "appointment_to",
        "arrived_at",
    )
    v["on_time"] = v.activated_at <= v.committed_at
    v["activation_hours"] = hours(v.activated_at, v.ordered_at)
    v["business_hours"] = hours(v.arrived_at, v.ordered_at)
    overdue = v[
        (v.ordered_at < end)
        & (v.committed_at < end)
        & (v.activated_at.isna() | (v.activated_at >= end))
    ]
    done = in_m(v, "activated_at")
    bb_done = done[done.service == "broadband"]
    put("BB-ACTIVATION-TIMELY", ratio(bb_done, "on_time"))
    put("BB-ACTIVATION-OVERDUE", count(overdue[overdue.service == "broadband"], cities))
    put("BB-ACTIVATION-HOURS-MEAN", mean(bb_done, "activation_hours"))
    put("BB-ACTIVATION-HOURS-P80", quantile(bb_done, "activation_hours", 0.8))
    put("BB-ACTIVATION-HOURS-P95", quantile(bb_done, "activation_hours", 0.95))
    arrived = in_m(v, "arrived_at")
    bb_arrived = arrived[arrived.service == "broadband"]
    put("BB-BUSINESS-HOURS-MEAN", mean(bb_arrived, "business_hours"))
    put("BB-BUSINESS-HOURS-P80", quantile(bb_arrived, "business_hours", 0.8))
    put("BB-BUSINESS-HOURS-P95", quantile(bb_arrived, "business_hours", 0.95))
    dl_done = done[done.service.isin(DEDICATED)]
    put("DL-ACTIVATION-TIMELY", ratio(dl_done, "on_time"))
    put("DL-ACTIVATION-HOURS-MEAN", mean(dl_done, "activation_hours"))
    put("DL-ACTIVATION-HOURS-P80", quantile(dl_done, "activation_hours", 0.8))
    put("DL-ACTIVATION-HOURS-P95", quantile(dl_done, "activation_hours", 0.95))

    # visits: repairs and activations with a technician arriving in the month
    columns = ["service", "city", "appointment_from", "appointment_to", "arrived_at"]
    visits = pd.concat([r[columns + ["visit_rating"]], v[columns + ["visit_rating"]]])
    visits = in_m(visits, "arrived_at")
    visits = visits[visits.service == "broadband"].copy()
    visits["punctual"] = (visits.appointment_from <= visits.arrived_at) & (
        visits.arrived_at <= visits.appointment_to
    )
    put("BB-APPOINTMENT-PUNCTUAL", ratio(visits[visits.appointment_from.notna()], "punctual"))
    put("BB-VISIT-RATING", mean(visits[visits.visit_rating.notna()], "visit_rating"))

    # specialist transfers requested in the month
    t = read(
        "SELECT ci.name AS city, t.requested_at, t.connected_at FROM quality_transfer t "
        f"JOIN core_city ci ON ci.id = t.city_id WHERE {between('t.requested_at', start, end)}",
        "requested_at",
        "connected_at",
    )
    t["wait_seconds"] = (t.connected_at - t.requested_at).dt.total_seconds()
    t["timely"] = t.wait_seconds <= limits.transfer_seconds
    t["lost"] = t.connected_at.isna()
    put("HL-TRANSFER-TIMELY", ratio(t, "timely"))
    put("HL-TRANSFER-LOST", ratio(t, "lost"))
    put("HL-TRANSFER-SECONDS-MEAN", mean(t[t.connected_at.notna()], "wait_seconds"))

    # speed tests measured in the month
    s = read(
        "SELECT s.level, ci.name AS city, s.down_mbps, s.subscribed_mbps FROM quality_speedtest s "
        f"JOIN core_city ci ON ci.id = s.city_id WHERE {between('s.measured_at', start, end)}"
    )
    s["attained"] = s.down_mbps >= s.subscribed_mbps * limits.speed_attained_share
    user = s[s.level == "user"]
    put("BB-SPEED-USER-MEAN", mean(user, "down_mbps"))
    put("BB-SPEED-USER-ATTAIN", ratio(user, "attained"))
    put("BB-SPEED-CITY-MEAN", mean(s[s.level == "city"], "down_mbps"))
    put("BB-SPEED-EXIT-MEAN", mean(s[s.level == "exit"], "down_mbps"))

    # the month's operations figures
    o = read(
        "SELECT ci.name AS city, o.product, o.revenue_yuan, o.billed_accounts, o.ports_built, "
        "o.ports_in_use FROM quality_operationsmonth o JOIN core_city ci ON ci.id = o.city_id "
        f"WHERE o.month = '{month.first.isoformat()}'"
    )
    o["revenue_yuan"] = o.revenue_yuan.astype(float)
    bb_ops = o[o["product"] == "broadband"]
    put("BB-INSTALLED-RATE", sum_ratio(bb_ops, "ports_in_use", "ports_built"))
    put("BB-ARPU", sum_ratio(bb_ops, "revenue_yuan", "billed_accounts"))
    put("DL-ARPU", sum_ratio(o[o["product"].isin(DEDICATED)], "revenue_yuan", "billed_accounts"))

    # dedicated circuits in service in the month, and outages touching it
    circuits = read(
        "SELECT c.id, ci.name AS city, c.contract_availability, c.opened_at FROM quality_circuit c "
        f"JOIN core_city ci ON ci.id = c.city_id WHERE c.opened_at < {lit(end)}",
        "opened_at",
    )
    outages = read(
        "SELECT o.id, o.circuit_id, ci.name AS city, o.started_at, o.restored_at, "
        "o.network_fault, c.contract_repair_hours FROM quality_circuitoutage o "
        "JOIN quality_circuit c ON c.id = o.circuit_id JOIN core_city ci ON ci.id = o.city_id "
        f"WHERE o.started_at < {lit(w1)} AND (o.restored_at IS NULL OR o.restored_at >= {lit(w0)})",
        "started_at",
        "restored_at",
    )
    circuits["from"] = circuits.opened_at.where(circuits.opened_at > start, start)
    both = circuits.merge(outages[["circuit_id", "started_at", "restored_at"]], how="left",
                          left_on="id", right_on="circuit_id")  # fmt: skip
    down_from = both.started_at.where(both.started_at > both["from"], both["from"])
    down_to = both.restored_at.fillna(end).clip(upper=end)
    down = (down_to - down_from).dt.total_seconds().clip(lower=0)
    both["down"] = down.where(both.started_at.notna(), 0)  # a circuit without outages
    months = both.groupby(["id", "city", "contract_availability", "from"], as_index=False)[
        "down"
    ].sum()
    months["service_seconds"] = (end - months["from"]).dt.total_seconds()
    months["available_seconds"] = months.service_seconds - months.down
    months["down_minutes"] = months.down / 60
    months["meets"] = (
        months.available_seconds * 100
        >= months.contract_availability.astype(float) * months.service_seconds
    )
    put("DL-CIRCUITS", count(months, cities))
    put("DL-AVAILABILITY", sum_ratio(months, "available_seconds", "service_seconds"))
    put("DL-AVAILABILITY-CONTRACT", ratio(months, "meets"))
    put("DL-OUTAGE-MINUTES-MEAN", mean(months, "down_minutes"))
    put("DL-COMPLAINTS-PER-100", per(dl_created, months, 100))

    outages = outages.sort_values(["circuit_id", "started_at", "id"])
    previous = outages.groupby("circuit_id").started_at.shift(1)
    outages["hours"] = hours(outages.restored_at, outages.started_at)
    outages["in_contract"] = outages.hours <= outages.contract_repair_hours
    outages["repeat"] = (outages.started_at - previous) <= pd.Timedelta(
        days=limits.repeat_fault_days
    )
    outages["network_fault"] = outages.network_fault.astype(bool)
    started, ended = in_m(outages, "started_at"), in_m(outages, "restored_at")
    put("DL-REPAIR-CONTRACT", ratio(ended, "in_contract"))
    put("DL-REPAIR-HOURS-MEAN", mean(ended, "hours"))
    put("DL-REPAIR-HOURS-P80", quantile(ended, "hours", 0.8))
    put("DL-REPAIR-HOURS-P95", quantile(ended, "hours", 0.95))
    put("DL-OUTAGES-PER-100", per(started, months, 100))
    put("DL-NETWORK-OUTAGE-SHARE", ratio(started, "network_fault"))
    put("DL-REPEAT-OUTAGES", ratio(started, "repeat"))

    # fault events started in the month: was a fault SMS sent before the first complaint?
    f = read(
        "SELECT f.id, ci.name AS city FROM network_faultevent f "
        "JOIN core_city ci ON ci.id = f.city_id "
        f"WHERE f.merged_into_id IS NULL AND {between('f.started_at', start, end)}"
    )
    sms = read(
        "SELECT fault_event_id, sent_at FROM notify_outboundmessage WHERE kind = 'fault' "
        "AND sent_at IS NOT NULL AND fault_event_id IS NOT NULL",
        "sent_at",
    )
    contacts = read(
        "SELECT fault_event_id, created FROM complaints_workorder WHERE fault_event_id IS NOT NULL "
        f"AND record_type IN {COMPLAINT_TYPES}",
        "created",
    )
    f["first_sms"] = f.id.map(sms.groupby("fault_event_id").sent_at.min())
    f["first_contact"] = f.id.map(contacts.groupby("fault_event_id").created.min())
    f = f[f.first_contact.notna()].copy()
    f["sms_first"] = f.first_sms < f.first_contact
    put("BB-FAULT-SMS-FIRST", ratio(f, "sms_first"))
    return out


# --- reading ----------------------------------------------------------------------------------


def lit(moment: pd.Timestamp) -> str:
    """A time as an SQL literal the database compares right (SQLite keeps UTC text)."""
    text = moment.tz_convert(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"'{text}'" if connection.vendor == "sqlite" else f"'{text}+00:00'"


def read(sql: str, *times: str) -> pd.DataFrame:
    """SQL into a DataFrame; TIMES parsed as UTC times in whole seconds (the engine's unit)."""
    connection.ensure_connection()
    with warnings.catch_warnings():  # psycopg works, though pandas names only sqlite3
        warnings.filterwarnings("ignore", message="pandas only supports SQLAlchemy")
        frame = pd.read_sql(sql, connection.connection)  # the DB-API connection Django holds
    for column in times:
        parsed = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        frame[column] = parsed.dt.floor("s")
    return frame


def hours(end: pd.Series, start: pd.Series) -> pd.Series:
    return (end - start).dt.total_seconds() / 3600


# --- the measures by city ---------------------------------------------------------------------


def ratio(df, flag):
    g = df.groupby("city")[flag]
    num, den = g.sum(), g.size()
    return {city: (num[city] / den[city], num[city], den[city]) for city in den.index}


def count(df, cities):
    """Rows by city; every city of the province, with 0 where it has none (as the engine)."""
    sizes = df.groupby("city").size()
    return {city: (float(sizes.get(city, 0)), int(sizes.get(city, 0)), None) for city in cities}


def per(df, base, scale):
    num, den = df.groupby("city").size(), base.groupby("city").size()
    out = {}
    for city in num.index.union(den.index):
        n, d = num.get(city, 0), den.get(city, 0)
        out[city] = (n / d * scale if d else None, n, d)
    return out


def mean(df, column):
    g = df.groupby("city")[column]
    num, den = g.sum(), g.count()
    return {
        city: (num[city] / den[city], num[city], den[city]) if den[city] else (None, None, 0)
        for city in den.index
    }


def quantile(df, column, q):
    g = df.groupby("city")[column]
    value, den = g.quantile(q), g.count()
    return {city: (None if den[city] == 0 else value[city], None, den[city]) for city in den.index}


def sum_ratio(df, numerator, denominator):
    g = df.groupby("city")
    num, den = g[numerator].sum(), g[denominator].sum()
    return {city: (num[city] / den[city] if den[city] else None, num[city], den[city])
            for city in den.index}  # fmt: skip


# --- comparing --------------------------------------------------------------------------------


def same(a, b) -> bool:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        a_none = a is None or (isinstance(a, float) and math.isnan(a))
        b_none = b is None or (isinstance(b, float) and math.isnan(b))
        return a_none and b_none
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def compare(values, figures: dict) -> dict:
    """Engine VALUES (by city) against the pandas FIGURES: value, numerator and denominator
    of every (indicator, city) the baseline has, and any it has that the engine lacks."""
    mismatches, compared, examples = 0, 0, []
    engine = {(v.indicator, v.key.get("city", "")): v for v in values}
    codes = {code for code, _ in figures}
    for key, v in engine.items():
        if key[0] not in codes:
            continue
        if key not in figures:
            mismatches += 1
            examples.append(f"{key}: only in the engine ({v.value})")
            continue
        compared += 1
        value, numerator, denominator = figures[key]
        if not (
            same(v.value, value)
            and same(v.numerator, numerator)
            and same(v.denominator, denominator)
        ):
            mismatches += 1
            examples.append(
                f"{key}: engine {v.value} ({v.numerator}/{v.denominator}), "
                f"pandas {value} ({numerator}/{denominator})"
            )
    for key in figures.keys() - engine.keys():
        mismatches += 1
        examples.append(f"{key}: only in pandas {figures[key]}")
    return {
        "compared": compared,
        "mismatches": mismatches,
        "examples": examples[:10],
    }


def compare_values(a, b) -> dict:
    """Two engines' values: the number of (indicator, city) whose figures differ."""
    left = {(v.indicator, v.key_text): v for v in a}
    right = {(v.indicator, v.key_text): v for v in b}
    mismatches = len(left.keys() ^ right.keys())
    for key in left.keys() & right.keys():
        x, y = left[key], right[key]
        if not (
            same(x.value, y.value)
            and same(x.numerator, y.numerator)
            and same(x.denominator, y.denominator)
        ):
            mismatches += 1
    return {"compared": len(left.keys() & right.keys()), "mismatches": mismatches}
