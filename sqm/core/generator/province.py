"""Write a synthetic province as customers.csv, accounts.csv, topology.csv and manifest.json.

Everything streams: customers are made one at a time, each with its accounts, and each
broadband account takes the next ONU of its district's plant (written to topology.csv as it
is handed out). Memory therefore stays flat however many customers are asked for.

Determinism: every random choice comes from `random.Random` streams seeded with a string
built from the seed (string seeds are hashed with SHA-512, not `hash()`), and the calendar
is pinned by `as_of` instead of today's date, so one seed always gives the same bytes.
"""

from __future__ import annotations

import csv
import json
import os
import random
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from math import lcm
from pathlib import Path
from typing import TextIO

from django.utils.translation import gettext as _

from sqm.core.formats import ACCOUNT_COLUMNS, CUSTOMER_COLUMNS, TOPOLOGY_COLUMNS
from sqm.core.generator import names
from sqm.core.generator.alarms import AlarmStream
from sqm.core.generator.complaints import ComplaintHistory, JsonLinesWriter, window_start
from sqm.core.generator.identity import (
    ID_CHECK_MAP,
    ID_WEIGHTS,
    MOBILE_SPACE,
    AffinePermutation,
    MobileNumbers,
)
from sqm.core.generator.surveys import (
    QUESTIONNAIRE_FILE,
    SURVEY_FILE,
    PendingFile,
    write_surveys,
)
from sqm.core.generator.topology import AccessNetwork
from sqm.core.progress import Progress
from sqm.core.province import CITIES

GENERATOR_VERSION = "1"
# The generated world's "today": ages, opening dates and (later) complaint months count back
# from it. Fixed so that output does not depend on the day the generator runs.
DEFAULT_AS_OF = date(2026, 6, 30)

FILES = {
    "customers": "customers.csv",
    "accounts": "accounts.csv",
    "topology": "topology.csv",
    "complaints": "complaints.jsonl",
    "alarms": "alarms.jsonl",
    "survey": SURVEY_FILE,
    "questionnaire": QUESTIONNAIRE_FILE,
}

# Relative share of subscribers per city (roughly population, nudged by the local economy).
CITY_WEIGHTS: dict[str, int] = {
    "NJ": 120,
    "WX": 90,
    "XZ": 90,
    "CZ": 65,
    "SZ": 150,
    "NT": 80,
    "LYG": 45,
    "HA": 45,
    "YC": 70,
    "YZ": 45,
    "ZJ": 35,
    "TZ": 45,
    "SQ": 35,
}
# Long-distance area codes: broadband account numbers start with them (025…, 0512…).
AREA_CODES: dict[str, str] = {
    "NJ": "025",
    "WX": "0510",
    "XZ": "0516",
    "CZ": "0519",
    "SZ": "0512",
    "NT": "0513",
    "LYG": "0518",
    "HA": "0517",
    "YC": "0515",
    "YZ": "0514",
    "ZJ": "0511",
    "TZ": "0523",
    "SQ": "0527",
}

GROUP_SHARE = 0.05
TIER_CUM = ((0.80, "normal"), (0.92, "silver"), (0.98, "gold"), (1.0, "diamond"))
MARKETING_CONSENT_SHARE = 0.40
SMS_OPT_OUT_SHARE = 0.03
STATUS_CUM = ((0.93, "active"), (0.97, "suspended"), (1.0, "closed"))
BROADBAND_SHARE = {"public": 0.61, "group": 0.45}
SECOND_BROADBAND_SHARE = 0.015
IPTV_SHARE = 0.20  # of broadband accounts
MOBILE_SHARE = {"public": 0.66, "group": 0.50}
EXTRA_MOBILE_LINES = ((0.93, 0), (0.99, 1), (1.0, 2))  # extra family lines of a mobile customer
# Dedicated lines: mostly for group customers.
DEDICATED_SHARE = {
    "group": (("dedicated_internet", 0.35), ("dedicated_data", 0.20), ("dedicated_voice", 0.15)),
    "public": (
        ("dedicated_internet", 0.002),
        ("dedicated_data", 0.0005),
        ("dedicated_voice", 0.0005),
    ),
}
DEDICATED_LETTERS = {"dedicated_internet": "I", "dedicated_data": "D", "dedicated_voice": "V"}
BANDWIDTHS: dict[str, tuple[tuple[float, int], ...]] = {
    "broadband": ((0.15, 100), (0.45, 200), (0.70, 300), (0.90, 500), (1.0, 1000)),
    "dedicated_internet": ((0.20, 50), (0.50, 100), (0.75, 200), (0.90, 500), (1.0, 1000)),
    "dedicated_data": ((0.25, 10), (0.50, 20), (0.75, 50), (0.95, 100), (1.0, 1000)),
    "dedicated_voice": ((0.80, 2), (1.0, 10)),
}
OPENED_WITHIN_DAYS = 8 * 365
MIN_AGE, MAX_AGE = 18, 85
ID_SEQUENCES = 999  # the 3-digit order code 001–999; odd for men, even for women


