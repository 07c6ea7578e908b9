"""The complaint history stream of `sqm generate`: complaints.jsonl, one record per line.

The customers part of the generated province hands every customer, with the accounts just
written for it, to `ComplaintHistory.customer`. That draws how often the customer complained
over the months before `as_of`, what about (only about services the customer had at the
time), through which channel, the intake facts (triaged with the operator's entry rules,
`sqm.complaints.triage`), and then plays each work order's life through — acceptance,
escalation, suspension, reply, callback — up to "now" (`as_of`, 00:00 +08:00): what was still
running then stays open in the state it had reached. Records of one customer are written
together, oldest first, so a repeat complaint (重复投诉) always points at a number earlier in
the file. Nothing is held beyond one customer, so memory stays flat for any province.

All draws come from one `random.Random` stream ("complaints") in customer order, so one seed
gives the same bytes, and a larger province starts with the same complaints as a smaller one.
See docs/generator.md and docs/formats.md ("complaints (JSON Lines)").
"""

from __future__ import annotations

import json
import math
import random
from bisect import bisect_right
from datetime import date, datetime, timedelta
from pathlib import Path

from sqm.complaints.province import texts as T
from sqm.complaints.triage import Intake, triage
from sqm.core.generator.names import road
from sqm.core.generator.province import window_start

CATEGORIES_FILE = Path(__file__).resolve().parents[1] / "data" / "categories.json"

# The keys of one record, in the order they are written (docs/formats.md).
COMPLAINT_KEYS = (
    "number",
    "customer_id",
    "account_id",
    "channel",
    "topic",
    "demands",
    "record_type",
    "order_kind",
    "category",
    "description",
    "state",
    "created_at",
    "department",
    "first_responsible",
    "replied_at",
    "reply",
    "closed_at",
    "callback_outcome",
    "callback_attempts",
    "untimely",
    "breach_reason",
    "repeat_of",
    "remediation",
)

# --- volume ---------------------------------------------------------------------------------
# Complaints per customer and month (a Poisson rate): about 2 % of customers complain in a
# month, companies and gold/diamond customers a little more; follow-ups come on top.
RATE = {"public": 0.024, "group": 0.036}
VOCAL_TIERS = {"gold": 1.15, "diamond": 1.25}
DEDICATED_RATE = 1.3
FOLLOW_UP = (0.10, 0.15)  # chance of a first and a second follow-up about the same problem
FOLLOW_UP_DAYS = (1, 25)
REPEAT_DAYS = 30  # SQM_REPEAT_DAYS: a closed order counts for repeats this long
DAYS_PER_MONTH = 30.44

# Monday first; complaints come a little more on Mondays, less at weekends.
WEEKDAY_ACCEPT = (1.0, 0.93, 0.9, 0.9, 0.88, 0.78, 0.74)
# Contacts per hour of the day (0–23): the hotline runs day and night but peaks by day.
HOUR_WEIGHTS = (
    0.6, 0.3, 0.2, 0.15, 0.15, 0.3, 0.8, 2.5, 5.5, 8.5, 9.5, 9, 7, 7.5, 8.5, 8.5, 8, 7.5,
    6.5, 6.5, 7, 6, 4, 2,
)  # fmt: skip

CHANNELS = (
    ("hotline", 0.715),
    ("app", 0.08),
    ("business_hall", 0.075),
    ("online_hall", 0.05),
    ("sms", 0.02),
    ("letter", 0.004),
    ("regulator", 0.025),
    ("consumer_association", 0.008),
    ("media", 0.004),
)
UPGRADED = frozenset({"regulator", "consumer_association", "media"})
# A customer who complains again about the same problem escalates outside more often.
FOLLOW_UP_UPGRADE = 0.15
UPGRADED_CHANNELS = (("regulator", 0.7), ("consumer_association", 0.2), ("media", 0.1))

