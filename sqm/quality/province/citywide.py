"""The quality facts kept per city rather than per account, written once the customers are:
the hotline's specialist transfers (per city and day, in proportion to its customers), the
city-level and provincial-exit speed probes (per city and day), and the monthly operations
figures (per complete month, city and product, from the accounts counted as they were
written). See accounts.py for the per-account facts and docs/generator.md."""

from __future__ import annotations

import math
import random

from sqm.core.province import CITIES
from sqm.quality.province.accounts import BILLED, _poisson
from sqm.quality.province.profiles import DAY, HOUR, CityProfile, LocalClock

TRANSFERS = 0.001  # specialist transfers per customer and day
SKILLS = (
    (0.35, "宽带专席"),
    (0.55, "移动专席"),
    (0.70, "账务专席"),
    (0.85, "投诉专席"),
    (1.00, "政企专席"),
)
TIMELY_WAIT = (3, 30)  # seconds, inclusive of the 30 s limit; most are answered quickly
TIMELY_SKEW = 1.6
OVER_WAIT = (31, 30)  # the shortest wait over the limit, and the mean beyond it
PROBES = (3, 15)  # the hours of the day the probes measure
PROBE_UP = (0.85, 0.98)  # upload ÷ download on the backbone
ARPU = {  # yuan per billed account and month, dedicated lines
    "dedicated_internet": (2300.0, 2900.0),
    "dedicated_data": (1600.0, 2100.0),
    "dedicated_voice": (450.0, 600.0),
}
SPARE_PORTS = (1.1, 1.3)  # dedicated ports built per port in use


def _band(table, r: float):
    for entry in table:
        if r < entry[0]:
            return entry
    return table[-1]


def write_transfers(
    rng: random.Random,
    clock: LocalClock,
    customers: dict[str, int],
    profiles: dict[str, CityProfile],
    writerow,
) -> None:
    random_ = rng.random
    seq = 0
    for day in range(clock.days):
        midnight = clock.start + day * DAY
        compact = clock.compact_day(midnight)
        for code, city, _division, _districts in CITIES:
            profile = profiles[code]
            for _i in range(_poisson(random_, customers.get(code, 0) * TRANSFERS)):
                requested = midnight + clock.time_of_day(random_)
                r = random_()
                if r < profile.transfer_lost:
                    connected = ""
                elif r < profile.transfer_lost + profile.transfer_over:
                    wait = OVER_WAIT[0] - OVER_WAIT[1] * math.log(max(random_(), 1e-9))
                    connected = clock.text(requested + int(wait))
                else:
                    spread = TIMELY_WAIT[1] - TIMELY_WAIT[0]
                    wait = TIMELY_WAIT[0] + round(spread * random_() ** TIMELY_SKEW)
                    connected = clock.text(requested + wait)
                seq += 1
                writerow(
                    [
                        f"ZJ{compact}{seq:08d}",
                        city,
                        clock.text(requested),
                        connected,
                        _band(SKILLS, random_())[1],
                    ]
                )


def write_probes(
    rng: random.Random, clock: LocalClock, profiles: dict[str, CityProfile], writerow
) -> None:
    """Two city-level and two provincial-exit probe tests per city and day."""
    random_ = rng.random
    seq = 0
    for day in range(clock.days):
        midnight = clock.start + day * DAY
        for code, city, _division, _districts in CITIES:
            profile = profiles[code]
            for level, (low, high) in (("city", profile.core), ("exit", profile.exit)):
                for hour in PROBES:
                    down = low + random_() * (high - low)
                    up = down * (PROBE_UP[0] + random_() * (PROBE_UP[1] - PROBE_UP[0]))
                    seq += 1
                    measured = midnight + hour * HOUR + int(random_() * 600)
                    writerow(
                        [
                            f"S{level[0].upper()}{seq:010d}",
                            clock.text(measured),
                            level,
                            city,
                            "",
                            f"{down:.1f}",
                            f"{up:.1f}",
                            "",
                        ]
                    )


def write_operations(
    rng: random.Random,
    clock: LocalClock,
    billed: dict[tuple[str, str], list[int]],
    profiles: dict[str, CityProfile],
    writerow,
) -> None:
    """One row per complete month, city and product (broadband and the dedicated lines):
    the accounts billed are those opened before the month's end and not closed."""
    random_ = rng.random
    for index, month in enumerate(clock.months):
        label = f"{month:%Y-%m}"
        for code, city, _division, _districts in CITIES:
            profile = profiles[code]
            for product in BILLED:
                counts = billed.get((code, product))
                accounts = sum(counts[: index + 2]) if counts else 0
                low, high = profile.arpu if product == "broadband" else ARPU[product]
                revenue = accounts * (low + random_() * (high - low))
                if product == "broadband":
                    low, high = profile.installed
                    rate = low + random_() * (high - low)
                    built = math.ceil(accounts / rate)
                else:
                    built = math.ceil(accounts * (SPARE_PORTS[0] + random_() * 0.2))
                writerow([label, city, product, f"{revenue:.2f}", accounts, built, accounts])
