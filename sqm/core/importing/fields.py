"""Cell parsers shared by importers; each raises RowInvalid naming the column."""

from __future__ import annotations

import datetime as dt
import ipaddress
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from sqm.core.importing.base import RowInvalid
from sqm.core.inputs import storable_moment
from sqm.core.models import City


def required(row: dict[str, str], column: str, max_length: int | None = None) -> str:
    value = row.get(column, "")
    if not value:
        raise RowInvalid(column, _("a value is required"))
    if max_length and len(value) > max_length:
        raise RowInvalid(column, _("longer than %(n)d characters") % {"n": max_length})
    return value


def optional(row: dict[str, str], column: str, max_length: int | None = None) -> str:
    value = row.get(column, "")
    if max_length and len(value) > max_length:
        raise RowInvalid(column, _("longer than %(n)d characters") % {"n": max_length})
    return value


_VALUES: dict[type, frozenset[str]] = {}


def choice(row: dict[str, str], column: str, choices, default: str | None = None) -> str:
    """A value of a TextChoices set."""
    value = row.get(column, "")
    allowed = _VALUES.get(choices)
    if allowed is None:  # `choices.values` is rebuilt on every access: keep it
        allowed = _VALUES[choices] = frozenset(choices.values)
    if value in allowed:
        return value
    if not value and default is not None:
        return default
    raise RowInvalid(
        column,
        _("%(value)r is not one of %(allowed)s")
        % {"value": value, "allowed": ", ".join(choices.values)},
    )


def flag(row: dict[str, str], column: str) -> bool:
    value = row.get(column, "")
    if value in {"1", "0"}:
        return value == "1"
    if value == "":
        return False
    raise RowInvalid(column, _("%(value)r is not 0 or 1") % {"value": value})


def integer(
    row: dict[str, str], column: str, *, low: int = 0, high: int = 10**9, allow_empty: bool = False
) -> int | None:
    value = row.get(column, "")
    if value == "" and allow_empty:
        return None
    try:
        number = int(value)
    except ValueError:
        raise RowInvalid(column, _("%(value)r is not a whole number") % {"value": value}) from None
    if not low <= number <= high:
        raise RowInvalid(
            column,
            _("%(value)d is outside %(low)d–%(high)d")
            % {"value": number, "low": low, "high": high},
        )
    return number


def timestamp(row: dict[str, str], column: str, *, allow_empty: bool = True):
    """ISO 8601; naive values are Asia/Shanghai (the operator's clock)."""
    value = row.get(column, "")
    if not value:
        if allow_empty:
            return None
        raise RowInvalid(column, _("a value is required"))
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise RowInvalid(
            column,
            _("%(value)r is not an ISO 8601 time (2026-11-22T08:00:00+08:00)") % {"value": value},
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    if not storable_moment(parsed):  # the far ends of the calendar overflow when stored
        raise RowInvalid(column, _("%(value)r is outside years 1901–9998") % {"value": value})
    return parsed


def ip_address(row: dict[str, str], column: str) -> str | None:
    value = row.get(column, "")
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise RowInvalid(column, _("%(value)r is not an IP address") % {"value": value}) from None


class CityLookup:
    """Cities by Chinese name or code, loaded once per import."""

    def __init__(self) -> None:
        self._by_key: dict[str, int] = {}
        for pk, code, name in City.objects.values_list("pk", "code", "name"):
            self._by_key[code] = pk
            self._by_key[code.lower()] = pk
            self._by_key[name] = pk
            self._by_key[name.removesuffix("市")] = pk

    def __call__(self, row: dict[str, str], column: str = "city") -> int:
        value = row.get(column, "")
        pk = self._by_key.get(value) or self._by_key.get(value.removesuffix("市"))
        if pk is None:
            raise RowInvalid(column, _("unknown city %(value)r") % {"value": value})
        return pk


def place_name(
    row: dict[str, str], column: str, max_length: int, *, required_value: bool = False
) -> str:
    """A district, area or OLT name: these become the {area} of customers' fault SMS, so a
    link, e-mail address, phone number, markup or invisible character is refused."""
    from sqm.core.validators import name_problem

    value = (
        required(row, column, max_length) if required_value else optional(row, column, max_length)
    )
    problem = name_problem(value)
    if problem:
        raise RowInvalid(
            column, _("%(value)r is not a name: %(problem)s") % {"value": value, "problem": problem}
        )
    return value
