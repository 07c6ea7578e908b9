"""The business calendar: SLA arithmetic (properties), real 2026 holidays, services, CLI."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sqm.core import calendar as business
from sqm.core.calendar import SHANGHAI, BusinessCalendar
from sqm.core.models import CalendarDay, ChangeLogEntry, WorkingPeriod

H = timedelta(hours=1)
ZERO = timedelta(0)
TINY = timedelta(microseconds=1)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


# --- explicit calendars for the properties ---------------------------------------------------


@dataclass
class Layout:
    """An explicit calendar and the plain facts it was built from (the test's own oracle)."""

    calendar: BusinessCalendar
    holidays: set[date]
    workdays: set[date]
    minutes: list[tuple[int, int]]  # periods as minutes from midnight; 1440 is midnight

    def is_working_day(self, day: date) -> bool:
        return day in self.workdays or (day not in self.holidays and day.weekday() < 5)

    def spans(self, day: date) -> list[tuple[datetime, datetime]]:
        midnight = datetime.combine(day, time(), tzinfo=SHANGHAI)
        return [
            (midnight + timedelta(minutes=lo), midnight + timedelta(minutes=hi))
            for lo, hi in self.minutes
        ]

    def worked(self, a: datetime, b: datetime) -> timedelta:
        """Working time in [a, b) by intersecting every period with it, day by day."""
        total = ZERO
        day = a.astimezone(SHANGHAI).date() - timedelta(days=1)
        while day <= b.astimezone(SHANGHAI).date():
            if self.is_working_day(day):
                for lo, hi in self.spans(day):
                    total += max(ZERO, min(hi, b) - max(lo, a))
            day += timedelta(days=1)
        return total


def to_time(minutes: int) -> time:
    return time(0) if minutes == 1440 else time(minutes // 60, minutes % 60)


@st.composite
def period_minutes(draw) -> list[tuple[int, int]]:
    """1–4 periods, sorted, possibly touching, never overlapping, within one day."""
    periods, cursor = [], 0
    for _ in range(draw(st.integers(1, 4))):
        start = cursor + draw(st.integers(0, 600))
        end = start + draw(st.integers(1, 600))
        if end > 1440:
            break
        periods.append((start, end))
        cursor = end
    return periods or [(0, 1440)]


FIRST, LAST = date(2025, 12, 1), date(2027, 2, 28)
days = st.dates(FIRST, LAST)


@st.composite
def layouts(draw) -> Layout:
    holidays = draw(st.sets(days, max_size=80))
    workdays = draw(st.sets(days, max_size=30)) - holidays
    minutes = draw(period_minutes())
    calendar = BusinessCalendar.from_sets(
        holidays=holidays,
        workdays=workdays,
        periods=[(to_time(lo), to_time(hi)) for lo, hi in minutes],
    )
    return Layout(calendar, holidays, workdays, minutes)


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(SHANGHAI)
) | st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)
durations = st.timedeltas(min_value=ZERO, max_value=timedelta(hours=400))
properties = settings(deadline=None, max_examples=150)


@properties
@given(layouts(), moments, durations)
def test_the_working_time_up_to_a_deadline_is_the_duration_added(layout, start, duration):
    deadline = layout.calendar.add_working_time(start, duration)
    assert layout.calendar.working_time_between(start, deadline) == duration
    assert layout.worked(start, deadline) == duration


@properties
@given(layouts(), moments, durations, durations)
def test_a_longer_duration_never_gives_an_earlier_deadline(layout, start, d1, d2):
    short, long = sorted([d1, d2])
    add = layout.calendar.add_working_time
    assert add(start, short) <= add(start, long)


@properties
@given(layouts(), moments, durations, durations)
def test_adding_twice_is_adding_the_sum(layout, start, d1, d2):
    add = layout.calendar.add_working_time
    assert add(add(start, d1), d2) == add(start, d1 + d2)


