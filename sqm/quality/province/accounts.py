"""The quality facts that belong to one customer's accounts, drawn as the customer is written.

`AccountFacts.customer` listens to the customers part ("customer": each customer with its
account rows). Before that call the network's alarm stream has shown it the service-cutting
alarms of the customer's new ONUs ("onu_outage") and the complaint history the customer's
complaints ("complaint"); they are held for that one customer only, so memory stays flat.

Per broadband account: repairs (a background rate, the outages of its ONU that lasted long
enough for somebody to call, its fault complaints; some come back within weeks), the
installation order when the account was opened inside the window, and the user's speed
tests. Per dedicated account: the installation order and its circuit(s) with their outages.
Counts per city and product are kept for the monthly operations figures (citywide.py).

Times are "local seconds" (date ordinal × 86,400 + seconds of the day, Asia/Shanghai), as
the alarm stream keeps them; they are written as ISO 8601 with +08:00.
"""

from __future__ import annotations

import math
import random
from datetime import date

from sqm.quality.province.profiles import DAY, HOUR, CityProfile, LocalClock

MINUTE = 60
DEDICATED = ("dedicated_internet", "dedicated_data", "dedicated_voice")
BILLED = ("broadband", *DEDICATED)

# --- repairs ----------------------------------------------------------------------------------
# Background fault reports per broadband account and month (before the city's factor and
# `repair_scale`); the outages and complaints below add to it.
BACKGROUND_RATE = 0.0014
# Share of rural accounts by district: counties and county-level cities are mostly rural.
RURAL_SHARE = {"区": 0.22, "市": 0.62, "县": 0.62}
# Where the facts reach back beyond the complaint history or the alarms (the demo has 6
# months of complaints and 12 of facts), reports stand in for the missing ones at the rates
# measured where both exist (per broadband account and month), so the fault rate does not
# jump where the history starts.
COMPLAINT_STAND_IN = 0.0011
OUTAGE_STAND_IN = 0.0009
# Whether somebody on an ONU whose service was cut reports it, by the outage's length:
# nobody notices a few minutes, few call about an evening, most call about days, and a line
# down for weeks is one nobody uses. (up to seconds, chance)
OUTAGE_REPORT = ((HOUR, 0.0), (4 * HOUR, 0.02), (DAY, 0.06), (3 * DAY, 0.15), (10**9, 0.03))
POWER_REPORT = 0.2  # a dying gasp is mostly the customer's own mains: rarely a report
# A fault complaint about a broadband line has a repair this often (the rest: explained,
# remote advice, a complaint about something else than a fault).
COMPLAINT_REPAIR = {"NQ.BB.01": 0.08, "NQ.BB.02": 0.15, "NQ.BB.03": 0.22, "NQ.BB.05": 0.22}
# … and the fault was reported before the complaint (which is about the slow repair) this
# often; otherwise the hotline opened the repair with the complaint.
SLOW_REPAIR_COMPLAINT = 0.3
COMPLAINT_OUTAGE = 0.25  # a "dedicated line down" complaint: an outage of its circuit
# Causes: (cumulative share, cause, attributable to our network)
BACKGROUND_CAUSES = (
    (0.07, "入户光纤故障", 1),
    (0.14, "光猫故障", 1),
    (0.16, "局端设备故障", 1),
    (0.50, "用户终端故障", 0),
    (0.78, "用户设置问题", 0),
    (0.85, "用户侧断电", 0),
    (0.92, "欠费停机", 0),
    (1.00, "其他", 0),
)
COMPLAINT_CAUSES = (
    (0.10, "入户光纤故障", 1),
    (0.20, "光猫故障", 1),
    (0.25, "局端设备故障", 1),
    (0.65, "用户终端故障", 0),
    (1.00, "用户设置问题", 0),
)
LOS_CAUSES = ((0.45, "光缆中断", 1), (1.0, "入户光纤故障", 1))
REMOTE = 0.4  # fixed without a visit (remote reset, advice)
REMOTE_HOURS = (0.25, 8.0)
SLOTS = (9, 11, 14, 16, 18)  # two-hour appointment windows
SLOT_HOURS = 2
SLOT_LEAD = 2 * HOUR  # the earliest window starts this long after the report
LAST_SAME_DAY = 15  # reported after 15:00: the first window is the next day
WORK = (20 * MINUTE, 150 * MINUTE)
HARD_WORK = (20 * HOUR, 60 * HOUR)  # a second visit, a part to order, a cable to pull
LATE_ARRIVAL = (5 * MINUTE, 90 * MINUTE)
EARLY_ARRIVAL = (5 * MINUTE, 30 * MINUTE)
EARLY_SHARE = 0.25  # of the missed windows: the engineer came too early
RATED = 0.7  # share of visits the customer rates
RATING_GOOD = ((0.82, 5), (0.99, 4), (1.0, 3))
RATING_BAD = ((0.35, 5), (0.7, 4), (0.88, 3), (0.96, 2), (1.0, 1))
REPEAT_GAP = ((0.55, 12 * HOUR, 7 * DAY), (1.0, 7 * DAY, 25 * DAY))  # after the restoration