# --- what customers complain about ------------------------------------------------------------
# Relative weight of each third-level category and the accounts it needs: "broadband",
# "mobile", "iptv", "dedicated", "plan" (mobile or broadband), "any" (any account), "install"
# (a broadband line, also one opened within the next weeks), None (no account needed).
CATEGORY_WEIGHTS: dict[str, tuple[float, str | None]] = {
    "NQ.BB.01": (90, "broadband"),
    "NQ.BB.02": (55, "broadband"),
    "NQ.BB.03": (75, "broadband"),
    "NQ.BB.04": (35, "install"),
    "NQ.BB.05": (30, "broadband"),
    "NQ.MO.01": (70, "mobile"),
    "NQ.MO.02": (25, "mobile"),
    "NQ.MO.03": (38, "mobile"),
    "NQ.TV.01": (60, "iptv"),
    "NQ.TV.02": (45, "iptv"),
    # Only customers with a dedicated line can have these: they complain about it a lot.
    "NQ.DL.01": (300, "dedicated"),
    "NQ.DL.02": (180, "dedicated"),
    "WS.HA.01": (22, None),
    "WS.HA.02": (15, None),
    "WS.HA.03": (15, "any"),
    "WS.HL.01": (15, None),
    "WS.HL.02": (12, None),
    "WS.HL.03": (15, None),
    "WS.FI.01": (15, "broadband"),
    "WS.FI.02": (10, "broadband"),
    "BP.VA.01": (45, "mobile"),
    "BP.VA.02": (15, "mobile"),
    "BP.VA.03": (8, "mobile"),
    "BP.VA.04": (8, "mobile"),
    "BP.PL.01": (25, "plan"),
    "BP.PL.02": (20, "plan"),
    "BP.SP.01": (20, "mobile"),
    "BP.SP.02": (10, "mobile"),
    "BL.DS.01": (40, "any"),
    "BL.DS.02": (30, "any"),
    "BL.DS.03": (25, "any"),
    "BL.PY.01": (15, "any"),
    "BL.PY.02": (8, "any"),
}
SERVICE_GROUPS: dict[str, tuple[str, ...]] = {
    "broadband": ("broadband", "plan", "any", "install"),
    "mobile": ("mobile", "plan", "any"),
    "iptv": ("iptv", "any"),
    "dedicated_internet": ("dedicated", "any"),
    "dedicated_data": ("dedicated", "any"),
    "dedicated_voice": ("dedicated", "any"),
}
INSTALL_AHEAD_DAYS = 20  # an installation complaint can come before the line is finished
NEW_INSTALL_DAYS = 10  # …and reads as a new installation if the line is this young
ACCOUNT_NAMED = 0.5  # share of records without a needed account that still name one

# Topic of the contact by category (default "other"), as (cumulative share, topic).
TOPICS: dict[str, tuple[tuple[float, str], ...]] = {
    "BP.VA.01": ((0.8, "unsubscribe"), (1.0, "refund")),
    "BP.VA.02": ((1.0, "unsubscribe"),),
    "BP.VA.03": ((1.0, "resend"),),
    "BP.VA.04": ((1.0, "block"),),
    "BP.SP.01": ((0.5, "block"), (1.0, "other")),
    "BL.DS.02": ((0.3, "refund"), (1.0, "other")),
    "BL.DS.03": ((1.0, "refund"),),
}
# Chance of each demand, by topic (and for "other", by need area).
DEMANDS: dict[str, tuple[tuple[str, float], ...]] = {
    "network_quality": (
        ("restore", 0.85),
        ("compensation", 0.2),
        ("ask_reason", 0.25),
        ("apology", 0.04),
        ("manager", 0.04),
        ("other", 0.05),
    ),
    "window_service": (
        ("apology", 0.5),
        ("rule_change", 0.3),
        ("manager", 0.15),
        ("compensation", 0.08),
        ("ask_reason", 0.15),
        ("other", 0.3),
    ),
    "business_products": (
        ("ask_reason", 0.45),
        ("compensation", 0.15),
        ("restore", 0.3),
        ("other", 0.3),
    ),
    "billing_payment": (
        ("ask_reason", 0.6),
        ("compensation", 0.12),
        ("restore", 0.15),
        ("other", 0.25),
    ),
    "unsubscribe": (
        ("unknowing_subscription", 0.55),
        ("ask_reason", 0.4),
        ("compensation", 0.1),
        ("apology", 0.04),
    ),
    "resend": (("ask_reason", 0.35), ("other", 0.15)),
    "block": (("ask_reason", 0.45), ("other", 0.3), ("rule_change", 0.1)),
    "refund": (("compensation", 0.2), ("ask_reason", 0.2)),
}
DISSATISFIED = 0.97  # topic "other": the customer says they are unhappy
# Needs a dispatch, an investigation or another department (by need area) …
HANDOVER = {
    "network_quality": 0.8,
    "window_service": 0.3,
    "business_products": 0.3,
    "billing_payment": 0.35,
}
# … and explicitly accepts what the agent could do on the spot.
ACCEPTED = {
    "network_quality": 0.55,
    "window_service": 0.7,
    "business_products": 0.75,
    "billing_payment": 0.7,
}