@properties
@given(layouts(), moments, durations.filter(lambda d: d > ZERO))
def test_a_deadline_lies_inside_or_at_the_end_of_a_working_period(layout, start, duration):
    deadline = layout.calendar.add_working_time(start, duration).astimezone(SHANGHAI)
    day = deadline.date()
    candidates = [(day, span) for span in layout.spans(day)]
    candidates += [(day - timedelta(days=1), span) for span in layout.spans(day - timedelta(1))]
    assert any(layout.is_working_day(d) and lo < deadline <= hi for d, (lo, hi) in candidates), (
        deadline
    )
    # The instant just before the deadline was working time.
    assert layout.calendar.is_working_instant(deadline - TINY)


@properties
@given(layouts(), moments, st.timedeltas(ZERO, timedelta(days=20)))
def test_working_time_between_matches_intersecting_every_period(layout, a, span):
    b = a + span
    assert layout.calendar.working_time_between(a, b) == layout.worked(a, b)


@properties
@given(layouts(), moments, moments, moments)
def test_working_time_between_adds_up_over_consecutive_intervals(layout, a, b, c):
    between = layout.calendar.working_time_between
    assert between(a, b) + between(b, c) == between(a, c)


@properties
@given(layouts(), moments, moments)
def test_working_time_between_is_at_most_the_elapsed_time_and_antisymmetric(layout, a, b):
    between = layout.calendar.working_time_between
    if b >= a:
        assert ZERO <= between(a, b) <= b - a
    assert between(b, a) == -between(a, b)


@properties
@given(layouts(), moments)
def test_the_next_working_instant_is_the_first_moment_of_working_time(layout, moment):
    calendar = layout.calendar
    found = calendar.next_working_instant(moment)
    assert found >= moment
    assert calendar.is_working_instant(found)
    assert calendar.working_time_between(moment, found) == ZERO
    assert calendar.is_working_instant(moment) == (found == moment)


@properties
@given(layouts(), moments, durations.filter(lambda d: d > ZERO))
def test_a_start_in_non_working_time_counts_from_the_next_working_instant(layout, start, d):
    calendar = layout.calendar
    assume(not calendar.is_working_instant(start))
    nxt = calendar.next_working_instant(start)
    assert calendar.add_working_time(start, d) == calendar.add_working_time(nxt, d)


# --- examples on the default periods and the real Chinese calendar ---------------------------

plain = BusinessCalendar.from_sets()  # Mon–Fri, 08:30–12:00 and 13:30–17:30
china = BusinessCalendar.from_overrides({})  # the built-in Chinese calendar


def test_the_default_working_day_is_08_30_to_12_00_and_13_30_to_17_30():
    assert plain.periods == ((time(8, 30), time(12)), (time(13, 30), time(17, 30)))
    assert plain.daily_working_time == timedelta(hours=7, minutes=30)


def test_a_deadline_ending_a_morning_is_noon_not_the_afternoon_start():
    assert plain.add_working_time(at(2026, 3, 2, 8, 30), timedelta(hours=3.5)) == at(2026, 3, 2, 12)
    assert plain.add_working_time(at(2026, 3, 2, 11, 30), H) == at(2026, 3, 2, 14)


def test_adding_zero_returns_the_start_even_outside_working_time():
    saturday_night = at(2026, 3, 7, 23, 0)
    assert plain.add_working_time(saturday_night, ZERO) == saturday_night


def test_a_weekend_start_begins_counting_on_monday_morning():
    assert plain.add_working_time(at(2026, 3, 7, 10), H) == at(2026, 3, 9, 9, 30)


def test_it_answers_in_shanghai_time_for_a_utc_start():
    result = plain.add_working_time(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), H)  # 09:00 local
    assert result == at(2026, 3, 2, 10)
    assert result.utcoffset() == timedelta(hours=8)


def test_it_rejects_negative_durations_and_naive_times():
    with pytest.raises(ValueError):
        plain.add_working_time(at(2026, 3, 2, 9), -H)
    with pytest.raises(ValueError):
        plain.add_working_time(datetime(2026, 3, 2, 9), H)
    with pytest.raises(ValueError):
        plain.working_time_between(datetime(2026, 3, 2, 9), at(2026, 3, 2, 10))


def test_working_time_backwards_is_negative():
    assert plain.working_time_between(at(2026, 3, 2, 10), at(2026, 3, 2, 9)) == -H