# --- activations --------------------------------------------------------------------------------
COMMIT_HOURS = {"broadband": (48, 72), "dedicated": (120, 240)}
LEAD_SHARE = (0.15, 0.7)  # on time: finished this share of the promised time after ordering
LATE_BY_HOURS = (2, 40)
INSTALL_WORK = (30 * MINUTE, 150 * MINUTE)

# --- speed tests ----------------------------------------------------------------------------------
USER_TESTS = 0.08  # per broadband account and month
ATTAINED = (0.9, 1.04)  # measured ÷ subscribed on a healthy line
SLOW = (0.35, 0.88)
UPLOAD = (0.2, 0.5)

# --- circuits ----------------------------------------------------------------------------------
# (cumulative share, contract availability %, contract repair hours)
CONTRACTS = ((0.10, "99.99", 4), (0.30, "99.95", 4), (0.75, "99.9", 6), (1.0, "99.5", 8))
SECOND_CIRCUIT = {"dedicated_data": 0.2, "dedicated_internet": 0.05, "dedicated_voice": 0.0}
OUTAGE_RATE = 0.018  # per circuit and month
OUTAGE_REPEAT = 0.05
OUTAGE_REPEAT_DAYS = (1, 25)
OUTAGE_SHORTEST = 0.15  # hours
OVER_CONTRACT_HOURS = (0.3, 12.0)
OUTAGE_CAUSES = (
    (0.18, "光缆中断", 1),
    (0.28, "传输设备故障", 1),
    (0.32, "电源故障", 1),
    (0.75, "客户侧设备", 0),
    (0.92, "第三方施工", 0),
    (1.00, "客户侧断电", 0),
)


def _band(table, r: float):
    for entry in table:
        if r < entry[0]:
            return entry
    return table[-1]


def _poisson(random_, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:  # a large scale: the normal approximation, still from the same stream
        return max(0, round(mean + math.sqrt(mean) * random_gauss(random_)))
    limit, count, p = math.exp(-mean), 0, random_()
    while p > limit:
        count += 1
        p *= random_()
    return count


def random_gauss(random_) -> float:
    # Box–Muller from the stream's uniforms (random.Random.gauss keeps state between calls).
    u1 = max(random_(), 1e-12)
    return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * random_())


def parse_local(text: str) -> int:
    """Local seconds of an ISO 8601 time written by the generator (…T08:30:00+08:00)."""
    day = date(int(text[0:4]), int(text[5:7]), int(text[8:10])).toordinal()
    return day * DAY + int(text[11:13]) * HOUR + int(text[14:16]) * MINUTE + int(text[17:19])