# --- how work orders run ----------------------------------------------------------------------
# Per second-level category: chance of escalation, chance it goes to the second-line group
# first (where the need area has one), chance the second line passes it to the department,
# and how fast it is usually resolved (share of the resolution limit).
ESCALATION: dict[str, tuple[float, float, float, float]] = {
    "NQ.BB": (0.85, 0.7, 0.3, 1.0),
    "NQ.MO": (0.8, 0.6, 0.35, 1.0),
    "NQ.TV": (0.75, 0.7, 0.2, 0.8),
    "NQ.DL": (0.95, 0.25, 0.6, 0.6),
    "WS.HA": (0.45, 0.0, 0.0, 0.6),
    "WS.HL": (0.4, 0.0, 0.0, 0.6),
    "WS.FI": (0.6, 0.0, 0.0, 0.7),
    "BP.VA": (0.5, 0.0, 0.0, 0.6),
    "BP.PL": (0.5, 0.0, 0.0, 0.7),
    "BP.SP": (0.6, 0.0, 0.0, 0.7),
    "BL.DS": (0.65, 0.6, 0.3, 0.8),
    "BL.PY": (0.55, 0.6, 0.2, 0.6),
}
SECOND_LINE = {"network_quality": "NET-2L", "billing_payment": "BILL-2L"}
# The default SLA policies (docs/sla.md): 24 h for upgraded, gold and diamond, else 48 h.
LIMIT_HOURS = 48.0
PRIORITY_LIMIT_HOURS = 24.0
BREACH = 0.075  # share of work orders replied after the resolution limit
BREACH_UPGRADED = 0.05
BREACH_REASON_RECORDED = 0.9
SUSPEND = 0.08  # waiting for the customer, an appointment, a part
SUSPEND_HOURS = (12, 96)
# Some orders wait much longer, suspended: weak coverage for a new site, an installation
# for free ports, a dedicated line for the carrier. (chance, shortest and longest days)
LONG_SUSPEND = {"NQ.MO.01": (0.2, 7, 60), "NQ.BB.04": (0.25, 5, 30), "NQ.DL.02": (0.1, 3, 14)}
CALLBACK_HOURS = (1, 23)  # from the reply to the first call (the callback limit is 24 h)
# Callbacks: the first call fails this often, later calls half the time; at the third
# failure (SQM_CALLBACK_MAX_ATTEMPTS) the order is closed as unreachable.
UNREACHABLE_FIRST = 0.10
UNREACHABLE_AGAIN = 0.5
MAX_ATTEMPTS = 3
OUTCOMES = (("satisfied", 0.80), ("basically_satisfied", 0.14), ("dissatisfied", 0.06))
AFTER_REMEDIATION = (("satisfied", 0.55), ("basically_satisfied", 0.45))

# --- how a description is put together --------------------------------------------------------
P_REPEAT_PREFIX = 0.8
P_FOLLOW_UP_PREFIX = 0.5
P_TERSE = 0.03  # a near-empty text with hardly any category signal
P_DETAIL = 0.45
P_NOISE = 0.06  # a sentence of another category (ambiguous records)
P_DEMAND_PHRASE = 0.85
P_MOOD = 0.25
TERSE_GROUP = {
    "NQ.BB": "broadband",
    "NQ.MO": "mobile",
    "NQ.TV": "iptv",
    "NQ.DL": "dedicated",
    "WS.FI": "broadband",
    "BL.DS": "billing",
    "BL.PY": "billing",
}


def _cumulative(pairs) -> tuple[tuple[float, object], ...]:
    total = sum(weight for _value, weight in pairs)
    out, running = [], 0.0
    for value, weight in pairs:
        running += weight / total
        out.append((running, value))
    return tuple(out)


def _pick(cum, r: float):
    for bound, value in cum:
        if r < bound:
            return value
    return cum[-1][1]