def test_it_rejects_overlapping_or_reversed_periods_and_a_day_both_off_and_on():
    with pytest.raises(ValueError):
        BusinessCalendar.from_sets(periods=[(time(8), time(12)), (time(11), time(13))])
    with pytest.raises(ValueError):
        BusinessCalendar.from_sets(periods=[(time(12), time(8))])
    with pytest.raises(ValueError):
        BusinessCalendar.from_sets(periods=[])
    with pytest.raises(ValueError):
        BusinessCalendar.from_sets(holidays=[date(2026, 3, 2)], workdays=[date(2026, 3, 2)])


def test_a_period_ending_at_midnight_runs_to_the_end_of_the_day():
    round_the_clock = BusinessCalendar.from_sets(periods=[(time(0), time(0))])
    assert round_the_clock.daily_working_time == timedelta(days=1)
    friday_evening = at(2026, 3, 6, 22)
    assert round_the_clock.add_working_time(friday_evening, 3 * H) == at(2026, 3, 9, 1)


def test_it_refuses_to_search_forever_in_a_calendar_without_working_days():
    never = BusinessCalendar(lambda day: False)
    with pytest.raises(ValueError):
        never.add_working_time(at(2026, 3, 2, 9), H)


def test_the_package_knows_the_2026_national_day_holiday():
    """What chinese_calendar says for 2026, which the examples below rely on."""
    for day in range(1, 8):
        assert chinese_calendar.get_holiday_detail(date(2026, 10, day)) == (True, "National Day")
    assert chinese_calendar.is_workday(date(2026, 9, 30))
    assert chinese_calendar.is_workday(date(2026, 10, 8))
    assert chinese_calendar.is_workday(date(2026, 9, 20))  # Sunday, 调休
    assert chinese_calendar.is_workday(date(2026, 10, 10))  # Saturday, 调休
    assert date(2026, 10, 10).weekday() == 5


def test_eight_hours_from_the_eve_of_national_day_land_after_the_holiday():
    # 17:00–17:30 on 30 Sep, then 1–7 Oct off, then all of Thursday 8 Oct.
    deadline = china.add_working_time(at(2026, 9, 30, 17), 8 * H)
    assert deadline == at(2026, 10, 8, 17, 30)
    assert deadline.isoformat() == "2026-10-08T17:30:00+08:00"


def test_a_saturday_adjusted_working_day_counts():
    assert china.add_working_time(at(2026, 10, 9, 17), H) == at(2026, 10, 10, 9)
    assert china.working_time_between(at(2026, 10, 10), at(2026, 10, 11)) == timedelta(hours=7.5)
    assert china.working_time_between(at(2026, 10, 17), at(2026, 10, 18)) == ZERO


def test_hundreds_of_hours_end_on_the_hundredth_working_day():
    start = at(2026, 1, 5, 8, 30)
    workdays = chinese_calendar.get_workdays(date(2026, 1, 5), date(2026, 12, 31))
    deadline = china.add_working_time(start, 100 * timedelta(hours=7.5))
    assert deadline == datetime.combine(workdays[99], time(17, 30), tzinfo=SHANGHAI)
    assert china.working_time_between(start, deadline) == timedelta(hours=750)


def test_beyond_the_package_years_monday_to_friday_applies():
    assert 2099 not in business.builtin_years()
    assert business.builtin_is_working_day(date(2099, 1, 1))  # a Thursday
    assert not business.builtin_is_working_day(date(2099, 1, 3))  # a Saturday
    assert china.add_working_time(at(2099, 1, 2, 17), H) == at(2099, 1, 5, 9)


# --- the platform's calendar in the database -------------------------------------------------


@pytest.fixture
def fresh(db):
    """No cached calendar from another test (rolled-back rows send no signals)."""
    business.invalidate_calendar()
    yield
    business.invalidate_calendar()


