"""The business calendar (工作日历): which days are working days, which hours count.

SLA clocks run in working time. A day is a working day when

1. an admin-set `CalendarDay` row says so (the row always wins), else
2. the built-in Chinese calendar (`chinese_calendar`: public holidays and adjusted working
   days 调休) says so, for the years it covers, else
3. it is Monday to Friday.

Every working day has the same working periods (`WorkingPeriod` rows; when there are none,
08:30–12:00 and 13:30–17:30). Periods are half-open, [start, end): 12:00 is not a working
instant in a period ending at 12:00. An end of 00:00 means midnight at the end of the day,
so 00:00–00:00 is a 24-hour period (for round-the-clock desks).

Times of day are wall-clock times in the calendar's zone (settings.TIME_ZONE, Asia/Shanghai,
which has no daylight saving). All arithmetic is on `timedelta`, so it is exact to the
microsecond. See docs/calendar.md.
"""

from __future__ import annotations

import calendar as stdlib_calendar
import functools
import logging
import time as clock
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from sqm.core.models import CalendarDay, WorkingPeriod

logger = logging.getLogger(__name__)

ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")

#: The working hours of a working day when no WorkingPeriod rows exist (a usual office day).
DEFAULT_PERIODS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(13, 30), time(17, 30)),
)

# A calendar without a working day in ten years is broken, not just strict: stop searching.
MAX_IDLE_DAYS = 3660

WorkingDayRule = Callable[[date], bool]


# --- working days ----------------------------------------------------------------------------


def weekday_rule(day: date) -> bool:
    """Monday to Friday."""
    return day.weekday() < 5


@functools.cache
def builtin_years() -> range:
    """The years the built-in Chinese calendar knows (holidays published by the State Council)."""
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


