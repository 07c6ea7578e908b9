"""Reading untrusted input: page numbers, ids, moments and JSON the database can hold.

A hostile value (a 20-digit page number, a customer id "abc", the year 1 at +14:00, a JSON
body nested 100,000 deep) must come back as "no such page or row" or as an error naming the
field, never as an exception from the SQL layer or the parser (a 500).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

# Deeper than anyone pages by hand, and far from the 64-bit OFFSET that would overflow.
MAX_PAGE = 100_000
# Primary keys are 64-bit (BigAutoField); a larger number names no row.
MAX_ID = 2**63 - 1
# Moments every database stores and reads back with a whole-minute offset: before 1901
# Shanghai kept local mean time (+08:05:43), and the ends of year 1 and 9999 overflow when
# converted to UTC or to local time.
EARLIEST = datetime.datetime(1901, 1, 1, tzinfo=datetime.UTC)
LATEST = datetime.datetime(9998, 12, 31, tzinfo=datetime.UTC)
MOMENT_RANGE_MESSAGE = _("Enter a date and time within years 1901–9998.")
# Days a filter accepts: before any record SQM holds, after any it will, and far from the ends
# of the calendar, where the day after 9999-12-31 overflows and so does 0001-01-01 at +08:00.
EARLIEST_DAY = datetime.date(1990, 1, 1)
LATEST_DAY = datetime.date(2199, 12, 31)


def page_number(value: object) -> int:
    """The 1-based page VALUE asks for: 1 when missing or not a whole number, at most MAX_PAGE."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):  # also more than 4,300 digits
        return 1
    return min(max(number, 1), MAX_PAGE)


def parse_whole(value: object, low: int = 0, high: int = MAX_ID) -> int | None:
    """VALUE as a whole number within LOW–HIGH, or None for anything else: "abc", "-1",
    "1e3", a 20-digit number. Only ASCII digits: str.isdigit() also passes "²" (which int()
    then refuses) and int() also reads "١٢" as 12."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if low <= number <= high else None


def parse_id(value: object) -> int | None:
    """VALUE as a database id (a positive 64-bit whole number), or None for anything else."""
    return parse_whole(value, low=1)


def parse_day(
    value: object, earliest: datetime.date = EARLIEST_DAY, latest: datetime.date = LATEST_DAY
) -> datetime.date | None:
    """VALUE as an ISO day (2026-12-01) within EARLIEST–LATEST, or None for anything else:
    "abc", "2026-02-30", "9999-12-31"."""
    try:
        day = datetime.date.fromisoformat(str(value).strip() if value is not None else "")
    except ValueError:
        return None
    return day if earliest <= day <= latest else None


def storable_moment(moment: datetime.datetime) -> bool:
    """Whether MOMENT (aware) lies within EARLIEST–LATEST; the far ends of the calendar at an
    offset overflow when converted, which is also "no"."""
    try:
        return EARLIEST <= moment.astimezone(datetime.UTC) <= LATEST
    except (OverflowError, ValueError):
        return False


class AwareDateTimeField(forms.DateTimeField):
    """A form's date and time (naive ones in the current time zone) within years 1901–9998."""

    default_error_messages = {"range": MOMENT_RANGE_MESSAGE}

    def to_python(self, value):
        try:
            moment = super().to_python(value)
        except OverflowError:  # making "0001-01-01 00:00" aware can overflow too
            raise forms.ValidationError(self.error_messages["range"], code="range") from None
        if moment is not None and not storable_moment(moment):
            raise forms.ValidationError(self.error_messages["range"], code="range")
        return moment


def has_lone_surrogate(text: str) -> bool:
    """Whether TEXT holds a UTF-16 surrogate (JSON's "\\ud800"): no database encodes it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def loads_json(text: str | bytes, **kwargs: Any) -> Any:
    """json.loads, raising ValueError (as for any malformed JSON) also for nesting deeper than
    the interpreter's recursion limit and for strings or keys holding a lone surrogate."""
    try:
        data = json.loads(text, **kwargs)
    except RecursionError:
        raise ValueError(_("JSON nested too deeply")) from None
    if _any_string(data, has_lone_surrogate):
        raise ValueError(_("JSON string holds a lone surrogate (\\ud800–\\udfff)"))
    return data


def _any_string(data: Any, test: Callable[[str], bool]) -> bool:
    # Iterative: a parsed document can be nested nearly as deep as the recursion limit.
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if test(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False