def _fits(code: str, account) -> bool:
    """Whether a record about ACCOUNT (or none) can be filed under CODE."""
    need = CATEGORY_WEIGHTS[code][1]
    return need is None or (account is not None and need in SERVICE_GROUPS[account[2]])


def _tree() -> tuple[dict[str, tuple[str, str, str]], dict[str, str]]:
    """(third-level code -> (parent code, need area, department), department code -> kind)."""
    data = json.loads(CATEGORIES_FILE.read_text(encoding="utf-8"))
    kinds = {d["code"]: d["kind"] for d in data["departments"]}
    leaves = {}
    for first in data["categories"]:
        for second in first.get("children", []):
            for third in second.get("children", []):
                leaves[third["code"]] = (second["code"], second["need_area"], second["department"])
    return leaves, kinds


class _Slots(dict):
    """Slot values of one text, drawn the first time a template asks for them."""

    def __init__(self, history: ComplaintHistory, district, bandwidth, when: datetime) -> None:
        super().__init__()
        self.h = history
        self.district = district
        self.bandwidth = bandwidth
        self.when = when

    def __missing__(self, key: str) -> str:
        value = self.h.slot(key, self)
        self[key] = value
        return value


class _Record:
    __slots__ = (
        "created",
        "code",
        "parent",
        "need",
        "account",
        "channel",
        "topic",
        "demands",
        "record_type",
        "order_kind",
        "follow_up",
        "life",
        "repeat_of",
        "number",
        "new_install",
    )