@dataclass(frozen=True, slots=True)
class District:
    city_index: int
    city_code: str
    city: str
    division: str  # the city's 4-digit code
    code: str  # the district's 6-digit code
    name: str
    area_code: str


def _pick(cum: tuple[tuple[float, object], ...], r: float):
    for bound, value in cum:
        if r < bound:
            return value
    return cum[-1][1]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class _IdentitySpace:
    """Customer sequence number → (district, birth date, order code), injectively.

    The slot space is cut into one range per district, sized by the district's share of
    subscribers; a seeded affine permutation of the sequence number picks the slot, so
    districts come out in proportion. Inside a district the offset is permuted again over
    all (birth date, order code) pairs, which no two customers of a district can share.
    """

    def __init__(self, rng: random.Random, as_of: date) -> None:
        self.districts: list[District] = []
        weights: list[int] = []
        per_city = lcm(*(len(c[3]) for c in CITIES))
        for index, (code, city, division, districts) in enumerate(CITIES):
            for district_code, district_name in districts:
                self.districts.append(
                    District(
                        index, code, city, division, district_code, district_name, AREA_CODES[code]
                    )
                )
                weights.append(CITY_WEIGHTS[code] * per_city // len(districts))
        self.first_birth = _years_before(as_of, MAX_AGE + 1).toordinal() + 1
        self.last_birth = _years_before(as_of, MIN_AGE).toordinal()
        self.slots_per_district = (self.last_birth - self.first_birth + 1) * ID_SEQUENCES
        heaviest = max(weights)
        self.starts: list[int] = []
        self.ends: list[int] = []
        total = 0
        for weight in weights:
            self.starts.append(total)
            total += self.slots_per_district * weight // heaviest
            self.ends.append(total)
        self.size = total
        self._pick = AffinePermutation(self.size, rng)
        self._inside = AffinePermutation(self.slots_per_district, rng)

    def __call__(self, i: int) -> tuple[District, int, int]:
        """District, birth date ordinal and order code (1–999) of customer number `i`."""
        j = self._pick(i)
        d = bisect_right(self.ends, j)
        day, order = divmod(self._inside(j - self.starts[d]), ID_SEQUENCES)
        return self.districts[d], self.first_birth + day, order + 1


def _capacity(identities: _IdentitySpace) -> int:
    # Each customer may use up to three mobile numbers (own line plus two family lines).
    return min(identities.size, MOBILE_SPACE // 3)


def max_customers(as_of: date = DEFAULT_AS_OF) -> int:
    """The largest province the number spaces can hold without reusing an ID or mobile."""
    return _capacity(_IdentitySpace(random.Random(0), as_of))


class _Writer:
    """A CSV file written under a temporary name and moved into place when complete."""

    def __init__(self, path: Path, columns: tuple[str, ...]) -> None:
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        self.file: TextIO = open(self.tmp, "w", encoding="utf-8", newline="", buffering=1 << 20)
        self._writer = csv.writer(self.file, lineterminator="\n")
        self._writer.writerow(columns)
        self.rows = 0

    def writerow(self, row: list) -> None:
        self._writer.writerow(row)
        self.rows += 1

    def commit(self) -> None:
        self.file.close()
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)


def _stream(seed: int, name: str) -> random.Random:
    return random.Random(f"sqm-generator/{GENERATOR_VERSION}/{seed}/{name}")


def generate_province(
    out: Path,
    customers: int,
    seed: int,
    months: int = 12,
    progress: bool = False,
    as_of: date = DEFAULT_AS_OF,
    alarm_days: int | None = None,
    survey_waves: int = 0,
    survey_respondents: int = 1000,
) -> dict[str, int]:
    """Write customers.csv, accounts.csv, topology.csv, complaints.jsonl, alarms.jsonl,
    survey.csv, questionnaire.yaml and manifest.json.

    Returns the number of data rows (lines) per kind: {"customers": …, "accounts": …,
    "topology": …, "complaints": …, "alarms": …}. With `months` 0 no complaint history is
    made: complaints.jsonl is not written and "complaints" is not in the result. The alarm
    stream covers the same months, or the last `alarm_days` days before `as_of` when given;
    a window of 0 days writes no alarms.jsonl and leaves "alarms" out. With `survey_waves`
    W > 0, survey.csv holds W quarterly satisfaction-survey waves up to `as_of`'s quarter of
    `survey_respondents` each ("survey": respondents) and questionnaire.yaml describes them
    ("questionnaire": items); see surveys.py. `progress` shows a bar on stderr when stderr
    is a terminal.
    """
    out = Path(out)
    if customers < 1:
        raise ValueError(_("The number of customers must be at least 1."))
    if months < 0:
        raise ValueError(_("The number of months must not be negative."))
    if alarm_days is not None and alarm_days < 0:
        raise ValueError(_("The number of alarm days must not be negative."))
    if survey_waves < 0:
        raise ValueError(_("The number of survey waves must not be negative."))
    if survey_waves and survey_respondents < 1:
        raise ValueError(_("The number of survey respondents must be at least 1."))
    if out.exists() and not out.is_dir():
        raise ValueError(_("%(path)s exists and is not a directory.") % {"path": out})
    identity_rng = _stream(seed, "identity")
    identities = _IdentitySpace(identity_rng, as_of)
    mobiles = MobileNumbers(identity_rng)
    limit = _capacity(identities)
    if customers > limit:
        raise ValueError(
            _("At most %(limit)s customers can be generated.") % {"limit": f"{limit:,}"}
        )
    alarms_from = (
        window_start(as_of, months) if alarm_days is None else as_of - timedelta(days=alarm_days)
    )
    out.mkdir(parents=True, exist_ok=True)

    writers: dict[str, _Writer | JsonLinesWriter | AlarmStream | PendingFile] = {}
    try:
        writers["customers"] = _Writer(out / FILES["customers"], CUSTOMER_COLUMNS)
        writers["accounts"] = _Writer(out / FILES["accounts"], ACCOUNT_COLUMNS)
        writers["topology"] = _Writer(out / FILES["topology"], TOPOLOGY_COLUMNS)
        history = None
        if months:
            writers["complaints"] = JsonLinesWriter(out / FILES["complaints"])
            history = ComplaintHistory(
                _stream(seed, "complaints"), as_of, months, writers["complaints"].write
            )
        topology_row = writers["topology"].writerow
        alarms = None
        if alarms_from < as_of:
            # The alarm stream sees every ONU as its topology row is written.
            alarms = writers["alarms"] = AlarmStream(
                _stream(seed, "alarms"), out / FILES["alarms"], alarms_from, as_of
            )
            write_onu, see_onu = topology_row, alarms.onu

            def topology_row(row: list) -> None:
                write_onu(row)
                see_onu(row)

        network = AccessNetwork(_stream(seed, "network"), topology_row)
        bar = Progress(customers, _("customers"), enabled=progress)
        _write_customers(
            customers,
            _stream(seed, "customers"),
            identities,
            mobiles,
            network,
            writers["customers"].writerow,
            writers["accounts"].writerow,
            as_of,
            bar.update,
            history.customer if history is not None else None,
        )
        bar.close()
        if alarms is not None:
            alarms.finish()  # sorts the alarm lines into their file
        if survey_waves:
            writers["survey"], writers["questionnaire"] = write_surveys(
                out,
                survey_waves,
                survey_respondents,
                as_of,
                key=f"sqm-generator/{GENERATOR_VERSION}/{seed}/surveys",
                city_weights=CITY_WEIGHTS,
            )
    except BaseException:
        for writer in writers.values():
            writer.discard()
        raise
    for writer in writers.values():
        writer.commit()

    counts = {kind: writer.rows for kind, writer in writers.items()}
    manifest = {
        "generator": "sqm generate",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "customers": customers,
        "months": months,
        "alarm_days": (as_of - alarms_from).days if alarms is not None else 0,
        "as_of": as_of.isoformat(),
        "survey_waves": survey_waves,
        "survey_respondents": survey_respondents if survey_waves else 0,
        "files": {FILES[kind]: rows for kind, rows in counts.items()},
        "olts": network.olts,
    }
    manifest_tmp = out / "manifest.json.tmp"
    manifest_tmp.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    os.replace(manifest_tmp, out / "manifest.json")
    return counts


def _write_customers(
    total: int,
    rng: random.Random,
    identities: _IdentitySpace,
    mobiles: MobileNumbers,
    network: AccessNetwork,
    write_customer: Callable[[list], None],
    write_account: Callable[[list], None],
    as_of: date,
    advance: Callable[[int], None],
    complain: Callable[..., None] | None = None,
) -> None:
    """The main loop: one customer and its accounts per step (kept flat for speed).

    COMPLAIN, when given, receives each customer with its account rows (for the complaint
    history) right after they are written.
    """
    random_ = rng.random
    fromordinal = date.fromordinal
    as_of_ordinal = as_of.toordinal()
    adult_days = 365 * MIN_AGE + MIN_AGE // 4
    customer_counters = dict.fromkeys(CITY_WEIGHTS, 0)
    broadband_counters = dict.fromkeys(CITY_WEIGHTS, 0)
    dedicated_counters = dict.fromkeys(DEDICATED_LETTERS, 0)
    mobile_counters = dict.fromkeys(CITY_WEIGHTS, 0)
    birth_cutoff = date(1980, 1, 1).toordinal()
    # The GB 11643 weighted sum splits into district, birth-date and order-code parts;
    # each part takes few values, so they are computed once (the date table is bounded by
    # the ~25,000 possible birth dates, so memory stays flat).
    weights = ID_WEIGHTS
    check_map = ID_CHECK_MAP

    def weighted(digits: str, part: tuple[int, ...]) -> int:
        return sum(int(c) * w for c, w in zip(digits, part, strict=True))

    district_sums = {d.code: weighted(d.code, weights[:6]) for d in identities.districts}
    order_parts = [(f"{n:03d}", weighted(f"{n:03d}", weights[14:17])) for n in range(1000)]
    birth_parts: dict[int, tuple[str, int]] = {}

    def opened_at(max_days: int) -> tuple[str, int]:
        days_back = int(random_() * (max_days + 1))
        seconds = 8 * 3600 + int(random_() * 13 * 3600)  # opened in business hours
        hour, rest = divmod(seconds, 3600)
        day = fromordinal(as_of_ordinal - days_back).isoformat()
        return f"{day}T{hour:02d}:{rest // 60:02d}:{rest % 60:02d}+08:00", days_back

    def status() -> str:
        return _pick(STATUS_CUM, random_())

    held: list[list] = []  # this customer's account rows, for the complaint history
    if complain is not None:
        write_account_row = write_account

        def write_account(row: list) -> None:
            write_account_row(row)
            held.append(row)

    for i in range(total):
        district, birth_ordinal, order = identities(i)
        city_code = district.city_code
        city = district.city
        birth_part = birth_parts.get(birth_ordinal)
        if birth_part is None:
            birth = fromordinal(birth_ordinal).strftime("%Y%m%d")
            birth_part = birth_parts[birth_ordinal] = (birth, weighted(birth, weights[6:14]))
        birth, birth_sum = birth_part
        order_code, order_sum = order_parts[order]
        total_weight = district_sums[district.code] + birth_sum + order_sum
        id_number = f"{district.code}{birth}{order_code}{check_map[total_weight % 11]}"

        customer_counters[city_code] += 1
        customer_id = f"C{district.division}{customer_counters[city_code]:08d}"
        mobile = mobiles(i)
        kind = "group" if random_() < GROUP_SHARE else "public"
        if kind == "group":
            name = names.company_name(rng, city)
            address = names.business_address(rng, city, district.name)
        else:
            name = names.person_name(rng, order % 2 == 0, birth_ordinal < birth_cutoff)
            address = names.home_address(rng, city, district.name)
        tier = _pick(TIER_CUM, random_())
        write_customer(
            [
                customer_id,
                name,
                mobile,
                id_number,
                kind,
                tier,
                city,
                district.name,
                1 if random_() < MARKETING_CONSENT_SHARE else 0,
                1 if random_() < SMS_OPT_OUT_SHARE else 0,
                address,
            ]
        )

        # Accounts can only have been opened since the customer came of age.
        max_days = max(0, min(OPENED_WITHIN_DAYS, as_of_ordinal - birth_ordinal - adult_days))
        accounts = 0
        if random_() < BROADBAND_SHARE[kind]:
            lines = 2 if random_() < SECOND_BROADBAND_SHARE else 1
            for line in range(lines):
                broadband_counters[city_code] += 1
                account_id = f"{district.area_code}{broadband_counters[city_code]:08d}"
                where = (
                    address
                    if line == 0
                    else names.home_address(rng, city, district.name)  # a second home
                )
                when, days_back = opened_at(max_days)
                onu_id = network.allocate_onu(district.city_index, city_code, city, district.name)
                write_account(
                    [
                        account_id,
                        customer_id,
                        "broadband",
                        status(),
                        where,
                        _pick(BANDWIDTHS["broadband"], random_()),
                        when,
                        onu_id,
                    ]
                )
                accounts += 1
                if random_() < IPTV_SHARE:
                    # IPTV rides on the broadband line, so it cannot be older than it.
                    iptv_when, _days = opened_at(days_back)
                    write_account(
                        [
                            f"IPTV{account_id}",
                            customer_id,
                            "iptv",
                            status(),
                            where,
                            "",
                            iptv_when,
                            "",
                        ]
                    )
                    accounts += 1

        for service, share in DEDICATED_SHARE[kind]:
            if random_() < share:
                dedicated_counters[service] += 1
                letter = DEDICATED_LETTERS[service]
                account_id = f"ZX{letter}{district.division}{dedicated_counters[service]:08d}"
                where = (
                    address if kind == "group" else names.business_address(rng, city, district.name)
                )
                write_account(
                    [
                        account_id,
                        customer_id,
                        service,
                        status(),
                        where,
                        _pick(BANDWIDTHS[service], random_()),
                        opened_at(max_days)[0],
                        "",
                    ]
                )
                accounts += 1

        # Most customers have their own mobile line; everyone has at least one account.
        if accounts == 0 or random_() < MOBILE_SHARE[kind]:
            for _line in range(1 + _pick(EXTRA_MOBILE_LINES, random_())):
                # The account number is not the phone number: account numbers are stored in
                # plaintext, phone numbers only encrypted.
                mobile_counters[city_code] += 1
                write_account(
                    [
                        f"M{district.division}{mobile_counters[city_code]:08d}",
                        customer_id,
                        "mobile",
                        status(),
                        address,
                        "",
                        opened_at(max_days)[0],
                        "",
                    ]
                )

        if complain is not None:
            complain(customer_id, kind, tier, district, held)
            held.clear()
        if i % 1000 == 999:
            advance(1000)
    advance(total % 1000)
