"""What the quality facts share: the facts' calendar (`LocalClock`) and how well each city
works (`CityProfile`).

Most cities work well; a few, drawn per seed, are clearly worse at one thing each (slow
repairs, many faults, missed appointments, late activations, slow transfers, slow lines,
dedicated-line outages, low revenue and installed rate), so the indicators of a generated
province show cities that meet their targets and some that miss them.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import date

DAY = 86400
HOUR = 3600
# Reports, tests and transfers per hour of the day (0–23): by day, little at night.
HOUR_WEIGHTS = (
    0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4.0, 6.5, 7.0, 6.5, 5.0, 5.5, 6.5, 6.5, 6.0, 5.5,
    5.5, 6.0, 6.0, 4.5, 2.5, 1.0,
)  # fmt: skip
NIGHT = (22, 7)  # an outage at night is reported in the morning …
MORNING = (7 * HOUR, 10 * HOUR)  # … between 07:00 and 10:00


@dataclass(frozen=True)
class CityProfile:
    fault_factor: float = 1.0  # × the background fault rate
    repeat: float = 0.055  # chance a repaired fault comes back within weeks
    # Days an appointment waits beyond the first free window: (cumulative share, days)
    slot_delay: tuple[tuple[float, int], ...] = ((0.72, 0), (0.95, 1), (0.99, 2), (1.0, 3))
    hard: float = 0.04  # a repair needing a second visit or a part
    punctual: float = 0.97  # the engineer arrives inside the window
    activation_late: float = 0.03
    transfer_over: float = 0.05  # transfers connected after 30 s
    transfer_lost: float = 0.025  # never connected
    slow_lines: float = 0.05  # user lines below 90 % of their subscribed speed
    core: tuple[float, float] = (830.0, 960.0)  # city-level probe, Mbit/s
    exit: tuple[float, float] = (915.0, 990.0)  # provincial exit probe, Mbit/s
    outage_factor: float = 1.0  # × the circuits' outage rate
    in_contract: float = 0.985  # circuit outages repaired within the contract's hours
    arpu: tuple[float, float] = (48.0, 56.0)  # broadband yuan per billed account
    installed: tuple[float, float] = (0.6, 0.72)  # ports in use ÷ built


# What a weak city is weak at; the first cities of the seed's shuffled list get one each.
WEAKNESSES: tuple[tuple[str, dict], ...] = (
    ("slow repairs", {"slot_delay": ((0.3, 0), (0.55, 1), (0.75, 2), (0.9, 3), (1.0, 4)),
                      "hard": 0.18}),
    ("slow repairs", {"slot_delay": ((0.3, 0), (0.55, 1), (0.75, 2), (0.9, 3), (1.0, 4)),
                      "hard": 0.18}),
    ("many faults", {"fault_factor": 4.0, "repeat": 0.15}),
    ("missed appointments", {"punctual": 0.75}),
    ("late activations", {"activation_late": 0.16}),
    ("slow transfers", {"transfer_over": 0.14, "transfer_lost": 0.07}),
    ("slow lines", {"slow_lines": 0.22, "core": (520.0, 660.0), "exit": (640.0, 760.0)}),
    ("dedicated outages", {"outage_factor": 3.0, "in_contract": 0.8}),
    ("low revenue", {"arpu": (37.0, 42.0), "installed": (0.4, 0.48)}),
)  # fmt: skip


def draw_profiles(rng: random.Random, city_codes: list[str]) -> dict[str, CityProfile]:
    """city code → profile: one weakness for each of the first cities of a shuffled list."""
    codes = list(city_codes)
    rng.shuffle(codes)
    profiles = {code: CityProfile() for code in city_codes}
    for code, (_name, changes) in zip(codes, WEAKNESSES, strict=False):
        profiles[code] = replace(profiles[code], **changes)
    return profiles


def weaknesses(rng: random.Random, city_codes: list[str]) -> dict[str, str]:
    """city code → its weakness (for the manifest and the tests)."""
    codes = list(city_codes)
    rng.shuffle(codes)
    return {code: name for code, (name, _c) in zip(codes, WEAKNESSES, strict=False)}


def month_first(as_of: date, months_back: int) -> date:
    index = as_of.year * 12 + as_of.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


class LocalClock:
    """The facts' window, [the first of the month FACT_MONTHS before as_of, as_of 00:00),
    in local seconds (date ordinal × 86,400 + seconds of the day, Asia/Shanghai)."""

    def __init__(self, as_of: date, fact_months: int) -> None:
        first = month_first(as_of, fact_months)
        self.first = first
        self.start = first.toordinal() * DAY
        self.end = as_of.toordinal() * DAY
        self.days = as_of.toordinal() - first.toordinal()
        # The complete months of the window (the operations figures are monthly).
        self.months = [month_first(as_of, back) for back in range(fact_months, 0, -1)]
        # … and the current one, so that month_index places every time of the window.
        self._month_starts = [m.toordinal() * DAY for m in [*self.months, month_first(as_of, 0)]]
        total = sum(HOUR_WEIGHTS)
        running, self._hours = 0.0, []
        for weight in HOUR_WEIGHTS:
            running += weight
            self._hours.append(running / total)
        self._days: dict[int, str] = {}

    def month_index(self, t: int) -> int:
        """-1 before the first month, else the index of the month T falls in (the current,
        incomplete month is len(months))."""
        return bisect_right(self._month_starts, t) - 1

    def moment(self, random_) -> int:
        """A time in the window: any day, the hour by HOUR_WEIGHTS."""
        day = int(random_() * self.days)
        return self.start + day * DAY + self.time_of_day(random_)

    def moment_in(self, start: int, end: int, random_) -> int:
        """A time on one of the days [START, END) (both local midnights)."""
        days = max(1, (end - start) // DAY)
        return start + int(random_() * days) * DAY + self.time_of_day(random_)

    def time_of_day(self, random_) -> int:
        hour = min(bisect_right(self._hours, random_()), 23)
        return hour * HOUR + int(random_() * HOUR)

    def awake(self, t: int, random_) -> int:
        """T, or the next morning when T is at night (nobody reports a fault at 3 a.m.)."""
        hour = (t % DAY) // HOUR
        if hour >= NIGHT[0] or hour < NIGHT[1]:
            day = t // DAY + (1 if hour >= NIGHT[0] else 0)
            low, high = MORNING
            return day * DAY + low + int(random_() * (high - low))
        return t

    def _day(self, day: int) -> str:
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = date.fromordinal(day).isoformat()
        return text

    def text(self, t: int) -> str:
        day, second = divmod(t, DAY)
        hour, second = divmod(second, HOUR)
        return f"{self._day(day)}T{hour:02d}:{second // 60:02d}:{second % 60:02d}+08:00"

    def compact_day(self, t: int) -> str:
        return self._day(t // DAY).replace("-", "")