def test_an_admin_override_beats_the_built_in_calendar(fresh, admin):
    # A typhoon closes the office on Thursday 8 Oct; Sunday 11 Oct is worked instead.
    business.set_day(date(2026, 10, 8), False, "台风停工", user=admin)
    business.set_day(date(2026, 10, 11), True, "补班", user=admin)
    calendar = business.get_calendar()
    assert not calendar.is_working_day(date(2026, 10, 8))
    assert calendar.add_working_time(at(2026, 9, 30, 17), 8 * H) == at(2026, 10, 9, 17, 30)
    assert calendar.working_time_between(at(2026, 10, 11), at(2026, 10, 12)) == timedelta(hours=7.5)


def test_saving_a_day_or_a_period_refreshes_the_cached_calendar(fresh):
    business.connect_signals()
    assert business.get_calendar().is_working_day(date(2026, 3, 2))
    CalendarDay.objects.create(date=date(2026, 3, 2), is_working=False, name="")
    assert not business.get_calendar().is_working_day(date(2026, 3, 2))
    WorkingPeriod.objects.create(start=time(9), end=time(17))
    assert business.get_calendar().daily_working_time == 8 * H
    WorkingPeriod.objects.all().delete()
    assert business.get_calendar().daily_working_time == timedelta(hours=7.5)


def test_invalid_period_rows_fall_back_to_the_defaults(fresh):
    WorkingPeriod.objects.create(start=time(9), end=time(12))
    WorkingPeriod.objects.create(start=time(11), end=time(13))
    assert business.load_calendar().periods == business.DEFAULT_PERIODS


def test_setting_a_day_to_what_the_built_in_rule_says_removes_the_override(fresh, admin):
    day = date(2026, 10, 8)
    business.set_day(day, False, "台风停工", user=admin)
    row = business.set_day(day, False, "暴雨停工", user=admin)
    assert CalendarDay.objects.get(date=day).name == "暴雨停工" == row.name
    assert business.set_day(day, True, "", user=admin) is None
    assert not CalendarDay.objects.filter(date=day).exists()
    assert business.clear_day(day) is False


def test_a_named_day_that_agrees_with_the_built_in_rule_is_kept(fresh):
    business.set_day(date(2026, 10, 1), False, "国庆节")
    assert CalendarDay.objects.get(date=date(2026, 10, 1)).is_working is False


def test_calendar_changes_are_in_the_change_log_with_the_user(fresh, admin):
    day = date(2026, 10, 8)
    business.set_day(day, False, "台风停工", user=admin)
    business.set_day(day, False, "暴雨停工", user=admin)
    business.clear_day(day, user=admin)
    entries = ChangeLogEntry.objects.filter(content_type__model="calendarday").order_by("id")
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert {e.user for e in entries} == {admin}
    assert entries[1].before["name"] == "台风停工"
    assert entries[1].after["name"] == "暴雨停工"
    assert entries[2].object_id == entries[0].object_id


def test_it_rejects_a_name_longer_than_the_column(fresh):
    with pytest.raises(ValueError):
        business.set_day(date(2026, 10, 8), False, "长" * 65)


def test_loading_2026_writes_every_holiday_and_adjusted_working_day(fresh):
    result = business.load_year(2026)
    rows = {row.date: row for row in CalendarDay.objects.all()}
    assert result.created == len(rows) == 33 + 6  # 33 days off, 6 adjusted working days
    assert rows[date(2026, 10, 1)].name == "国庆节"
    assert rows[date(2026, 10, 1)].is_working is False
    assert rows[date(2026, 10, 10)].is_working is True
    assert rows[date(2026, 9, 20)].is_working is True
    again = business.load_year(2026)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 39)


def test_loading_resets_a_changed_day_and_leaves_other_overrides_alone(fresh):
    business.set_day(date(2026, 10, 2), True, "值班")
    business.set_day(date(2026, 3, 2), False, "停电")
    result = business.load_year(2026)
    assert (result.created, result.updated) == (38, 1)
    assert CalendarDay.objects.get(date=date(2026, 10, 2)).is_working is False
    assert CalendarDay.objects.get(date=date(2026, 3, 2)).name == "停电"


def test_loading_a_year_the_package_does_not_know_is_refused(fresh):
    with pytest.raises(ValueError, match="2099"):
        business.load_year(2099)
    assert not CalendarDay.objects.exists()