class AccountFacts:
    """Draws and writes the account-level facts of one customer at a time."""

    def __init__(
        self,
        rng: random.Random,
        clock: LocalClock,
        profiles: dict[str, CityProfile],
        writers: dict,
        repair_scale: float,
        gaps: tuple[tuple[int, int, str], ...] = (),
    ) -> None:
        """GAPS: the periods [start, end) of the window without complaint history
        ("complaints") or alarms ("outages"), where stand-in reports fill in."""
        self.rng = rng
        self.random = rng.random
        self.clock = clock
        self.start, self.end = clock.start, clock.end
        self.months = (self.end - self.start) / (30.44 * DAY)
        self.profiles = profiles
        self.repairs = writers["repairs"].writerow
        self.activations = writers["activations"].writerow
        self.speed_tests = writers["speed_tests"].writerow
        self.circuits = writers["circuits"].writerow
        self.outages = writers["circuit_outages"].writerow
        self.repair_scale = repair_scale
        self.gaps = [
            (start, end, COMPLAINT_STAND_IN if what == "complaints" else OUTAGE_STAND_IN, what)
            for start, end, what in gaps
            if end > start
        ]
        self.customers_per_city: dict[str, int] = {}
        # (city code, product) → accounts billed, by the month they were opened in (0: before)
        self.billed: dict[tuple[str, str], list[int]] = {}
        self._held_outages: list[tuple[str, str, int, int]] = []
        self._held_complaints: list[dict] = []
        self._seq = {"repair": 0, "order": 0, "test": 0, "outage": 0}
        self._rural: dict[str, float] = {}

    # -- what the other parts show --------------------------------------------------------------

    def onu_outage(self, onu_id: str, type_: str, t0: int, t1: int) -> None:
        if t1 - t0 >= HOUR and self.start <= t0 < self.end:
            self._held_outages.append((onu_id, type_, t0, t1))

    def complaint(self, record: dict) -> None:
        code = record["category"]
        if code in COMPLAINT_REPAIR or code == "NQ.DL.01":
            self._held_complaints.append(record)

    # -- one customer ---------------------------------------------------------------------------

    def customer(self, customer_id: str, kind: str, tier: str, district, accounts) -> None:
        code = district.city_code
        self.customers_per_city[code] = self.customers_per_city.get(code, 0) + 1
        profile = self.profiles[code]
        outages, complaints = self._held_outages, self._held_complaints
        broadband = [row for row in accounts if row[2] == "broadband" and row[3] != "closed"]
        dedicated = [row for row in accounts if row[2] in DEDICATED and row[3] != "closed"]
        first_circuits: dict[str, str] = {}
        for row in accounts:
            service = row[2]
            if service not in BILLED:
                continue
            opened = parse_local(row[6])
            if row[3] != "closed":
                self._count(code, service, opened)
            if opened >= self.start:
                self._activation(row[0], service, opened, profile)
        for row in broadband:
            self._broadband(row, district, profile, outages, complaints, broadband)
        for row in dedicated:
            first_circuits[row[0]] = self._circuits(row, customer_id, district, profile)
        if dedicated and complaints:
            for record in complaints:
                if record["category"] == "NQ.DL.01":
                    account = record["account_id"]
                    circuit = first_circuits.get(account) or first_circuits[dedicated[0][0]]
                    self._complaint_outage(circuit, record, profile)
        outages.clear()
        complaints.clear()

    def _count(self, code: str, service: str, opened: int) -> None:
        counts = self.billed.get((code, service))
        if counts is None:
            counts = self.billed[(code, service)] = [0] * (len(self.clock.months) + 2)
        counts[self.clock.month_index(opened) + 1] += 1

    # -- repairs ----------------------------------------------------------------------------------

    def _broadband(self, row, district, profile, outages, complaints, broadband) -> None:
        random_ = self.random
        account_id, onu_id = row[0], row[7]
        rural_share = self._rural.get(district.name)
        if rural_share is None:
            rural_share = self._rural[district.name] = RURAL_SHARE.get(district.name[-1], 0.3)
        area = "rural" if random_() < rural_share else "urban"
        # (reported, cause, network fault, restored when the network is mended, a complaint's
        # time (the fault was still there then))
        reports: list[tuple[int, str, int, int | None, int | None]] = []
        mean = BACKGROUND_RATE * profile.fault_factor * self.repair_scale * self.months
        for _i in range(_poisson(random_, mean)):
            _b, cause, network = _band(BACKGROUND_CAUSES, random_())
            reports.append((self.clock.moment(random_), cause, network, None, None))
        for start, end, rate, what in self.gaps:
            for _i in range(_poisson(random_, rate * (end - start) / (30.44 * DAY))):
                table = COMPLAINT_CAUSES if what == "complaints" else LOS_CAUSES
                _b, cause, network = _band(table, random_())
                when = self.clock.moment_in(start, end, random_)
                reports.append((when, cause, network, None, None))
        for outage_onu, type_, t0, t1 in outages:
            if outage_onu != onu_id:
                continue
            chance = _band(OUTAGE_REPORT, t1 - t0)[1] * (POWER_REPORT if type_ != "LOS" else 1)
            if random_() >= chance:
                continue
            reported = self.clock.awake(t0 + int(10 * MINUTE + random_() * 2 * HOUR), random_)
            if reported >= t1 or reported >= self.end:
                continue  # back before anybody called
            if type_ == "LOS":
                _b, cause, network = _band(LOS_CAUSES, random_())
            else:
                cause, network = "用户侧断电", 0
            reports.append((reported, cause, network, t1 + int(random_() * 20 * MINUTE), None))
        for record in complaints:
            chance = COMPLAINT_REPAIR.get(record["category"])
            if chance is None:
                continue
            about = record["account_id"]
            if about != account_id and not (
                account_id == broadband[0][0] and all(about != b[0] for b in broadband)
            ):
                continue
            if random_() >= chance:
                continue
            created = parse_local(record["created_at"])
            if random_() < SLOW_REPAIR_COMPLAINT:  # the customer complained about the repair
                reported = created - int(HOUR + random_() * 20 * HOUR)
            else:  # the hotline opened a fault ticket with the complaint
                reported = created + int(MINUTE + random_() * 20 * MINUTE)
            if not self.start <= reported < self.end:
                continue
            _b, cause, network = _band(COMPLAINT_CAUSES, random_())
            reports.append((reported, cause, network, None, created))
        for reported, cause, network, fixed, complained in reports:
            restored = self._repair(
                account_id, area, reported, cause, network, fixed, complained, profile
            )
            if restored is not None and random_() < profile.repeat:
                _b, low, high = _band(REPEAT_GAP, random_())
                again = self.clock.awake(restored + int(low + random_() * (high - low)), random_)
                if again < self.end:
                    self._repair(account_id, area, again, cause, network, None, None, profile)
        self._speed_tests(row, district, profile)

    def _repair(self, account_id, area, reported, cause, network, fixed, complained, profile):
        """Write one repair; returns when it was restored (None: still open at "now").

        FIXED: the outage's end, when the network's repair restored it; COMPLAINED: the
        time of the customer's complaint about it (the fault was not mended by then)."""
        random_ = self.random
        slow = complained is not None and complained > reported
        visit = None
        if fixed is not None:  # an outage: service returns when the network is mended
            restored = fixed
            if network and restored - reported > HOUR and random_() < 0.5:
                arrived = restored - int(15 * MINUTE + random_() * 75 * MINUTE)
                arrived = max(reported + 15 * MINUTE, arrived)
                visit = self._window(arrived, profile, random_)
        elif random_() < REMOTE and not slow:
            low, high = REMOTE_HOURS
            restored = reported + int(HOUR * low * (high / low) ** random_())
        else:
            slot = self._slot(reported, profile, random_)
            visit = self._window_at(slot, profile, random_)
            arrived = visit[2]
            work = WORK[0] + random_() * (WORK[1] - WORK[0])
            if random_() < (profile.hard * (2 if slow else 1)):
                work += HARD_WORK[0] + random_() * (HARD_WORK[1] - HARD_WORK[0])
            restored = arrived + int(work)
            if slow and restored <= complained:
                restored = complained + int(HOUR + random_() * 11 * HOUR)
        self._seq["repair"] += 1
        clock = self.clock
        late = restored - reported > (72 if area == "rural" else 48) * HOUR
        if visit is not None and visit[2] >= self.end:
            visit = (visit[0], visit[1], None)
        row = [
            f"GZ{clock.compact_day(reported)}{self._seq['repair']:08d}",
            account_id,
            clock.text(reported),
            clock.text(restored) if restored < self.end else "",
            area,
            cause,
            network,
        ]
        if visit is None:
            row += ["", "", "", ""]
        else:
            start, end, arrived = visit
            done = arrived is not None and restored < self.end
            punctual = arrived is not None and start <= arrived <= end
            row += [
                clock.text(start),
                clock.text(end),
                clock.text(arrived) if arrived is not None else "",
                self._rating(punctual and not late, random_) if done else "",
            ]
        self.repairs(row)
        return restored if restored < self.end else None

    def _slot(self, reported: int, profile: CityProfile, random_) -> int:
        """The start of the first two-hour window the customer and the crew agree on."""
        day, second = divmod(reported, DAY)
        earliest = second + SLOT_LEAD
        delay = _band(profile.slot_delay, random_())[1]
        if delay == 0 and second // HOUR < LAST_SAME_DAY:
            for hour in SLOTS:
                if hour * HOUR >= earliest:
                    choices = [h for h in SLOTS if h >= hour]
                    return day * DAY + choices[int(random_() * len(choices))] * HOUR
        day += max(delay, 1)
        return day * DAY + SLOTS[int(random_() * len(SLOTS))] * HOUR

    def _window_at(self, start: int, profile: CityProfile, random_) -> tuple[int, int, int]:
        end = start + SLOT_HOURS * HOUR
        if random_() < profile.punctual:
            arrived = start + int(random_() * (SLOT_HOURS * HOUR - MINUTE))
        elif random_() < EARLY_SHARE:
            arrived = start - int(EARLY_ARRIVAL[0] + random_() * EARLY_ARRIVAL[1])
        else:
            arrived = end + int(LATE_ARRIVAL[0] + random_() * LATE_ARRIVAL[1])
        return start, end, arrived

    def _window(self, arrived: int, profile: CityProfile, random_) -> tuple[int, int, int]:
        """A window around a known arrival (punctual or, as often as the city misses, not)."""
        if random_() < profile.punctual:
            start = arrived - int(random_() * 1.5 * HOUR)
            start -= start % (30 * MINUTE)
            return start, start + SLOT_HOURS * HOUR, arrived
        if random_() < EARLY_SHARE:
            start = arrived + int(EARLY_ARRIVAL[0] + random_() * EARLY_ARRIVAL[1])
        else:
            end = arrived - int(LATE_ARRIVAL[0] + random_() * LATE_ARRIVAL[1])
            start = end - SLOT_HOURS * HOUR
        return start, start + SLOT_HOURS * HOUR, arrived

    @staticmethod
    def _rating(good: bool, random_) -> int:
        if random_() >= RATED:
            return ""
        return _band(RATING_GOOD if good else RATING_BAD, random_())[1]

    # -- activations ------------------------------------------------------------------------------

    def _activation(self, account_id: str, service: str, activated: int, profile) -> None:
        random_ = self.random
        group = "broadband" if service == "broadband" else "dedicated"
        low, high = COMMIT_HOURS[group]
        commit = int((low + random_() * (high - low)) * HOUR)
        if random_() < profile.activation_late:
            lead = commit + int((LATE_BY_HOURS[0] + random_() * LATE_BY_HOURS[1]) * HOUR)
        else:
            lead = int(commit * (LEAD_SHARE[0] + random_() * (LEAD_SHARE[1] - LEAD_SHARE[0])))
        ordered = activated - lead
        committed = ordered + commit
        self._seq["order"] += 1
        clock = self.clock
        row = [
            f"KT{clock.compact_day(ordered)}{self._seq['order']:08d}",
            account_id,
            clock.text(ordered),
            clock.text(committed),
            clock.text(activated),
        ]
        if group == "broadband":
            arrived = activated - int(INSTALL_WORK[0] + random_() * INSTALL_WORK[1])
            start, end, arrived = self._window(arrived, profile, random_)
            punctual = start <= arrived <= end
            row += [
                clock.text(start),
                clock.text(end),
                clock.text(arrived),
                self._rating(punctual and activated <= committed, random_),
            ]
        else:
            row += ["", "", "", ""]
        self.activations(row)

    # -- speed tests -------------------------------------------------------------------------------

    def _speed_tests(self, row, district, profile) -> None:
        random_ = self.random
        count = _poisson(random_, USER_TESTS * self.months)
        if not count:
            return
        subscribed = int(row[5])
        slow = random_() < profile.slow_lines
        low, high = SLOW if slow else ATTAINED
        for _i in range(count):
            measured = self.clock.moment(random_)
            down = min(subscribed * (low + random_() * (high - low)), subscribed * 1.04)
            up = min(down, subscribed * (UPLOAD[0] + random_() * (UPLOAD[1] - UPLOAD[0])))
            self._seq["test"] += 1
            self.speed_tests(
                [
                    f"SU{self._seq['test']:010d}",
                    self.clock.text(measured),
                    "user",
                    district.city,
                    row[0],
                    f"{down:.1f}",
                    f"{up:.1f}",
                    subscribed,
                ]
            )

    # -- circuits -----------------------------------------------------------------------------

    def _circuits(self, row, customer_id: str, district, profile) -> str:
        random_ = self.random
        account_id, service = row[0], row[2]
        opened = parse_local(row[6])
        count = 2 if random_() < SECOND_CIRCUIT[service] else 1
        first = ""
        for n in range(1, count + 1):
            circuit_id = f"{account_id}-{n}"
            first = first or circuit_id
            _b, availability, repair_hours = _band(CONTRACTS, random_())
            self.circuits(
                [
                    circuit_id,
                    customer_id,
                    service,
                    district.city,
                    availability,
                    repair_hours,
                    row[6],
                ]
            )
            since = max(opened, self.start)
            months = max(0, self.end - since) / (30.44 * DAY)
            mean = OUTAGE_RATE * profile.outage_factor * months
            for _i in range(_poisson(random_, mean)):
                started = since + int(random_() * (self.end - since))
                self._outage(circuit_id, started, repair_hours, profile, False)
        return first

    def _complaint_outage(self, circuit: str, record: dict, profile) -> None:
        random_ = self.random
        if random_() >= COMPLAINT_OUTAGE:
            return
        started = parse_local(record["created_at"]) - int(30 * MINUTE + random_() * 6 * HOUR)
        if self.start <= started < self.end:
            self._outage(circuit, started, 6, profile, True)

    def _outage(
        self, circuit: str, started: int, contract: float, profile, slow: bool, repeat=True
    ) -> None:
        """One outage (SLOW: one the customer complained about, more often over contract)
        and, sometimes, its return weeks later."""
        random_ = self.random
        if random_() < profile.in_contract * (0.93 if slow else 1):
            hours = OUTAGE_SHORTEST * (contract / OUTAGE_SHORTEST) ** random_()
        else:
            low, high = OVER_CONTRACT_HOURS
            hours = contract + low * (high / low) ** random_()
        restored = started + int(hours * HOUR)
        _b, cause, network = _band(OUTAGE_CAUSES, random_())
        self._seq["outage"] += 1
        self.outages(
            [
                f"DLGZ{self.clock.compact_day(started)}{self._seq['outage']:06d}",
                circuit,
                self.clock.text(started),
                self.clock.text(restored) if restored < self.end else "",
                cause,
                network,
            ]
        )
        if repeat and random_() < OUTAGE_REPEAT:
            low, high = OUTAGE_REPEAT_DAYS
            again = restored + int((low + random_() * (high - low)) * DAY)
            if again < self.end:
                self._outage(circuit, again, contract, profile, False, False)
