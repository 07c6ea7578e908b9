"""`sqm calendar`: look at and load the business calendar, and do SLA arithmetic on it."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from sqm.core import calendar as business
from sqm.core.commands import BaseCommand
from sqm.core.context import acting_as

MICROSECONDS_PER_HOUR = Decimal(3_600_000_000)


def parse_moment(value: str, option: str) -> datetime:
    """ISO 8601; without an offset the time is Asia/Shanghai (settings.TIME_ZONE)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("%(option)s: %(value)r is not an ISO 8601 time such as 2026-09-30T17:00.")
            % {"option": option, "value": value}
        ) from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return moment


def parse_hours(value: str) -> timedelta:
    try:
        hours = Decimal(value)
    except InvalidOperation:
        raise CommandError(
            _("--hours: %(value)r is not a number of hours such as 8 or 1.5.") % {"value": value}
        ) from None
    if not hours.is_finite() or hours < 0:
        raise CommandError(_("--hours must be zero or more, got %(value)s.") % {"value": value})
    if hours > 1_000_000:
        raise CommandError(_("--hours: %(value)s is too large.") % {"value": value})
    return timedelta(microseconds=int(hours * MICROSECONDS_PER_HOUR))


def format_hours(duration: timedelta) -> str:
    """Hours as a plain decimal (7.5, -3, 0.016667): at most six decimals, no exponent."""
    hours = Decimal(duration // timedelta(microseconds=1)) / MICROSECONDS_PER_HOUR
    text = f"{hours.quantize(Decimal('0.000001')):f}".rstrip("0").rstrip(".")
    return "0" if text in {"", "-0"} else text


class Command(BaseCommand):
    @property
    def help(self) -> str:  # a property: argparse needs a str, translated when asked
        return _(
            "The business calendar (工作日历) used by SLA clocks: show a year's special days, "
            "load a year from the built-in Chinese calendar, compute a deadline, or count "
            "working hours. Times are ISO 8601; without an offset they are Asia/Shanghai."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        show = actions.add_parser(
            "show",
            help=_("List the holidays, adjusted working days and overrides of a year."),
        )
        show.add_argument("--year", type=int, default=None, help=_("default: this year"))
        show.add_argument(
            "--json", action="store_true", dest="as_json", help=_("one JSON object per line")
        )

        load = actions.add_parser(
            "load",
            help=_(
                "Write an override for every holiday and adjusted working day of a year, "
                "from the built-in Chinese calendar."
            ),
        )
        load.add_argument("--year", type=int, required=True)

        deadline = actions.add_parser(
            "deadline", help=_("Print START plus HOURS working hours (ISO 8601).")
        )
        deadline.add_argument("--start", required=True, help=_("e.g. 2026-09-30T17:00"))
        deadline.add_argument("--hours", required=True, help=_("working hours, e.g. 8 or 1.5"))

        between = actions.add_parser(
            "between", help=_("Print the working hours from START to END as a decimal.")
        )
        between.add_argument("--start", required=True)
        between.add_argument("--end", required=True)

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"handle_{action}")(**options)

    def handle_show(self, year: int | None, as_json: bool, **options) -> None:
        year = year or timezone.localdate().year
        check_year(year)
        for info in business.year_days(year):
            if not info.is_notable:
                continue
            if as_json:
                self.stdout.write(
                    dumps(
                        {
                            "date": info.date.isoformat(),
                            "is_working": info.is_working,
                            "kind": info.kind,
                            "name": info.name,
                            "source": info.source,
                        }
                    )
                )
            else:
                state = _("working") if info.is_working else _("day off")
                self.stdout.write(
                    f"{info.date:%Y-%m-%d} {info.date:%a}  {state:<8} {info.source:<8} {info.name}"
                )

    def handle_load(self, year: int, **options) -> None:
        check_year(year)
        with acting_as(label="cli"):
            try:
                result = business.load_year(year)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        self.stdout.write(
            _("%(year)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
            % {
                "year": year,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            }
        )

    def handle_deadline(self, start: str, hours: str, **options) -> None:
        moment = parse_moment(start, "--start")
        duration = parse_hours(hours)
        try:
            result = business.get_calendar().add_working_time(moment, duration)
        except (ValueError, OverflowError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(result.isoformat())

    def handle_between(self, start: str, end: str, **options) -> None:
        a, b = parse_moment(start, "--start"), parse_moment(end, "--end")
        self.stdout.write(format_hours(business.get_calendar().working_time_between(a, b)))


def check_year(year: int) -> None:
    if not date.min.year < year < date.max.year:
        raise CommandError(_("--year: %(year)s is out of range.") % {"year": year})


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)