@functools.lru_cache(maxsize=16384)
def builtin_is_working_day(day: date) -> bool:
    """The built-in Chinese calendar, or Monday–Friday for the years it does not know."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return weekday_rule(day)


def builtin_holiday_name(day: date) -> str:
    """The English name of the holiday (or the holiday a 调休 working day belongs to), or ""."""
    if day.year not in builtin_years():
        return ""
    _is_holiday, name = chinese_calendar.get_holiday_detail(day)
    return name or ""


def chinese_holiday_name(english: str) -> str:
    """国庆节 for "National Day"; the English name when the package has no Chinese one."""
    for holiday in chinese_calendar.Holiday:
        if holiday.value == english:
            return holiday.chinese
    return english


def holiday_label(english: str) -> str:
    """A built-in holiday name in the active language (Chinese names come from the package)."""
    if not english:
        return ""
    language = translation.get_language() or settings.LANGUAGE_CODE
    return chinese_holiday_name(english) if language.startswith("zh") else english


def override_rule(overrides: Mapping[date, bool], fallback: WorkingDayRule) -> WorkingDayRule:
    """Explicit days win; every other day asks FALLBACK."""
    frozen = dict(overrides)

    def is_working_day(day: date) -> bool:
        found = frozen.get(day)
        return fallback(day) if found is None else found

    return is_working_day


# --- periods ---------------------------------------------------------------------------------


def _offset(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


def period_spans(periods: Iterable[tuple[time, time]]) -> tuple[tuple[timedelta, timedelta], ...]:
    """Working periods as (start, end) offsets from midnight, sorted; ValueError if invalid.

    An end of 00:00 is midnight at the end of the day. Periods may touch but not overlap.
    """
    spans = []
    for start, end in periods:
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(_("Working periods are local times of day, without a time zone."))
        lo, hi = _offset(start), _offset(end)
        if hi == ZERO:
            hi = ONE_DAY
        if hi <= lo:
            raise ValueError(
                _("The working period %(start)s–%(end)s ends before it starts.")
                % {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}
            )
        spans.append((lo, hi))
    spans.sort()
    for (_lo1, hi1), (lo2, _hi2) in zip(spans, spans[1:], strict=False):
        if lo2 < hi1:
            raise ValueError(_("Working periods overlap."))
    return tuple(spans)


# --- the calendar ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BusinessCalendar:
    """Which days are working days and which hours of them count; SLA arithmetic over them.

    Build it with `from_sets` (explicit days, no database) or `from_overrides`; the platform's
    calendar comes from `get_calendar()`.
    """

    is_working_day: WorkingDayRule
    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    tz: tzinfo = SHANGHAI
    _spans: tuple[tuple[timedelta, timedelta], ...] = field(init=False, repr=False)
    _day_total: timedelta = field(init=False, repr=False)

    def __post_init__(self) -> None:
        spans = period_spans(self.periods)
        if not spans:
            raise ValueError(_("A business calendar needs at least one working period."))
        object.__setattr__(self, "periods", tuple(sorted(self.periods)))
        object.__setattr__(self, "_spans", spans)
        object.__setattr__(self, "_day_total", sum((hi - lo for lo, hi in spans), ZERO))

    @classmethod
    def from_sets(
        cls,
        *,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        periods: Iterable[tuple[time, time]] = DEFAULT_PERIODS,
        tz: tzinfo = SHANGHAI,
        builtin: bool = False,
    ) -> BusinessCalendar:
        """HOLIDAYS are off, WORKDAYS are on; other days Monday–Friday (or the built-in
        Chinese calendar when BUILTIN). No database access."""
        holidays, workdays = set(holidays), set(workdays)
        if holidays & workdays:
            raise ValueError(_("A day cannot be both a holiday and a working day."))
        overrides = dict.fromkeys(holidays, False) | dict.fromkeys(workdays, True)
        return cls.from_overrides(overrides, periods=periods, tz=tz, builtin=builtin)

    @classmethod
    def from_overrides(
        cls,
        overrides: Mapping[date, bool],
        *,
        periods: Iterable[tuple[time, time]] = DEFAULT_PERIODS,
        tz: tzinfo = SHANGHAI,
        builtin: bool = True,
    ) -> BusinessCalendar:
        """OVERRIDES (date → is working) over the built-in Chinese calendar (or Mon–Fri)."""
        fallback = builtin_is_working_day if builtin else weekday_rule
        return cls(override_rule(overrides, fallback), tuple(periods), tz)

    # -- helpers

    @property
    def daily_working_time(self) -> timedelta:
        """The working time of one working day."""
        return self._day_total

    @staticmethod
    def _require_aware(moment: datetime) -> None:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(_("A time zone is required (got %(value)s).") % {"value": moment})

    def _local(self, moment: datetime) -> tuple[date, timedelta]:
        """(local date, wall-clock offset from that date's midnight)."""
        self._require_aware(moment)
        local = moment.astimezone(self.tz)
        day = local.date()
        return day, local.replace(tzinfo=None) - datetime.combine(day, time())

    def _at(self, day: date, offset: timedelta) -> datetime:
        return datetime.combine(day, time(), tzinfo=self.tz) + offset

    def _worked(self, day: date, lo: timedelta, hi: timedelta) -> timedelta:
        """Working time of DAY inside the wall-clock window [lo, hi)."""
        if hi <= lo or not self.is_working_day(day):
            return ZERO
        total = ZERO
        for start, end in self._spans:
            begin, finish = max(start, lo), min(end, hi)
            if finish > begin:
                total += finish - begin
        return total

    def _days(self, first: date) -> Iterator[date]:
        """FIRST, the day after, …; gives up after MAX_IDLE_DAYS days without work."""
        day, idle = first, 0
        while True:
            yield day
            idle = 0 if self.is_working_day(day) else idle + 1
            if idle > MAX_IDLE_DAYS:
                raise ValueError(_("The calendar has no working day after %(day)s.") % {"day": day})
            day += ONE_DAY

    # -- the API

    def working_time_on(self, day: date) -> timedelta:
        """The working time of DAY: the daily total on working days, zero otherwise."""
        return self._day_total if self.is_working_day(day) else ZERO

    def is_working_instant(self, moment: datetime) -> bool:
        """True inside a working period of a working day (start included, end excluded)."""
        day, offset = self._local(moment)
        if not self.is_working_day(day):
            return False
        return any(start <= offset < end for start, end in self._spans)

    def next_working_instant(self, moment: datetime) -> datetime:
        """MOMENT itself when it is a working instant, else the next period start."""
        day, offset = self._local(moment)
        for current in self._days(day):
            if self.is_working_day(current):
                for start, end in self._spans:
                    if offset < end:
                        return self._at(current, max(start, offset))
            offset = ZERO
        raise AssertionError("unreachable")  # pragma: no cover

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which DURATION of working time has passed since START (a deadline).

        Counting begins at the next working instant when START is outside working time. A
        result that ends a period is the period's end (12:00), not the next start (13:30).
        Adding zero returns START unchanged (as the same instant in the calendar's zone),
        even outside working time. A negative DURATION is a ValueError.
        """
        if duration < ZERO:
            raise ValueError(_("The duration must not be negative."))
        day, offset = self._local(start)
        if duration == ZERO:
            return start.astimezone(self.tz)
        remaining = duration
        for current in self._days(day):
            if self.is_working_day(current):
                if offset == ZERO and remaining > self._day_total:
                    remaining -= self._day_total  # a whole day, skipped in one step
                else:
                    for period_start, period_end in self._spans:
                        if period_end <= offset:
                            continue
                        begin = max(period_start, offset)
                        available = period_end - begin
                        if remaining <= available:
                            return self._at(current, begin + remaining)
                        remaining -= available
            offset = ZERO
        raise AssertionError("unreachable")  # pragma: no cover

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time in [A, B); when B is before A, minus the working time in [B, A)."""
        self._require_aware(a)
        self._require_aware(b)
        if b < a:
            return -self.working_time_between(b, a)
        first, lo = self._local(a)
        last, hi = self._local(b)
        if first == last:
            return self._worked(first, lo, hi)
        total = self._worked(first, lo, ONE_DAY) + self._worked(last, ZERO, hi)
        day = first + ONE_DAY
        while day < last:
            if self.is_working_day(day):
                total += self._day_total
            day += ONE_DAY
        return total


# --- the platform's calendar (database) ------------------------------------------------------

_cached: tuple[BusinessCalendar, float] | None = None


def load_calendar() -> BusinessCalendar:
    """The calendar from CalendarDay and WorkingPeriod rows, uncached."""
    from sqm.core.models import CalendarDay, WorkingPeriod

    overrides = dict(CalendarDay.objects.values_list("date", "is_working"))
    periods = list(WorkingPeriod.objects.values_list("start", "end")) or list(DEFAULT_PERIODS)
    tz = ZoneInfo(settings.TIME_ZONE)
    try:
        return BusinessCalendar.from_overrides(overrides, periods=periods, tz=tz)
    except ValueError as exc:
        # Rows written around the services (Django admin, SQL): keep the clocks running.
        logger.error("invalid working periods %s (%s); using the defaults", periods, exc)
        return BusinessCalendar.from_overrides(overrides, tz=tz)


def get_calendar() -> BusinessCalendar:
    """The platform's calendar, cached; rebuilt after a calendar change in this process, and at
    least every SQM_CALENDAR_CACHE_SECONDS (default 60) so other processes catch up."""
    global _cached
    entry = _cached
    now = clock.monotonic()
    ttl = getattr(settings, "SQM_CALENDAR_CACHE_SECONDS", 60)
    if entry is not None and now - entry[1] < ttl:
        return entry[0]
    calendar = load_calendar()
    _cached = (calendar, now)
    return calendar


def invalidate_calendar(*args, **kwargs) -> None:
    """Forget the cached calendar (a signal receiver, hence the catch-all arguments)."""
    global _cached
    _cached = None


def connect_signals() -> None:
    """Invalidate the cache whenever a CalendarDay or WorkingPeriod is saved or deleted."""
    from django.db.models.signals import post_delete, post_save

    from sqm.core.models import CalendarDay, WorkingPeriod

    for model in (CalendarDay, WorkingPeriod):
        name = model._meta.model_name
        post_save.connect(
            invalidate_calendar, sender=model, dispatch_uid=f"sqm-calendar-{name}-save"
        )
        post_delete.connect(
            invalidate_calendar, sender=model, dispatch_uid=f"sqm-calendar-{name}-delete"
        )


def _changed() -> None:
    invalidate_calendar()
    # Also after commit: a reader in between may have cached the uncommitted state.
    transaction.on_commit(invalidate_calendar)


# --- services: editing the calendar ----------------------------------------------------------


@contextmanager
def _acting(user) -> Iterator[None]:
    """Attribute change-log rows to USER unless the request already does."""
    from sqm.core import context

    if user is None or context.current().user == user:
        yield
        return
    with context.acting_as(user):
        yield


def set_day(day: date, is_working: bool, name: str = "", user=None) -> CalendarDay | None:
    """Make DAY a working or non-working day, named NAME; returns the CalendarDay or None.

    Asking for what the built-in rule says anyway, without a name, removes the override.
    """
    from sqm.core import changelog
    from sqm.core.models import CalendarDay

    name = name.strip()
    if len(name) > 64:
        raise ValueError(_("The name is longer than 64 characters."))
    with _acting(user), transaction.atomic():
        row = CalendarDay.objects.select_for_update().filter(date=day).first()
        if is_working == builtin_is_working_day(day) and not name:
            if row is not None:
                changelog.record_delete(CalendarDay, instance=row)  # while it has its pk
                row.delete()
            result = None
        elif row is None:
            result = CalendarDay.objects.create(date=day, is_working=is_working, name=name)
            changelog.record_bulk([result], "create")
        else:
            before = changelog.snapshot(row)
            row.is_working, row.name = is_working, name
            row.save(update_fields=["is_working", "name"])
            changelog.record_bulk([row], "update", befores={row.pk: before})
            result = row
        _changed()
    return result


def clear_day(day: date, user=None) -> bool:
    """Remove DAY's override so the built-in rule applies again; False when there was none."""
    from sqm.core import changelog
    from sqm.core.models import CalendarDay

    with _acting(user), transaction.atomic():
        row = CalendarDay.objects.filter(date=day).first()
        if row is None:
            return False
        changelog.record_delete(CalendarDay, instance=row)  # while it has its pk
        row.delete()
        _changed()
    return True


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int


def builtin_special_days(year: int) -> list[tuple[date, bool, str]]:
    """(date, is working, Chinese name) for every holiday and 调休 working day of YEAR."""
    if year not in builtin_years():
        raise ValueError(
            _("The built-in Chinese calendar does not cover %(year)s (only %(first)s–%(last)s).")
            % {"year": year, "first": builtin_years()[0], "last": builtin_years()[-1]}
        )
    days = []
    day = date(year, 1, 1)
    while day.year == year:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
        if name:
            days.append((day, not is_holiday, chinese_holiday_name(name)))
        day += ONE_DAY
    return days


def load_year(year: int, user=None) -> LoadResult:
    """Write an override row for each holiday and 调休 working day of YEAR from the built-in
    calendar (rows of those days are reset to it; other rows are left alone)."""
    from sqm.core import changelog
    from sqm.core.models import CalendarDay

    special = builtin_special_days(year)
    created = updated = unchanged = 0
    with _acting(user), transaction.atomic():
        existing = {
            row.date: row for row in CalendarDay.objects.select_for_update().filter(date__year=year)
        }
        for day, is_working, name in special:
            row = existing.get(day)
            if row is None:
                row = CalendarDay.objects.create(date=day, is_working=is_working, name=name)
                changelog.record_bulk([row], "create")
                created += 1
            elif (row.is_working, row.name) == (is_working, name):
                unchanged += 1
            else:
                before = changelog.snapshot(row)
                row.is_working, row.name = is_working, name
                row.save(update_fields=["is_working", "name"])
                changelog.record_bulk([row], "update", befores={row.pk: before})
                updated += 1
        _changed()
    return LoadResult(created, updated, unchanged)


def set_working_periods(periods: Iterable[tuple[time, time]], user=None) -> list[WorkingPeriod]:
    """Replace the working periods (empty: back to the defaults); ValueError if invalid."""
    from sqm.core import changelog
    from sqm.core.models import WorkingPeriod

    wanted = sorted((start, end) for start, end in periods)
    period_spans(wanted)
    with _acting(user), transaction.atomic():
        old = list(WorkingPeriod.objects.select_for_update())
        if sorted((p.start, p.end) for p in old) == wanted:
            return old
        for row in old:
            changelog.record_delete(WorkingPeriod, instance=row)  # while it has its pk
            row.delete()
        rows = [WorkingPeriod.objects.create(start=start, end=end) for start, end in wanted]
        changelog.record_bulk(rows, "create")
        _changed()
    return rows


# --- reading a year --------------------------------------------------------------------------


@dataclass(frozen=True)
class DayInfo:
    """One day as the calendar page and `sqm calendar show` present it."""

    date: date
    is_working: bool
    kind: str  # workday, adjusted (调休上班), holiday, weekend
    name: str
    source: str  # override, builtin, weekdays
    builtin_is_working: bool

    @property
    def is_weekend(self) -> bool:
        return self.date.weekday() >= 5

    @property
    def is_notable(self) -> bool:
        """Not a plain Monday–Friday working day or a plain weekend."""
        return self.source == "override" or bool(self.name) or self.kind in {"adjusted", "holiday"}


def year_days(year: int) -> list[DayInfo]:
    """Every day of YEAR with its effective state, name and where the state comes from."""
    from sqm.core.models import CalendarDay

    rows = {row.date: row for row in CalendarDay.objects.filter(date__year=year)}
    covered = year in builtin_years()
    days = []
    day = date(year, 1, 1)
    while day.year == year:
        builtin = builtin_is_working_day(day)
        builtin_name = holiday_label(builtin_holiday_name(day)) if covered else ""
        row = rows.get(day)
        if row is not None:
            is_working, source = row.is_working, "override"
            name = row.name or (builtin_name if row.is_working == builtin else "")
        else:
            is_working, source, name = builtin, "builtin" if covered else "weekdays", builtin_name
        weekend = day.weekday() >= 5
        if is_working:
            kind = "adjusted" if weekend else "workday"
        else:
            kind = "holiday" if (name or not weekend) else "weekend"
        days.append(DayInfo(day, is_working, kind, name, source, builtin))
        day += ONE_DAY
    return days


@dataclass(frozen=True)
class MonthGrid:
    year: int
    month: int
    weeks: list[list[DayInfo | None]]  # Monday first; None outside the month

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)


def year_months(year: int) -> list[MonthGrid]:
    """YEAR as twelve month grids of weeks (Monday first), for the calendar page."""
    by_date = {info.date: info for info in year_days(year)}
    grid = stdlib_calendar.Calendar(firstweekday=0)
    return [
        MonthGrid(
            year,
            month,
            [
                [by_date[d] if d.month == month else None for d in week]
                for week in grid.monthdatescalendar(year, month)
            ],
        )
        for month in range(1, 13)
    ]