class ComplaintHistory:
    """Draws and writes the complaint records of one customer at a time."""

    def __init__(self, rng: random.Random, as_of: date, months: int, write) -> None:
        self.rng = rng
        self.random = rng.random
        self.write = write
        self.now = datetime(as_of.year, as_of.month, as_of.day)  # as_of 00:00 (+08:00)
        start = window_start(as_of, months)
        self.start_ordinal = start.toordinal()
        self.days = as_of.toordinal() - self.start_ordinal
        self.mean_factor = self.days / DAYS_PER_MONTH
        self.sequence = 0
        self.leaves, self.department_kinds = _tree()
        missing = set(self.leaves) - set(CATEGORY_WEIGHTS)
        if missing or set(self.leaves) - set(T.CORE):
            raise ValueError(f"no complaint texts for categories {sorted(missing)}")
        self.siblings: dict[str, list[str]] = {}
        for code, (parent, _need, _department) in self.leaves.items():
            self.siblings.setdefault(parent, []).append(code)
        self.channels = _cumulative(CHANNELS)
        self.upgraded_channels = _cumulative(UPGRADED_CHANNELS)
        self.outcomes = _cumulative(OUTCOMES)
        self.after_remediation = _cumulative(AFTER_REMEDIATION)
        hours = list(HOUR_WEIGHTS)
        self.hour_cum = [sum(hours[: i + 1]) / sum(hours) for i in range(24)]
        self.weekday_accept = [
            WEEKDAY_ACCEPT[date.fromordinal(self.start_ordinal + d).weekday()]
            for d in range(min(self.days, 7))
        ]
        self._tables: dict[frozenset, tuple[list[float], list[str]]] = {}
        self._decisions: dict[tuple, object] = {}
        self._limits: dict[tuple, float] = {}

    # -- one customer ------------------------------------------------------------------------

    def customer(self, customer_id: str, kind: str, tier: str, district, accounts) -> None:
        """Write the records of one customer; ACCOUNTS are its accounts.csv rows."""
        if self.days <= 0:
            return
        random_ = self.random
        dedicated = False
        for row in accounts:
            if row[2][0] == "d":  # dedicated_internet, _data, _voice
                dedicated = True
                break
        limit = self._limits.get((kind, tier, dedicated))
        if limit is None:
            rate = RATE[kind] * VOCAL_TIERS.get(tier, 1.0) * (DEDICATED_RATE if dedicated else 1)
            limit = self._limits[(kind, tier, dedicated)] = math.exp(-rate * self.mean_factor)
        # Poisson draw (Knuth): one uniform number for most customers, who never complain.
        count, p = 0, random_()
        while p > limit:
            count += 1
            p *= random_()
        if not count:
            return
        records: list[_Record] = []
        for _i in range(count):
            first = self._new_record(self._moment(), tier, accounts, None)
            records.append(first)
            previous = first
            for chance in FOLLOW_UP:
                if random_() >= chance:
                    break
                low, high = FOLLOW_UP_DAYS
                created = previous.created + timedelta(
                    days=low + int(random_() * (high - low)), seconds=int(random_() * 86400)
                )
                created = self._business_time(created)
                if created >= self.now:
                    break
                previous = self._new_record(created, tier, accounts, previous)
                records.append(previous)
        records.sort(key=lambda r: r.created)
        self._link_repeats(records)
        for record in records:
            self.sequence += 1
            record.number = f"TSH{record.created:%Y%m%d}{self.sequence:08d}"
            self.write(self._render(record, customer_id, district))

    def _moment(self) -> datetime:
        random_ = self.random
        while True:
            offset = int(random_() * self.days)
            if random_() < self.weekday_accept[offset % len(self.weekday_accept)]:
                break
        hour = bisect_right(self.hour_cum, random_())
        return datetime.fromordinal(self.start_ordinal + offset) + timedelta(
            hours=min(hour, 23), seconds=int(random_() * 3600)
        )

    def _business_time(self, moment: datetime) -> datetime:
        """Follow-ups at night are moved to the next morning."""
        if moment.hour < 7:
            return moment.replace(hour=8 + moment.hour)
        if moment.hour >= 22:
            return moment.replace(hour=moment.hour - 12)
        return moment

    # -- what, how, and the intake facts -------------------------------------------------------

    def _eligible(self, created: datetime, accounts) -> dict[str, list]:
        when = created.isoformat()
        ahead = (created + timedelta(days=INSTALL_AHEAD_DAYS)).isoformat()
        groups: dict[str, list] = {}
        for row in accounts:
            opened = row[6][:19]
            if opened <= when:
                for group in SERVICE_GROUPS[row[2]]:
                    groups.setdefault(group, []).append(row)
            elif row[2] == "broadband" and opened <= ahead:
                groups.setdefault("install", []).append(row)
        return groups

    def _table(self, groups: frozenset) -> tuple[list[float], list[str]]:
        table = self._tables.get(groups)
        if table is None:
            codes = [
                code
                for code, (_w, need) in CATEGORY_WEIGHTS.items()
                if code in self.leaves and (need is None or need in groups)
            ]
            total = sum(CATEGORY_WEIGHTS[c][0] for c in codes)
            running, bounds = 0.0, []
            for code in codes:
                running += CATEGORY_WEIGHTS[code][0]
                bounds.append(running / total)
            table = self._tables[groups] = (bounds, codes)
        return table

    def _new_record(self, created: datetime, tier: str, accounts, previous) -> _Record:
        random_ = self.random
        record = _Record()
        record.created = created
        record.follow_up = previous is not None
        if previous is not None:
            code, account = previous.code, previous.account
            not_open_yet = account is not None and account[6][:19] > created.isoformat()
            if random_() >= 0.7 and not not_open_yet:  # told as a neighbouring category
                options = [c for c in self.siblings[previous.parent] if _fits(c, account)]
                if options:
                    code = options[int(random_() * len(options))]
        else:
            groups = self._eligible(created, accounts)
            bounds, codes = self._table(frozenset(groups))
            code = codes[min(bisect_right(bounds, random_()), len(codes) - 1)]
            need = CATEGORY_WEIGHTS[code][1]
            pool = groups.get(need or "any")
            if pool and (need is not None or random_() < ACCOUNT_NAMED):
                account = pool[int(random_() * len(pool))]
            else:
                account = None
        record.code = code
        record.parent, record.need, _department = self.leaves[code]
        record.account = account
        record.new_install = bool(
            code == "NQ.BB.04"
            and account is not None
            and account[6][:19] > (created - timedelta(days=NEW_INSTALL_DAYS)).isoformat()
        )
        # Channel: a customer chasing the same problem goes to the regulator more often.
        if previous is not None and random_() < FOLLOW_UP_UPGRADE:
            channel = _pick(self.upgraded_channels, random_())
        else:
            channel = _pick(self.channels, random_())
        if channel == "business_hall" and not 9 <= created.hour < 18:
            channel = "hotline"
        record.channel = channel
        upgraded = channel in UPGRADED
        topic = _pick(TOPICS[code], random_()) if code in TOPICS else "other"
        table = DEMANDS[record.need if topic == "other" else topic]
        demands = {d for d, chance in table if random_() < chance}
        if not demands and topic == "other" and random_() < 0.8:
            demands = {"other"}  # most who call to complain want something done
        dissatisfied = topic != "other" or random_() < DISSATISFIED
        accepted = random_() < ACCEPTED[record.need]
        handover = random_() < HANDOVER[record.need]
        if upgraded:  # an appeal outside: never settled on the spot
            accepted, handover, dissatisfied = False, True, True
            if topic == "other" and not demands:
                demands = {"other"}
        key = (topic, frozenset(demands), dissatisfied, accepted, handover)
        decision = self._decisions.get(key)
        if decision is None:
            decision = self._decisions[key] = triage(
                Intake(
                    topic=topic,
                    demands=demands,
                    dissatisfied=dissatisfied,
                    accepted=accepted,
                    needs_handover=handover,
                )
            )
        record.topic = topic
        record.demands = sorted(demands)
        record.record_type = decision.record_type.value
        record.order_kind = decision.order.value if decision.order else None
        limit = PRIORITY_LIMIT_HOURS if upgraded or tier in ("gold", "diamond") else LIMIT_HOURS
        if record.record_type == "complaint_work_order":
            record.life = self._work_order(record, limit, upgraded)
        else:  # settled on the spot: answered and closed as it is recorded
            record.life = {
                "state": "closed",
                "replied_at": created,
                "reply": "direct",
                "closed_at": created,
            }
        record.repeat_of = None
        return record

    # -- the life of a work order --------------------------------------------------------------

    def _work_order(self, record: _Record, limit: float, upgraded: bool) -> dict:
        """Play the order through and return its fields as they stood at `now`."""
        random_ = self.random
        created = record.created
        p_escalate, p_second, p_transfer, speed = ESCALATION[record.parent]
        back = self.leaves[record.code][2]
        second = SECOND_LINE.get(record.need)
        # The SLA clock in hours from opening; suspension is added on the wall clock.
        accept = (2 + random_() * 38) / 60
        breach = random_() < (BREACH_UPGRADED if upgraded else BREACH)
        if breach:
            resolve = limit * (1.02 + random_() * 2.0)
        else:
            resolve = limit * (0.03 + 0.94 * speed * random_() ** 1.4)
        resolve = max(resolve, accept + 0.25)
        clock: list[tuple[float, dict]] = [(accept, {"state": "in_progress"})]
        if upgraded or random_() < p_escalate:
            at = accept + (resolve - accept) * (0.05 + 0.25 * random_())
            to_second = second is not None and random_() < (p_second / 2 if upgraded else p_second)
            department = second if to_second else back
            step = {"state": "escalated", "department": department}
            if self.department_kinds[department] == "back_office":
                step["first_responsible"] = department
            clock.append((at, step))
            if to_second and random_() < p_transfer:
                later = at + (resolve - at) * (0.1 + 0.4 * random_())
                clock.append((later, {"department": back, "first_responsible": back}))
        pause_at, pause = None, 0.0
        long_chance, long_low, long_high = LONG_SUSPEND.get(record.code, (0.0, 0, 0))
        if random_() < SUSPEND + long_chance:
            pause_at = accept + (resolve - accept) * (0.2 + 0.6 * random_())
            if random_() < long_chance / (SUSPEND + long_chance):
                pause = 24 * (long_low + random_() * (long_high - long_low))
            else:
                low, high = SUSPEND_HOURS
                pause = low + random_() * (high - low)

        def wall(hours: float) -> datetime:
            if pause_at is not None and hours > pause_at:
                hours += pause
            return created + timedelta(seconds=int(hours * 3600))

        steps = [(wall(h), step) for h, step in clock]
        if pause_at is not None:
            suspended = wall(pause_at)
            steps.append((suspended, {"suspend": True}))
            steps.append((suspended + timedelta(seconds=int(pause * 3600)), {"resume": True}))
        replied = wall(resolve)
        steps.append((replied, {"state": "replied", "replied_at": replied, "reply": "first"}))
        low, high = CALLBACK_HOURS
        call = replied + timedelta(seconds=int((low + (high - low) * random_()) * 3600))
        # The callback is taken on a while before the customer is reached.
        taken = max(replied, call - timedelta(seconds=int((0.2 + 5.8 * random_()) * 3600)))
        steps.append((taken, {"state": "awaiting_callback"}))
        attempts = 0
        if random_() < UNREACHABLE_FIRST:
            attempts = 1
            steps.append((call, {"callback_attempts": 1}))
            while attempts < MAX_ATTEMPTS:
                call += timedelta(seconds=int((2 + 6 * random_()) * 3600))
                if random_() >= UNREACHABLE_AGAIN:
                    break
                attempts += 1
                steps.append((call, {"callback_attempts": attempts}))
        if attempts >= MAX_ATTEMPTS:
            steps.append(
                (call, {"state": "closed", "closed_at": call, "callback_outcome": "unreachable"})
            )
        else:
            outcome = _pick(self.outcomes, random_())
            if outcome != "dissatisfied":
                steps.append(
                    (call, {"state": "closed", "closed_at": call, "callback_outcome": outcome})
                )
            else:
                steps.append(
                    (
                        call,
                        {
                            "state": "reopened",
                            "callback_outcome": "dissatisfied",
                            "remediation": True,
                        },
                    )
                )
                again = call + timedelta(seconds=int((12 + 60 * random_()) * 3600))
                steps.append(
                    (again, {"state": "replied", "replied_at": again, "reply": "remediation"})
                )
                call = again + timedelta(seconds=int((1 + 11 * random_()) * 3600))
                steps.append((call, {"state": "awaiting_callback"}))
                final = _pick(self.after_remediation, random_())
                steps.append(
                    (call, {"state": "closed", "closed_at": call, "callback_outcome": final})
                )
        recorded_reason = random_() < BREACH_REASON_RECORDED

        life: dict = {"state": "new", "callback_attempts": 0, "remediation": False}
        before_pause = "new"
        for at, step in sorted(steps, key=lambda s: s[0]):
            if at >= self.now:
                break
            if "suspend" in step:
                before_pause = life["state"]
                life["state"] = "suspended"
            elif "resume" in step:
                life["state"] = before_pause
            else:
                life.update(step)
        if life["state"] == "closed":
            life["untimely"] = breach
            life["breach"] = breach and recorded_reason
        return life

    def _link_repeats(self, records: list[_Record]) -> None:
        """重复投诉 as the live system links them: a work order repeats the customer's latest
        earlier record in the same second-level category that was still open, or closed
        within REPEAT_DAYS, when the new one was made."""
        window = timedelta(days=REPEAT_DAYS)
        for i, record in enumerate(records):
            if record.record_type != "complaint_work_order":
                continue
            since = record.created - window
            for earlier in reversed(records[:i]):
                if earlier.parent != record.parent or earlier.created >= record.created:
                    continue
                closed = earlier.life.get("closed_at")
                if closed is None or closed >= since:
                    record.repeat_of = earlier
                    break

    # -- the words -----------------------------------------------------------------------------

    def _choice(self, options):
        return options[int(self.random() * len(options))]

    def slot(self, key: str, slots: _Slots) -> str:
        c = self._choice
        random_ = self.random
        district = slots.district
        if key == "xq":
            return c(T.COMMUNITIES)
        if key == "road":
            return road(self.rng)
        if key == "district":
            return district.name
        if key == "place":
            form = int(random_() * 5)
            if form == 0:
                return slots["xq"]
            if form == 1:
                return f"{district.name}{slots['road']}"
            if form == 2:
                return f"{slots['road']}附近"
            if form == 3:
                return f"{slots['xq']}{1 + int(random_() * 30)}栋"
            return "家里"
        if key == "bw":
            return str(slots.bandwidth) if slots.bandwidth else c(T.BANDWIDTHS)
        if key == "date":
            day = slots.when - timedelta(days=1 + int(random_() * 10))
            return f"{day.month}月{day.day}日"
        if key == "hall":
            if random_() < 0.3:
                return f"{slots['road']}营业厅"
            return f"{district.name}{c(T.HALL_PLACES)}{c(T.HALL_SUFFIXES)}"
        if key == "amount":
            return c(T.AMOUNTS)
        simple = {
            "dur": T.DURATIONS,
            "since": T.SINCE,
            "times": T.TIMES,
            "hour": T.HOURS,
            "product": T.PRODUCTS,
            "plan": T.PLANS,
            "speed": T.SPEEDS,
            "staff": T.STAFF,
            "tech": T.TECHS,
            "wait": T.WAITS,
            "hotline_wait": T.HOTLINE_WAITS,
            "spam": T.SPAM,
            "sender": T.SENDERS,
            "fraud": T.FRAUD,
            "ch": T.CHANNELS_TV,
            "dl": T.DEDICATED,
            "biz": T.IMPACTS,
            "fee": T.FEES,
            "pay": T.PAYMENTS,
            "scene": T.SCENES,
            "app": T.APPS,
            "light": T.LIGHTS,
            "brand": T.ONT_BRANDS,
            "promise": T.PROMISES,
            "month": T.MONTHS,
            "fault": T.FAULTS,
            "fault_part": T.FAULT_PARTS,
            "mo_cause": T.MO_CAUSES,
        }
        return c(simple[key])

    def _description(self, record: _Record, slots: _Slots) -> str:
        random_, c = self.random, self._choice
        opener = c(T.OPENERS[record.channel]).format_map(slots)
        prefix = ""
        if (record.repeat_of is not None and random_() < P_REPEAT_PREFIX) or (
            record.follow_up and random_() < P_FOLLOW_UP_PREFIX
        ):
            prefix = c(T.REPEAT_INSERTS if opener else T.REPEAT_PREFIXES)
        if random_() < P_TERSE:
            terse = T.TERSE[TERSE_GROUP.get(record.parent, "service")]
            return f"{opener}{prefix}{c(terse)}。"
        cores = T.NEW_INSTALL if record.new_install else T.CORE[record.code]
        parts = [c(cores).format_map(slots)]
        if random_() < P_DETAIL:
            parts.append(c(T.DETAILS[record.code]).format_map(slots))
        if random_() < P_NOISE:
            other = c(list(T.CORE))
            if other != record.code:
                parts.append("另外" + c(T.CORE[other]).format_map(slots))
        for demand in record.demands:
            if random_() < P_DEMAND_PHRASE:
                if demand == "restore" and record.need != "network_quality":
                    demand = "restore_back"
                parts.append(c(T.DEMAND_PHRASES[demand]))
        text = f"{opener}{prefix}{'，'.join(parts)}。"
        if random_() < P_MOOD:
            text += c(T.MOODS) + "。"
        return text

    def _reply(self, record: _Record, kind: str, slots: _Slots) -> str:
        c = self._choice
        if kind == "direct":
            return c(T.DIRECT_REPLIES) + "。"
        if kind == "remediation":
            return c(T.REMEDIATION_REPLIES) + "。"
        replies = T.REPLIES.get(record.code) or T.REPLIES[record.parent]
        return c(replies).format_map(slots) + "。"

    def _render(self, record: _Record, customer_id: str, district) -> dict:
        life = record.life
        account = record.account
        bandwidth = account[5] if account is not None and account[2] == "broadband" else None
        slots = _Slots(self, district, bandwidth, record.created)
        description = self._description(record, slots)
        reply_kind = life.get("reply")
        reply = self._reply(record, reply_kind, slots) if reply_kind else None
        breach_reason = self._choice(T.BREACH_REASONS) if life.get("breach") else None
        return {
            "number": record.number,
            "customer_id": customer_id,
            "account_id": account[0] if account is not None else None,
            "channel": record.channel,
            "topic": record.topic,
            "demands": record.demands,
            "record_type": record.record_type,
            "order_kind": record.order_kind,
            "category": record.code,
            "description": description,
            "state": life["state"],
            "created_at": _iso(record.created),
            "department": life.get("department"),
            "first_responsible": life.get("first_responsible"),
            "replied_at": _iso(life.get("replied_at")),
            "reply": reply,
            "closed_at": _iso(life.get("closed_at")),
            "callback_outcome": life.get("callback_outcome"),
            "callback_attempts": life.get("callback_attempts", 0),
            "untimely": life.get("untimely"),
            "breach_reason": breach_reason,
            "repeat_of": record.repeat_of.number if record.repeat_of is not None else None,
            "remediation": life.get("remediation", False),
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat() + "+08:00"