def test_replacing_the_working_periods_and_going_back_to_the_defaults(fresh):
    business.set_working_periods([(time(14), time(18)), (time(9), time(12))])
    assert list(WorkingPeriod.objects.values_list("start", "end")) == [
        (time(9), time(12)),
        (time(14), time(18)),
    ]
    assert business.get_calendar().daily_working_time == 7 * H
    with pytest.raises(ValueError):
        business.set_working_periods([(time(9), time(12)), (time(11), time(13))])
    assert WorkingPeriod.objects.count() == 2
    business.set_working_periods([])
    assert business.get_calendar().periods == business.DEFAULT_PERIODS


def test_the_year_view_names_and_classifies_days(fresh):
    business.set_day(date(2026, 3, 2), False, "停电")
    with translation.override("zh-hans"):
        days = {info.date: info for info in business.year_days(2026)}
    assert len(days) == 365
    assert (days[date(2026, 10, 1)].kind, days[date(2026, 10, 1)].name) == ("holiday", "国庆节")
    assert days[date(2026, 10, 10)].kind == "adjusted"
    assert days[date(2026, 10, 17)].kind == "weekend"
    assert days[date(2026, 10, 8)].kind == "workday"
    assert (days[date(2026, 3, 2)].kind, days[date(2026, 3, 2)].source) == ("holiday", "override")
    with translation.override("en"):
        assert business.year_days(2026)[0].name == "New Year's Day"
    assert {info.source for info in business.year_days(2099)} == {"weekdays"}


# --- sqm calendar ----------------------------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("calendar", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_a_deadline_in_iso_8601(fresh):
    assert run("deadline", "--start", "2026-09-30T17:00", "--hours", "8").strip() == (
        "2026-10-08T17:30:00+08:00"
    )
    assert run("deadline", "--start", "2026-09-30T09:00:00Z", "--hours", "0.5").strip() == (
        "2026-09-30T17:30:00+08:00"
    )


def test_the_command_prints_working_hours_as_a_decimal(fresh):
    assert run("between", "--start", "2026-09-30T17:00", "--end", "2026-10-08T09:00") == "1\n"
    assert run("between", "--start", "2026-10-08T08:30", "--end", "2026-10-08T12:20") == "3.5\n"
    assert run("between", "--start", "2026-10-08T09:00", "--end", "2026-10-08T08:30") == "-0.5\n"
    assert run("between", "--start", "2026-10-08T09:00", "--end", "2026-10-08T09:01") == (
        "0.016667\n"
    )


def test_the_command_shows_and_loads_a_year(fresh):
    lines = [json.loads(line) for line in run("show", "--year", "2026", "--json").splitlines()]
    assert len(lines) == 39
    first = lines[0]
    assert sorted(first) == ["date", "is_working", "kind", "name", "source"]
    assert (first["date"], first["is_working"], first["kind"]) == ("2026-01-01", False, "holiday")
    assert (first["source"], bool(first["name"])) == ("builtin", True)
    run("load", "--year", "2026")
    assert CalendarDay.objects.count() == 39
    assert "2026-10-10" in run("show", "--year", "2026")


@pytest.mark.parametrize(
    "args",
    [
        ("deadline", "--start", "yesterday", "--hours", "8"),
        ("deadline", "--start", "2026-09-30T17:00", "--hours", "eight"),
        ("deadline", "--start", "2026-09-30T17:00", "--hours", "-1"),
        ("between", "--start", "2026-09-30", "--end", "2026-13-01"),
        ("load", "--year", "2099"),
    ],
)
def test_the_command_rejects_bad_input_with_a_clear_message(fresh, args):
    with pytest.raises(CommandError) as error:
        run(*args)
    assert str(error.value)
    assert CalendarDay.objects.count() == 0


def test_the_command_exits_2_on_a_usage_error(fresh, capsys):
    from django.core.management import ManagementUtility

    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(["sqm", "calendar", "deadline", "--start", "2026-09-30"]).execute()
    assert exit_.value.code == 2
    assert "--hours" in capsys.readouterr().err
